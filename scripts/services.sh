#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer, and that the database exists.
# DATABASE_URL / REDIS_URL, when set, name servers run by someone else: they are only checked.
# Otherwise the local servers on 127.0.0.1:5432 and 127.0.0.1:6379 are used and started when down.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB_NAME="retiree_mgmt"
redis_pong() { [ "$(redis-cli "$@" ping 2>/dev/null)" = "PONG" ]; }
local_psql() { psql -h 127.0.0.1 -p 5432 -U postgres -w -X -q -t -A "$@"; }
# Peer authentication over the Unix socket: the postgres system user can always get in this way.
socket_psql() { as_root runuser -u postgres -- psql -X -q -t -A "$@"; }

wait_for() {
    local seconds=$1
    shift
    for _ in $(seq "$seconds"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

start_local_postgres() {
    local version
    # One directory per installed major version; the newest is the one to run.
    version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$version" ]; then
        die "本机没有 PostgreSQL 集群（/etc/postgresql 为空）。请运行 scripts/system-packages.sh，或设置 DATABASE_URL。" \
            "No local PostgreSQL cluster (/etc/postgresql is empty). Run scripts/system-packages.sh, or set DATABASE_URL."
    fi
    step "Starting PostgreSQL $version"
    if [ -d /run/systemd/system ]; then
        as_root systemctl start postgresql
    else
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
    wait_for 30 pg_isready -q -h 127.0.0.1 -p 5432 ||
        die "PostgreSQL 已启动但 127.0.0.1:5432 无响应。请检查 /var/log/postgresql/ 与 listen_addresses。" \
            "PostgreSQL was started but 127.0.0.1:5432 does not answer. See /var/log/postgresql/ and listen_addresses."
}

# A fresh Debian cluster asks for a password on 127.0.0.1; the development URL
# postgres://postgres@127.0.0.1/retiree_mgmt has none, so loopback connections of that user are trusted.
trust_loopback_postgres() {
    local hba_file rules
    step "Letting the postgres user connect over 127.0.0.1 without a password (development machine only)"
    hba_file="$(socket_psql -c 'SHOW hba_file')"
    rules='# Added by scripts/services.sh for local development.\n'
    rules+='host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust'
    # pg_hba.conf is read top down and the first matching line wins, so these go first.
    as_root sed -i "1i $rules" "$hba_file"
    socket_psql -c 'SELECT pg_reload_conf()' >/dev/null
    wait_for 5 local_psql -c 'SELECT 1' ||
        die "仍无法以 postgres 用户连接 127.0.0.1:5432。请检查 $hba_file，或设置 DATABASE_URL（含密码）。" \
            "Still cannot connect to 127.0.0.1:5432 as postgres. Check $hba_file, or set DATABASE_URL with a password."
}

# The database named in DATABASE_URL: used when it exists; created when the server answers and the user may
# create databases; otherwise the script stops and says exactly what to run (never a Python traceback later).
url_part() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.unquote(p.path.lstrip("/")) if sys.argv[2] == "name" else u.urlunsplit(p._replace(path="/postgres")))' "$DATABASE_URL" "$1"; }
url_psql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

ensure_url_database() {
    local name maintenance create can_create
    name="$(url_part name)"
    [ -n "$name" ] || die "DATABASE_URL 没有写数据库名,例如 postgres://user:密码@host:5432/retiree_mgmt。" \
        "DATABASE_URL names no database, e.g. postgres://user:password@host:5432/retiree_mgmt."
    if url_psql -d "$DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1; then
        step "Database $name: exists"
        return
    fi
    maintenance="$(url_part maintenance)"
    create="CREATE DATABASE \"$name\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
    if ! url_psql -d "$maintenance" -c 'SELECT 1' >/dev/null 2>&1; then
        die "无法连接数据库 $name,也无法连接同一服务器上的 postgres 库(用户名、密码或权限不对)。请检查 DATABASE_URL,或请数据库管理员执行:$create OWNER 你的用户名;" \
            "Cannot connect to database $name, nor to the postgres database on the same server (wrong user, password or rights). Check DATABASE_URL, or ask the database administrator to run: $create OWNER your_user;"
    fi
    if [ "$(url_psql -d "$maintenance" -c "SELECT 1 FROM pg_database WHERE datname = '${name//\'/\'\'}'")" = "1" ]; then
        die "数据库 $name 已存在,但 DATABASE_URL 中的用户无法连接它。请检查用户名、密码,或执行:GRANT CONNECT ON DATABASE \"$name\" TO 你的用户名;" \
            "Database $name exists but the user in DATABASE_URL cannot connect to it. Check user and password, or run: GRANT CONNECT ON DATABASE \"$name\" TO your_user;"
    fi
    can_create="$(url_psql -d "$maintenance" -c 'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user')"
    if [ "$can_create" != "t" ]; then
        die "数据库 $name 不存在,DATABASE_URL 中的用户也没有建库权限。请数据库管理员执行:$create OWNER 你的用户名; 然后重新运行 make run。" \
            "Database $name does not exist and the user in DATABASE_URL may not create databases. Ask the database administrator to run: $create OWNER your_user; then run make run again."
    fi
    step "Creating database $name"
    # template0 with an explicit UTF-8 locale: Chinese text needs UTF8 whatever the server's default is.
    url_psql -d "$maintenance" -c "$create" >/dev/null ||
        die "创建数据库 $name 失败(见上方 PostgreSQL 的提示)。可手工执行:$create;" \
            "Creating database $name failed (see PostgreSQL's message above). To do it by hand: $create;"
}

ensure_postgres() {
    if ! uses_local_postgres; then
        step "PostgreSQL: checking DATABASE_URL"
        pg_isready -q -d "$DATABASE_URL" ||
            die "DATABASE_URL 指向的 PostgreSQL 无响应。请确认服务器已启动、地址正确。" \
                "The PostgreSQL server in DATABASE_URL does not answer. Check that it is running and the URL is right."
        ensure_url_database
        return
    fi
    if pg_isready -q -h 127.0.0.1 -p 5432; then
        step "PostgreSQL: running on 127.0.0.1:5432"
    else
        start_local_postgres
    fi
    local_psql -c 'SELECT 1' >/dev/null 2>&1 || trust_loopback_postgres
    if [ "$(local_psql -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" = "1" ]; then
        step "Database $DB_NAME: exists"
    else
        step "Creating database $DB_NAME"
        # template0 with an explicit UTF-8 locale: Chinese text needs UTF8 whatever the cluster default is.
        local_psql -c "CREATE DATABASE $DB_NAME ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
    fi
}

ensure_redis() {
    if ! uses_local_redis; then
        step "Redis: checking REDIS_URL"
        redis_pong -u "$REDIS_URL" ||
            die "REDIS_URL 指向的 Redis 无响应。请确认服务器已启动、地址正确。" \
                "The Redis server in REDIS_URL does not answer. Check that it is running and the URL is right."
        return
    fi
    if redis_pong -h 127.0.0.1 -p 6379; then
        step "Redis: running on 127.0.0.1:6379"
        return
    fi
    command -v redis-server >/dev/null 2>&1 ||
        die "未安装 redis-server。请运行 scripts/system-packages.sh，或设置 REDIS_URL。" \
            "redis-server is not installed. Run scripts/system-packages.sh, or set REDIS_URL."
    # Queues and results only: nothing here needs to survive a restart, so no snapshots on disk.
    step "Starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    wait_for 10 redis_pong -h 127.0.0.1 -p 6379 ||
        die "Redis 已启动但 127.0.0.1:6379 无响应。" "Redis was started but 127.0.0.1:6379 does not answer."
}

ensure_postgres
ensure_redis
