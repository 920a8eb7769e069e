#!/usr/bin/env bash
# `make bench`: runs every bench/*.py in turn. They print figures; they are not tests.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-retiree_mgmt.settings.development}"
# The scripts import the project's apps, which live at the repository root.
export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"

shopt -s nullglob
benchmarks=(bench/*.py)
if [ ${#benchmarks[@]} -eq 0 ]; then
    die "bench/ 中没有基准脚本。" "There are no benchmark scripts in bench/."
fi
for script in "${benchmarks[@]}"; do
    step "Running $script"
    "$PY" "$script"
done
