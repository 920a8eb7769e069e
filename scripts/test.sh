#!/usr/bin/env bash
# `make test` and CI: set up, then every check. All checks run even when one fails, so one run shows
# everything that is wrong; the exit status is non-zero if any failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"

failed=()
check() {
    local name=$1
    shift
    step "$name"
    # Any non-zero status is a failure, including pytest's 5 ("no tests collected").
    "$@" || failed+=("$name")
}

check "ruff check" "$VENV/bin/ruff" check .
check "ruff format --check" "$VENV/bin/ruff" format --check .
check "mypy" "$VENV/bin/mypy" .
check "makemigrations --check" "$PY" manage.py makemigrations --check --dry-run
check "pytest" "$PY" -m pytest

if [ ${#failed[@]} -gt 0 ]; then
    printf '\n测试失败 / FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\n全部通过 / All checks passed.\n'
