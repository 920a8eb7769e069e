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

# Migrations (only when some are pending) and the demo data (each step skipped at once when done) in one
# Python process: every start of Django costs seconds on a small machine (docs/development.md).
"$PY" -m retiree_mgmt.prepare_demo

step "Starting web (http://127.0.0.1:$PORT), worker and beat; Ctrl-C stops them"
# honcho hands the first Procfile entry (web) the port given by -p.
exec "$VENV/bin/honcho" start -p "$PORT"
