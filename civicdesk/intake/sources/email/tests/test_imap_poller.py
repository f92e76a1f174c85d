"""The IMAP poller against a real Dovecot started by the test (Debian's dovecot-imapd).

Dovecot runs unprivileged (as `nobody` when the tests run as root, else as the test's own user)
from a throwaway configuration in a temporary folder, on a free port, with users from a file.
"""

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
from pathlib import Path

import pytest
from django.core import mail

from civicdesk.cases.models import Case, EntryKind
from civicdesk.intake.models import ImapSecurity, InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email import imap as imap_module
from civicdesk.intake.sources.email.imap import mailbox_poll, mailbox_test_connection
from civicdesk.intake.sources.email.services import case_reply_address
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
pytestmark = [
    pytest.mark.slow,
    # Skipped where Dovecot is missing, except in CI (.ci/run installs it), where that is a failure.
    pytest.mark.skipif(DOVECOT is None and not os.environ.get("CI"),
                       reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
]
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


@pytest.fixture
def imap_mailbox(mailbox: Mailbox, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv("MAILBOX_PALAUTE_PASSWORD", PASSWORD)
    mailbox.imap_host = "127.0.0.1"
    mailbox.imap_port = dovecot.port
    mailbox.imap_security = ImapSecurity.NONE
    mailbox.imap_username = "palaute"
    mailbox.imap_password_env = "MAILBOX_PALAUTE_PASSWORD"
    mailbox.imap_done_folder = "CivicDesk"
    mailbox.save()
    return mailbox


def test_poll_turns_mail_into_cases_and_moves_it_to_the_handled_folder(city: City, imap_mailbox: Mailbox,
                                                                       dovecot: Dovecot) -> None:
    case = city.case()
    reply_to = case_reply_address(case=case, mailbox=imap_mailbox)
    dovecot.append(make_mail(subject="Roskis täynnä", body="Puiston roskis on täynnä."))
    dovecot.append(make_mail(to=reply_to, subject="Re: kuoppa", body="Lisätietoa kuopasta."))
    dovecot.append(make_mail(subject="Automaattinen vastaus", headers={"Auto-Submitted": "auto-replied"}))
    assert mailbox_test_connection(imap_mailbox) == "3"
    assert mailbox_poll(mailbox=imap_mailbox) == 3
    assert dovecot.count("INBOX") == 0
    assert dovecot.count("CivicDesk") == 3  # moved, never deleted
    states = sorted(InboundEmail.objects.values_list("state", flat=True))
    assert states == sorted([InboundState.CASE_CREATED, InboundState.ADDED_TO_CASE, InboundState.IGNORED_AUTOMATIC])
    assert case.timeline.filter(kind=EntryKind.INBOUND_MESSAGE, body="Lisätietoa kuopasta.").exists()
    assert Case.objects.filter(title="Roskis täynnä").exists()
    assert len(mail.outbox) == 1  # the acknowledgement of the new case only
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""
    assert imap_mailbox.last_polled_at is not None
    assert mailbox_poll(mailbox=imap_mailbox) == 0


def test_a_poll_killed_before_the_move_loses_nothing_and_duplicates_nothing(
        city: City, imap_mailbox: Mailbox, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(4):
        dovecot.append(make_mail(subject=f"Asia {n}", body=f"Viesti {n}."))
    real_move = imap_module._move
    moves: list[bytes] = []

    def dies_on_the_third_move(connection: imaplib.IMAP4, uid: bytes, folder: str) -> None:
        if len(moves) == 2:
            raise SystemExit("worker killed")  # what a SIGKILL between commit and MOVE leaves behind
        moves.append(uid)
        real_move(connection, uid, folder)

    monkeypatch.setattr(imap_module, "_move", dies_on_the_third_move)
    with pytest.raises(SystemExit):
        mailbox_poll(mailbox=imap_mailbox)
    assert dovecot.count("INBOX") == 2
    assert Case.objects.count() == 3  # the third was stored and handled, then the worker died
    monkeypatch.setattr(imap_module, "_move", real_move)
    assert mailbox_poll(mailbox=imap_mailbox) == 2
    assert dovecot.count("INBOX") == 0
    assert dovecot.count("CivicDesk") == 4
    assert sorted(Case.objects.values_list("title", flat=True)) == [f"Asia {n}" for n in range(4)]
    assert InboundEmail.objects.count() == 4


def test_wrong_password_is_recorded_on_the_mailbox(city: City, imap_mailbox: Mailbox, dovecot: Dovecot,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOX_PALAUTE_PASSWORD", "wrong")
    assert mailbox_poll(mailbox=imap_mailbox) == 0
    imap_mailbox.refresh_from_db()
    assert "auth" in imap_mailbox.last_error.lower()


def test_an_oversized_message_is_refused_from_its_headers(city: City, imap_mailbox: Mailbox, dovecot: Dovecot,
                                                          settings) -> None:
    settings.EMAIL_MAX_BYTES = 5_000
    dovecot.append(make_mail(body="x" * 20_000))
    assert mailbox_poll(mailbox=imap_mailbox) == 1
    row = InboundEmail.objects.get()
    assert row.state == InboundState.REJECTED_SIZE
    assert row.raw_size > 20_000
    assert len(bytes(row.raw)) < 5_000
    assert mail.outbox[0].to == ["maija@example.fi"]
    assert not Case.objects.exists()
    assert dovecot.count("CivicDesk") == 1
