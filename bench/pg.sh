#!/usr/bin/env bash
# A dedicated PostgreSQL 15 cluster for the benchmarks (not the CI one): var/bench-pg, port 54330.
#
#   bench/pg.sh start    # initdb on first use, start, create the database civicdesk_bench
#   bench/pg.sh stop
#   bench/pg.sh status
#   bench/pg.sh psql [args]   # psql on civicdesk_bench
#   bench/pg.sh url      # prints the DATABASE_URL
#   bench/pg.sh destroy  # stop and delete the cluster's files
#
# Tuned for this 2-core / 24 GB machine. The server runs with ordinary durable settings
# (fsync, synchronous_commit=on); the generator turns synchronous_commit off in its own
# session while it loads, which cannot corrupt anything (at worst the last commits are lost
# on a crash). Authentication is `trust` on loopback and the socket: a throwaway cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PGDATA="${BENCH_PGDATA:-$ROOT/var/bench-pg}"
PORT="${BENCH_PGPORT:-54330}"
DB="${BENCH_PGDATABASE:-civicdesk_bench}"
SOCKDIR="$PGDATA/socket"
LOG="$PGDATA/server.log"
RUN_AS="${BENCH_PGUSER_OS:-postgres}"

as_pg() {
    if [ "$(id -un)" = "$RUN_AS" ]; then "$@"; else runuser -u "$RUN_AS" -- "$@"; fi
}

init_cluster() {
    mkdir -p "$PGDATA"
    chown "$RUN_AS": "$PGDATA"
    chmod 700 "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    as_pg mkdir -p "$SOCKDIR"
    as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# --- bench/pg.sh: 2 cores, 24 GB RAM, SSD ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKDIR'
max_connections = 50
shared_buffers = 2GB
effective_cache_size = 16GB
work_mem = 32MB
maintenance_work_mem = 1GB
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_completion_target = 0.9
wal_buffers = 64MB
wal_compression = on
random_page_cost = 1.1
effective_io_concurrency = 200
max_worker_processes = 4
max_parallel_workers = 2
max_parallel_workers_per_gather = 1
max_parallel_maintenance_workers = 2
default_text_search_config = 'pg_catalog.simple'
timezone = 'UTC'
log_min_duration_statement = -1
logging_collector = off
EOF
}

case "${1:-}" in
    start)
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
            init_cluster
        fi
        # The parent folders must be traversable by the postgres user.
        chmod o+x "$ROOT" "$ROOT/var" 2>/dev/null || true
        if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
            echo "already running on port $PORT"
        else
            as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 120 start >/dev/null
            echo "started on port $PORT (log: $LOG)"
        fi
        if ! as_pg "$PGBIN/psql" -h "$SOCKDIR" -p "$PORT" -U postgres -d postgres -Atqc \
            "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
            as_pg "$PGBIN/createdb" -h "$SOCKDIR" -p "$PORT" -U postgres "$DB"
            echo "created database $DB"
        fi
        echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/$DB"
        ;;
    stop)
        if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
            as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop
        else
            echo "not running"
        fi
        ;;
    status)
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status
        ;;
    psql)
        shift
        as_pg "$PGBIN/psql" -h "$SOCKDIR" -p "$PORT" -U postgres -d "$DB" "$@"
        ;;
    url)
        echo "postgres://postgres@127.0.0.1:$PORT/$DB"
        ;;
    destroy)
        "$0" stop || true
        rm -rf "$PGDATA"
        echo "removed $PGDATA"
        ;;
    *)
        echo "usage: $0 start|stop|status|psql [args]|url|destroy" >&2
        exit 2
        ;;
esac
