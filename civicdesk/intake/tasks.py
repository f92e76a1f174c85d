"""Background work of the intake: the receipt mail to the customer."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from civicdesk.cases.models import Case


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def intake_receipt_send_task(*, case_id: int, tracking_url: str) -> bool:
    """Mail the case number and the private tracking link to the customer, in the case's language.

    Idempotent enough for retries: a receipt sent twice is harmless, a lost one is not.
    """
    case = Case.objects.filter(pk=case_id).select_related("organization").first()
    if case is None or not case.customer_email:
        return False
    with translation.override(case.language or case.organization.default_language):
        context = {"case": case, "tracking_url": tracking_url}
        subject = render_to_string("intake/receipt_subject.txt", context).strip()
        body = render_to_string("intake/receipt_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [case.customer_email])
    return True
