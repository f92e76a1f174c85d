"""The IMAP poller against a real Dovecot started by the test (Debian's dovecot-imapd).

Dovecot runs unprivileged (as `nobody` when the tests run as root, else as the test's own user)
from a throwaway configuration in a temporary folder, on a free port, with users from a file.
"""

from __future__ import annotations

import imaplib
import os

import pytest
from django.core import mail

from civicdesk.cases.models import Case, EntryKind
from civicdesk.intake.models import ImapSecurity, InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email import imap as imap_module
from civicdesk.intake.sources.email.imap import mailbox_poll, mailbox_test_connection
from civicdesk.intake.sources.email.services import case_reply_address
from civicdesk.intake.sources.email.tests.conftest import DOVECOT, PASSWORD, Dovecot, make_mail
from tests.factories import City

pytestmark = [
    pytest.mark.slow,
    # Skipped where Dovecot is missing, except in CI (.ci/run installs it), where that is a failure.
    pytest.mark.skipif(DOVECOT is None and not os.environ.get("CI"),
                       reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
]


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
