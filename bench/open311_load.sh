#!/usr/bin/env bash
# The Open311 API under load (issue 4, must-show): POST requests and GET requests with a bbox and a
# status filter, beside a plain Django hello-world view measured by the same server in the same run.
#
#   bench/open311_load.sh                      # 3 rounds × 15 s per scenario and concurrency (~6 min)
#   ROUNDS=1 DURATION=5 bench/open311_load.sh  # a quick look
#
# What it does (everything on loopback; it stops what it starts, and never the bench PostgreSQL,
# which other benchmarks share):
#   1. installs wrk (Debian's package) if missing;
#   2. starts the bench PostgreSQL if it is not running (bench/pg.sh; the 1M-case database must
#      exist, see docs/benchmarks.md), migrates it forward, starts a throwaway Redis (cache, rate
#      limits, Celery broker: the tasks a POST queues wait there, no worker runs during the load);
#   3. `open311_load.py prepare`: service codes, a reproducible 25 % publication, an API key, GET
#      paths and POST bodies (see its docstring);
#   4. starts the production server as docs/guides/operations.md runs it — uvicorn with WORKERS
#      processes (default: one per core), `--lifespan off`, no access log — on
#      bench.settings_open311 (config.settings.production plus /hello);
#   5. `run`s wrk at CONCURRENCY for DURATION seconds per measurement, ROUNDS rounds;
#   6. `drain`s: makes the cases of the contacts accepted during the load (deferred write path, ADR
#      0022; no worker runs during the load) and checks every accepted row became exactly one case;
#      then `report`s the medians and the drain.
#
# Run it from a checkout whose migrations match the bench database (others' uncommitted models
# would not). Results: bench/results/open311-<LABEL>/ (git ignores bench/results/). Every POST
# creates a real case in the bench database (after the load, by the drain).
#
# Settings (environment): LABEL (a timestamp), WORKERS ($(nproc)), PORT (8095), REDIS_PORT (56385),
# ROUNDS (3), DURATION (15), WARMUP (5), CONCURRENCY (8,16), DATABASE_POOL_MAX_SIZE (4 per worker),
# BENCH_PGDATA (the cluster's folder, for bench/pg.sh; default var/bench-pg of this checkout),
# BENCH_VENV (.venv of this checkout).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BENCH_VENV:-$ROOT/.venv}/bin"
LABEL="${LABEL:-$(date +%Y%m%d-%H%M%S)}"
OUT="$ROOT/bench/results/open311-$LABEL"
WORKERS="${WORKERS:-$(nproc)}"
PORT="${PORT:-8095}"
REDIS_PORT="${REDIS_PORT:-56385}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
CONCURRENCY="${CONCURRENCY:-8,16}"

say() { printf '\n==> %s\n' "$*"; }

if ! command -v wrk >/dev/null; then
    say "Installing wrk"
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v redis-server >/dev/null || apt-get install -y redis-server >/dev/null

mkdir -p "$OUT"
server_pid=""
redis_pid_file="$OUT/redis.pid"
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" && wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -s "$redis_pid_file" ]]; then
        kill -TERM "$(cat "$redis_pid_file")" 2>/dev/null || true
    fi
}
trap cleanup EXIT

say "The bench PostgreSQL (started only if it is not running; never stopped here) and a Redis on $REDIS_PORT"
if ! bench/pg.sh status >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 54330; then
    bench/pg.sh start
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$redis_pid_file" --logfile "$OUT/redis.log" --dir "$OUT"

export DATABASE_URL="postgres://postgres@127.0.0.1:54330/civicdesk_bench"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="bench-open311-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DJANGO_SETTINGS_MODULE=bench.settings_open311
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export OPEN311_POST_RATE_LIMIT="10000000/m" OPEN311_READ_RATE_LIMIT="10000000/m"
export DATABASE_POOL_MAX_SIZE="${DATABASE_POOL_MAX_SIZE:-4}"

say "Migrating the bench database forward"
"$BIN/python" manage.py migrate --noinput
# No collectstatic: the API renders no template and serves no static file.

say "Preparing services, publication, the key, paths and bodies"
"$BIN/python" bench/open311_load.py prepare --out "$OUT"

say "Starting uvicorn with $WORKERS workers on 127.0.0.1:$PORT"
server_command=("$BIN/uvicorn" config.asgi:application --host 127.0.0.1 --port "$PORT" --workers "$WORKERS"
    --lifespan off --no-access-log)
echo "${server_command[*]}" >"$OUT/server-command.txt"
"${server_command[@]}" >"$OUT/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$PORT/hello" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
    sleep 0.2
done
# Whole body to a file first: `curl | head -c` fails the pipe (curl exit 23) under pipefail.
curl -fsS -o "$OUT/smoke.json" "http://127.0.0.1:$PORT$(head -1 "$OUT/get_paths.txt")"
head -c 300 "$OUT/smoke.json"; echo
curl -fsS -X POST --data "$(head -1 "$OUT/post_bodies.txt")" "http://127.0.0.1:$PORT/open311/v2/requests.json"; echo

say "Load: $ROUNDS rounds × ${DURATION}s per scenario and concurrency ($CONCURRENCY)"
"$BIN/python" bench/open311_load.py run --out "$OUT" --base "http://127.0.0.1:$PORT" --rounds "$ROUNDS" \
    --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --server-pid "$server_pid" \
    --postmaster-pid "$(head -1 "${BENCH_PGDATA:-$ROOT/var/bench-pg}/postmaster.pid")"

say "After the load: the worker's drain of the accepted contacts, and the check that each became one case"
"$BIN/python" bench/open311_load.py drain --out "$OUT"

say "Report (medians of the rounds)"
"$BIN/python" bench/open311_load.py report --out "$OUT" --label "$LABEL" | tee "$OUT/report.md"
echo "Results in $OUT"
