#!/usr/bin/env bash
# The residents' public pages over HTTP at 1M cases (issue 4: public list, map data, case pages, news),
# beside the hello-world floor, with the machinery of bench/http_pages.sh (wrk, uvicorn, report).
#
#   bench/public_pages.sh                      # 3 rounds × 15 s per page and concurrency
#   ROUNDS=1 DURATION=5 bench/public_pages.sh  # a quick look
#
# Like http_pages.sh: installs wrk if missing; starts the bench PostgreSQL only if it is not running
# and never stops it (bench/pg.sh); migrates the bench database forward; starts a throwaway Redis;
# collects static files; `public_pages.py prepare` picks the organisation with the most published
# cases and writes the URLs; uvicorn with WORKERS workers on settings bench.settings_http; then
# `http_pages.py check`, `run` and `report`, and last the selectors in-process (`public_pages.py
# selectors`). The map's cache is off (PORTAL_MAP_CACHE_SECONDS=0) unless MAP_CACHE says otherwise,
# so that every map request reaches the database: the worst case, not the usual one.
#
# Results: bench/results/public-<LABEL>/. Settings: LABEL, WORKERS ($(nproc)), PORT (8091), REDIS_PORT
# (56380), ROUNDS (3), DURATION (15), WARMUP (5), CONCURRENCY (1,8), ONLY, MAP_CACHE (0).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
LABEL="${LABEL:-$(date +%Y%m%d-%H%M%S)}"
OUT="$ROOT/bench/results/public-$LABEL"
WORKERS="${WORKERS:-$(nproc)}"
PORT="${PORT:-8091}"
REDIS_PORT="${REDIS_PORT:-56380}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
CONCURRENCY="${CONCURRENCY:-1,8}"
ONLY="${ONLY:-}"

say() { printf '\n==> %s\n' "$*"; }

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
command -v redis-server >/dev/null || apt-get install -y redis-server >/dev/null

mkdir -p "$OUT" "$ROOT/var"
server_pid=""
redis_pid_file="$OUT/redis.pid"
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" && wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -s "$redis_pid_file" ]]; then
        kill -TERM "$(cat "$redis_pid_file")" 2>/dev/null || true
    fi
    # The bench PostgreSQL is shared with the other benchmarks: left running.
}
trap cleanup EXIT

say "Bench PostgreSQL (started only if not running) and a throwaway Redis on port $REDIS_PORT"
bench/pg.sh status >/dev/null 2>&1 || bench/pg.sh start
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$redis_pid_file" --logfile "$OUT/redis.log" --dir "$OUT"

export DATABASE_URL="postgres://postgres@127.0.0.1:54330/civicdesk_bench"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="bench-public-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DJANGO_SETTINGS_MODULE=bench.settings_http
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PORTAL_MAP_CACHE_SECONDS="${MAP_CACHE:-0}"
export WORKERS

say "Migrating the bench database forward"
"$BIN/python" manage.py migrate --noinput
say "Collecting static files (manifest storage)"
"$BIN/python" manage.py collectstatic --noinput --clear -v0

say "Preparing URLs"
"$BIN/python" bench/public_pages.py prepare --out "$OUT"

say "Starting uvicorn with $WORKERS workers on 127.0.0.1:$PORT"
server_command=("$BIN/uvicorn" config.asgi:application --host 127.0.0.1 --port "$PORT" --workers "$WORKERS"
    --lifespan off --no-access-log)
echo "${server_command[*]}" >"$OUT/server-command.txt"
"${server_command[@]}" >"$OUT/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
    sleep 0.2
done

say "Checking every URL"
"$BIN/python" bench/http_pages.py check --out "$OUT" --base "http://127.0.0.1:$PORT"

say "Load: $ROUNDS rounds × ${DURATION}s per page and concurrency ($CONCURRENCY)"
"$BIN/python" bench/http_pages.py run --out "$OUT" --base "http://127.0.0.1:$PORT" --rounds "$ROUNDS" \
    --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --only "$ONLY" \
    --server-pid "$server_pid" --postmaster-pid "$(head -1 "$ROOT/var/bench-pg/postmaster.pid")"

say "Report (medians of the rounds)"
"$BIN/python" bench/http_pages.py report --out "$OUT" --label "$LABEL" | tee "$OUT/report.md"

say "Selectors in-process (no HTTP, no cache)"
"$BIN/python" bench/public_pages.py selectors | tee "$OUT/selectors.txt"
echo "Results in $OUT"
