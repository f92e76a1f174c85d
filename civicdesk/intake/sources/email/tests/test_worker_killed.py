"""No mail lost: a real background worker, killed with SIGKILL while it reads a mailbox, then restarted.

Everything runs as in the embedded deployment (`make run`): a Celery worker with its beat in
separate processes (`celery -A config worker -B --pool=solo`, as scripts/run.sh starts it), the
filesystem broker and an SQLite file in a temporary folder, and Debian's Dovecot as the IMAP
server. The beat queues a poll of the mailbox every second. The test kills the worker's whole
process group twice while messages are still being handled (wherever it happens to be: fetching,
storing, inside the case transaction, before the move), restarts it, and checks that every
message became exactly one case and was moved to the handled folder exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from civicdesk.intake.sources.email.tests.conftest import DOVECOT, PASSWORD, Dovecot, make_mail
from tests.embedded import embedded_env

ROOT = Path(__file__).resolve().parents[5]
MESSAGES = 40
WORKER = [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--pool=solo", "--without-mingle",
          "--without-gossip", "--without-heartbeat", "-l", "info"]
SETUP = """
import django
django.setup()
from civicdesk.intake.models import ImapSecurity, Mailbox
from tests.factories import build_city
city = build_city()
Mailbox.objects.create(
    organization=city.org, name="Palaute", address="palaute@testcity.example", case_type=city.types["feedback"],
    service_group=city.streets, language="fi", imap_host="127.0.0.1", imap_port={port},
    imap_security=ImapSecurity.NONE, imap_username="palaute", imap_password_env="MAILBOX_PALAUTE_PASSWORD",
    imap_done_folder="CivicDesk",
)
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(DOVECOT is None and not os.environ.get("CI"),
                       reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = embedded_env(tmp_path)
    env.update(EMAIL_IMAP_POLL_SECONDS="1", EMAIL_URL="consolemail://", MAILBOX_PALAUTE_PASSWORD=PASSWORD,
               PYTHONPATH=str(ROOT))
    return env


def _query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql).fetchall()


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    schedule = Path(env["CELERY_BROKER_DIR"]).parent / "celerybeat-schedule"
    with log.open("ab") as out:
        return subprocess.Popen([*WORKER, "--schedule", str(schedule)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its beat, with no chance to clean up
    worker.wait(timeout=10)


def _wait(predicate: object, worker: subprocess.Popen[bytes], log: Path, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped while waiting for {what}:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-4000:]}")


def test_a_worker_killed_while_reading_a_mailbox_loses_nothing_and_duplicates_nothing(
        tmp_path: Path, dovecot: Dovecot) -> None:
    env = _env(tmp_path)
    database = tmp_path / "civicdesk.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-c", SETUP.format(port=dovecot.port)], cwd=ROOT, env=env, check=True)
    subjects = [f"Asia numero {n}" for n in range(MESSAGES)]
    for n, subject in enumerate(subjects):
        dovecot.append(make_mail(sender=f"Asukas {n} <asukas{n}@example.fi>", subject=subject,
                                 body=f"Viesti {n}: katuvalo ei pala."))

    def stored() -> int:
        return int(_query(database, "SELECT count(*) FROM intake_inboundemail")[0][0])

    log = tmp_path / "worker.log"
    killed_at = []
    for threshold in (5, 18):  # killed twice, each time with messages still waiting
        worker = _start(env, log)
        try:
            _wait(lambda threshold=threshold: stored() >= threshold, worker, log, 90, f"{threshold} stored messages")
        finally:
            _kill(worker)
        killed_at.append(stored())
    assert killed_at[-1] < MESSAGES, f"the worker finished before it was killed ({killed_at}): nothing was tested"
    assert dovecot.count("INBOX") > 0

    worker = _start(env, log)
    try:
        _wait(lambda: dovecot.count("INBOX") == 0 and stored() == MESSAGES and not _query(
            database, "SELECT 1 FROM intake_inboundemail WHERE state = 'received'"), worker, log, 120,
              "every message handled")
    finally:
        _kill(worker)

    assert dovecot.count("CivicDesk") == MESSAGES  # each moved once, none deleted, none copied twice
    rows = _query(database, "SELECT state, case_id FROM intake_inboundemail")
    assert sorted(state for state, _case in rows) == ["case_created"] * MESSAGES
    assert len({case_id for _state, case_id in rows}) == MESSAGES
    titles = [title for (title,) in _query(database, "SELECT title FROM cases_case WHERE channel = 'email'")]
    assert sorted(titles) == sorted(subjects)  # exactly one case per message
    assert _query(database, "SELECT count(*) FROM cases_case")[0][0] == MESSAGES
