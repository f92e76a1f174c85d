"""Outbound mail through a real SMTP server (aiosmtpd capturing in the test): headers, threading, retries."""

from __future__ import annotations

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
from civicdesk.intake.sources.email.services import case_reply_address, inbound_email_receive
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("committed_db")]


class Capture:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
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
