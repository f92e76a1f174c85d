#!/usr/bin/env bash
# The staff pages over HTTP under load (issue "staff workspace", must-show 3), beside a plain
# Django hello-world view measured by the same server in the same run.
#
#   bench/http_pages.sh                      # 3 rounds × 15 s per page and concurrency (~13 min)
#   ROUNDS=1 DURATION=5 bench/http_pages.sh  # a quick look
#   PROFILE=1 SAMPLE=30 bench/http_pages.sh  # no server, no load: CPU ms/request in-process and a cProfile
#
# What it does, in order (everything on loopback, everything it starts it stops again):
#   1. installs wrk (Debian's package) if missing;
#   2. starts the bench PostgreSQL (bench/pg.sh; the 1M-case database civicdesk_bench must exist,
#      see docs/benchmarks.md), migrates it forward, and starts a throwaway Redis (production
#      settings need one: cache, channel layer);
#   3. collects static files for the manifest storage (var/bench-static; bench/static_storage.py);
#   4. `bench/http_pages.py prepare`: users, sessions, URLs and SQL queries per page;
#   5. starts the production server as docs/guides/operations.md runs it (ADR 0027) — gunicorn's sync
#      WSGI workers on config/wsgi.py, WORKERS processes (default: one per core), no access log — on
#      settings bench.settings_http (config.settings.production, DEBUG off, plus /hello);
#      or, with SERVER=uvicorn, uvicorn's ASGI workers on config/asgi.py (`--lifespan off`), as the
#      embedded `make run` and the websocket processes run; SERVER=gunicorn-gthread (THREADS threads
#      per worker), granian-wsgi and granian-asgi (granian is not in the requirements:
#      .venv/bin/pip install granian) for comparisons;
#      or, with SERVERS="uvicorn:2 gunicorn-sync:5 …" (SERVER:WORKERS[:THREADS] each), all of these at
#      once on PORT, PORT+1, …: an A/B on a shared machine, each measurement taken on every server in
#      turn (the order rotates each round), so that the neighbours' load falls on all of them alike;
#   6. checks that every URL answers 200 with its page, then `run`s wrk at CONCURRENCY (1,8)
#      for DURATION seconds per measurement, ROUNDS rounds (recording the CPU time the server's
#      workers and PostgreSQL spent per request), and `report`s the medians.
#
# Results: bench/results/http-<LABEL>/ (git ignores bench/results/); with SERVERS, one sub-folder per
# server (<server>-w<workers>[-t<threads>]) and compare.md, the servers side by side. The bench database gains one
# audit entry per case page served (case pages are audited) and two sessions per run.
#
# Settings (environment): LABEL (a timestamp), SERVER (gunicorn-sync | uvicorn | gunicorn-gthread | granian-wsgi |
# granian-asgi), WORKERS ($(nproc)), THREADS (4, gthread only),
# SERVERS (empty: one server, SERVER with WORKERS and THREADS),
# PORT (8089), REDIS_PORT (56379), BENCH_STATIC_ROOT (var/bench-static: collectstatic --clear's folder),
# ROUNDS (3), DURATION (15), WARMUP (5), CONCURRENCY (1,8), SAMPLE (200 case pages per user),
# ONLY (comma-separated scenario keys), KEEP_PG=1 leaves the bench PostgreSQL running afterwards,
# BENCH_FORM_RENDERER=django renders forms with Django's own renderer (the A/B in docs/benchmarks.md).
# PROFILE=1 stops after step 4 and runs `bench/http_pages.py profile` (REQUESTS per scenario, default 30;
# ONLY as above): each page's CPU time per request in this process, and where it goes (cProfile, CPU clock).
set -euo pipefail

