#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, only those missing, with one apt-get run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# WeasyPrint's native libraries, the CJK font for PDFs, pdftotext for PDF tests, Chromium for browser tests,
# gettext for makemessages and the translation tests.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils chromium gettext)
# A database or broker named in the environment is only checked, so only its command-line client is needed.
if uses_local_postgres; then packages+=(postgresql); else packages+=(postgresql-client); fi
if uses_local_redis; then packages+=(redis-server); else packages+=(redis-tools); fi
# Debian ships `venv` without ensurepip; python3-venv adds it. Only needed to create .venv.
if [ ! -x "$PY" ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv)
fi

# One dpkg-query for all of them (a dpkg -s per package cost a process each): "ii" means installed; a
# package dpkg has never heard of is not listed at all.
installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null | awk '$1 == "ii" { print $2 }' || true)"
missing=()
for package in "${packages[@]}"; do
    if ! grep -qxF "$package" <<<"$installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    step "System packages: all present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    die "没有 apt-get，无法自动安装：${missing[*]}。请用本系统的包管理器安装它们后重试。" \
        "apt-get is not available, so these cannot be installed automatically: ${missing[*]}. Install them with this system's package manager and try again."
fi
if ! is_root && ! command -v sudo >/dev/null 2>&1; then
    die "需要 root 权限安装：${missing[*]}。请以 root 运行：apt-get install ${missing[*]}" \
        "Root is needed to install: ${missing[*]}. As root, run: apt-get install ${missing[*]}"
fi

step "Installing system packages: ${missing[*]}"
as_root apt-get update -qq
# A PostgreSQL cluster created during this install takes its locale from the environment: C.UTF-8 gives it
# UTF8 encoding even on a minimal machine whose locale is plain "C" (which would mean SQL_ASCII).
as_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
