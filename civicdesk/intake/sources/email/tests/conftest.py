from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from civicdesk.intake.models import Mailbox
from tests.database import audit_log_empty_for_flush
from tests.factories import City


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """Committed data for servers on other threads, and an audit log emptied before the closing flush.

    As in tests/browser: on SQLite the flush is a DELETE, which the audit log's append-only
    triggers refuse, so the log is emptied with the triggers dropped and they are put back.
    """
    yield
    audit_log_empty_for_flush()


@pytest.fixture
def mailbox(city: City) -> Mailbox:
    return Mailbox.objects.create(
        organization=city.org, name="Palaute", address="palaute@testcity.example", case_type=city.types["feedback"],
        service_group=city.streets, language="fi",
    )


def make_mail(*, sender: str = "Maija Meikäläinen <maija@example.fi>", to: str = "palaute@testcity.example",
              subject: str = "Kuoppa Rantakadulla", body: str = "Rantakadulla on iso kuoppa.",
              headers: dict[str, str] | None = None, attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.fi")
    message["Date"] = "Mon, 03 Nov 2025 09:14:22 +0200"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


# --- a real IMAP server: Debian's Dovecot, unprivileged, from a throwaway configuration ----------

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
PASSWORD = "salasana-123"


@dataclass
class Dovecot:
    port: int

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login("palaute", PASSWORD)
        return connection

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        connection = self.client()
        try:
            status, _ = connection.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"
        finally:
            connection.logout()

    def count(self, folder: str) -> int:
        connection = self.client()
        try:
            status, data = connection.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" and data[0] else 0
        finally:
            connection.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if DOVECOT is None:
        pytest.fail("Dovecot is not installed (apt-get install dovecot-imapd); CI must run these tests")
    root = Path(tempfile.mkdtemp(prefix="civicdesk-dovecot-"))
    as_root = os.geteuid() == 0
    user = "nobody" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    port = _free_port()
    (root / "passwd").write_text(f"palaute:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = civicdesk-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
mail_location = maildir:~/Maildir
first_valid_uid = 0
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
""")
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    command = [DOVECOT, "-F", "-c", str(root / "dovecot.conf")]
    if as_root:
        os.chmod(root, 0o755)  # noqa: S103 - the unprivileged Dovecot must enter its own folder
        subprocess.run(["chown", "-R", f"{user}:{group}", str(root)], check=True)
        command = ["runuser", "-u", user, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    pytest.fail(f"Dovecot did not start: {errors} {log}")
                time.sleep(0.1)
        yield Dovecot(port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