# Everything runs inside main, which bash reads whole before it starts: editing this file while a
# run is going on does not change that run.
main() {
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
LABEL="${LABEL:-$(date +%Y%m%d-%H%M%S)}"
OUT="$ROOT/bench/results/http-$LABEL"
WORKERS="${WORKERS:-$(nproc)}"
SERVER="${SERVER:-gunicorn-sync}"
THREADS="${THREADS:-4}"
PORT="${PORT:-8089}"
REDIS_PORT="${REDIS_PORT:-56379}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
CONCURRENCY="${CONCURRENCY:-1,8}"
SAMPLE="${SAMPLE:-200}"
ONLY="${ONLY:-}"

say() { printf '\n==> %s\n' "$*"; }

SERVERS="${SERVERS:-$SERVER:$WORKERS:$THREADS}"
read -r -a servers <<<"$SERVERS"
server_version() {  # SERVER → "uvicorn 0.54.0"
    local package version
    case "$1" in
        uvicorn) package=uvicorn ;;
        gunicorn-sync|gunicorn-gthread) package=gunicorn ;;
        granian-wsgi|granian-asgi) package=granian ;;
        *) echo "a server must be uvicorn, gunicorn-sync, gunicorn-gthread, granian-wsgi or granian-asgi, not '$1'" >&2
           return 2 ;;
    esac
    version="$("$BIN/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null)" \
        || { echo "$package is not installed: .venv/bin/pip install $package" >&2; return 2; }
    printf '%s %s' "$package" "$version"
}
for entry in "${servers[@]}"; do
    IFS=: read -r name _ _ <<<"$entry"
    server_version "$name" >/dev/null
done

if ! command -v wrk >/dev/null; then
    say "Installing wrk"
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v redis-server >/dev/null || apt-get install -y redis-server >/dev/null

mkdir -p "$OUT" "$ROOT/var"
pg_was_running=0
bench/pg.sh status >/dev/null 2>&1 && pg_was_running=1
server_pids=()
redis_pid_file="$OUT/redis.pid"
cleanup() {
    for pid in "${server_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" && wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -s "$redis_pid_file" ]]; then
        kill -TERM "$(cat "$redis_pid_file")" 2>/dev/null || true
    fi
    if [[ "$pg_was_running" = 0 && "${KEEP_PG:-0}" != 1 ]]; then
        bench/pg.sh stop >/dev/null || true
    fi
}
trap cleanup EXIT

say "Starting the bench PostgreSQL and a throwaway Redis on port $REDIS_PORT"
bench/pg.sh start
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$redis_pid_file" --logfile "$OUT/redis.log" --dir "$OUT"

export DATABASE_URL="postgres://postgres@127.0.0.1:54330/civicdesk_bench"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SECRET_KEY="bench-http-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DJANGO_SETTINGS_MODULE=bench.settings_http
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export WORKERS SERVER THREADS

say "Migrating the bench database forward"
"$BIN/python" manage.py migrate --noinput
say "Collecting static files (manifest storage)"
"$BIN/python" manage.py collectstatic --noinput --clear -v0

say "Preparing users, sessions and URLs"
"$BIN/python" bench/http_pages.py prepare --out "$OUT" --sample "$SAMPLE"

if [[ "${PROFILE:-0}" = 1 ]]; then
    say "Profiling in-process (${REQUESTS:-30} requests per page)"
    "$BIN/python" bench/http_pages.py profile --out "$OUT" --requests "${REQUESTS:-30}" --only "$ONLY" \
        | tee "$OUT/profile.txt"
    echo "Results in $OUT"
    return 0
fi

