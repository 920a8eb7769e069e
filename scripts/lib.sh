# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this file
# Shared helpers for scripts/*.sh. Sourced, never run.
# Every step prints one line saying what it does; problems are explained in Chinese and English.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"
UV_VERSION="0.13.9"

step() { printf '==> %s\n' "$*"; }

# die "中文说明" "English explanation": prints both and stops the script.
die() {
    printf '\n错误：%s\nError: %s\n' "$1" "$2" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as root: directly when already root, else through sudo when it is installed.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "需要 root 权限执行：$*。请以 root 身份运行，或先安装并配置 sudo。" \
            "Root is needed to run: $*. Run as root, or install and configure sudo."
    fi
}

# True when the project uses the local PostgreSQL/Redis rather than ones named in the environment.
uses_local_postgres() { [ -z "${DATABASE_URL:-}" ]; }
uses_local_redis() { [ -z "${REDIS_URL:-}" ]; }
