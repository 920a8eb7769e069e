#!/usr/bin/env bash
# Creates .venv and installs the locked Python packages with uv; does nothing when already in sync.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

if [ ! -x "$PY" ]; then
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        die "python3 缺少 venv 模块。请先运行 scripts/system-packages.sh（或 apt-get install python3-venv）。" \
            "python3 lacks the venv module. Run scripts/system-packages.sh (or apt-get install python3-venv) first."
    fi
    step "Creating the virtual environment .venv"
    python3 -m venv "$VENV"
fi

if [ ! -x "$VENV/bin/uv" ]; then
    step "Installing uv $UV_VERSION into .venv"
    # An environment made by uv itself has no pip.
    "$PY" -m pip --version >/dev/null 2>&1 || "$PY" -m ensurepip --upgrade >/dev/null
    "$PY" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# The hash of uv.lock and pyproject.toml at the last successful sync: while they are unchanged, the
# environment is what uv made of them, and even `uv sync --check` (which resolves and inspects every
# installed package) can be skipped.
stamp="$VENV/.uv-lock-sha256"
lock_hash="$(cat uv.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
    step "Python packages: uv.lock unchanged since the last sync"
    exit 0
fi
# --inexact keeps packages that are not in the lock, above all uv itself.
if "$VENV/bin/uv" sync --frozen --inexact --check --quiet >/dev/null 2>&1; then
    step "Python packages: in sync with uv.lock"
else
    step "Installing Python packages from uv.lock"
    "$VENV/bin/uv" sync --frozen --inexact --quiet
fi
printf '%s\n' "$lock_hash" >"$stamp"
