"""The embedded deployment really works end to end, and its configuration is documented.

`make run` starts a Celery worker on kombu's filesystem transport (no Redis). The test settings
force the in-memory broker, so the worker test runs a real worker and a real sender as
subprocesses under the local settings, sharing a broker folder and an SQLite file in tmp.
It takes 10–20 seconds, so it stays in the default `make test` pass (marked `slow` so it can
be deselected with `-m "not slow"`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.embedded import embedded_env

ROOT = Path(__file__).resolve().parent.parent
TASK = "civicdesk.privacy.tasks.audit_verify_chain_task"
# The worker exactly as scripts/run.sh starts it.
WORKER = "-m celery -A config worker -B --pool=solo --without-mingle --without-gossip --without-heartbeat -l info"
SEND = "import django; django.setup(); from {module} import {name} as task; print(task.delay().id)"

# Read by scripts/run.sh rather than by the settings, and documented all the same.
RUN_SCRIPT_VARIABLES = {"DJANGO_SETTINGS_MODULE", "PORT", "HOST", "DEMO_PASSWORD"}
ENV_CALL = re.compile(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_every_setting_variable_is_in_env_example():
    read_by_settings = {
        name
        for path in sorted((ROOT / "config" / "settings").glob("*.py"))
        for name in ENV_CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert "SECRET_KEY" in read_by_settings, "the pattern no longer finds env.<type>(...) calls"
    documented = set(DOCUMENTED.findall((ROOT / ".env.example").read_text(encoding="utf-8")))

    assert sorted((read_by_settings | RUN_SCRIPT_VARIABLES) - documented) == []


def _wait_for(log: Path, pattern: str, worker: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, log.read_text(encoding="utf-8", errors="replace")):
            return True
        if worker.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def _stop(worker: subprocess.Popen[bytes]) -> None:
    # The worker runs in its own session, so this also ends the embedded beat process.
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


@pytest.mark.slow
def test_filesystem_broker_worker_runs_a_queued_task(tmp_path):
    env = embedded_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=180,
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, *WORKER.split(), "--schedule", str(tmp_path / "celerybeat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _wait_for(log, r"celery@\S+ ready\.", worker, timeout=60), log.read_text()

        module, name = TASK.rsplit(".", 1)
        sender = subprocess.run(
            [sys.executable, "-c", SEND.format(module=module, name=name)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        )
        task_id = sender.stdout.strip().splitlines()[-1]

        succeeded = rf"Task {re.escape(TASK)}\[{re.escape(task_id)}\] succeeded"
        assert _wait_for(log, succeeded, worker, timeout=60), log.read_text()
        assert "'ok': True" in log.read_text()

        # A mail stored as the SMTP receiver stores it is handled by the drain it queues (core.drains):
        # a task with a countdown, through the filesystem broker, in this worker.
        subprocess.run([sys.executable, "-c", STORE_MAIL], cwd=ROOT, env=env, check=True, timeout=120)
        handled = r"Task civicdesk\.intake\.tasks\.inbound_emails_drain_task\[[^\]]+\] succeeded in [0-9.e-]+s: 1"
        assert _wait_for(log, handled, worker, timeout=60), log.read_text()
        state = subprocess.run([sys.executable, "-c", MAIL_STATE], cwd=ROOT, env=env, check=True, timeout=60,
                               capture_output=True, text=True).stdout.split()
        assert state == ["case_created"], state
    finally:
        _stop(worker)


STORE_MAIL = """
import django; django.setup()
from civicdesk.intake.models import Mailbox
from civicdesk.intake.sources.email.services import inbound_email_receive
from tests.factories import build_city
city = build_city()
Mailbox.objects.create(organization=city.org, name="Palaute", address="palaute@testcity.example",
                       case_type=city.types["feedback"], service_group=city.streets)
raw = (b"From: Maija <maija@example.fi>\\r\\nTo: palaute@testcity.example\\r\\nSubject: Kuoppa\\r\\n"
       b"Message-ID: <embedded-1@example.fi>\\r\\n\\r\\nRantakadulla on kuoppa.\\r\\n")
inbound_email_receive(raw=raw, source="smtp", recipients=["palaute@testcity.example"])
"""
MAIL_STATE = """
import django; django.setup()
from civicdesk.intake.models import InboundEmail
print(*InboundEmail.objects.values_list("state", flat=True))
"""


def test_queueing_creates_the_filesystem_broker_folders(tmp_path):
    """A task queued on a fresh machine must not fail because kombu's folders do not exist yet."""
    broker_dir = tmp_path / "celery"
    code = (
        "import django; django.setup()\n"
        "from civicdesk.privacy.tasks import audit_verify_chain_task\n"
        "audit_verify_chain_task.delay()\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CELERY_BROKER_DIR": str(broker_dir),
        "CELERY_BROKER_URL": "filesystem://",
        "REDIS_URL": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=120,
                   capture_output=True)
    assert len(list((broker_dir / "messages").iterdir())) == 1
