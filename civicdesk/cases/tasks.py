"""Background work for cases. Tasks take ids, are idempotent and call services or mailers."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.models import DeliveryState, EntryKind, TimelineEntry

logger = logging.getLogger(__name__)


def reply_email_body(entry: TimelineEntry) -> str:
    """The reply, then the case number and the private tracking link, in the case's language.

    Until the email channel reads replies, the link is how the customer answers or adds
    information (R1.5); it leads to the same tracking page as the receipt.
    """
    case = entry.case
    with translation.override(case.language or "fi"):
        return render_to_string("cases/reply_email.txt",
                                {"case": case, "entry": entry, "tracking_url": _tracking_url(case)})


def _tracking_url(case: Any) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:track", args=[case.tracking_token])


@shared_task(bind=True, max_retries=5, default_retry_delay=60, acks_late=True)
def case_reply_deliver_task(self: Any, entry_id: int) -> str:
    """Send a queued reply by email; the entry's delivery state shows the outcome on the timeline."""
    with transaction.atomic():
        entry = (
            TimelineEntry.objects.select_for_update(of=("self",)).select_related("case", "case__owner_group")
            .filter(pk=entry_id, kind=EntryKind.OUTBOUND_REPLY).first()
        )
        if entry is None or entry.delivery_state != DeliveryState.QUEUED:
            return "skipped"
        case = entry.case
        # The email channel (intake.sources.email) owns the headers that thread the conversation:
        # Message-ID, In-Reply-To/References, the case's signed Reply-To and the group's sender.
        from civicdesk.intake.models import OutboundKind
        from civicdesk.intake.sources.email.mail_templates import mail_template_render
        from civicdesk.intake.sources.email.outbound import mail_prepare, mail_send
        from civicdesk.intake.tasks import case_mail_values, subject_with_reference

        own = mail_template_render(
            organization_id=case.organization_id, kind=OutboundKind.REPLY, language=case.language or "fi",
            values=case_mail_values(case, tracking_url=_tracking_url(case), answer=entry.body))
        if own is not None:
            subject, body, html = own.subject, own.text, own.html
        else:
            subject, body, html = case.title, reply_email_body(entry), ""
        prepared = mail_prepare(case=case, kind=OutboundKind.REPLY, entry=entry, to=case.customer_email,
                                subject=subject_with_reference(case.reference, subject), body=body, html=html)
        try:
            mail_send(prepared)
        except Exception as exc:  # SMTP errors of every kind: retry, then record the failure
            if self.request.retries >= self.max_retries:
                entry.delivery_state = DeliveryState.FAILED
                entry.data = {**entry.data, "error": str(exc)[:500]}
                entry.save(update_fields=["delivery_state", "data"])
                logger.warning("reply %s to case %s failed: %s", entry_id, case.reference, exc)
                return "failed"
            raise self.retry(exc=exc) from exc
        entry.delivery_state = DeliveryState.SENT
        entry.save(update_fields=["delivery_state"])
    return "sent"
