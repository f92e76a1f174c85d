"""Background work of the intake: receipts and acknowledgements to customers, and the email channel's
handling of stored mail, its refusals and the IMAP polling (issue 5).

Tasks take ids and are idempotent: a message handled once is never handled again, a receipt sent
twice is harmless, a lost one is not.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.models import Case
from civicdesk.core.follow_ups import committed_row, follow_ups_here
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox, OutboundKind

logger = logging.getLogger(__name__)


def _tracking_url(case: Case) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:track", args=[case.tracking_token])


def _receipt(case: Case, *, tracking_url: str, kind: str) -> bool:
    from civicdesk.intake.sources.email.mail_templates import mail_template_render
    from civicdesk.intake.sources.email.outbound import mail_prepare, mail_send, mailbox_for_case

    language = case.language or case.organization.default_language
    own = mail_template_render(organization_id=case.organization_id, kind=kind, language=language,
                               values=case_mail_values(case, tracking_url=tracking_url,
                                                       description=case.description))
    if own is not None:
        subject, body, html = own.subject, own.text, own.html
    else:
        with translation.override(language):
            context = {"case": case, "tracking_url": tracking_url,
                       "reply_by_email": mailbox_for_case(case) is not None}
            subject = render_to_string("intake/receipt_subject.txt", context).strip()
            body, html = render_to_string("intake/receipt_email.txt", context), ""
    prepared = mail_prepare(case=case, kind=kind, subject=subject_with_reference(case.reference, subject),
                            body=body, html=html, to=case.customer_email)
    mail_send(prepared)
    return True


def case_mail_values(case: Case, *, tracking_url: str, **more: str) -> dict[str, str]:
    """The placeholders an organisation's mail template may use about a case (`mail_templates`)."""
    return {"reference": case.reference, "organization": str(case.organization.name), "title": case.title,
            "customer_name": case.customer_name, "tracking_url": tracking_url, **more}


def subject_with_reference(reference: str, subject: str) -> str:
    """`[2026-000123] subject`: the number threads the customer's answer (with the reply address)."""
    return subject if reference in subject else f"[{reference}] {subject}"


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def intake_receipt_send_task(*, case_id: int, tracking_url: str) -> bool:
    """Mail the case number and the private tracking link to the customer, in the case's language.

    The mail carries the case's reply address and a Message-ID of ours, so that answering it
    adds to the case.
    """
    case = Case.objects.filter(pk=case_id).select_related("organization", "owner_group").first()
    if case is None or not case.customer_email:
        return False
    return _receipt(case, tracking_url=tracking_url, kind=OutboundKind.RECEIPT)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def case_acknowledgement_send_task(*, case_id: int) -> bool:
    """Acknowledge a case to its customer when a workflow step says so (`routing.workflows`)."""
    case = Case.objects.filter(pk=case_id).select_related("organization", "owner_group").first()
    if case is None or not case.customer_email:
        return False
    return _receipt(case, tracking_url=_tracking_url(case), kind=OutboundKind.ACKNOWLEDGEMENT)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def case_reminder_send_task(*, case_id: int, closes_on: str = "") -> bool:
    """Remind a customer that the case waits for their answer, and when it closes without one (workflows)."""
    import datetime as dt

    from django.utils import formats

    from civicdesk.intake.sources.email.mail_templates import mail_template_render
    from civicdesk.intake.sources.email.outbound import mail_prepare, mail_send, mailbox_for_case

    case = Case.objects.filter(pk=case_id).select_related("organization", "owner_group").first()
    if case is None or not case.customer_email or case.status != "waiting":
        return False
    language = case.language or case.organization.default_language
    tracking_url = _tracking_url(case)
    with translation.override(language):
        day = formats.date_format(dt.datetime.fromisoformat(closes_on), "SHORT_DATE_FORMAT") if closes_on else ""
        own = mail_template_render(organization_id=case.organization_id, kind=OutboundKind.REMINDER,
                                   language=language, values=case_mail_values(case, tracking_url=tracking_url,
                                                                              closes_on=day))
        if own is not None:
            subject, body, html = own.subject, own.text, own.html
        else:
            context = {"case": case, "tracking_url": tracking_url, "closes_on": day,
                       "reply_by_email": mailbox_for_case(case) is not None}
            subject = render_to_string("intake/reminder_subject.txt", context).strip()
            body, html = render_to_string("intake/reminder_email.txt", context), ""
    prepared = mail_prepare(case=case, kind=OutboundKind.REMINDER,
                            subject=subject_with_reference(case.reference, subject),
                            body=body, html=html, to=case.customer_email)
    mail_send(prepared)
    return True


@shared_task(acks_late=True)
def inbound_email_process_task(*, inbound_id: int) -> str:
    """Handle one stored incoming mail (`intake.sources.email.services.inbound_email_process`).

    What follows it (routing a new case, the acknowledgement, notifications of a customer's message)
    runs here too, after the commit, not as up to three more tasks (`core.follow_ups`)."""
    from civicdesk.intake.sources.email.services import inbound_email_process

    with follow_ups_here():
        row = inbound_email_process(inbound_id=inbound_id)
    return row.state if row is not None else "missing"


