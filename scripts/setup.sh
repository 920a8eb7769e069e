#!/usr/bin/env bash
# Everything `make run` and `make test` need before they start: system packages, the Python environment,
# PostgreSQL, Redis and the database. Safe to run again; quick and quiet when nothing is missing.
set -euo pipefail
scripts="$(dirname "${BASH_SOURCE[0]}")"

"$scripts/system-packages.sh"
"$scripts/venv.sh"
"$scripts/services.sh"
