"""Deferred contacts (ADR 0022): the residents' form and Open311 POSTs check a contact, store it as an
`AcceptedContact` and answer; a worker makes its case a moment later through `case_intake`.

Making a case takes a counter-row lock, the audit chain head, a search vector and follow-up tasks
(ADR 0016): ~25 ms of CPU that a request no longer waits for. The request keeps every check that can
refuse the contact (`contact_check`), so the resident or the application still gets the translated
error, and then writes one row. `accepted_contacts_drain` turns the rows into cases, each in its own
transaction that also marks the row done, so a row retried after a crash never makes two cases.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases.models import Case, CaseType, Category, FeedbackSubtype
from civicdesk.cases.services import SUPPORTED_LANGUAGES, email_clean, phone_clean, text_field_clean
from civicdesk.core.config_generation import ConfigCache
from civicdesk.core.drains import drain_soon, waiting_ids
from civicdesk.core.errors import ApplicationError, InvalidInputError
from civicdesk.intake.models import AcceptedContact, AcceptedState
from civicdesk.intake.services import case_intake, title_from_text
from civicdesk.organizations.geometry import geometry_contains, validate_coordinates
from civicdesk.organizations.models import Area, Organization, ServiceGroup

logger = logging.getLogger(__name__)

# At most one drain task is queued per window of this many seconds, to run when the window ends, so
# every contact committed in the window is visible to it (see `_drain_soon`).
DRAIN_DELAY_SECONDS = 1
DRAIN_FLAG_KEY = "intake:accepted-contacts:drain-queued"
DRAIN_BATCH = 100
# Tries of a row that fails for a reason other than a refusal (a database error) before it is failed.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class TakenContact:
    """What a channel tells the sender: the tracking token always, the case when it was made in the request."""

    tracking_token: str
    case: Case | None
    deferred: bool


def contact_take(
    *,
    organization: Organization,
    channel: str,
    case_type: CaseType,
    description: str,
    title: str = "",
    categories: Sequence[Category] = (),
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
    form_answers: dict[str, Any] | None = None,
    require_inside_areas: bool = False,
    owner_group: ServiceGroup | None = None,
) -> TakenContact:
    """Take a contact from the residents' form or Open311: deferred (checked, stored, answered) or, with
    files or `CONTACT_WRITE_PATH=immediate`, made into a case in the request by `case_intake`.

    Raises the same `ApplicationError`s as `case_intake` would for anything the sender can correct.
    Files always take the immediate path: they are checked and stored with the case's first entry.
    """
    fields: dict[str, Any] = {
        "organization": organization, "channel": channel, "case_type": case_type, "description": description,
        "title": title, "categories": list(categories), "language": language, "feedback_subtype": feedback_subtype,
        "lat": lat, "lon": lon, "address": address, "customer_name": customer_name,
        "customer_email": customer_email, "customer_phone": customer_phone, "answer_requested": answer_requested,
        "consent_text": consent_text, "consent_method": consent_method,
        "tracking_url_template": tracking_url_template, "form_answers": form_answers,
        "require_inside_areas": require_inside_areas, "owner_group": owner_group,
    }
    if attachments or settings.CONTACT_WRITE_PATH != "deferred":
        made = case_intake(attachments=attachments, **fields)
        return TakenContact(tracking_token=made.tracking_token, case=made, deferred=False)
    row = contact_accept(**fields)
    return TakenContact(tracking_token=row.tracking_token, case=row.case if row.state == AcceptedState.DONE else None,
                        deferred=True)


def contact_check(
    *,
    organization: Organization,
    case_type: CaseType,
    description: str,
    title: str,
    language: str,
    feedback_subtype: str,
    lat: Any,
    lon: Any,
    address: str,
    customer_name: str,
    customer_email: str,
    customer_phone: str,
    answer_requested: bool,
    consent_method: str,
    require_inside_areas: bool,
) -> tuple[float | None, float | None]:
    """Refuse, as `case_intake` and `case_create` would, what the sender can correct; return the point.

    The same checks in the same words (the case services' messages), before anything is written, so a
    deferred contact is refused in the request and never later by the worker. A category or case type
    deactivated between the check and the worker is the worker's to handle (`accepted_contact_process`).
    """
    if not organization.is_active:
        raise InvalidInputError(_("This organisation does not take contacts."), field="organization")
    if case_type.organization_id != organization.pk or not case_type.is_active:
        raise InvalidInputError(_("Choose a case type of this organisation."), field="case_type")
    text_field_clean(title.strip() or title_from_text(description), field="title", label=_("Title"),
                     max_length=200)
    text_field_clean(description, field="description", label=_("Description"))
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInputError(_("Unsupported language."), field="language")
    if (feedback_subtype or "") not in FeedbackSubtype.values:
        raise InvalidInputError(_("The value given for %(field)s is not one of the choices.")
                                % {"field": "feedback_subtype"}, field="feedback_subtype")
    if feedback_subtype and case_type.kind != "feedback":
        raise InvalidInputError(_("Only feedback has a subtype."), field="feedback_subtype")
    email = email_clean(customer_email)
    phone = phone_clean(customer_phone)
    if not isinstance(answer_requested, bool):
        raise InvalidInputError(_("Choose yes or no."), field="answer_requested")
    text_field_clean(consent_method, field="consent_method", label=_("Consent"), required=False, max_length=16)
    if answer_requested and not (email or phone):
        raise InvalidInputError(_("To get an answer, give an email address or a phone number."), field="customer_email")
    text_field_clean(address, field="address", label=_("Address"), required=False, max_length=300)
    text_field_clean(customer_name, field="customer_name", label=_("Name"), required=False, max_length=200)
    if lat in (None, "") and lon in (None, ""):
        return None, None
    if lat in (None, "") or lon in (None, ""):
        raise InvalidInputError(_("Give both latitude and longitude."), field="location")
    lat_f, lon_f = validate_coordinates(lat=lat, lon=lon)
    if require_inside_areas and not _inside_an_area(organization.pk, lat=lat_f, lon=lon_f):
        raise InvalidInputError(
            _("The place is outside the area of %(organization)s. Move the marker, or leave the location out.")
            % {"organization": organization.name}, field="location")
    return lat_f, lon_f


# An organisation's areas (id, version, bounding box, shape), kept per process until configuration
# changes (ADR 0021; `organizations.apps` watches Area): the area check costs no query in the request.
_AREAS: ConfigCache[tuple[tuple[int, str, float, float, float, float, Any], ...]] = ConfigCache(max_entries=200)


def _inside_an_area(organization_id: int, *, lat: float, lon: float) -> bool:
    """Whether the point lies in one of the organisation's areas; True when it has none (as `case_create`)."""
    areas = _AREAS.get(organization_id, lambda: tuple(
        (pk, updated.isoformat(), min_lat, max_lat, min_lon, max_lon, geometry)
        for pk, updated, min_lat, max_lat, min_lon, max_lon, geometry in Area.objects.filter(
            organization_id=organization_id).order_by("pk").values_list(
            "pk", "updated_at", "min_lat", "max_lat", "min_lon", "max_lon", "geometry")))
    if not areas:
        return True
    return any(
        min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
        and geometry_contains(area_id=pk, version=version, geojson=geometry, lat=lat, lon=lon)
        for pk, version, min_lat, max_lat, min_lon, max_lon, geometry in areas
    )


def contact_accept(
    *,
    organization: Organization,
    channel: str,
    case_type: CaseType,
    description: str,
    title: str = "",
    categories: Sequence[Category] = (),
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
    form_answers: dict[str, Any] | None = None,
    require_inside_areas: bool = False,
    owner_group: ServiceGroup | None = None,
) -> AcceptedContact:
    """Check a contact (`contact_check`) and store it for a worker to make its case; one INSERT.

    The drain is triggered after the commit (at most one task queued per `DRAIN_DELAY_SECONDS`); the
    beat drains what a lost trigger left. With eager Celery (tests) the case is made at once.
    """
    point = contact_check(
        organization=organization, case_type=case_type, description=description, title=title, language=language,
        feedback_subtype=feedback_subtype, lat=lat, lon=lon, address=address, customer_name=customer_name,
        customer_email=customer_email, customer_phone=customer_phone, answer_requested=answer_requested,
        consent_method=consent_method, require_inside_areas=require_inside_areas)
    payload = {
        "case_type": case_type.pk, "categories": [c.pk for c in categories], "description": description,
        "title": title, "language": language, "feedback_subtype": feedback_subtype,
        "lat": point[0], "lon": point[1], "address": address, "customer_name": customer_name,
        "customer_email": customer_email, "customer_phone": customer_phone, "answer_requested": answer_requested,
        "consent_text": consent_text, "consent_method": consent_method,
        "tracking_url_template": tracking_url_template, "form_answers": form_answers or {},
        "owner_group": owner_group.pk if owner_group is not None else None,
        # Checked above; the worker does not refuse an accepted contact for an area changed meanwhile.
        "require_inside_areas": False,
    }
    row = AcceptedContact.objects.create(organization=organization, channel=channel, payload=payload,
                                         tracking_token=secrets.token_urlsafe(32))
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tests (eager Celery): the task runs here, now, and the contact is a case when this returns.
        from civicdesk.intake.tasks import accepted_contacts_drain_task

        accepted_contacts_drain_task.delay(contact_id=row.pk)
        row.refresh_from_db(fields=["state", "case"])
    else:
        transaction.on_commit(_drain_soon)
    return row


def _drain_soon() -> None:
    """Make sure a drain runs after this contact's commit, with at most one cache round trip per process
    and one broker message in all per `DRAIN_DELAY_SECONDS` window (`core.drains`, ADR 0023). Never
    raises: the beat drains what a failed trigger missed."""
    from civicdesk.intake.tasks import accepted_contacts_drain_task

    drain_soon(accepted_contacts_drain_task, key=DRAIN_FLAG_KEY, window_seconds=DRAIN_DELAY_SECONDS)


def accepted_contacts_drain(*, batch_size: int = DRAIN_BATCH, limit: int | None = None) -> int:
    """Make the cases of the accepted contacts, oldest first, each in its own transaction; return how many.

    Several drains may run at once (a trigger and the beat): each row is claimed with `SKIP LOCKED` on
    PostgreSQL (elsewhere by a conditional UPDATE), and only while it is still accepted. Each row is
    tried once per drain; what failed waits for the next one.
    """
    made = 0
    for contact_id in waiting_ids(AcceptedContact.objects.filter(state=AcceptedState.ACCEPTED), batch=batch_size):
        if limit is not None and made >= limit:
            break
        if accepted_contact_process(contact_id=contact_id) is not None:
            made += 1
    return made


def accepted_contact_process(*, contact_id: int) -> Case | None:
    """Make the case of one accepted contact and mark it done, in one transaction; None if there was
    nothing to do (done, failed, or being made by another worker) or it failed.

    A refusal by `case_intake` (a category or group deactivated since the contact was accepted) is
    retried without the categories and group, so the contact goes to the advisors' intake queue rather
    than being lost; anything else refused fails the row with the reason (admin: *Accepted contacts*).
    A database error rolls everything back and counts an attempt; after `MAX_ATTEMPTS` the row fails.
    """
    try:
        with transaction.atomic():
            row = _claim(contact_id)
            if row is None:
                return None
            try:
                case = _make_case(row)
            except ApplicationError as exc:
                logger.error("accepted contact %s refused by case_intake: %s", row.pk, exc.message)
                row.state, row.reason, row.attempts = AcceptedState.FAILED, str(exc.message)[:1000], row.attempts + 1
                row.save(update_fields=["state", "reason", "attempts"])
                return None
            row.state, row.case, row.done_at = AcceptedState.DONE, case, timezone.now()
            row.attempts += 1
            # The personal data now lives in the case only.
            row.payload = {}
            row.save(update_fields=["state", "case", "done_at", "attempts", "payload"])
            return case
    except Exception as exc:
        logger.exception("accepted contact %s: the case could not be made; it stays accepted", contact_id)
        AcceptedContact.objects.filter(pk=contact_id, state=AcceptedState.ACCEPTED).update(
            attempts=F("attempts") + 1, reason=f"{type(exc).__name__}: {exc}"[:1000])
        AcceptedContact.objects.filter(pk=contact_id, state=AcceptedState.ACCEPTED,
                                       attempts__gte=MAX_ATTEMPTS).update(state=AcceptedState.FAILED)
        return None


def _claim(contact_id: int) -> AcceptedContact | None:
    waiting = AcceptedContact.objects.filter(pk=contact_id, state=AcceptedState.ACCEPTED)
    if connection.features.has_select_for_update_skip_locked:
        # Only the contact's row: locking the joined organisation too (FOR UPDATE without `of`) blocked every
        # other writer's foreign-key check on it and deadlocked with the audit chain's lock (ADR 0022).
        return waiting.select_for_update(skip_locked=True, of=("self",)).select_related("organization").first()
    # SQLite: the UPDATE takes the database's write lock first, so a second drain waits here and then
    # finds the row done.
    if not waiting.update(attempts=F("attempts")):
        return None
    return waiting.select_related("organization").first()


def _make_case(row: AcceptedContact) -> Case:
    data = row.payload
    case_type = CaseType.objects.get(pk=data["case_type"])
    owner_group = (ServiceGroup.objects.filter(pk=data["owner_group"]).first()
                   if data.get("owner_group") else None)
    fields: dict[str, Any] = {
        "organization": row.organization, "channel": row.channel, "case_type": case_type,
        "description": data["description"], "title": data.get("title", ""), "language": data["language"],
        "feedback_subtype": data.get("feedback_subtype", ""), "lat": data.get("lat"), "lon": data.get("lon"),
        "address": data.get("address", ""), "customer_name": data.get("customer_name", ""),
        "customer_email": data.get("customer_email", ""), "customer_phone": data.get("customer_phone", ""),
        "answer_requested": data.get("answer_requested", False), "consent_text": data.get("consent_text", ""),
        "consent_method": data.get("consent_method", ""),
        "tracking_url_template": data.get("tracking_url_template", ""),
        "form_answers": data.get("form_answers") or {}, "require_inside_areas": False,
        "tracking_token": row.tracking_token,
    }
    try:
        with transaction.atomic():
            return case_intake(categories=data.get("categories") or [], owner_group=owner_group, **fields)
    except InvalidInputError as exc:
        if exc.field not in {"categories", "service_group"}:
            raise
        logger.warning("accepted contact %s: %s; made without its categories", row.pk, exc.message)
        return case_intake(categories=[], owner_group=None, **fields)


def accepted_contacts_purge(*, now: Any = None) -> int:
    """Delete the rows whose case was made more than `ACCEPTED_CONTACTS_KEEP_DAYS` ago; failed rows stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCEPTED_CONTACTS_KEEP_DAYS)
    deleted, _details = AcceptedContact.objects.filter(state=AcceptedState.DONE, done_at__lt=cutoff).delete()
    return deleted


def accepted_contact_for_token(*, token: str, organization: Organization | None = None) -> AcceptedContact | None:
    """The accepted contact behind a tracking token, whatever its state, or None (1 query)."""
    if not token or len(token) > 64:
        return None
    rows = AcceptedContact.objects.filter(tracking_token=token)
    if organization is not None:
        rows = rows.filter(organization=organization)
    return rows.only("id", "organization_id", "state", "case_id", "created_at", "tracking_token").first()


def accepted_contacts_retry(*, rows: Any) -> int:
    """Put failed accepted contacts back in the queue (admin, after their reason was dealt with)."""
    count = rows.filter(state=AcceptedState.FAILED).update(state=AcceptedState.ACCEPTED, attempts=0)
    if count:
        transaction.on_commit(_drain_soon)
    return count
