"""The one way a contact from outside enters CivicDesk: `case_intake`.

Every channel adapter (the portal's form today; email, Open311, chat and phone later) calls it,
so that validation, the receipt to the customer and — in the routing issue — classification
happen the same way whatever the channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civicdesk.cases import services as case_services
from civicdesk.cases.attachments import attachment_validate
from civicdesk.cases.models import Case, CaseType, Category
from civicdesk.core.errors import InvalidInputError
from civicdesk.organizations.models import Organization

TITLE_LENGTH = 80


def title_from_text(text: str) -> str:
    """A title for a contact that came without one: its first line, cut at a word boundary."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) <= TITLE_LENGTH:
        return first_line
    cut = first_line[:TITLE_LENGTH].rsplit(" ", 1)[0] or first_line[:TITLE_LENGTH]
    return cut.rstrip(",.;:-") + "…"


@transaction.atomic
def case_intake(
    *,
    organization: Organization,
    channel: str,
    case_type: CaseType,
    description: str,
    title: str = "",
    categories: Sequence[Category | int] = (),
    language: str = "fi",
    feedback_subtype: str = "",
    lat: Any = None,
    lon: Any = None,
    address: str = "",
    customer_name: str = "",
    customer_email: str = "",
    customer_phone: str = "",
    answer_requested: bool = False,
    consent_text: str = "",
    consent_method: str = "",
    tracking_url_template: str = "",
    attachments: Sequence[Any] = (),
) -> Case:
    """Create the case for a contact from outside and send the customer a receipt after commit.

    `tracking_url_template` is an absolute URL with `{token}` where the case's tracking token goes;
    the receipt mail carries it when the customer gave an email address. `attachments` are the
    customer's uploaded files: each is content-checked, size-limited and stripped of EXIF by the
    attachment service; all are checked before anything is stored, and one refused file refuses
    the whole contact. Routing is the case service's default today (the category's group, else the
    advisors' intake group); the routing issue adds classification here.
    """
    if not organization.is_active:
        raise InvalidInputError(_("This organisation does not take contacts."), field="organization")
    checked = [attachment_validate(uploaded) for uploaded in attachments]
    case = case_services.case_create(
        organization=organization,
        case_type=case_type,
        title=title.strip() or title_from_text(description),
        description=description,
        channel=channel,
        categories=categories,
        language=language,
        feedback_subtype=feedback_subtype,
        lat=lat,
        lon=lon,
        address=address,
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone,
        answer_requested=answer_requested,
        consent_text=consent_text,
        consent_method=consent_method,
        actor=None,
        actor_label=customer_name,
    )
    for file in checked:
        case_services.attachment_add(case=case, uploaded_file=file.content, name=file.original_name, actor=None)
    if case.customer_email and tracking_url_template:
        from civicdesk.intake.tasks import intake_receipt_send_task

        tracking_url = tracking_url_template.replace("{token}", case.tracking_token)
        transaction.on_commit(lambda: intake_receipt_send_task.delay(case_id=case.pk, tracking_url=tracking_url))
    return case
