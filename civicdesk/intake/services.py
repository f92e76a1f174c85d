"""The one way a contact from outside enters CivicDesk: `case_intake`.

Every channel adapter (the portal's form today; email, Open311, chat and phone later) calls it,
so that validation, the receipt to the customer and — in the routing issue — classification
happen the same way whatever the channel.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicdesk.cases import services as case_services
from civicdesk.cases.attachments import ValidatedFile, attachment_validate
from civicdesk.cases.models import Case, CaseType, Category, TimelineEntry
from civicdesk.core.errors import InvalidInputError
from civicdesk.core.follow_ups import follow_up
from civicdesk.intake.models import AddressPoint, QuestionKind, Topic, TopicQuestion, address_key
from civicdesk.organizations.geometry import validate_coordinates
from civicdesk.organizations.models import Organization, ServiceGroup
from civicdesk.routing.services import route_case_later

TITLE_LENGTH = 80


def title_from_text(text: str) -> str:
    """A title for a contact that came without one: its first line, cut at a word boundary."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first_line) <= TITLE_LENGTH:
        return first_line
    cut = first_line[:TITLE_LENGTH].rsplit(" ", 1)[0] or first_line[:TITLE_LENGTH]
    return cut.rstrip(",.;:-") + "…"


def customer_files_validate(files: Sequence[Any]) -> list[ValidatedFile]:
    """Check the files a customer sends (count, total size, each one's content); run before any lock.

    At most `CONTACT_FILES_MAX` files of at most `CONTACT_FILES_MAX_TOTAL_BYTES` together; each is
    checked by `attachment_validate` (real type from the bytes, size limit, images re-encoded
    without EXIF). The first bad file refuses them all, with its name in the translated message.
    """
    files = [f for f in files if f is not None]
    if len(files) > settings.CONTACT_FILES_MAX:
        raise InvalidInputError(
            gettext("Send at most %(count)d files.") % {"count": settings.CONTACT_FILES_MAX}, field="files")
    if sum(getattr(f, "size", 0) or 0 for f in files) > settings.CONTACT_FILES_MAX_TOTAL_BYTES:
        raise InvalidInputError(
            gettext("The files are too large together (at most %(limit)s).")
            % {"limit": filesizeformat(settings.CONTACT_FILES_MAX_TOTAL_BYTES)}, field="files")
    validated = []
    for uploaded in files:
        try:
            validated.append(attachment_validate(uploaded))
        except InvalidInputError as exc:
            name = str(getattr(uploaded, "name", "") or "")[:80]
            raise InvalidInputError(f"{name}: {exc.message}" if name else exc.message, field="files") from exc
    return validated


