#!/usr/bin/env bash
# Interleaved A/B/C… of HTTP servers for the staff pages (bench/http_pages.sh once per configuration
# and repeat, in the order A, B, C, A, B, C, …), then the medians per configuration side by side.
#
#   bench/http_server_ab.sh
#   CONFIGS="uvicorn:2 gunicorn-sync:5" REPEATS=2 bench/http_server_ab.sh
#
# CONFIGS: space-separated SERVER:WORKERS[:THREADS] (SERVER as in bench/http_pages.sh; THREADS for
# gunicorn-gthread), default "uvicorn:2 uvicorn:8 gunicorn-sync:5 gunicorn-sync:8". REPEATS (3) passes
# over the list. SESSION names the session (a timestamp); each run's results go to
# bench/results/http-srv-<SESSION>-<repeat>-<server>-w<workers>[-t<threads>]/ and the comparison to
# bench/results/http-srv-<SESSION>-compare.md. Everything else (ONLY, CONCURRENCY, ROUNDS, DURATION,
# WARMUP, PORT, REDIS_PORT, KEEP_PG, BENCH_STATIC_ROOT, …) goes to bench/http_pages.sh unchanged; the
# defaults here are a short run: ONLY=hello,queue-p1,case-expert ROUNDS=1 DURATION=10 WARMUP=5.
# A run that fails is reported and left out; the others go on.
#
# On a busy shared machine the load changes faster than one run lasts (~2 min per configuration):
# `SERVERS="uvicorn:2 gunicorn-sync:5" bench/http_pages.sh` starts the servers side by side and takes
# every measurement on each in turn, a finer interleave; use this script when the servers cannot all
# run at once (PostgreSQL's max_connections: each worker process keeps its own pool).
set -euo pipefail

main() {
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SESSION="${SESSION:-$(date +%Y%m%d-%H%M%S)}"
CONFIGS="${CONFIGS:-uvicorn:2 uvicorn:8 gunicorn-sync:5 gunicorn-sync:8}"
REPEATS="${REPEATS:-3}"
export ONLY="${ONLY:-hello,queue-p1,case-expert}" ROUNDS="${ROUNDS:-1}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-5}"

outs=()
for repeat in $(seq "$REPEATS"); do
    for config in $CONFIGS; do
        IFS=: read -r server workers threads <<<"$config"
        label="srv-$SESSION-$repeat-$server-w$workers${threads:+-t$threads}"
        printf '\n######## %s  repeat %s/%s: %s (%s)\n' "$(date -u +%H:%M:%S)" "$repeat" "$REPEATS" "$config" "$label"
        if SERVER="$server" WORKERS="$workers" THREADS="${threads:-4}" LABEL="$label" bench/http_pages.sh \
            >"$ROOT/bench/results/http-$label.log" 2>&1; then
            outs+=(--out "$ROOT/bench/results/http-$label")
            grep -E '^round ' "$ROOT/bench/results/http-$label.log" || true
        else
            echo "FAILED: $config (see bench/results/http-$label.log)"; tail -5 "$ROOT/bench/results/http-$label.log"
        fi
    done
done

[[ ${#outs[@]} -gt 0 ]] || { echo "no run succeeded" >&2; exit 1; }
printf '\n######## medians per configuration (session %s)\n' "$SESSION"
"$ROOT/.venv/bin/python" bench/http_pages.py compare "${outs[@]}" | tee "$ROOT/bench/results/http-srv-$SESSION-compare.md"
}

main "$@"; exit
