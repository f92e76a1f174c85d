"""Outbound mail through a real SMTP server (aiosmtpd capturing in the test): headers, threading, retries."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from celery.exceptions import Retry
from django.test import override_settings

from civicdesk.cases import services as case_services
from civicdesk.cases.models import DeliveryState, EntryKind
from civicdesk.cases.tasks import case_reply_deliver_task
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox, OutboundEmail
from civicdesk.intake.sources.email.outbound import PreparedMail
from civicdesk.intake.sources.email.services import case_reply_address, inbound_email_receive
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("committed_db")]


class Capture:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.sessions: list[object] = []  # the client's address and port of each mail's SMTP session

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address.startswith("refused"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.sessions.append(session.peer)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_capture() -> Iterator[tuple[Capture, int]]:
    capture = Capture()
    port = _free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                               EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_HOST_USER="",
                               EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=5):
            yield capture, port
    finally:
        controller.stop()


def test_acknowledgement_and_reply_arrive_threaded_through_smtp(city: City, mailbox: Mailbox, smtp_capture) -> None:
    capture, _port = smtp_capture
    city.streets.email = "kadut@testcity.example"
    city.streets.save()
    first = inbound_email_receive(raw=make_mail(), source="smtp", recipients=["palaute@testcity.example"])[0]
    first.refresh_from_db()
    assert first.state == InboundState.CASE_CREATED
    case = first.case
    assert case is not None
    _sender, recipients, ack = capture.messages[0]
    assert recipients == ["maija@example.fi"]
    assert ack["In-Reply-To"] == first.message_id
    assert ack["Reply-To"] == case_reply_address(case=case, mailbox=mailbox)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert case.reference in ack["Subject"]
    entry = case_services.case_reply(case=case, actor=city.fresh("expert"), body="Korjaamme kuopan.")
    entry.refresh_from_db()
    assert entry.delivery_state == DeliveryState.SENT
    _sender, _recipients, reply = capture.messages[1]
    assert reply["From"] == "Katujen kunnossapito <kadut@testcity.example>"
    assert reply["In-Reply-To"] == first.message_id
    assert reply["References"].split() == [first.message_id, ack["Message-ID"].strip()]
    assert reply["Auto-Submitted"] is None
    assert "Korjaamme kuopan." in reply.get_content()
    assert OutboundEmail.objects.get(entry=entry).state == "sent"
    # The resident answers the reply from their mail client: it threads back into the same case.
    answer = make_mail(to=reply["Reply-To"], subject=f"Re: {reply['Subject']}", body="Kiitos!",
                       headers={"In-Reply-To": reply["Message-ID"],
                                "References": f"{reply['References']} {reply['Message-ID']}"})
    back = inbound_email_receive(raw=answer, source="smtp", recipients=[reply["Reply-To"]])[0]
    back.refresh_from_db()
    assert back.state == InboundState.ADDED_TO_CASE
    assert back.case_id == case.pk


def test_a_server_that_refuses_leaves_the_reply_failed_with_the_reason(city: City, mailbox: Mailbox) -> None:
    case = city.case()
    closed_port = _free_port()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                           EMAIL_PORT=closed_port, EMAIL_TIMEOUT=2):
        # The first attempt asks Celery to retry (eager mode raises the Retry instead of waiting) …
        with pytest.raises(Retry):
            case_services.case_reply(case=case, actor=city.fresh("expert"), body="Vastaus.")
        entry = case.timeline.get(kind=EntryKind.OUTBOUND_REPLY)
        assert entry.delivery_state == DeliveryState.QUEUED
        # … and the last allowed attempt records the failure with its reason on the timeline.
        assert case_reply_deliver_task.apply(args=(entry.pk,), retries=5).get() == "failed"
    entry.refresh_from_db()
    assert entry.delivery_state == DeliveryState.FAILED
    assert "refused" in entry.data["error"].lower()
    assert not InboundEmail.objects.exists()


def _prepared(city: City, n: int) -> PreparedMail:
    from civicdesk.intake.models import OutboundKind
    from civicdesk.intake.sources.email.outbound import mail_prepare

    case = city.case(customer_email=f"r{n}@example.fi")
    return mail_prepare(case=case, kind=OutboundKind.REPLY, subject="Vastaus", body=f"Vastaus {n}.",
                        to=case.customer_email)


def test_a_workers_mails_share_one_smtp_session_and_zero_seconds_opens_one_each(city: City, smtp_capture) -> None:
    from civicdesk.intake.sources.email.outbound import _drop_kept_connection, mail_send

    capture, _port = smtp_capture
    _drop_kept_connection()
    for n in range(3):
        mail_send(_prepared(city, n))
    assert len(capture.messages) == 3
    assert len(set(capture.sessions)) == 1, "one SMTP session for the three mails"
    with override_settings(EMAIL_CONNECTION_KEEP_SECONDS=0):
        for n in range(3, 5):
            mail_send(_prepared(city, n))
    assert len(set(capture.sessions[3:])) == 2
    assert capture.sessions[3] != capture.sessions[2], "a setting changed: a new session"
    assert OutboundEmail.objects.filter(state="sent").count() == 5
    _drop_kept_connection()


def test_a_session_the_server_ended_is_replaced_and_the_mail_still_leaves(city: City, smtp_capture) -> None:
    from civicdesk.intake.sources.email import outbound

    capture, _port = smtp_capture
    outbound._drop_kept_connection()
    outbound.mail_send(_prepared(city, 1))
    kept = outbound._kept.backend
    assert kept is not None
    kept.connection.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]  # the session is dead, as after a server's idle timeout
    outbound.mail_send(_prepared(city, 2))
    assert len(capture.messages) == 2
    assert capture.sessions[0] != capture.sessions[1], "sent again on a new session"
    assert OutboundEmail.objects.filter(state="sent").count() == 2
    outbound._drop_kept_connection()


def test_a_refused_mail_closes_the_kept_session_and_fails(city: City, smtp_capture) -> None:
    from civicdesk.intake.sources.email import outbound

    _capture, _port = smtp_capture
    outbound._drop_kept_connection()
    prepared = _prepared(city, 1)
    prepared.message.to = ["refused@example.fi"]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        outbound.mail_send(prepared)
    assert outbound._kept.backend is None
    assert OutboundEmail.objects.get(pk=prepared.outbound.pk).state == "failed"
