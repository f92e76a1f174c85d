#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and Redis servers on loopback, for CI, the PostgreSQL test pass and
# benchmarks. Nothing here touches a system-wide cluster: both servers live in one directory
# that `stop` deletes.
#
#   scripts/services.sh start     # start both (a fresh, empty cluster each time)
#   scripts/services.sh stop      # stop both and delete their directory
#   scripts/services.sh status    # say what is running
#   scripts/services.sh env       # print the exports that point the project at them:
#                                 #   eval "$(scripts/services.sh env)"
#
# Settings (environment): SERVICES_DIR (default /tmp/civicdesk-services-$UID),
# PG_PORT (54329), REDIS_PORT (63799), PG_BIN (/usr/lib/postgresql/15/bin).
# Run as root, PostgreSQL runs as the `postgres` user (it refuses to run as root).
set -euo pipefail

SERVICES_DIR="${SERVICES_DIR:-/tmp/civicdesk-services-$(id -u)}"
PG_PORT="${PG_PORT:-54329}"
REDIS_PORT="${REDIS_PORT:-63799}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DATA="$SERVICES_DIR/pgdata"
DB_NAME=civicdesk
DB_USER=civicdesk

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Commands that touch the cluster run as `postgres` when we are root, as ourselves otherwise.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_running() { [[ -f "$PG_DATA/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
redis_running() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_postgres() {
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql-15)"
    if pg_running; then
        log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
        return
    fi
    rm -rf "$PG_DATA"
    mkdir -p "$PG_DATA"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$SERVICES_DIR" "$PG_DATA"
    fi
    chmod 700 "$PG_DATA"
    log "initdb in $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$SERVICES_DIR/initdb.log" 2>&1 || { cat "$SERVICES_DIR/initdb.log" >&2; die "initdb failed"; }
    # Durability is switched off: this cluster is disposable and the tests run much faster.
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$SERVICES_DIR/postgres.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$SERVICES_DIR \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        >/dev/null || { cat "$SERVICES_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
    local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
    # CREATEDB: pytest-django creates and drops test_civicdesk itself.
    as_pg "${psql[@]}" -c "CREATE ROLE $DB_USER LOGIN CREATEDB" \
        -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
}

start_redis() {
    command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
    if redis_running; then
        log "Redis already running on 127.0.0.1:$REDIS_PORT"
        return
    fi
    mkdir -p "$SERVICES_DIR/redis"
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$SERVICES_DIR/redis/redis.pid" --logfile "$SERVICES_DIR/redis/redis.log" \
        --dir "$SERVICES_DIR/redis" --save "" --appendonly no
    for _ in $(seq 50); do
        redis_running && return
        sleep 0.1
    done
    cat "$SERVICES_DIR/redis/redis.log" >&2 || true
    die "Redis did not start"
}

stop_services() {
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
        log "stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
    fi
    if redis_running; then
        log "stopping Redis"
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    elif [[ -f "$SERVICES_DIR/redis/redis.pid" ]]; then
        kill "$(cat "$SERVICES_DIR/redis/redis.pid")" 2>/dev/null || true
    fi
    case "$SERVICES_DIR" in
        /tmp/* | "${TMPDIR:-/tmp}"/*) rm -rf "$SERVICES_DIR" ;;
        *) log "left $SERVICES_DIR in place (not under /tmp)" ;;
    esac
}

print_env() {
    echo "export DATABASE_URL=postgres://$DB_USER@127.0.0.1:$PG_PORT/$DB_NAME"
    echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

case "${1:-}" in
    start)
        mkdir -p "$SERVICES_DIR"
        start_postgres
        start_redis
        log "ready; point the project at them with: eval \"\$(scripts/services.sh env)\""
        print_env | sed 's/^/[services]   /' >&2
        ;;
    stop) stop_services ;;
    status)
        if pg_running; then echo "postgresql: running on 127.0.0.1:$PG_PORT"; else echo "postgresql: stopped"; fi
        if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; fi
        ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