server_command_for() {  # SERVER WORKERS THREADS PORT → the command in the array server_command
    case "$1" in
        uvicorn)
            server_command=("$BIN/uvicorn" config.asgi:application --host 127.0.0.1 --port "$4" --workers "$2"
                --lifespan off --no-access-log) ;;
        gunicorn-sync)
            # WSGI (config/wsgi.py), as docs/guides/operations.md runs it (ADR 0027). A sync worker serves one connection at a
            # time and closes it after each response (no keep-alive): idle workers take the next connection
            # from the shared listening socket, so the load spreads over the workers request by request.
            server_command=("$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$4"
                --workers "$2" --worker-class sync --no-control-socket --log-level warning) ;;
        gunicorn-gthread)
            server_command=("$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$4"
                --workers "$2" --worker-class gthread --threads "$3" --no-control-socket --log-level warning) ;;
        granian-wsgi)
            # Granian's Rust HTTP server calling Django's WSGI handler in one blocking thread per worker.
            server_command=("$BIN/granian" --interface wsgi config.wsgi:application --host 127.0.0.1
                --port "$4" --workers "$2" --blocking-threads 1 --no-access-log --log-level warning) ;;
        granian-asgi)
            server_command=("$BIN/granian" --interface asgi config.asgi:application --host 127.0.0.1
                --port "$4" --workers "$2" --no-access-log --log-level warning) ;;
    esac
}

# One server: results straight in $OUT, as before. Several: one sub-folder each, measured in turn.
targets=()
port="$PORT"
for entry in "${servers[@]}"; do
    IFS=: read -r name workers threads <<<"$entry"
    workers="${workers:-$WORKERS}"
    threads="${threads:-$THREADS}"
    [[ "$name" = gunicorn-gthread ]] || threads=""
    dir="$OUT"
    if [[ ${#servers[@]} -gt 1 ]]; then
        dir="$OUT/$name-w$workers${threads:+-t$threads}"
        mkdir -p "$dir"
        cp "$OUT/scenarios.json" "$dir/"
    fi
    version="$(server_version "$name")"
    server_command_for "$name" "$workers" "$threads" "$port"
    echo "${server_command[*]}" >"$dir/server-command.txt"
    printf '{"server": "%s", "server_version": "%s", "workers": "%s", "threads": "%s", "server_command": "%s"}\n' \
        "$name" "$version" "$workers" "$threads" "${server_command[*]}" >"$dir/server.json"
    say "Starting $name ($version) with $workers workers on 127.0.0.1:$port: ${server_command[*]}"
    "${server_command[@]}" >"$dir/server.log" 2>&1 &
    server_pids+=($!)
    targets+=(--target "$dir,http://127.0.0.1:$port,$!")
    port=$((port + 1))
done
for i in "${!server_pids[@]}"; do
    for _ in $(seq 150); do
        curl -fsS "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null 2>&1 && break
        kill -0 "${server_pids[$i]}" 2>/dev/null || { cat "$OUT"/server.log "$OUT"/*/server.log >&2 2>/dev/null; exit 1; }
        sleep 0.2
    done
done

say "Checking every URL"
for i in "${!server_pids[@]}"; do
    "$BIN/python" bench/http_pages.py check --out "$OUT" --base "http://127.0.0.1:$((PORT + i))" --only "$ONLY"
done

say "Load: $ROUNDS rounds × ${DURATION}s per page and concurrency ($CONCURRENCY)"
"$BIN/python" bench/http_pages.py run --out "$OUT" "${targets[@]}" --rounds "$ROUNDS" \
    --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --only "$ONLY" \
    --postmaster-pid "$(head -1 "$ROOT/var/bench-pg/postmaster.pid")"

say "Report (medians of the rounds)"
if [[ ${#servers[@]} -eq 1 ]]; then
    "$BIN/python" bench/http_pages.py report --out "$OUT" --label "$LABEL" | tee "$OUT/report.md"
else
    compare=()
    for target in "${targets[@]}"; do
        [[ "$target" = --target ]] && continue
        dir="${target%%,*}"
        "$BIN/python" bench/http_pages.py report --out "$dir" --label "$LABEL/$(basename "$dir")" | tee "$dir/report.md"
        compare+=(--out "$dir")
    done
    say "The servers side by side (medians of the rounds)"
    "$BIN/python" bench/http_pages.py compare "${compare[@]}" | tee "$OUT/compare.md"
fi
echo "Results in $OUT"
}

main "$@"; exit
