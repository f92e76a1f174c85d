#!/usr/bin/env bash
# One real Celery worker process on the email channel's inbound work (issue 5: "inbound processing
# ≥ 50 messages/s per worker for typical 20 kB messages"), on PostgreSQL 15 and Redis.
#
#   bench/email_worker.sh                        # 3 rounds × 600 messages (a few minutes)
#   ROUNDS=1 MESSAGES=200 bench/email_worker.sh  # a quick look
#
# What it does (everything on loopback; it stops what it starts, also on failure or Ctrl-C):
#   1. starts a throwaway PostgreSQL and Redis with scripts/services.sh (ports 54329 and 63799 unless
#      PG_PORT / REDIS_PORT say otherwise; never bench/pg.sh's cluster) and points the project at them
#      with `scripts/services.sh env`; refuses to run if they are already running, since stopping them
#      at the end would stop someone else's;
#   2. migrates the database with config.settings.production (SECRET_KEY made up here; the Celery
#      broker is REDIS_URL, as production defaults; files of the mail go to a MEDIA_ROOT in the
#      services' folder, which `stop` deletes);
#   3. runs bench/email_worker.py: per round, data and N stored messages whose tasks wait in Redis,
#      then one `celery -A config worker -l info --concurrency 1 --pool prefork` measured until every
#      task is done, with the checks of the outcomes (see its docstring); the medians last;
#   4. `scripts/services.sh stop` (the trap), which deletes the servers' data.
#
# Results: bench/results/email-worker-<LABEL>/ (worker logs, results.json; git ignores bench/results/).
# Settings (environment): ROUNDS (3), MESSAGES (600), LABEL (a timestamp), LOGLEVEL (info: the worker's
# -l), SLOW_MS (50: PostgreSQL logs slower statements, reported per round), SERVICES_DIR, PG_PORT,
# REDIS_PORT (scripts/services.sh's), CONCURRENCY (1: the worker's pool children), PROFILE=1 (a cProfile of a solo-pool worker instead: a diagnosis),
# DATABASE_POOL=false (the settings' switch: no connection pool). Other arguments go to bench/email_worker.py.
set -euo pipefail

# Everything runs inside main, which bash reads whole before it starts.
main() {
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
LABEL="${LABEL:-$(date +%Y%m%d-%H%M%S)}"
OUT="$ROOT/bench/results/email-worker-$LABEL"
# The same default as scripts/services.sh: exported so that both it and the Python script see it.
export SERVICES_DIR="${SERVICES_DIR:-/tmp/civicdesk-services-$(id -u)}"

say() { printf '\n==> %s\n' "$*"; }

if scripts/services.sh status | grep -q ': running'; then
    scripts/services.sh status >&2
    echo "scripts/services.sh's servers are already running (someone else's?); this bench would stop them" \
         "at its end. Stop them, or give this run its own SERVICES_DIR, PG_PORT and REDIS_PORT." >&2
    exit 1
fi

mkdir -p "$OUT"
trap 'say "Stopping PostgreSQL and Redis"; scripts/services.sh stop' EXIT
trap 'exit 130' INT TERM

say "Starting a throwaway PostgreSQL and Redis (scripts/services.sh)"
scripts/services.sh start
eval "$(scripts/services.sh env)"
export DATABASE_URL REDIS_URL
export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY="bench-email-worker-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export MEDIA_ROOT="$SERVICES_DIR/media"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$MEDIA_ROOT"

say "Migrating (config.settings.production)"
"$BIN/python" manage.py migrate --noinput -v0

say "Measuring: ${ROUNDS:-3} rounds × ${MESSAGES:-600} messages, one worker"
"$BIN/python" bench/email_worker.py --out "$OUT" "$@" 2>&1 | tee "$OUT/report.txt"
}

main "$@"; exit
