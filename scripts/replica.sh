#!/usr/bin/env bash
# `make replica` / scripts/replica.sh [start|stop|status|remove]: a REAL streaming read replica of the local
# PostgreSQL 15 server, for trying the replica router (registry/replica.py, docs/deployment.md):
#   pg_basebackup -R of the primary (127.0.0.1:5432) into var/replica, started with pg_ctl on port 5433 as a
#   hot standby; then run the application with
#   REPLICA_DATABASE_URL=postgres://postgres@127.0.0.1:5433/<the database of DATABASE_URL>.
#
# It copies the whole cluster (every database on the server) and replays all its writes while it runs:
# stop it when done (`scripts/replica.sh stop`), remove it to free the disk (`scripts/replica.sh remove`).
# The primary is never restarted. It needs wal_level = replica (or logical) and max_wal_senders > 0, which
# only a restart changes: the script checks them and prints the steps if they are missing. A replication
# entry in pg_hba.conf is the one thing it may add itself (with REPLICA_FIX_HBA=1): a reload, not a restart.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PRIMARY_HOST="${REPLICA_PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${REPLICA_PRIMARY_PORT:-5432}"
PRIMARY_USER="${REPLICA_PRIMARY_USER:-postgres}"
PORT="${REPLICA_PORT:-5433}"
DIR="$REPO_ROOT/var/replica"
LOG="$REPO_ROOT/var/replica.log"
# The copy reads the whole cluster: capped so the other users of a shared machine keep their disk.
MAX_RATE="${REPLICA_MAX_RATE:-100M}"
# A replication slot keeps the primary's WAL from the copy's start until the replica has it: without one, a
# busy primary recycles the segments the replica needs before it starts ("requested WAL segment … has
# already been removed"). The slot holds WAL while the replica is stopped: `remove` drops it.
SLOT="${REPLICA_SLOT:-dev_replica_$PORT}"

primary_psql() { "$PG_BIN/psql" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -Atq "$@"; }
replica_psql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$PRIMARY_USER" -d postgres -Atq "$@"; }

# PostgreSQL refuses to run as root: as root, the server and the copy run as the postgres user.
as_server_user() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

check_primary() {
    local wal_level senders
    wal_level="$(primary_psql -c 'SHOW wal_level')"
    senders="$(primary_psql -c 'SHOW max_wal_senders')"
    if [ "$wal_level" = "minimal" ] || [ "$senders" = "0" ]; then
        die "主库不支持复制（wal_level=$wal_level, max_wal_senders=$senders）。在 postgresql.conf 中设置 wal_level = replica、max_wal_senders = 10，然后重启主库（会中断所有连接）。" \
            "The primary cannot stream (wal_level=$wal_level, max_wal_senders=$senders). Set wal_level = replica and max_wal_senders = 10 in postgresql.conf and restart it (every connection drops)."
    fi
    if ! "$PG_BIN/psql" "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER replication=true" \
        -Atqc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
        local hba
        hba="$(primary_psql -c 'SHOW hba_file')"
        if [ "${REPLICA_FIX_HBA:-0}" = "1" ]; then
            step "Allowing replication from $PRIMARY_HOST in $hba (then a reload, no restart)"
            as_root sh -c "printf '%s\n' 'host replication $PRIMARY_USER $PRIMARY_HOST/32 trust' >> '$hba'"
            primary_psql -c 'SELECT pg_reload_conf()' >/dev/null
            sleep 1
        else
            die "主库的 pg_hba.conf 没有复制连接的条目。加入一行：host replication $PRIMARY_USER $PRIMARY_HOST/32 trust（到 $hba），再执行 SELECT pg_reload_conf()（无需重启）；或以 REPLICA_FIX_HBA=1 运行本脚本。" \
                "The primary's pg_hba.conf allows no replication connection. Add 'host replication $PRIMARY_USER $PRIMARY_HOST/32 trust' to $hba and run SELECT pg_reload_conf() (no restart), or run this script with REPLICA_FIX_HBA=1."
        fi
    fi
}

create() {
    check_primary
    mkdir -p "$REPO_ROOT/var"
    step "Copying the primary $PRIMARY_HOST:$PRIMARY_PORT into $DIR (pg_basebackup -R, at most $MAX_RATE/s)"
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    is_root && chown postgres:postgres "$DIR"
    drop_slot
    as_server_user "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" \
        -D "$DIR" -R -X stream -C -S "$SLOT" -c fast --max-rate="$MAX_RATE" --progress
    # A Debian cluster keeps its configuration in /etc: the copy gets its own. A hot standby needs these
    # limits at least as high as the primary's.
    local setting conf="$DIR/postgresql.conf"
    {
        echo "# Written by scripts/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT."
        echo "port = $PORT"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$DIR'"
        echo "hba_file = '$DIR/pg_hba.conf'"
        echo "hot_standby = on"
        echo "shared_buffers = 128MB"
        echo "autovacuum = off"
        for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
            max_locks_per_transaction; do
            echo "$setting = $(primary_psql -c "SHOW $setting")"
        done
    } >"$conf"
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" >"$DIR/pg_hba.conf"
    is_root && chown postgres:postgres "$conf" "$DIR/pg_hba.conf"
    return 0
}

start() {
    [ -x "$PG_BIN/pg_ctl" ] || die "找不到 $PG_BIN/pg_ctl（设置 PG_BIN）。" "No $PG_BIN/pg_ctl (set PG_BIN)."
    [ -f "$DIR/standby.signal" ] || create
    touch "$LOG"
    is_root && chown postgres:postgres "$LOG"
    step "Starting the replica on 127.0.0.1:$PORT (log: $LOG)"
    as_server_user "$PG_BIN/pg_ctl" -D "$DIR" -l "$LOG" -w -t 300 start
    status
    echo "Run the application with REPLICA_DATABASE_URL=postgres://$PRIMARY_USER@127.0.0.1:$PORT/<database>"
}

status() {
    if ! as_server_user "$PG_BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
        echo "replica: not running ($DIR)"
        return 0
    fi
    echo "replica: running on 127.0.0.1:$PORT, in recovery: $(replica_psql -c 'SELECT pg_is_in_recovery()')"
    echo "replay lag: $(replica_psql -c "SELECT coalesce(now() - pg_last_xact_replay_timestamp(), '0')")"
    primary_psql -c "SELECT 'primary sees: ' || application_name || ' ' || state || ', replay lag ' ||
                     coalesce(replay_lag::text, '0') FROM pg_stat_replication"
}

drop_slot() {
    primary_psql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                     WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
}

stop() {
    if as_server_user "$PG_BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
        step "Stopping the replica"
        as_server_user "$PG_BIN/pg_ctl" -D "$DIR" -m fast -w stop
        echo "The slot $SLOT keeps the primary's WAL until the replica is started again or removed."
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    remove)
        stop
        step "Removing $DIR and the slot $SLOT"
        drop_slot
        rm -rf "$DIR"
        ;;
    *) die "用法：scripts/replica.sh [start|stop|status|remove]" "Usage: scripts/replica.sh [start|stop|status|remove]" ;;
esac