@shared_task(acks_late=True)
def inbound_emails_drain_task() -> int:
    """Handle the stored mail that waits, oldest first (`inbound_emails_drain`): queued by the receivers
    at most once a second for a whole burst (`core.drains`), and by the beat every minute as a safety net.

    With more than a batch waiting it first queues one more drain, which a free pool child or another
    worker takes up (they share the work row by row, `SKIP LOCKED`), and so on while the backlog lasts.
    After DRAIN_MAX mails it queues the next drain for what is left."""
    from civicdesk.intake.sources.email.services import DRAIN_BATCH, inbound_emails_drain, inbound_emails_waiting

    if not getattr(inbound_emails_drain_task.request, "is_eager", False) and inbound_emails_waiting() > DRAIN_BATCH:
        inbound_emails_drain_task.delay()
    handled, more = inbound_emails_drain()
    if more:
        inbound_emails_drain_task.delay()
    return handled


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def email_acknowledgement_send_task(*, inbound_id: int) -> bool:
    """Acknowledge a case created from a mail: its number, the tracking link, and that answering adds to it.

    Usually run by the task that handled the mail itself (`core.follow_ups`); queued when that fails."""
    return email_acknowledgement_send(inbound_id=inbound_id)


def email_acknowledgement_send(*, inbound_id: int) -> bool:
    """Send the acknowledgement of a case created from a mail once (idempotent); False if there is none to send."""
    # Run by the task that handled the mail, it has the row and the routed case as they committed
    # (`core.follow_ups`); queued, it reads what says whether the mail was acknowledged, not the message.
    row = committed_row(InboundEmail, inbound_id) or next(iter(
        InboundEmail.objects.filter(pk=inbound_id).only("id", "state", "case_id", "details")[:1]), None)
    if (row is None or row.state != InboundState.CASE_CREATED or row.case_id is None
            or row.details.get("acknowledged")):
        return False
    case = committed_row(Case, row.case_id) or Case.objects.select_related(
        "organization", "owner_group").get(pk=row.case_id)
    if not case.customer_email:
        return False
    _receipt(case, tracking_url=_tracking_url(case), kind=OutboundKind.ACKNOWLEDGEMENT)
    row.details = {**row.details, "acknowledged": True}
    row.save(update_fields=["details"])
    return True


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def email_refusal_send_task(*, inbound_id: int) -> bool:
    """Tell the sender of a message that was too large why it was not taken, and what to do instead."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.defaultfilters import filesizeformat

    from civicdesk.intake.sources.email.services import message_id_make

    row = InboundEmail.objects.select_related("mailbox", "organization").filter(
        pk=inbound_id, state=InboundState.REJECTED_SIZE).first()
    if row is None or not row.sender_address or row.details.get("refusal_sent") or row.auto_kind:
        return False
    language = row.mailbox.language if row.mailbox else row.organization.default_language
    sender = row.mailbox.address if row.mailbox else settings.DEFAULT_FROM_EMAIL
    from civicdesk.intake.sources.email.mail_templates import mail_template_render

    with translation.override(language):
        context = {"row": row, "organization": row.organization, "limit": filesizeformat(settings.EMAIL_MAX_BYTES),
                   "size": filesizeformat(row.raw_size), "contact_url": settings.SITE_URL.rstrip("/") + "/"}
        own = mail_template_render(
            organization_id=row.organization_id, kind=OutboundKind.BOUNCE, language=language,
            values={"organization": str(row.organization.name), "subject": row.subject, "size": context["size"],
                    "limit": context["limit"], "contact_url": context["contact_url"]})
        if own is not None:
            subject, body, html = own.subject, own.text, own.html
        else:
            subject = render_to_string("intake/email_refused_subject.txt", context).strip()
            body, html = render_to_string("intake/email_refused.txt", context), ""
    headers: dict[str, Any] = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
                               "Message-ID": message_id_make(case=None, kind="refusal",
                                                             domain=sender.rpartition("@")[2] or "localhost")}
    if row.message_id:
        headers.update({"In-Reply-To": row.message_id, "References": row.message_id})
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=sender, to=[row.sender_address],
                                     headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
    row.details = {**row.details, "refusal_sent": True}
    row.save(update_fields=["details"])
    return True


@shared_task(acks_late=True)
def mailbox_poll_task(*, mailbox_id: int) -> int:
    """Read one mailbox over IMAP: store each message, handle it (with what follows it, as
    `inbound_email_process_task` does), move it to the handled folder."""
    from civicdesk.intake.sources.email.imap import mailbox_poll

    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).exclude(imap_host="").first()
    if mailbox is None:
        return 0
    with follow_ups_here():
        return mailbox_poll(mailbox=mailbox)


@shared_task
def mailboxes_poll_task() -> int:
    """Beat: queue a poll of every active mailbox that is read over IMAP."""
    ids = list(Mailbox.objects.filter(is_active=True, organization__is_active=True).exclude(imap_host="")
               .values_list("pk", flat=True))
    for mailbox_id in ids:
        mailbox_poll_task.delay(mailbox_id=mailbox_id)
    return len(ids)


@shared_task(acks_late=True)
def accepted_contacts_drain_task(*, contact_id: int | None = None) -> int:
    """Make the cases of the accepted contacts (ADR 0022): the one given, else every one waiting.

    Queued after a contact is accepted (at most once a second) and by the beat as a safety net. What
    follows each case (routing, the receipt mail) runs here after its commit, not as more tasks."""
    from civicdesk.intake.accepted_contacts import accepted_contact_process, accepted_contacts_drain

    with follow_ups_here():
        if contact_id is not None:
            return int(accepted_contact_process(contact_id=contact_id) is not None)
        return accepted_contacts_drain()


@shared_task
def accepted_contacts_purge_task() -> int:
    """Beat: forget accepted contacts whose case was made more than ACCEPTED_CONTACTS_KEEP_DAYS ago."""
    from civicdesk.intake.accepted_contacts import accepted_contacts_purge

    return accepted_contacts_purge()
