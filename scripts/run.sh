#!/usr/bin/env bash
# The embedded CivicDesk: migrate, load the demo city, collect static files, then run the ASGI
# server and a Celery worker (with beat) in the foreground. Ctrl-C stops both.
#
# `make run` calls this after creating the venv and the front-end assets. Settings come from the
# environment, then from .env (see .env.example): PORT (8000), HOST (127.0.0.1),
# DJANGO_SETTINGS_MODULE (config.settings.local), DEMO_PASSWORD (civicdesk-demo).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${VENV:-$ROOT/.venv}/bin"

# Values from .env fill in what the environment leaves unset; the environment always wins.
if [[ -f .env ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
        name="${BASH_REMATCH[2]}"
        value="${BASH_REMATCH[3]}"
        value="${value%\"}" && value="${value#\"}"
        value="${value%\'}" && value="${value#\'}"
        [[ -z "${!name+set}" ]] && export "$name=$value"
    done <.env
fi

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-civicdesk-demo}"
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
# The embedded broker keeps its queue in files; kombu needs the folders to exist.
BROKER_DIR="${CELERY_BROKER_DIR:-$ROOT/var/celery}"

# username:role, as the demo_city command creates them.
DEMO_LOGINS=(
    "techadmin:technical administrator"
    "contentadmin:content administrator"
    "advisor:service advisor (customer service queue)"
    "expert:expert (streets group)"
    "expert2:expert (parks group)"
    "reporter:reporter"
    "viewer:viewer (own districts only)"
    "internal:internal customer"
    "partner:external partner (only cases assigned to it)"
)

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

[[ -x "$BIN/python" ]] || { echo "No virtualenv at $BIN: run 'make venv' (or 'make run')." >&2; exit 1; }
mkdir -p "$ROOT/var" "$BROKER_DIR/messages" "$BROKER_DIR/control"

say "Migrating the database ($DJANGO_SETTINGS_MODULE)"
"$BIN/python" manage.py migrate --noinput

say "Loading the demo city (skipped when it is already loaded)"
"$BIN/python" manage.py demo_city
# The demo city's intake addresses (created when missing), for the banner below.
mapfile -t INTAKE_ADDRESSES < <("$BIN/python" manage.py demo_mailboxes)
SMTP_HOST="${EMAIL_SMTP_RECEIVER_HOST:-127.0.0.1}"
SMTP_PORT="${EMAIL_SMTP_RECEIVER_PORT:-2525}"
SMTP_RECEIVER="${EMAIL_SMTP_RECEIVER_IN_RUN:-true}"

if [[ -d locale ]] && command -v msgfmt >/dev/null; then
    say "Compiling translations"
    "$BIN/python" manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
fi

say "Collecting static files"
"$BIN/python" manage.py collectstatic --noinput -v0

pids=()
stopping=0
stop_all() {
    ((stopping)) && return
    stopping=1
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

say "Starting the web server and the Celery worker (with beat)"
"$BIN/uvicorn" config.asgi:application --host "$HOST" --port "$PORT" --lifespan off &
pids+=($!)
"$BIN/celery" -A config worker -B --pool=solo --without-mingle --without-gossip --without-heartbeat \
    -l info &
pids+=($!)
# The built-in SMTP receiver for intake mail (EMAIL_SMTP_RECEIVER_IN_RUN=false leaves it out).
if [[ "$SMTP_RECEIVER" =~ ^(1|true|yes|on)$ ]]; then
    "$BIN/python" manage.py smtp_receiver --host "$SMTP_HOST" --port "$SMTP_PORT" &
    pids+=($!)
fi

# Print the logins once the server answers, so they are not buried under start-up logs.
url="http://$HOST:$PORT/"
for _ in $(seq 150); do
    kill -0 "${pids[0]}" 2>/dev/null || break
    if "$BIN/python" - "$url" <<'EOF' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "healthz", timeout=1)
EOF
        printf '\n  CivicDesk is running at %s  (Ctrl-C stops the server and the worker)\n\n' "$url"
        printf '  Residents contact the city at %scontact/ and follow their case from the link on the receipt.\n\n' "$url"
        if [[ "$SMTP_RECEIVER" =~ ^(1|true|yes|on)$ ]] && ((${#INTAKE_ADDRESSES[@]})); then
            printf '  Mail to the city (SMTP receiver on %s:%s): %s\n' "$SMTP_HOST" "$SMTP_PORT" "${INTAKE_ADDRESSES[*]}"
            printf '    e.g. swaks --server %s:%s --to %s --body "Katulamppu on rikki."\n' "$SMTP_HOST" "$SMTP_PORT" \
                "${INTAKE_ADDRESSES[0]}"
            printf '  Outgoing mail goes to EMAIL_URL (the console by default).\n\n'
        fi
        printf '  Demo logins (password from DEMO_PASSWORD):\n'
        for login in "${DEMO_LOGINS[@]}"; do
            printf '    %-13s / %-16s %s\n' "${login%%:*}" "$DEMO_PASSWORD" "${login#*:}"
        done
        echo
        break
    fi
    sleep 0.2
done

# When either process ends, stop the other and exit with its status.
set +e
wait -n "${pids[@]}"
status=$?
set -e
echo "A server process exited (status $status); stopping the other." >&2
exit "$status"
