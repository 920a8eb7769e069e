#!/usr/bin/env bash
# `make run`: set up, migrate, load the demo county, then run the web server, a Celery worker and Celery
# beat together under honcho (Procfile). Ctrl-C stops all three.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-retiree_mgmt.settings.development}"
export PORT="${PORT:-8000}"
mkdir -p var

step "Applying database migrations"
"$PY" manage.py migrate --no-input -v 0
step "Loading the demo county (seed_demo, seed_demo_certifications)"
"$PY" manage.py seed_demo
"$PY" manage.py seed_demo_certifications

step "Starting web (http://127.0.0.1:$PORT), worker and beat; Ctrl-C stops them"
# honcho hands the first Procfile entry (web) the port given by -p.
exec "$VENV/bin/honcho" start -p "$PORT"