def form_answers_build(*, topic: Topic | None, answers: Sequence[tuple[TopicQuestion, Any]]) -> dict[str, Any]:
    """The record of the form kept with the case (`Case.form_answers`): the topic and each answer given.

    Labels and display values are kept as the customer read them (in their language), so that a
    later edit of a question does not change what the customer was asked.
    """
    record: dict[str, Any] = {}
    if topic is not None:
        record["topic"] = {"id": topic.pk, "slug": topic.slug, "name": str(topic.name)}
    rows = [
        {"question": question.pk, "kind": question.kind, "label": str(question.label),
         "value": _json_value(value), "display": _display(question, value)}
        for question, value in answers
        if value not in (None, "")
    ]
    if rows:
        record["answers"] = rows
    return record


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _display(question: TopicQuestion, value: Any) -> str:
    if question.kind == QuestionKind.YES_NO:
        return gettext("Yes") if value is True else gettext("No")
    if isinstance(value, dt.date | decimal.Decimal | float | int):
        return str(formats.localize(value))
    return str(value)


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
    form_answers: Mapping[str, Any] | None = None,
    require_inside_areas: bool = False,
    owner_group: ServiceGroup | None = None,
    tracking_token: str = "",
) -> Case:
    """Create the case for a contact from outside and send the customer a receipt after commit.

    `tracking_url_template` is an absolute URL with `{token}` where the case's tracking token goes;
    the receipt mail carries it when the customer gave an email address. `attachments` are the
    customer's uploaded files: each is content-checked, size-limited and stripped of EXIF by the
    attachment service; all are checked before anything is stored, and one refused file refuses
    the whole contact. They are checked before the case's transaction takes any lock and stored
    with the case's first timeline entry through `case_add_customer_files`. Routing is the case
    service's default today (the category's group, else the advisors' intake group); the routing
    issue adds classification here.

    `form_answers` is `form_answers_build`'s record. With `require_inside_areas` (the portal's
    form), a point outside every area of an organisation that has areas is refused.
    """
    if not organization.is_active:
        raise InvalidInputError(_("This organisation does not take contacts."), field="organization")
    checked = customer_files_validate(attachments) if attachments else []
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
        form_answers=form_answers,
        owner_group=owner_group,
        actor=None,
        actor_label=customer_name,
        # Checked before anything is written: a refused point costs no number and no rollback.
        require_inside_areas=require_inside_areas,
    )
    if tracking_token:
        Case.objects.filter(pk=case.pk).update(tracking_token=tracking_token)
        case.tracking_token = tracking_token
    if checked:
        case_services.case_add_customer_files(case=case, files=checked, entry=case.created_entry)
    # Classification and routing rules after commit, in the background (or in the worker task that
    # took the contact: `core.follow_ups`); a failure leaves the case where it is.
    route_case_later(case_id=case.pk)
    if case.customer_email and tracking_url_template:
        from civicdesk.intake.tasks import intake_receipt_send_task

        # After commit: queued, or run by the worker task that made the case (`core.follow_ups`).
        follow_up(intake_receipt_send_task, case_id=case.pk,
                  tracking_url=tracking_url_template.replace("{token}", case.tracking_token))
    return case


def customer_message_intake(
    *, case: Case, body: str, attachments: Sequence[Any] = (), sender_label: str = "", channel: str
) -> TimelineEntry:
    """A message from a customer whom the channel has identified (tracking token, reply address), with files.

    The files are checked before the transaction; the message and its files are stored together or
    not at all. The message reopens a closed case and answers a waiting one (the case service).
    """
    checked = customer_files_validate(attachments) if attachments else []
    with transaction.atomic():
        entry = case_services.case_record_customer_message(
            case=case, body=body, sender_label=sender_label, channel=channel)
        case_services.case_add_customer_files(case=entry.case, files=checked, entry=entry)
    return entry


# --- the organisation's address list ----------------------------------------------------------

ADDRESS_COLUMNS = ("street", "number", "postal_code", "municipality", "lat", "lon")


@dataclass
class AddressLoadReport:
    loaded: int = 0
    refused: list[str] = field(default_factory=list)


def addresses_load(*, organization: Organization, rows: Iterable[Mapping[str, str]]) -> AddressLoadReport:
    """Replace the organisation's address list with `rows` (dicts with ADDRESS_COLUMNS), in one transaction.

    Rows without a street or with coordinates that are not a point on the map are refused and
    reported by their line number (the header is line 1); the others are loaded.
    """
    report = AddressLoadReport()
    points: list[AddressPoint] = []
    for line, row in enumerate(rows, start=2):
        street = (row.get("street") or "").strip()
        try:
            lat, lon = validate_coordinates(lat=(row.get("lat") or "").strip(), lon=(row.get("lon") or "").strip())
        except InvalidInputError as exc:
            report.refused.append(f"{line}: {exc.message}")
            continue
        if not street:
            report.refused.append(f"{line}: {gettext('The street is missing.')}")
            continue
        point = AddressPoint(
            organization=organization, street=street[:200], number=(row.get("number") or "").strip()[:20],
            postal_code=(row.get("postal_code") or "").strip()[:10],
            municipality=(row.get("municipality") or "").strip()[:100], lat=lat, lon=lon,
        )
        point.search_key = address_key(f"{point.street} {point.number}")[:240]
        points.append(point)
    with transaction.atomic():
        AddressPoint.objects.filter(organization=organization).delete()
        AddressPoint.objects.bulk_create(points, batch_size=5000)
    report.loaded = len(points)
    return report
