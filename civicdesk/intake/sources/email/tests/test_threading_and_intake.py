"""Mail into cases: new cases, replies by token and by thread, strangers, forwards, automatic mail, limits."""

from __future__ import annotations

import io
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.test import TestCase, override_settings
from PIL import Image

from civicdesk.accounts.models import Role
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Attachment, Case, Channel, DeliveryState, EntryKind, Status
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox, OutboundEmail
from civicdesk.intake.sources.email.services import (
    case_id_from_token,
    case_reply_address,
    case_reply_token,
    inbound_email_accept,
    inbound_email_receive,
    recipient_resolve,
)
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City, add_role

pytestmark = pytest.mark.django_db(transaction=False)


def _receive(raw: bytes, to: str = "palaute@testcity.example") -> InboundEmail:
    """Receive as the SMTP receiver does, and run what it queues after commit (handling, acknowledgement)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        rows = inbound_email_receive(raw=raw, source="smtp", recipients=[to])
    assert len(rows) == 1
    rows[0].refresh_from_db()
    return rows[0]


def _case(row: InboundEmail) -> Case:
    assert row.case is not None
    return row.case


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_new_mail_creates_a_case_in_the_mailbox_group_and_acknowledges_it(city: City, mailbox: Mailbox):
    row = _receive(make_mail())
    row.refresh_from_db()
    assert row.state == InboundState.CASE_CREATED
    case = _case(row)
    assert (case.channel, case.owner_group, case.customer_email, case.customer_name) == (
        Channel.EMAIL, city.streets, "maija@example.fi", "Maija Meikäläinen")
    assert case.title == "Kuoppa Rantakadulla"
    assert "iso kuoppa" in case.description
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == ["maija@example.fi"]
    assert ack.reply_to == [case_reply_address(case=case, mailbox=mailbox)]
    assert ack.extra_headers["In-Reply-To"] == row.message_id
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert OutboundEmail.objects.get(case=case).message_id == ack.extra_headers["Message-ID"]


def test_without_a_group_the_mailbox_feeds_the_advisors_intake_and_can_stay_silent(city, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(service_group=None, auto_acknowledge=False)
    row = _receive(make_mail())
    assert _case(row).owner_group == city.intake
    assert mail.outbox == []


def test_reply_address_token_is_signed_lower_case_and_scoped(city: City, other_city: City, mailbox: Mailbox):
    case = city.case()
    token = case_reply_token(case.pk)
    assert token == token.lower()
    assert case_id_from_token(token) == case.pk
    assert case_id_from_token(token.upper()) == case.pk  # MTAs that fold case keep the address valid
    forged = f"c-{token.split('-')[1]}-{'0' * 20}"
    assert case_id_from_token(forged) is None
    assert recipient_resolve(f"palaute+{forged}@testcity.example") is None
    assert recipient_resolve("nobody@testcity.example") is None
    resolved = recipient_resolve(case_reply_address(case=case, mailbox=mailbox))
    assert resolved is not None
    assert resolved.case_id == case.pk


def test_the_whole_loop_reply_lands_trimmed_and_out_of_office_is_ignored(city: City, mailbox: Mailbox):
    first = _receive(make_mail())
    case = _case(first)
    expert = city.fresh("expert")
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = case_services.case_reply(case=case, actor=expert, body="Korjaamme kuopan tällä viikolla.",
                                         wait_for_customer=True)
    entry.refresh_from_db()
    assert entry.delivery_state == DeliveryState.SENT
    reply = mail.outbox[-1]
    assert reply.extra_headers["In-Reply-To"] == first.message_id
    assert first.message_id in reply.extra_headers["References"]
    assert "Auto-Submitted" not in reply.extra_headers
    reply_to = reply.reply_to[0]
    quoted = "\n".join(f"> {line}" for line in reply.body.splitlines())
    answer = make_mail(to=reply_to, subject=f"Re: {reply.subject}",
                       body=f"Kiitos, nyt se on taas auki.\n\nma 3.11.2025 klo 10.00 Kaupunki kirjoitti:\n{quoted}",
                       headers={"In-Reply-To": reply.extra_headers["Message-ID"],
                                "References": f"{first.message_id} {reply.extra_headers['Message-ID']}"})
    sent_before = len(mail.outbox)
    second = _receive(answer, to=reply_to)
    assert second.state == InboundState.ADDED_TO_CASE
    assert second.case_id == case.pk
    message = case.timeline.filter(kind=EntryKind.INBOUND_MESSAGE).get()
    assert message.body == "Kiitos, nyt se on taas auki."
    assert not message.is_internal
    case.refresh_from_db()
    assert case.status == Status.OPEN
    out_of_office = make_mail(to=reply_to, subject=f"Automaattinen vastaus: {reply.subject}", body="Olen lomalla.",
                              headers={"Auto-Submitted": "auto-replied",
                                       "In-Reply-To": reply.extra_headers["Message-ID"]})
    third = _receive(out_of_office, to=reply_to)
    assert third.state == InboundState.IGNORED_AUTOMATIC
    assert third.auto_kind == "out_of_office"
    assert Case.objects.count() == 1
    assert case.timeline.filter(kind=EntryKind.INBOUND_MESSAGE).count() == 1
    assert len(mail.outbox) == sent_before


def test_a_reply_found_by_its_thread_alone_lands_in_the_case(city, mailbox):
    first = _receive(make_mail())
    ack_id = mail.outbox[0].extra_headers["Message-ID"]
    second = _receive(make_mail(subject="Re: kuoppa", body="Lisätietoa.", headers={"In-Reply-To": ack_id}))
    assert second.state == InboundState.ADDED_TO_CASE
    assert second.case_id == first.case_id
    assert second.details["matched_by"] == "thread"


def test_a_case_number_in_the_subject_never_attaches_a_strangers_mail(city, mailbox):
    case = city.case()
    stranger = _receive(make_mail(sender="hijack@evil.example", subject=f"Re: [{case.reference}] kuoppa"))
    assert stranger.state == InboundState.CASE_CREATED
    assert stranger.case_id != case.pk
    own = _receive(make_mail(subject=f"Re: [{case.reference}] kuoppa", body="Vielä yksi asia."))
    assert own.state == InboundState.ADDED_TO_CASE
    assert own.case_id == case.pk


def test_a_reply_from_another_address_is_held_for_staff_and_never_switches_the_customer(
        city, mailbox):
    case = city.case()
    address = case_reply_address(case=case, mailbox=mailbox)
    held = _receive(make_mail(sender="Naapuri <naapuri@example.net>", to=address, body="Minäkin näin sen.",
                              attachments=(("kuva.png", "image/png", _png()),)), to=address)
    assert held.state == InboundState.HELD_UNKNOWN_SENDER
    assert held.case_id == case.pk
    case.refresh_from_db()
    assert case.customer_email == "maija@example.fi"
    assert case.status == Status.NEW
    entry = case.timeline.get(kind=EntryKind.INBOUND_MESSAGE)
    assert entry.is_internal
    assert entry.data["unknown_sender"]
    assert "naapuri@example.net" in entry.actor_label
    assert not Attachment.objects.filter(case=case).exists()
    accepted = inbound_email_accept(user=city.fresh("expert"), inbound=held)
    assert not accepted.is_internal
    assert Attachment.objects.filter(case=case, entry=accepted).count() == 1
    held.refresh_from_db()
    assert held.state == InboundState.ACCEPTED


def test_a_token_of_another_organisations_case_finds_nothing_here(city, other_city, mailbox):
    foreign = other_city.case()
    address = f"palaute+{case_reply_token(foreign.pk)}@testcity.example"
    row = _receive(make_mail(to=address), to=address)
    assert row.state == InboundState.CASE_CREATED
    assert _case(row).organization == city.org
    assert not foreign.timeline.filter(kind=EntryKind.INBOUND_MESSAGE).exists()


def test_a_forward_by_staff_makes_the_original_sender_the_customer(city, mailbox):
    expert = city.users["expert"]
    body = ("Tämä tuli minulle, kirjatkaa.\n\n---------- Forwarded message ---------\n"
            "From: Sanna Asukas <sanna@example.org>\nSubject: Puiston valot\n\nValot eivät toimi.\n")
    row = _receive(make_mail(sender=f"Erkki <{expert.email}>", subject="Fwd: Puiston valot", body=body))
    case = _case(row)
    assert (case.customer_email, case.customer_name, case.title) == ("sanna@example.org", "Sanna Asukas",
                                                                     "Puiston valot")
    assert case.description == "Valot eivät toimi."
    assert row.forwarded_by == expert
    note = case.timeline.get(kind=EntryKind.INTERNAL_NOTE)
    assert note.actor == expert
    assert "Tämä tuli minulle" in note.body
    assert mail.outbox[0].to == ["sanna@example.org"]


def test_a_forward_by_a_stranger_keeps_the_stranger_as_customer(city, mailbox):
    body = "FYI\n\n---------- Forwarded message ---------\nFrom: Victim <victim@example.net>\n\nprivate\n"
    row = _receive(make_mail(sender="random@example.com", subject="Fwd: x", body=body))
    assert _case(row).customer_email == "random@example.com"
    assert row.forwarded_by is None


def test_partner_is_not_staff_for_forwards(city, mailbox):
    partner = city.users["partner"]
    add_role(partner, city.org, Role.EXTERNAL_PARTNER)
    body = "x\n\n---------- Forwarded message ---------\nFrom: V <v@example.net>\n\ny\n"
    row = _receive(make_mail(sender=partner.email, subject="Fwd: x", body=body))
    assert _case(row).customer_email == partner.email


def test_bounces_mark_the_reply_failed_and_are_never_answered(city, mailbox):
    first = _receive(make_mail())
    case = _case(first)
    with TestCase.captureOnCommitCallbacks(execute=True):
        entry = case_services.case_reply(case=case, actor=city.fresh("expert"), body="Vastaus.")
    sent_id = mail.outbox[-1].extra_headers["Message-ID"]
    dsn = (
        "From: MAILER-DAEMON@mx.example\nTo: palaute@testcity.example\nSubject: Undelivered Mail\n"
        "Message-ID: <dsn1@mx.example>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nFailed.\n\n--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; maija@example.fi\nAction: failed\n"
        "Status: 5.2.2\nDiagnostic-Code: smtp; 552 mailbox full\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: {sent_id}\n\n--b--\n"
    ).encode()
    count = len(mail.outbox)
    row = _receive(dsn)
    assert row.state == InboundState.IGNORED_AUTOMATIC
    assert row.auto_kind == "bounce"
    entry.refresh_from_db()
    assert entry.delivery_state == DeliveryState.FAILED
    assert "mailbox full" in entry.data["error"]
    assert len(mail.outbox) == count
    assert Case.objects.count() == 1


@pytest.mark.parametrize("headers", [
    {"Precedence": "bulk"}, {"List-Id": "<news.example>"}, {"X-Autoreply": "yes"}, {"Auto-Submitted": "auto-generated"},
])
def test_automatic_mail_creates_nothing_and_gets_no_answer(city, mailbox, headers):
    row = _receive(make_mail(headers=headers))
    assert row.state == InboundState.IGNORED_AUTOMATIC
    assert not Case.objects.exists()
    assert mail.outbox == []


def test_the_same_message_twice_is_one_case(city, mailbox):
    raw = make_mail()
    _receive(raw)
    _receive(raw)
    assert Case.objects.count() == 1
    assert InboundEmail.objects.count() == 1


@override_settings(EMAIL_SENDER_RATE_LIMIT_PER_HOUR=2)
def test_a_sender_over_the_rate_limit_is_held(city, mailbox):
    rows = [_receive(make_mail(subject=f"Asia {n}")) for n in range(3)]
    assert [r.state for r in rows] == [InboundState.CASE_CREATED, InboundState.CASE_CREATED, InboundState.RATE_LIMITED]
    assert Case.objects.count() == 2


@override_settings(EMAIL_MAX_BYTES=20_000)
def test_an_oversized_message_is_refused_with_an_explaining_mail(city, mailbox):
    raw = make_mail(attachments=(("iso.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 30_000),))
    row = _receive(raw)
    assert row.state == InboundState.REJECTED_SIZE
    assert not Case.objects.exists()
    refusal = mail.outbox[0]
    assert refusal.to == ["maija@example.fi"]
    assert "too large" in refusal.subject.lower() or "liian" in refusal.subject
    assert refusal.extra_headers["Auto-Submitted"] == "auto-replied"


def test_a_failure_midway_stores_nothing_of_the_case_and_marks_the_mail_failed_with_why(city, mailbox, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(case_services, "case_add_customer_files", broken)  # after the case's INSERT
    row = _receive(make_mail(attachments=(("kuva.png", "image/png", _png()),)))
    assert row.state == InboundState.FAILED
    assert "disk full" in row.error
    assert not Case.objects.exists(), "the case's writes rolled back with the handling"
    assert len(bytes(InboundEmail.objects.get(pk=row.pk).raw)) > 0, "the message is kept whole for a retry"


def test_files_are_checked_one_by_one_and_refusals_recorded(city, mailbox):
    raw = make_mail(attachments=(("kuva.png", "image/png", _png()), ("lasku.pdf.exe", "application/octet-stream",
                                                                      b"MZ\x90\x00" * 50)))
    row = _receive(raw)
    case = _case(row)
    assert [a.original_name for a in Attachment.objects.filter(case=case)] == ["kuva.png"]
    assert row.details["refused_files"][0]["name"] == "lasku.pdf.exe"


def test_raw_message_is_kept_size_limited(city, mailbox):
    raw = make_mail(body="x" * 5000)
    with override_settings(EMAIL_RAW_MAX_BYTES=1000):
        row = _receive(raw)
    assert len(bytes(row.raw)) == 1000
    assert row.raw_truncated
    assert row.raw_size == len(raw)
    assert row.state == InboundState.CASE_CREATED


def test_files_of_a_mail_longer_than_the_evidence_copy_are_kept_and_a_held_one_stays_whole(city, mailbox):
    """The evidence copy is cut only after handling: a photo past EMAIL_RAW_MAX_BYTES still reaches the case."""
    photo = ("kuva.png", "image/png", _png())
    with override_settings(EMAIL_RAW_MAX_BYTES=1000):
        row = _receive(make_mail(body="Kuva liitteenä. " + "x" * 3000, attachments=(photo,)))
        case = _case(row)
        assert Attachment.objects.filter(case=case).count() == 1
        assert row.raw_truncated
        assert len(bytes(row.raw)) == 1000
        address = case_reply_address(case=case, mailbox=mailbox)
        held = _receive(make_mail(sender="Naapuri <naapuri@example.net>", to=address, body="y" * 3000,
                                  attachments=(photo,)), to=address)
        assert held.state == InboundState.HELD_UNKNOWN_SENDER
        assert not held.raw_truncated  # whole until staff decide
        entry = inbound_email_accept(user=city.fresh("expert"), inbound=held)
        held.refresh_from_db()
        assert held.raw_truncated
    assert Attachment.objects.filter(case=case, entry=entry).count() == 1


def test_hostile_headers_and_unicode_addresses_are_handled(city, mailbox):
    raw = ("From: =?utf-8?Q?J=C3=B6rg?= <jörg@bücher.example>\nTo: palaute@testcity.example\n"
           "Subject: =?utf-8?Q?Hei=0D=0ABcc:_all@x.example?=\nMessage-ID: <u1@x>\nMIME-Version: 1.0\n"
           "Content-Type: text/html; charset=utf-8\n\n<script>alert(1)</script><p>Hei <img src=http://x/t.png></p>"
           ).encode()
    row = _receive(raw)
    assert row.state in (InboundState.CASE_CREATED, InboundState.FAILED)
    if row.case_id:
        case = _case(row)
        assert "\n" not in case.title
        assert "alert" not in case.description


def test_outbound_reply_threads_and_carries_reply_to(city, mailbox):
    case = city.case()
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_services.case_reply(case=case, actor=city.fresh("expert"), body="Hei.")
    sent = mail.outbox[-1]
    parsed = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert parsed["Reply-To"] == case_reply_address(case=case, mailbox=mailbox)
    assert parsed["Message-ID"].startswith(f"<civicdesk.{case.reference}.reply.")
    assert parsed["X-CivicDesk-Case"] == case.reference


def test_the_receiving_servers_verdict_on_the_sender_can_route_the_case(city: City, mailbox: Mailbox):
    from civicdesk.routing.models import RoutingDecision, RoutingRule
    from civicdesk.routing.services import route_case

    rule = RoutingRule.objects.create(organization=city.org, name="Väärennetty lähettäjä",
                                      sender_check="unverified", set_group=city.intake)
    forged = _case(_receive(make_mail(subject="Maksa lasku", headers={
        "Authentication-Results": "mx.testcity.example; spf=fail smtp.mailfrom=example.fi; dkim=none; dmarc=fail"})))
    genuine = _case(_receive(make_mail(subject="Kuoppa", headers={
        "Authentication-Results": "mx.testcity.example; spf=pass smtp.mailfrom=example.fi; dkim=pass; dmarc=pass"})))
    for case in (forged, genuine):
        RoutingDecision.objects.filter(case=case).delete()
        route_case(case=case)
    assert RoutingDecision.objects.get(case=forged).rule == rule
    assert RoutingDecision.objects.get(case=genuine).rule is None


def test_staff_see_the_sender_check_and_accept_a_held_message_on_the_case_page(client, city, mailbox):
    from django.urls import reverse
    from django.utils import translation

    case = _case(_receive(make_mail(headers={
        "Authentication-Results": "mx.testcity.example; spf=pass smtp.mailfrom=example.fi; dkim=pass; dmarc=pass"})))
    address = case_reply_address(case=case, mailbox=mailbox)
    held = _receive(make_mail(sender="Naapuri <naapuri@example.net>", to=address, body="Minäkin näin sen.", headers={
        "Authentication-Results": "mx.testcity.example; spf=softfail smtp.mailfrom=example.net; dmarc=fail"}),
        to=address)
    accept_url = reverse("intake:held_email_accept", args=[held.pk])

    client.force_login(city.fresh("expert"))
    with translation.override("en"):
        page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Sender check: verified (SPF pass · DKIM pass · DMARC pass)" in page
    assert "Sender check: not verified (SPF softfail · DMARC fail)" in page
    assert accept_url in page

    client.force_login(city.fresh("partner"))  # may not see the case: the same 404 as for nothing at all
    assert client.post(accept_url).status_code == 404
    assert client.post(reverse("intake:held_email_accept", args=[held.pk + 1000])).status_code == 404
    client.force_login(city.fresh("expert"))
    assert client.get(accept_url).status_code == 405
    answer = client.post(accept_url)
    assert answer.status_code == 303
    held.refresh_from_db()
    assert held.state == InboundState.ACCEPTED
    assert answer["Location"].endswith(f"#entry-{held.entry_id}")
    case.refresh_from_db()
    assert case.customer_email == "maija@example.fi"  # the customer never changes
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert accept_url not in page
    assert client.post(accept_url).status_code == 409  # already accepted: a clear refusal, nothing done twice


def test_the_worker_routes_and_acknowledges_a_new_mail_itself_the_ack_from_the_routed_group(city, mailbox):
    """One task per new mail, not three: routing and the acknowledgement run in the worker that handled
    the mail, right after its commit, routing first, so the acknowledgement leaves from the address of
    the group that took the case."""
    from unittest import mock

    from civicdesk.intake.tasks import email_acknowledgement_send_task
    from civicdesk.routing.models import RoutingDecision, RoutingRule
    from civicdesk.routing.tasks import route_case_task

    city.parks.email = "puistot@testcity.example"
    city.parks.save()
    RoutingRule.objects.create(organization=city.org, name="Puistot", keywords="kuoppa", set_group=city.parks)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with mock.patch.object(route_case_task, "delay") as queued_routing, \
            mock.patch.object(email_acknowledgement_send_task, "delay") as queued_ack, \
            CaptureQueriesContext(connection) as queries:
        row = _receive(make_mail())
    queued_routing.assert_not_called()
    queued_ack.assert_not_called()
    case = _case(row)
    assert RoutingDecision.objects.get(case=case).rule_id is not None
    assert case.owner_group == city.parks
    assert len(mail.outbox) == 1
    assert "puistot@testcity.example" in mail.outbox[0].from_email
    # The acknowledgement used the mail's row and the case as the task committed them (`core.follow_ups`):
    # between routing's decision and the acknowledgement's outgoing row, neither is read again.
    statements = [q["sql"] for q in queries.captured_queries]
    routed = next(i for i, q in enumerate(statements) if q.startswith('INSERT INTO "routing_routingdecision"'))
    sent = next(i for i, q in enumerate(statements) if q.startswith('INSERT INTO "intake_outboundemail"'))
    between = [q for q in statements[routed:sent] if q.lstrip().startswith("SELECT")]
    assert not [q for q in between if 'FROM "cases_case"' in q or 'FROM "intake_inboundemail"' in q], between
    assert email_acknowledgement_send_task(inbound_id=row.pk) is False, "acknowledged once only"
    assert len(mail.outbox) == 1


def test_an_acknowledgement_that_cannot_be_sent_now_is_queued_for_retries(city, mailbox):
    from unittest import mock

    from civicdesk.intake.tasks import email_acknowledgement_send_task

    with mock.patch("civicdesk.intake.tasks.email_acknowledgement_send", side_effect=OSError("refused")), \
            mock.patch.object(email_acknowledgement_send_task, "delay") as queued_ack:
        row = _receive(make_mail())
    assert row.state == InboundState.CASE_CREATED, "the mail is handled all the same"
    queued_ack.assert_called_once_with(inbound_id=row.pk)


def test_the_handler_hears_of_a_customers_mail_from_the_task_that_handled_it(city, mailbox):
    """The notification of a customer's mail is made by the task that handled the mail, not one more task."""
    from unittest import mock

    from civicdesk.notifications.models import Notification, NotificationKind
    from civicdesk.notifications.tasks import notifications_for_entry_task

    expert = city.users["expert"]
    case = city.case(customer_email="maija@example.fi", owner_group=city.streets)
    case_services.case_take(case=case, actor=expert)
    with mock.patch.object(notifications_for_entry_task, "delay") as queued:
        address = case_reply_address(case=case, mailbox=mailbox)
        row = _receive(make_mail(to=address, subject="Lisätietoa", body="Kuoppa on nyt isompi."), to=address)
    assert row.state == InboundState.ADDED_TO_CASE
    queued.assert_not_called()
    notification = Notification.objects.get(recipient=expert, entry=row.entry)
    assert notification.kind == NotificationKind.CUSTOMER_MESSAGE


def test_notifications_that_fail_in_the_task_are_queued_instead(city, mailbox):
    from unittest import mock

    from civicdesk.notifications.tasks import notifications_for_entry_task

    case = city.case(customer_email="maija@example.fi", owner_group=city.streets)
    with mock.patch("civicdesk.notifications.tasks.notifications_create_for_entry",
                    side_effect=RuntimeError("boom")), \
            mock.patch.object(notifications_for_entry_task, "delay") as queued:
        address = case_reply_address(case=case, mailbox=mailbox)
        row = _receive(make_mail(to=address, subject="Lisätietoa", body="Kuoppa on nyt isompi."), to=address)
    assert row.state == InboundState.ADDED_TO_CASE
    queued.assert_called_once_with(row.entry_id)
