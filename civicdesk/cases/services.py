"""Every write to a case goes through these functions (R4.5).

Each action checks the permission policy, validates its input and the case's state, writes the
case and its timeline in one transaction together with the audit entry, and publishes realtime
events and queues tasks only after the transaction has committed. Errors are translated
ApplicationErrors that the interfaces turn into 4xx responses.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.permissions import access_for
from civicdesk.cases import permissions as policy
from civicdesk.cases.attachments import ValidatedFile, attachment_validate
from civicdesk.cases.models import (
    Attachment,
    Case,
    CaseCategory,
    CaseLink,
    CaseShare,
    CaseType,
    Category,
    Channel,
    CommentRequest,
    CommentRequestStatus,
    CustomerType,
    DeliveryState,
    EntryKind,
    FeedbackSubtype,
    LinkKind,
    Priority,
    PublicWorksStatus,
    ReferenceSequence,
    Resolution,
    SavedView,
    SavedViewScope,
    ShareReason,
    Status,
    TimelineEntry,
)
from civicdesk.cases.querysets import SEARCH_CONFIGS
from civicdesk.cases.signals import case_closing, case_status_saved
from civicdesk.core.errors import (
    ActionNotAllowedError,
    ApplicationError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
)
from civicdesk.core.phone_numbers import phone_normalize
from civicdesk.core.realtime import organization_group_name, publish_after_commit, service_group_channel_name
from civicdesk.notifications.services import notify_case_event
from civicdesk.organizations.geometry import validate_coordinates
from civicdesk.organizations.models import Area, Organization, ServiceGroup
from civicdesk.organizations.selectors import area_for_point
from civicdesk.privacy.services import audit_record

if TYPE_CHECKING:
    from civicdesk.cases.selectors import CaseRow

logger = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = {"fi", "sv", "en", "ro", "ru", "et", "so", "ar", "de", "fr", "es", "other"}
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{5,31}$")
# Things that must never appear in a published text: email addresses, phone numbers, Finnish
# personal identity codes (HETU).
EMAIL_IN_TEXT_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE_IN_TEXT_RE = re.compile(r"(?<!\d)(?:\+358|0)[\s-]?\d{1,3}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")
HETU_RE = re.compile(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b", re.IGNORECASE)
ATTACHMENTS_PER_CASE = 50


# --- helpers ------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _text(value: Any, *, field: str, label: str, required: bool = True, max_length: int | None = None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInputError(_("%(field)s must be text.") % {"field": label}, field=field)
    value = value.replace("\x00", "").strip()
    limit = max_length or settings.CASE_TEXT_MAX_CHARS
    if required and not value:
        raise InvalidInputError(_("%(field)s is required.") % {"field": label}, field=field)
    if len(value) > limit:
        raise InvalidInputError(
            _("%(field)s is too long (at most %(limit)d characters).") % {"field": label, "limit": limit}, field=field
        )
    return value


def _email(value: str) -> str:
    value = _text(value, field="customer_email", label=_("Email"), required=False, max_length=254).lower()
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidInputError(_("Enter a valid email address."), field="customer_email") from exc
    return value


def _phone(value: str) -> str:
    value = _text(value, field="customer_phone", label=_("Phone"), required=False, max_length=32)
    if not value:
        return ""
    normalized = phone_normalize(value) if PHONE_RE.match(value) else None
    if normalized is None:
        raise InvalidInputError(_("Enter a valid phone number."), field="customer_phone")
    return normalized


# The field checks above, for a channel that checks a contact before its case is made
# (`intake.accepted_contacts.contact_check`): the same rules in the same words.
text_field_clean = _text
email_clean = _email
phone_clean = _phone


def _flag(value: Any, *, field: str) -> bool:
    # A stray string ("no") would otherwise be truthy, or fail in the database as a 500.
    if not isinstance(value, bool):
        raise InvalidInputError(_("Choose yes or no."), field=field)
    return value


def _moment(value: Any, *, field: str) -> dt.datetime | None:
    if value is not None and not isinstance(value, dt.datetime):
        raise InvalidInputError(_("Enter a valid date and time."), field=field)
    return value


def _language(value: Any) -> str:
    if not isinstance(value, str) or value not in SUPPORTED_LANGUAGES:
        raise InvalidInputError(_("Unsupported language."), field="language")
    return value


def _choice(value: Any, choices: type[Any], *, field: str) -> Any:
    if value not in choices.values:
        raise InvalidInputError(_("The value given for %(field)s is not one of the choices.") % {"field": field},
                                field=field)
    return value


def _locked(case: Case) -> Case:
    """Reload the case with a row lock, so concurrent actions cannot overwrite each other."""
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("organization", "case_type", "owner_group", "handler")
            .get(pk=case.pk)
        )
    except Case.DoesNotExist as exc:
        raise NotFoundError() from exc


def _locked_row(case_id: int, *, only: Sequence[str] = ()) -> Case:
    """The case's own row under a row lock, without `_locked`'s related rows (only the `only` columns if given)."""
    cases = Case.objects.select_for_update(of=("self",))
    try:
        return (cases.only(*only) if only else cases).get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise NotFoundError() from exc


# What storing a customer's files reads and writes of the case: far cheaper to lock and load than
# the whole case with its organisation, type, group and handler (the channels' hot path).
_FILES_LOCK_FIELDS = ("organization_id", "reference", "merged_into_id", "customer_email", "customer_phone",
                      "last_activity_at", "updated_at")


def _require(allowed: bool) -> None:
    if not allowed:
        raise ActionNotAllowedError()


def _require_open(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise InvalidStateError(_("The case is closed. Reopen it first."))


def _subjects(case: Case) -> list[str]:
    return [s for s in (case.customer_email, case.customer_phone) if s]


def _entry(
    case: Case,
    kind: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
    is_internal: bool = True,
    delivery_state: str = "",
    comment_request: CommentRequest | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    moment = at or _now()
    entry = TimelineEntry.objects.create(
        case=case,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        body=body,
        data=data or {},
        is_internal=is_internal,
        delivery_state=delivery_state,
        comment_request=comment_request,
        created_at=moment,
    )
    case.last_activity_at = moment
    notify_case_event(entry=entry)  # notifications after commit; a forward's sender follows the case
    return entry


_STATE_FIELDS = frozenset({"status", "case_type"})


def _save(case: Case, fields: Iterable[str]) -> None:
    names = {*fields, "last_activity_at", "updated_at"}
    case.save(update_fields=sorted(names))
    if names & _STATE_FIELDS:
        case_status_saved.send(sender=Case, case=case)


def _audit(case: Case, action: str, actor: Any, changes: dict[str, Any] | None = None, actor_label: str = "") -> None:
    audit_record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        organization_id=case.organization_id,
        object_type="case",
        object_id=case.pk,
        object_label=case.reference,
        changes=changes,
        subjects=_subjects(case),
    )


def _announce(case: Case, event: str, *, extra_groups: Sequence[int] = ()) -> None:
    groups = [organization_group_name(case.organization_id), service_group_channel_name(case.owner_group_id)]
    groups += [service_group_channel_name(g) for g in extra_groups]
    payload: dict[str, Any] = {"case_id": case.pk, "status": case.status, "owner_group_id": case.owner_group_id}
    if not case.contains_special_categories:
        # Browsers of people who may not open a special-category case get only "a queue changed".
        payload.update({"reference": case.reference, "handler_id": case.handler_id})
    publish_after_commit(groups=groups, event=event, payload=payload)


def case_refresh_search_vector(*, case_id: int, language: str | None = None) -> None:
    """Recompute the full-text vector (PostgreSQL only): stemmed in the case's language plus exact words.

    `language` saves reading it again when the caller has the case at hand.
    """
    if connection.vendor != "postgresql":
        return
    if language is None:
        language = Case.objects.only("language").get(pk=case_id).language
    config = SEARCH_CONFIGS.get(language, "simple")
    Case.objects.filter(pk=case_id).update(
        search_vector=SearchVector("title", weight="A", config=config)
        + SearchVector("description", weight="B", config=config)
        + SearchVector("reference", "title", "description", weight="D", config="simple")
    )


def _next_reference(organization: Organization, year: int) -> str:
    for _attempt in range(3):
        # At most one row (unique per organisation and year): no ordering to build, unlike `first()`.
        sequence = next(iter(ReferenceSequence.objects.select_for_update()
                             .filter(organization_id=organization.pk, year=year)[:1]), None)
        if sequence is None:
            if not _create_reference_sequence(organization.pk, year):
                continue
            sequence = ReferenceSequence.objects.select_for_update().get(organization=organization, year=year)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return _reference_text(year, sequence.last_value)
    raise InvalidStateError(_("Could not allocate a reference number; try again."))


def _reference_text(year: int, value: int) -> str:
    return f"{year}-{value:06d}"


def _create_reference_sequence(organization_id: int, year: int) -> bool:
    """The organisation's first number of the year: its counter row. False if another transaction won the race."""
    try:
        with transaction.atomic():
            ReferenceSequence.objects.create(organization_id=organization_id, year=year, last_value=0)
    except IntegrityError:
        return False
    return True


# PostgreSQL: the number, the case's final reference and the reference's words in the search vector,
# in one statement. The counter row stays locked until commit (numbers have no gaps, ADR 0016).
_NUMBER_CASE_SQL = """
WITH counter AS (
    UPDATE cases_referencesequence SET last_value = last_value + 1
     WHERE organization_id = %(organization)s AND year = %(year)s
 RETURNING last_value
)
UPDATE cases_case
   SET reference = %(prefix)s || CASE WHEN counter.last_value < 1000000
                                      THEN lpad(counter.last_value::text, 6, '0')
                                      ELSE counter.last_value::text END,
       search_vector = setweight(to_tsvector('simple'::regconfig, %(prefix)s || CASE WHEN counter.last_value < 1000000
                                      THEN lpad(counter.last_value::text, 6, '0')
                                      ELSE counter.last_value::text END), 'D')
                       || COALESCE(cases_case.search_vector, ''::tsvector)
  FROM counter
 WHERE cases_case.id = %(case)s
RETURNING cases_case.reference
"""


def _number_case(case: Case, year: int) -> str:
    """Give a just-created case its real number (and, on PostgreSQL, index it); returns the reference.

    Called last before the audit entry: the organisation's counter row is locked from here to the
    commit, and every other contact of the organisation waits for it.
    """
    if connection.vendor == "sqlite":
        return _number_case_sqlite(case, year)
    if connection.vendor != "postgresql":
        reference = _next_reference(case.organization, year)
        Case.objects.filter(pk=case.pk).update(reference=reference)
        return reference
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(_NUMBER_CASE_SQL, {"organization": case.organization_id, "year": year,
                                              "prefix": f"{year}-", "case": case.pk})
            row = cursor.fetchone()
        if row is not None:
            return str(row[0])
        _create_reference_sequence(case.organization_id, year)
    raise InvalidStateError(_("Could not allocate a reference number; try again."))


def _number_case_sqlite(case: Case, year: int) -> str:
    """`_number_case` on SQLite (3.35+: RETURNING): two statements. SQLite has one writer at a time, so
    the counter needs no row lock."""
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_referencesequence SET last_value = last_value + 1 "
                           "WHERE organization_id = %s AND year = %s RETURNING last_value",
                           [case.organization_id, year])
            row = cursor.fetchone()
            if row is not None:
                reference = _reference_text(year, int(row[0]))
                cursor.execute("UPDATE cases_case SET reference = %s WHERE id = %s", [reference, case.pk])
                return reference
        _create_reference_sequence(case.organization_id, year)
    raise InvalidStateError(_("Could not allocate a reference number; try again."))


def _new_case_search_vector(*, title: str, description: str, language: str) -> Any:
    """The search vector of a new case, computed in its INSERT from the texts (no column references).

    The same words and weights as `case_refresh_search_vector`, less the reference, which
    `_number_case` adds when the number is known.
    """
    config = SEARCH_CONFIGS.get(language, "simple")
    title_value = Value(title, output_field=TextField())
    description_value = Value(description, output_field=TextField())
    return (
        SearchVector(title_value, weight="A", config=config)
        + SearchVector(description_value, weight="B", config=config)
        + SearchVector(title_value, description_value, weight="D", config="simple")
    )


def _validate_categories(
    organization: Organization, categories: Iterable[Category | int] | None, *, with_default_group: bool = False
) -> list[Category]:
    if categories is None:
        return []
    if isinstance(categories, str | bytes) or not isinstance(categories, Iterable):
        raise InvalidInputError(_("Choose categories of this organisation."), field="categories")
    items = list(categories)
    if not all(isinstance(c, int | Category) for c in items):
        raise InvalidInputError(_("Choose categories of this organisation."), field="categories")
    ids = [c if isinstance(c, int) else c.pk for c in items]
    if len(ids) > 10:
        raise InvalidInputError(_("At most ten categories can be chosen."), field="categories")
    if not ids:
        return []
    found_categories = Category.objects.filter(organization=organization, pk__in=ids, is_active=True)
    if with_default_group:
        # The primary category's group comes with it (case_create routes there): one query, not two.
        found_categories = found_categories.select_related("default_group").only(
            "id", "default_group__id", "default_group__organization_id", "default_group__is_active")
    found = {c.pk: c for c in found_categories}
    if len(found) != len(set(ids)):
        raise InvalidInputError(_("Choose categories of this organisation."), field="categories")
    return [found[i] for i in dict.fromkeys(ids)]


def _set_categories(case: Case, categories: list[Category], *, new: bool = False) -> None:
    if not new:
        CaseCategory.objects.filter(case=case).delete()
    CaseCategory.objects.bulk_create(
        [CaseCategory(case=case, category=c, is_primary=(i == 0)) for i, c in enumerate(categories)]
    )


def _validate_group(
    organization_id: int, group: ServiceGroup | int | None, *, field: str = "service_group"
) -> ServiceGroup:
    group_id = group if isinstance(group, int) else getattr(group, "pk", None)
    if group_id is None:
        raise InvalidInputError(_("Choose an active service group of this organisation."), field=field)
    try:
        return ServiceGroup.objects.get(pk=group_id, organization_id=organization_id, is_active=True)
    except ServiceGroup.DoesNotExist as exc:
        raise InvalidInputError(_("Choose an active service group of this organisation."), field=field) from exc


def _active_group_of(organization_id: int, group: ServiceGroup | None) -> ServiceGroup:
    """`group` (already read) if it is an active group of the organisation, else _validate_group's error."""
    if group is None or group.organization_id != organization_id or not group.is_active:
        raise InvalidInputError(_("Choose an active service group of this organisation."), field="service_group")
    return group


def _validate_handler(organization_id: int, handler: Any, group: ServiceGroup) -> Any:
    """A handler must be able to handle cases there: an advisor, or a member of the owning group."""
    if handler is None:
        return None
    access = access_for(handler)
    if not isinstance(handler, User) or not handler.is_active or not access.can_handle_in(organization_id):
        raise InvalidInputError(_("This person cannot handle cases of this organisation."), field="handler")
    if not access.has_role(organization_id, Role.SERVICE_ADVISOR) and group.pk not in access.group_ids:
        raise InvalidInputError(_("The handler must be a member of the case's service group."), field="handler")
    return handler


def _require_special_recipient(case: Case, *, user: Any = None, group: ServiceGroup | None = None,
                               field: str) -> None:
    """A case holding special categories may be handed or shown only to the groups its type names."""
    if not case.contains_special_categories:
        return
    allowed = policy.special_data_group_ids(case)
    if group is not None and group.pk not in allowed:
        raise InvalidInputError(
            _("This group may not see cases holding special categories of personal data."), field=field
        )
    if user is not None and not (access_for(user).group_ids & allowed) and not user.is_superuser:
        raise InvalidInputError(
            _("This person may not see cases holding special categories of personal data."), field=field
        )


def _special_owner_group(case_type: CaseType, group: ServiceGroup, *, explicit: bool) -> ServiceGroup:
    """The queue of a case holding special categories must be one whose members may see it.

    A group chosen by routing that may not see such data gives way to the case type's first
    named group; a group chosen explicitly is refused.
    """
    allowed = list(case_type.special_data_groups.filter(is_active=True).order_by("pk"))
    if any(g.pk == group.pk for g in allowed):
        return group
    if explicit or not allowed:
        raise InvalidInputError(
            _("This group may not see cases holding special categories of personal data."), field="service_group"
        )
    return allowed[0]


def _intake_group(organization: Organization) -> ServiceGroup:
    group = ServiceGroup.objects.filter(organization=organization, is_intake=True, is_active=True).first()
    if group is None:
        raise InvalidStateError(_("The organisation has no group for unclear contacts."))
    return group


def _clean_location(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    if lat in (None, "") and lon in (None, ""):
        return None, None
    if lat in (None, "") or lon in (None, ""):
        raise InvalidInputError(_("Give both latitude and longitude."), field="location")
    return validate_coordinates(lat=lat, lon=lon)


# --- creating and viewing -----------------------------------------------------------------


def case_create(
    *,
    organization: Organization,
    case_type: CaseType,
    title: str,
    description: str,
    channel: str,
    categories: Sequence[Category | int] = (),
    language: str = "fi",
    feedback_subtype: str = "",
    lat: Any = None,
    lon: Any = None,
    address: str = "",
    customer_name: str = "",
    customer_email: str = "",
    customer_phone: str = "",
    customer_type: str = "",
    answer_requested: bool = False,
    consent_text: str = "",
    consent_method: str = "",
    owner_group: ServiceGroup | None = None,
    priority: int = Priority.NORMAL,
    due_at: dt.datetime | None = None,
    contains_special_categories: bool = False,
    submitted_by: Any = None,
    actor: Any = None,
    actor_label: str = "",
    created_at: dt.datetime | None = None,
    form_answers: Mapping[str, Any] | None = None,
    require_inside_areas: bool = False,
) -> Case:
    """Create a case with its reference number, first timeline entry and audit entry.

    `actor` is the staff member who logs a contact (walk-in, phone) or the internal customer;
    None means a channel adapter acting for a resident. Without `owner_group` the primary
    category's default group takes it, else the organisation's group for unclear contacts.
    With `require_inside_areas`, a point outside every area of an organisation that has areas is
    refused. Every check runs before the first write; the writes join the caller's transaction
    without a savepoint. Reference numbers are consecutive per organisation and year, without gaps.
    """
    if actor is not None:
        access = access_for(actor)
        allowed = access.can_handle_in(organization.pk) or (
            access.has_role(organization.pk, Role.INTERNAL_CUSTOMER) and channel == Channel.INTERNAL
        )
        _require(allowed)
    if case_type.organization_id != organization.pk or not case_type.is_active:
        raise InvalidInputError(_("Choose a case type of this organisation."), field="case_type")
    title = _text(title, field="title", label=_("Title"), max_length=200)
    description = _text(description, field="description", label=_("Description"))
    channel = _choice(channel, Channel, field="channel")
    language = _language(language)
    feedback_subtype = _choice(feedback_subtype or "", FeedbackSubtype, field="feedback_subtype")
    if feedback_subtype and case_type.kind != "feedback":
        raise InvalidInputError(_("Only feedback has a subtype."), field="feedback_subtype")
    customer_type = _choice(customer_type or "", CustomerType, field="customer_type")
    priority = _choice(priority, Priority, field="priority")
    email, phone = _email(customer_email), _phone(customer_phone)
    answer_requested = _flag(answer_requested, field="answer_requested")
    contains_special_categories = _flag(contains_special_categories, field="contains_special_categories")
    due_at = _moment(due_at, field="due_at")
    consent_method = _text(consent_method, field="consent_method", label=_("Consent"), required=False, max_length=16)
    if answer_requested and not (email or phone):
        raise InvalidInputError(_("To get an answer, give an email address or a phone number."), field="customer_email")
    lat_f, lon_f = _clean_location(lat, lon)
    address = _text(address, field="address", label=_("Address"), required=False, max_length=300)
    customer_name = _text(customer_name, field="customer_name", label=_("Name"), required=False, max_length=200)
    consent_text = _text(consent_text, field="consent_text", label=_("Consent"), required=False)
    moment = created_at or _now()
    # Reads and checks first, outside the transaction's writes: a refusal leaves nothing to roll back
    # and needs no savepoint (docs/benchmarks.md, contact form).
    chosen = _validate_categories(organization, categories, with_default_group=owner_group is None)
    if owner_group is not None:
        group = _validate_group(organization.pk, owner_group)
    elif chosen and chosen[0].default_group_id:
        group = _active_group_of(organization.pk, chosen[0].default_group)
    else:
        group = _intake_group(organization)
    if contains_special_categories:
        group = _special_owner_group(case_type, group, explicit=owner_group is not None)
    area = (
        area_for_point(organization=organization, lat=lat_f, lon=lon_f)
        if lat_f is not None and lon_f is not None
        else None
    )
    if require_inside_areas and lat_f is not None and area is None and (
        Area.objects.filter(organization=organization).exists()
    ):
        raise InvalidInputError(
            _("The place is outside the area of %(organization)s. Move the marker, or leave the location out.")
            % {"organization": organization.name}, field="location")
    postgres = connection.vendor == "postgresql"
    # No savepoint: inside a caller's transaction (case_intake) only database errors can happen
    # below, and they roll back the caller's work too.
    with transaction.atomic(savepoint=False):
        case = Case.objects.create(
            organization=organization,
            # Provisional and unique; the real number is taken last (below).
            reference=f"~{secrets.token_hex(9)}",
            case_type=case_type,
            feedback_subtype=feedback_subtype,
            channel=channel,
            language=language,
            title=title,
            description=description,
            lat=lat_f,
            lon=lon_f,
            address=address,
            area=area,
            customer_name=customer_name,
            customer_email=email,
            customer_phone=phone,
            customer_type=customer_type,
            answer_requested=answer_requested,
            consent_text=consent_text,
            consent_method=consent_method,
            consent_at=moment if consent_text else None,
            submitted_by=submitted_by,
            owner_group=group,
            priority=priority,
            due_at=due_at,
            contains_special_categories=contains_special_categories,
            form_answers=dict(form_answers or {}),
            status=Status.NEW,
            created_at=moment,
            last_activity_at=moment,
            search_vector=(
                _new_case_search_vector(title=title, description=description, language=language) if postgres else None
            ),
        )
        case.search_vector = None  # the expression above is not a value to save again
        _set_categories(case, chosen, new=True)
        case.created_entry = _entry(case, EntryKind.CREATED, actor=actor, actor_label=actor_label or customer_name,
                                    at=moment, data={"channel": channel}, is_internal=False)
        # Last, in this order: the number (which locks the organisation's counter row) with the
        # reference's words for the search vector, and the audit entry (which locks the chain head).
        # Every contact of an organisation waits for that row lock until the previous one commits,
        # so it is held for these few statements only, not for the whole creation (ADR 0016).
        case.reference = _number_case(case, timezone.localtime(moment).year)
        _audit(case, "case.create", actor, {"channel": channel, "owner_group": group.pk}, actor_label=actor_label)
        _announce(case, "case.created")
    return case


def case_view(*, user: Any, case: Case) -> None:
    """Record that the user opened the case's details (R4.8); refuses users who may not see it."""
    if not policy.can_view_case(user, case):
        raise NotFoundError()
    _audit(case, "case.view", user)


# --- handling -----------------------------------------------------------------------------


@transaction.atomic
def case_take(*, case: Case, actor: Any) -> Case:
    """Make the actor the case's handler."""
    case = _locked(case)
    _require(policy.can_take_case(actor, case))
    _require_open(case)
    if case.handler_id == actor.pk:
        raise InvalidStateError(_("You already handle this case."))
    _validate_handler(case.organization_id, actor, case.owner_group)
    previous = case.handler_id
    case.handler = actor
    fields = ["handler"]
    if case.status == Status.NEW:
        case.status = Status.OPEN
        fields.append("status")
    _entry(case, EntryKind.HANDLER_CHANGE, actor=actor, data={"from": previous, "to": actor.pk})
    _save(case, fields)
    _audit(case, "case.take", actor, {"handler": [previous, actor.pk]})
    _announce(case, "case.changed")
    return case


@transaction.atomic
def case_assign(
    *, case: Case, actor: Any, handler: Any = None, service_group: ServiceGroup | None = None, message: str = ""
) -> Case:
    """Give the case to a person, to another group, or both. Moving groups is a forward."""
    case = _locked(case)
    _require(policy.can_assign_case(actor, case))
    _require_open(case)
    if handler is None and service_group is None:
        raise InvalidInputError(_("Choose a person or a group."), field="handler")
    if service_group is not None:
        service_group = _validate_group(case.organization_id, service_group)
        if handler is None and service_group.pk == case.owner_group_id:
            raise InvalidStateError(_("The case is already in this group."))
    if service_group is not None and service_group.pk != case.owner_group_id:
        case = _forward(case, actor=actor, to_group=service_group, message=message, handler=handler)
        _audit(case, "case.forward", actor, {"owner_group": case.owner_group_id, "handler": case.handler_id})
        _announce(case, "case.changed")
        return case
    handler = _validate_handler(case.organization_id, handler, case.owner_group)
    _require_special_recipient(case, user=handler, field="handler")
    if handler.pk == case.handler_id:
        raise InvalidStateError(_("This person already handles the case."))
    previous = case.handler_id
    case.handler = handler
    fields = ["handler"]
    if case.status == Status.NEW:
        case.status = Status.OPEN
        fields.append("status")
    _entry(case, EntryKind.HANDLER_CHANGE, actor=actor, body=_text(message, field="message", label=_("Message"),
                                                                    required=False),
           data={"from": previous, "to": handler.pk})
    _save(case, fields)
    _audit(case, "case.assign", actor, {"handler": [previous, handler.pk]})
    _announce(case, "case.changed")
    return case


def _forward(case: Case, *, actor: Any, to_group: ServiceGroup, message: str, handler: Any = None) -> Case:
    to_group = _validate_group(case.organization_id, to_group)
    _require_special_recipient(case, group=to_group, field="to_group")
    if to_group.pk == case.owner_group_id:
        raise InvalidStateError(_("The case is already in this group."))
    handler = _validate_handler(case.organization_id, handler, to_group) if handler is not None else None
    if handler is not None:
        _require_special_recipient(case, user=handler, field="handler")
    from_group = case.owner_group
    # The sending group can follow the case it handed on.
    CaseShare.objects.get_or_create(case=case, service_group=from_group, reason=ShareReason.FORWARDED_FROM)
    case.owner_group = to_group
    case.handler = handler
    case.status = Status.OPEN if handler else Status.NEW
    _entry(
        case, EntryKind.FORWARD, actor=actor,
        body=_text(message, field="message", label=_("Message"), required=False),
        data={"from_group": from_group.pk, "from_group_name": str(from_group), "to_group": to_group.pk,
              "to_group_name": str(to_group), "handler": handler.pk if handler else None},
    )
    _save(case, ["owner_group", "handler", "status"])
    return case


@transaction.atomic
def case_forward(*, case: Case, actor: Any, to_group: ServiceGroup, message: str = "", handler: Any = None) -> Case:
    """Hand the case to another group: the owner changes, the history stays, the sender can follow."""
    case = _locked(case)
    _require(policy.can_forward_case(actor, case))
    _require_open(case)
    previous_group = case.owner_group_id
    case = _forward(case, actor=actor, to_group=to_group, message=message, handler=handler)
    _audit(case, "case.forward", actor, {"owner_group": [previous_group, case.owner_group_id]})
    _announce(case, "case.changed", extra_groups=[previous_group])
    return case


@transaction.atomic
def case_reclassify(
    *,
    case: Case,
    actor: Any,
    case_type: CaseType | None = None,
    categories: Sequence[Category | int] | None = None,
    feedback_subtype: str | None = None,
    priority: int | None = None,
    contains_special_categories: bool | None = None,
    public_works_status: str | None = None,
) -> Case:
    """Change type, categories, subtype, priority or the special-categories flag; records old and new."""
    case = _locked(case)
    _require(policy.can_reclassify_case(actor, case))
    changes: dict[str, Any] = {}
    fields: list[str] = []
    if case_type is not None and getattr(case_type, "pk", None) != case.case_type_id:
        if (
            not isinstance(case_type, CaseType)
            or case_type.organization_id != case.organization_id
            or not case_type.is_active
        ):
            raise InvalidInputError(_("Choose a case type of this organisation."), field="case_type")
        changes["case_type"] = [str(case.case_type), str(case_type)]
        case.case_type = case_type
        fields.append("case_type")
        if case_type.kind != "feedback" and case.feedback_subtype:
            changes["feedback_subtype"] = [case.feedback_subtype, ""]
            case.feedback_subtype = ""
            fields.append("feedback_subtype")
    if feedback_subtype is not None and feedback_subtype != case.feedback_subtype:
        _choice(feedback_subtype, FeedbackSubtype, field="feedback_subtype")
        if feedback_subtype and case.case_type.kind != "feedback":
            raise InvalidInputError(_("Only feedback has a subtype."), field="feedback_subtype")
        changes["feedback_subtype"] = [case.feedback_subtype, feedback_subtype]
        case.feedback_subtype = feedback_subtype
        fields.append("feedback_subtype")
    if priority is not None and priority != case.priority:
        _choice(priority, Priority, field="priority")
        changes["priority"] = [case.priority, priority]
        case.priority = priority
        fields.append("priority")
    if contains_special_categories is not None and contains_special_categories != case.contains_special_categories:
        _flag(contains_special_categories, field="contains_special_categories")
        if contains_special_categories and case.is_published:
            raise InvalidStateError(_("Unpublish the case before marking it as holding special categories."))
        changes["contains_special_categories"] = [case.contains_special_categories, contains_special_categories]
        case.contains_special_categories = contains_special_categories
        fields.append("contains_special_categories")
    if public_works_status is not None and public_works_status != case.public_works_status:
        _choice(public_works_status, PublicWorksStatus, field="public_works_status")
        changes["public_works_status"] = [case.public_works_status, public_works_status]
        case.public_works_status = public_works_status
        fields.append("public_works_status")
    if categories is not None:
        chosen = _validate_categories(case.organization, categories)
        if not chosen:
            raise InvalidInputError(_("Choose at least one category."), field="categories")
        before = list(
            CaseCategory.objects.filter(case=case).order_by("-is_primary", "id").values_list("category_id", flat=True)
        )
        after = [c.pk for c in chosen]
        if before != after:
            _set_categories(case, chosen)
            changes["categories"] = [before, after]
    if not changes:
        raise InvalidInputError(_("Nothing was changed."))
    _entry(case, EntryKind.CLASSIFICATION_CHANGE, actor=actor, data={"changes": changes})
    _save(case, fields)
    _audit(case, "case.reclassify", actor, changes)
    _announce(case, "case.changed")
    return case


@transaction.atomic
def case_edit(*, case: Case, actor: Any, **values: Any) -> Case:
    """Correct the case's details: title, description, location, customer's contact details, due time."""
    case = _locked(case)
    _require(policy.can_edit_case(actor, case))
    editable = {
        "title", "description", "address", "lat", "lon", "customer_name", "customer_email", "customer_phone",
        "customer_type", "answer_requested", "due_at", "language",
    }
    unknown = set(values) - editable
    if unknown:
        raise InvalidInputError(_("These details cannot be edited here."), field=sorted(unknown)[0])
    cleaned: dict[str, Any] = {}
    if "title" in values:
        cleaned["title"] = _text(values["title"], field="title", label=_("Title"), max_length=200)
    if "description" in values:
        cleaned["description"] = _text(values["description"], field="description", label=_("Description"))
    if "address" in values:
        cleaned["address"] = _text(values["address"], field="address", label=_("Address"), required=False,
                                   max_length=300)
    if "lat" in values or "lon" in values:
        cleaned["lat"], cleaned["lon"] = _clean_location(values.get("lat", case.lat), values.get("lon", case.lon))
    if "customer_name" in values:
        cleaned["customer_name"] = _text(values["customer_name"], field="customer_name", label=_("Name"),
                                         required=False, max_length=200)
    if "customer_email" in values:
        cleaned["customer_email"] = _email(values["customer_email"])
    if "customer_phone" in values:
        cleaned["customer_phone"] = _phone(values["customer_phone"])
    if "customer_type" in values:
        cleaned["customer_type"] = _choice(values["customer_type"], CustomerType, field="customer_type")
    if "answer_requested" in values:
        cleaned["answer_requested"] = _flag(values["answer_requested"], field="answer_requested")
    if "due_at" in values:
        cleaned["due_at"] = _moment(values["due_at"], field="due_at")
    if "language" in values:
        cleaned["language"] = _language(values["language"])
    changes = {k: [getattr(case, k), v] for k, v in cleaned.items() if getattr(case, k) != v}
    if not changes:
        raise InvalidInputError(_("Nothing was changed."))
    for key, (_old, new) in changes.items():
        setattr(case, key, new)
    fields = list(changes)
    if "lat" in changes or "lon" in changes:
        case.area = (
            area_for_point(organization=case.organization_id, lat=case.lat, lon=case.lon)
            if case.lat is not None and case.lon is not None
            else None
        )
        fields.append("area")
    _entry(case, EntryKind.EDIT, actor=actor, data={"fields": sorted(changes)})
    _save(case, fields)
    # Personal data values are not copied into the audit log: the fields' names are enough.
    personal = {"customer_name", "customer_email", "customer_phone", "description"}
    _audit(case, "case.edit", actor, {k: (["…", "…"] if k in personal else v) for k, v in changes.items()})
    if {"title", "description", "language"} & set(changes):
        case_refresh_search_vector(case_id=case.pk)
    _announce(case, "case.changed")
    return case


@transaction.atomic
def case_reply(
    *, case: Case, actor: Any, body: str, wait_for_customer: bool = False, close: bool = False
) -> TimelineEntry:
    """Send a reply to the customer (by email when the case has an address).

    `wait_for_customer` asks the customer for more information and pauses the case;
    `close` closes it as answered in the same step.
    """
    case = _locked(case)
    _require(policy.can_reply_to_case(actor, case))
    _require_open(case)
    body = _text(body, field="body", label=_("Reply"))
    if not (case.customer_email or case.customer_phone):
        raise InvalidStateError(_("The customer left no contact details. Publish an answer or add a note instead."))
    entry = _entry(
        case, EntryKind.OUTBOUND_REPLY, actor=actor, body=body, is_internal=False,
        delivery_state=DeliveryState.QUEUED if case.customer_email else DeliveryState.NONE,
        data={"to": case.customer_email or case.customer_phone},
    )
    fields = []
    if case.first_response_at is None:
        case.first_response_at = entry.created_at
        fields.append("first_response_at")
    if case.handler_id is None and access_for(actor).can_handle_in(case.organization_id):
        try:
            case.handler = _validate_handler(case.organization_id, actor, case.owner_group)
            fields.append("handler")
        except InvalidInputError:
            pass
    old_status = case.status
    if close:
        _close(case, actor=actor, resolution=Resolution.ANSWERED)
        fields += ["status", "resolution", "closed_at"]
    else:
        case.status = Status.WAITING if wait_for_customer else Status.OPEN
        fields.append("status")
    if case.status != old_status:
        _entry(case, EntryKind.STATUS_CHANGE, actor=actor, data={"from": old_status, "to": case.status})
    _save(case, fields)
    _audit(case, "case.reply", actor, {"status": [old_status, case.status], "entry": entry.pk})
    if case.customer_email:
        from civicdesk.cases.tasks import case_reply_deliver_task

        transaction.on_commit(lambda: case_reply_deliver_task.delay(entry.pk))
    _announce(case, "case.changed")
    return entry


@transaction.atomic
def case_add_note(*, case: Case, actor: Any, body: str) -> TimelineEntry:
    """An internal note, never shown to the customer."""
    case = _locked(case)
    _require(policy.can_add_note_to_case(actor, case))
    entry = _entry(case, EntryKind.INTERNAL_NOTE, actor=actor, body=_text(body, field="body", label=_("Note")))
    _save(case, [])
    _audit(case, "case.note", actor, {"entry": entry.pk})
    _announce(case, "case.changed")
    return entry


@transaction.atomic
def case_send_for_information(
    *, case: Case, actor: Any, message: str, to_user: Any = None, to_group: ServiceGroup | None = None
) -> TimelineEntry:
    """Let another person or group see the case for their information; ownership does not change."""
    case = _locked(case)
    _require(policy.can_send_case_for_information(actor, case))
    if (to_user is None) == (to_group is None):
        raise InvalidInputError(_("Choose one person or one group."), field="to")
    message = _text(message, field="message", label=_("Message"), required=False)
    if to_group is not None:
        to_group = _validate_group(case.organization_id, to_group, field="to")
    elif (
        not isinstance(to_user, User)
        or not to_user.is_active
        or not access_for(to_user).roles.get(case.organization_id)
    ):
        raise InvalidInputError(_("This person is not in the organisation."), field="to")
    _require_special_recipient(case, user=to_user, group=to_group, field="to")
    CaseShare.objects.get_or_create(case=case, user=to_user, service_group=to_group, reason=ShareReason.INFORMATION)
    entry = _entry(case, EntryKind.INFORMATION, actor=actor, body=message,
                   data={"to_user": getattr(to_user, "pk", None), "to_group": getattr(to_group, "pk", None),
                         "to_name": str(to_user or to_group)})
    _save(case, [])
    _audit(case, "case.send_for_information", actor,
           {"to_user": getattr(to_user, "pk", None), "to_group": getattr(to_group, "pk", None)})
    _announce(case, "case.shared", extra_groups=[to_group.pk] if to_group else [])
    return entry


@transaction.atomic
def case_request_comment(
    *,
    case: Case,
    actor: Any,
    question: str,
    from_user: Any = None,
    from_group: ServiceGroup | None = None,
    due_at: dt.datetime | None = None,
) -> CommentRequest:
    """Ask an expert (or a group) for a comment; pending on both sides until answered."""
    case = _locked(case)
    _require(policy.can_request_comment_on_case(actor, case))
    _require_open(case)
    if (from_user is None) == (from_group is None):
        raise InvalidInputError(_("Choose one person or one group."), field="from")
    question = _text(question, field="question", label=_("Question"))
    due_at = _moment(due_at, field="due_at")
    if due_at is not None and due_at <= _now():
        raise InvalidInputError(_("The answer date must be in the future."), field="due_at")
    if from_group is not None:
        from_group = _validate_group(case.organization_id, from_group, field="from")
        _require_special_recipient(case, group=from_group, field="from")
    else:
        if (
            not isinstance(from_user, User)
            or not from_user.is_active
            or not access_for(from_user).can_handle_in(case.organization_id)
        ):
            raise InvalidInputError(_("This person cannot give comments in this organisation."), field="from")
        if from_user.pk == actor.pk:
            raise InvalidInputError(_("You cannot ask yourself for a comment."), field="from")
        _require_special_recipient(case, user=from_user, field="from")
    request = CommentRequest.objects.create(
        case=case, requested_by=actor, requested_from_user=from_user, requested_from_group=from_group,
        question=question, due_at=due_at, created_at=_now(),
    )
    CaseShare.objects.get_or_create(case=case, user=from_user, service_group=from_group,
                                    reason=ShareReason.COMMENT_REQUEST)
    _entry(case, EntryKind.COMMENT_REQUEST, actor=actor, body=question, comment_request=request,
           data={"from_user": getattr(from_user, "pk", None), "from_group": getattr(from_group, "pk", None),
                 "from_name": str(from_user or from_group), "due_at": due_at.isoformat() if due_at else None})
    _save(case, [])
    _audit(case, "case.request_comment", actor,
           {"comment_request": request.pk, "from_user": getattr(from_user, "pk", None),
            "from_group": getattr(from_group, "pk", None)})
    _announce(case, "case.comment_requested", extra_groups=[from_group.pk] if from_group else [])
    return request


@transaction.atomic
def comment_request_answer(*, comment_request: CommentRequest, actor: Any, answer: str) -> CommentRequest:
    """Answer a pending comment request; the answer joins the case's timeline."""
    request = CommentRequest.objects.select_for_update().select_related("case").get(pk=comment_request.pk)
    if request.status != CommentRequestStatus.PENDING:
        if not policy.can_view_case(actor, request.case):
            raise NotFoundError()
        raise InvalidStateError(_("This comment request has already been answered or cancelled."))
    _require(policy.can_answer_comment_request(actor, request))
    answer = _text(answer, field="answer", label=_("Comment"))
    case = _locked(request.case)
    request.status = CommentRequestStatus.ANSWERED
    request.answer = answer
    request.answered_by = actor
    request.answered_at = _now()
    request.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    _entry(case, EntryKind.COMMENT_REPLY, actor=actor, body=answer, comment_request=request)
    _save(case, [])
    _audit(case, "case.answer_comment_request", actor, {"comment_request": request.pk})
    _announce(case, "case.comment_answered")
    return request


def _close(case: Case, *, actor: Any, resolution: str) -> None:
    case_closing.send(sender=Case, case=case, resolution=resolution)
    case.status = Status.CLOSED
    case.resolution = resolution
    case.closed_at = _now()
    CommentRequest.objects.filter(case=case, status=CommentRequestStatus.PENDING).update(
        status=CommentRequestStatus.CANCELLED
    )


@transaction.atomic
def case_status_set(*, case: Case, actor: Any, status: str, body: str = "", data: dict[str, Any] | None = None,
                    actor_label: str = "", answered: bool = False) -> Case:
    """Move a case to `status` as a step of its workflow says (`routing.workflows`), with one timeline entry.

    Closing records "answered" when the step's reply was the answer (`answered`), else "handled, no
    answer wanted", which a customer who asked for an answer is not left with by staff. A reopened
    case keeps its handler. `actor` None is the workflow's periodic job.
    """
    locked = _locked(case)
    if actor is not None:
        _require(policy.can_handle_case(actor, locked))
    status = _choice(status, Status, field="status")
    old = locked.status
    if status == old:
        return locked
    fields = ["status"]
    if status == Status.CLOSED:
        if (actor is not None and not answered and locked.answer_requested
                and (locked.customer_email or locked.customer_phone) and locked.first_response_at is None):
            raise InvalidStateError(_("The customer asked for an answer. Write a reply to close the case."))
        _close(locked, actor=actor, resolution=Resolution.ANSWERED if answered else Resolution.NO_ANSWER_NEEDED)
        fields += ["resolution", "closed_at"]
    elif old == Status.CLOSED:
        if locked.merged_into_id:
            raise InvalidStateError(_("The case was merged into another case; handle that one."))
        locked.status, locked.resolution, locked.closed_at = status, Resolution.NONE, None
        fields += ["resolution", "closed_at"]
    else:
        locked.status = status
    _entry(locked, EntryKind.STATUS_CHANGE, actor=actor, actor_label=actor_label, body=body,
           data={"from": old, "to": locked.status, "resolution": locked.resolution, **(data or {})})
    _save(locked, fields)
    _audit(locked, "case.status_set", actor, {"status": [old, locked.status], **(data or {})}, actor_label=actor_label)
    _announce(locked, "case.changed")
    return locked


@transaction.atomic
def case_close(*, case: Case, actor: Any, reply: str = "") -> Case:
    """Close a handled case; with `reply` the answer goes to the customer first.

    A customer who asked for an answer gets one: closing without a reply is refused then.
    """
    locked = _locked(case)
    _require(policy.can_close_case(actor, locked))
    _require_open(locked)
    if reply:
        case_reply(case=locked, actor=actor, body=reply, close=True)
        return _locked(locked)
    if locked.answer_requested and (locked.customer_email or locked.customer_phone):
        raise InvalidStateError(_("The customer asked for an answer. Write a reply to close the case."))
    old = locked.status
    _close(locked, actor=actor, resolution=Resolution.NO_ANSWER_NEEDED)
    _entry(locked, EntryKind.STATUS_CHANGE, actor=actor, data={"from": old, "to": locked.status,
                                                               "resolution": locked.resolution})
    _save(locked, ["status", "resolution", "closed_at"])
    _audit(locked, "case.close", actor, {"status": [old, locked.status], "resolution": locked.resolution})
    _announce(locked, "case.changed")
    return locked


@transaction.atomic
def case_close_unnecessary(*, case: Case, actor: Any, reason: str) -> Case:
    """Close without a reply (spam, duplicate contact, nothing to do); the reason stays internal."""
    locked = _locked(case)
    _require(policy.can_close_case(actor, locked))
    _require_open(locked)
    reason = _text(reason, field="reason", label=_("Reason"))
    old = locked.status
    _close(locked, actor=actor, resolution=Resolution.UNNECESSARY)
    _entry(locked, EntryKind.STATUS_CHANGE, actor=actor, body=reason,
           data={"from": old, "to": locked.status, "resolution": locked.resolution})
    _save(locked, ["status", "resolution", "closed_at"])
    _audit(locked, "case.close_unnecessary", actor, {"status": [old, locked.status]})
    _announce(locked, "case.changed")
    return locked


@transaction.atomic
def case_reopen(*, case: Case, actor: Any, reason: str = "") -> Case:
    """Open a closed case again (not one merged into another)."""
    locked = _locked(case)
    _require(policy.can_reopen_case(actor, locked))
    if locked.status != Status.CLOSED:
        raise InvalidStateError(_("The case is not closed."))
    if locked.merged_into_id:
        raise InvalidStateError(_("The case was merged into another case; handle that one."))
    _reopen(locked, actor=actor, body=_text(reason, field="reason", label=_("Reason"), required=False))
    _audit(locked, "case.reopen", actor, {"status": [Status.CLOSED, locked.status]})
    _announce(locked, "case.changed")
    return locked


def _reopen(case: Case, *, actor: Any, body: str = "", extra: dict[str, Any] | None = None) -> None:
    case.status = Status.OPEN if case.handler_id else Status.NEW
    case.resolution = Resolution.NONE
    case.closed_at = None
    _entry(case, EntryKind.STATUS_CHANGE, actor=actor, body=body,
           data={"from": Status.CLOSED, "to": case.status, **(extra or {})})
    _save(case, ["status", "resolution", "closed_at"])


@transaction.atomic
def case_record_customer_message(
    *, case: Case, body: str, sender_label: str = "", actor: Any = None, channel: str = Channel.WEB_FORM
) -> TimelineEntry:
    """A message from the customer (reply, more information). It reopens a closed case.

    `actor` None means a channel adapter that has already identified the customer (tracking
    token, reply address); staff logging a phone call pass themselves.
    """
    # The channels' hot path: only the case's own row; what a reopening needs more is read then.
    locked = _locked_row(case.pk)
    if locked.merged_into_id is not None:
        locked = _locked_row(locked.merged_into_id)
    if actor is not None:
        _require(policy.can_record_message_on_case(actor, locked))
    _choice(channel, Channel, field="channel")
    body = _text(body, field="body", label=_("Message"))
    # Words such as "Customer" are stored as codes in `data` and translated when shown, so each
    # reader sees them in their own language.
    entry = _entry(locked, EntryKind.INBOUND_MESSAGE, actor=actor,
                   actor_label=sender_label or locked.customer_name, body=body, is_internal=False,
                   data={"channel": channel, "by_customer": True})
    old = locked.status
    if locked.status == Status.CLOSED:
        _reopen(locked, actor=None, extra={"by_customer": True, "reason": "customer_message"})
    elif locked.status == Status.WAITING:
        locked.status = Status.OPEN
        _entry(locked, EntryKind.STATUS_CHANGE,
               data={"from": old, "to": locked.status, "by_customer": True, "reason": "customer_message"})
        _save(locked, ["status"])
    else:
        _save(locked, [])
    _audit(locked, "case.customer_message", actor, {"entry": entry.pk, "status": [old, locked.status]},
           actor_label=sender_label or "customer")
    _announce(locked, "case.customer_message")
    return entry


@transaction.atomic
def case_record_unknown_sender_message(
    *, case: Case, body: str, sender_label: str, channel: str, data: dict[str, Any] | None = None
) -> TimelineEntry:
    """A message that names the case (its reply address or mail thread) but comes from someone else.

    Kept on the timeline for staff only (`is_internal`, `data.unknown_sender`): it changes neither
    the customer nor the case's status, so a stranger cannot take a case over. Staff read it and
    decide whether to accept it as the customer's message.
    """
    locked = _locked(case)
    if locked.merged_into is not None:
        locked = _locked(locked.merged_into)
    _choice(channel, Channel, field="channel")
    body = _text(body, field="body", label=_("Message"))
    entry = _entry(locked, EntryKind.INBOUND_MESSAGE, actor_label=sender_label, body=body, is_internal=True,
                   data={**(data or {}), "channel": channel, "unknown_sender": True})
    _save(locked, [])
    _audit(locked, "case.unknown_sender_message", None, {"entry": entry.pk}, actor_label=sender_label)
    _announce(locked, "case.changed")
    return entry


# --- publication --------------------------------------------------------------------------


def _check_anonymised(case: Case, texts: Iterable[str]) -> None:
    for text in texts:
        lowered = text.lower()
        personal = [p.lower() for p in (case.customer_email, case.customer_phone, case.customer_name) if p]
        if any(p in lowered for p in personal) or EMAIL_IN_TEXT_RE.search(text) or HETU_RE.search(text) or (
            PHONE_IN_TEXT_RE.search(text)
        ):
            raise InvalidInputError(
                _("The public text still contains personal data (a name, email address, phone number or "
                  "identity code). Remove it before publishing."),
                field="public_text",
            )


@transaction.atomic
def case_publish(*, case: Case, actor: Any, public_title: str, public_text: str, public_answer: str = "") -> Case:
    """Publish an anonymised version of the case (R4.5, R9.4); never one with special categories."""
    locked = _locked(case)
    _require(policy.can_publish_case(actor, locked))
    if locked.contains_special_categories:
        raise InvalidStateError(_("A case holding special categories of personal data cannot be published."))
    if locked.merged_into_id:
        raise InvalidStateError(_("The case was merged into another case; publish that one."))
    title = _text(public_title, field="public_title", label=_("Public title"), max_length=200)
    text = _text(public_text, field="public_text", label=_("Public text"))
    answer = _text(public_answer, field="public_answer", label=_("Public answer"), required=False)
    _check_anonymised(locked, [title, text, answer])
    was_published = locked.is_published
    locked.public_title, locked.public_text, locked.public_answer = title, text, answer
    locked.is_published = True
    if not was_published:
        locked.published_at = _now()
    _entry(locked, EntryKind.PUBLICATION, actor=actor, data={"published": True, "updated": was_published})
    _save(locked, ["public_title", "public_text", "public_answer", "is_published", "published_at"])
    _audit(locked, "case.publish", actor, {"public_title": title, "public_text": text, "public_answer": answer})
    _announce(locked, "case.changed")
    return locked


@transaction.atomic
def case_unpublish(*, case: Case, actor: Any, reason: str = "") -> Case:
    locked = _locked(case)
    _require(policy.can_unpublish_case(actor, locked))
    if not locked.is_published:
        raise InvalidStateError(_("The case is not published."))
    locked.is_published = False
    _entry(locked, EntryKind.PUBLICATION, actor=actor,
           body=_text(reason, field="reason", label=_("Reason"), required=False), data={"published": False})
    _save(locked, ["is_published"])
    _audit(locked, "case.unpublish", actor, {"is_published": [True, False]})
    _announce(locked, "case.changed")
    return locked


# --- links and merges ---------------------------------------------------------------------


def _ordered(a: Case, b: Case) -> tuple[Case, Case]:
    return (a, b) if a.pk < b.pk else (b, a)


@transaction.atomic
def case_link(*, case: Case, other: Case, actor: Any, kind: str = LinkKind.RELATED) -> CaseLink:
    """Link two cases of the same organisation as duplicates or related (R4.9)."""
    _choice(kind, LinkKind, field="kind")
    if case.pk == other.pk:
        raise InvalidInputError(_("A case cannot be linked to itself."), field="other")
    if not policy.can_view_case(actor, other) or other.organization_id != case.organization_id:
        raise NotFoundError()
    # Lock in id order (as merge does) so that two concurrent links cannot deadlock, and check
    # the policy against the locked, current rows.
    low, high = _ordered(case, other)
    first, second = _locked(low), _locked(high)
    case, other = (first, second) if first.pk == case.pk else (second, first)
    _require(policy.can_link_cases(actor, case, other))
    if CaseLink.objects.filter(from_case=first, to_case=second).exists():
        raise InvalidStateError(_("The cases are already linked."))
    link = CaseLink.objects.create(from_case=first, to_case=second, kind=kind, created_by=actor)
    for this, that in ((first, second), (second, first)):
        _entry(this, EntryKind.LINK, actor=actor, data={"other": that.pk, "other_reference": that.reference,
                                                         "kind": kind, "linked": True})
        _save(this, [])
        _audit(this, "case.link", actor, {"other": that.reference, "kind": kind})
    return link


@transaction.atomic
def case_unlink(*, case: Case, other: Case, actor: Any) -> None:
    first, second = _ordered(case, other)
    link = CaseLink.objects.filter(from_case=first, to_case=second).first()
    if link is None or not policy.can_view_case(actor, other):
        raise NotFoundError()
    _require(policy.can_link_cases(actor, case, other))
    link.delete()
    for this, that in ((first, second), (second, first)):
        locked = _locked(this)
        _entry(locked, EntryKind.LINK, actor=actor, data={"other": that.pk, "other_reference": that.reference,
                                                           "linked": False})
        _save(locked, [])
        _audit(locked, "case.unlink", actor, {"other": that.reference})


@transaction.atomic
def case_merge(*, source: Case, target: Case, actor: Any) -> Case:
    """Merge `source` into `target`: the timeline, attachments, categories and requests move; the
    source is closed as merged and its reference number keeps leading to the target. Never automatic.
    """
    if source.pk == target.pk:
        raise InvalidInputError(_("A case cannot be merged into itself."), field="target")
    if not policy.can_view_case(actor, target) or target.organization_id != source.organization_id:
        raise NotFoundError()
    first, second = _ordered(source, target)
    locked = {c.pk: _locked(c) for c in (first, second)}
    source, target = locked[source.pk], locked[target.pk]
    _require(policy.can_merge_cases(actor, source, target))
    if source.merged_into_id or target.merged_into_id:
        raise InvalidStateError(_("One of the cases has already been merged."))
    if source.contains_special_categories and target.is_published:
        raise InvalidStateError(_("Unpublish the case before marking it as holding special categories."))
    if target.status == Status.CLOSED:
        raise InvalidStateError(_("Reopen the case you merge into first."))
    if source.contains_special_categories and not target.contains_special_categories:
        target.contains_special_categories = True
    moved = TimelineEntry.objects.filter(case=source).update(case=target, original_case_reference=source.reference)
    Attachment.objects.filter(case=source).update(case=target)
    CommentRequest.objects.filter(case=source).update(case=target)
    for share in CaseShare.objects.filter(case=source):
        CaseShare.objects.get_or_create(case=target, user=share.user, service_group=share.service_group,
                                        reason=share.reason)
    existing = set(CaseCategory.objects.filter(case=target).values_list("category_id", flat=True))
    CaseCategory.objects.bulk_create(
        [CaseCategory(case=target, category_id=cid, is_primary=False)
         for cid in CaseCategory.objects.filter(case=source).values_list("category_id", flat=True)
         if cid not in existing]
    )
    first_link, second_link = _ordered(source, target)
    CaseLink.objects.update_or_create(from_case=first_link, to_case=second_link,
                                      defaults={"kind": LinkKind.DUPLICATE, "created_by": actor})
    old_status = source.status
    source.merged_into = target
    _close(source, actor=actor, resolution=Resolution.MERGED)
    source.is_published = False
    _entry(source, EntryKind.MERGE, actor=actor,
           data={"into": target.pk, "into_reference": target.reference, "moved_entries": moved})
    _save(source, ["merged_into", "status", "resolution", "closed_at", "is_published"])
    _entry(target, EntryKind.MERGE, actor=actor,
           data={"from": source.pk, "from_reference": source.reference, "moved_entries": moved})
    _save(target, ["contains_special_categories"])
    _audit(source, "case.merge", actor, {"into": target.reference, "status": [old_status, source.status]})
    _audit(target, "case.merge_receive", actor, {"from": source.reference, "moved_entries": moved})
    _announce(source, "case.changed")
    _announce(target, "case.changed")
    return target


# --- attachments --------------------------------------------------------------------------


@transaction.atomic
def attachment_add(
    *, case: Case, uploaded_file: Any, actor: Any = None, entry: TimelineEntry | None = None, name: str | None = None
) -> Attachment:
    """Store a validated file on the case (content-checked, size-limited, EXIF stripped)."""
    locked = _locked(case)
    if actor is not None:
        _require(policy.can_handle_case(actor, locked))
    if not hasattr(uploaded_file, "read") or not hasattr(uploaded_file, "size"):
        raise InvalidInputError(_("Choose a file to attach."), field="file")
    if Attachment.objects.filter(case=locked).count() >= ATTACHMENTS_PER_CASE:
        raise InvalidStateError(_("The case already has the maximum number of attachments."))
    if entry is not None and entry.case_id != locked.pk:
        raise InvalidInputError(_("The message belongs to another case."), field="entry")
    validated = attachment_validate(uploaded_file, name=name)
    attachment = _attachment_store(locked, validated, entry=entry,
                                   uploaded_by=actor if getattr(actor, "is_authenticated", False) else None)
    locked.last_activity_at = _now()
    _save(locked, [])
    _audit(locked, "case.attachment_add", actor,
           {"attachment": attachment.pk, "name": attachment.original_name, "type": attachment.content_type,
            "size": attachment.size})
    return attachment


def _attachment_store(case: Case, validated: ValidatedFile, *, entry: TimelineEntry | None, uploaded_by: Any
                      ) -> Attachment:
    attachment = Attachment(
        case=case, entry=entry, original_name=validated.original_name, content_type=validated.content_type,
        size=validated.size, sha256=validated.sha256, uploaded_by=uploaded_by,
    )
    attachment.file.save(validated.original_name, validated.content, save=False)
    storage_name = attachment.file.name or ""
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(storage_name)
        raise
    return attachment


@transaction.atomic
def case_add_customer_files(
    *, case: Case, files: Sequence[ValidatedFile], entry: TimelineEntry | None = None
) -> list[Attachment]:
    """Store files the customer sent, with their contact or a message, all or none (R1.5).

    For channel adapters that have identified the customer (the intake creating the case, the
    tracking token); staff attach files with `attachment_add`. The files must come from
    `attachment_validate` (content-checked, size-limited, EXIF stripped), which callers run
    before their transaction, so that decoding images holds no lock. A merged case's files go to
    the case it was merged into.
    """
    if not files:
        return []
    locked = _locked_row(case.pk, only=_FILES_LOCK_FIELDS)
    if locked.merged_into_id is not None:
        locked = _locked_row(locked.merged_into_id, only=_FILES_LOCK_FIELDS)
    if entry is not None and entry.case_id != locked.pk:
        raise InvalidInputError(_("The message belongs to another case."), field="entry")
    if Attachment.objects.filter(case=locked).count() + len(files) > ATTACHMENTS_PER_CASE:
        raise InvalidStateError(_("The case already has the maximum number of attachments."))
    stored: list[Attachment] = []
    try:
        for validated in files:
            stored.append(_attachment_store(locked, validated, entry=entry, uploaded_by=None))
    except Exception:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name or "")
        raise
    locked.last_activity_at = _now()
    _save(locked, [])
    _audit(locked, "case.attachment_add", None,
           {"attachments": [{"attachment": a.pk, "name": a.original_name, "type": a.content_type, "size": a.size}
                            for a in stored], "by_customer": True},
           actor_label="customer")
    return stored


def attachment_open(*, user: Any, attachment_id: int) -> Attachment:
    """The attachment if the user may see its case; the download is audited."""
    attachment = Attachment.objects.select_related("case").filter(pk=attachment_id).first()
    if attachment is None or not policy.can_view_attachment(user, attachment.case):
        raise NotFoundError()
    audit_record(
        action="case.attachment_view", actor=user, organization_id=attachment.case.organization_id,
        object_type="case", object_id=attachment.case_id, object_label=attachment.case.reference,
        changes={"attachment": attachment.pk}, subjects=_subjects(attachment.case),
    )
    return attachment


def cases_search_logged(
    *, user: Any, query: str, language: str | None = None, limit: int = 50
) -> list[CaseRow]:
    """Search cases (selectors.cases_search) and log the search itself.

    A search by a customer's email or phone is a lookup of a person's data, so the log-data
    request for that person shows who looked them up (R4.8).
    """
    from civicdesk.cases.selectors import cases_search, search_query_kind

    results = cases_search(user=user, query=query, language=language, limit=limit)
    query = (query or "").strip()
    if query:
        # The subject is exactly what was searched for, so a log-data request finds it.
        parsed = search_query_kind(query)
        audit_record(
            action="case.search",
            actor=user,
            organization_id=next(iter(access_for(user).organization_ids), None),
            object_type="case_search",
            object_id="",
            changes={"query": query[:200], "results": [c.reference for c in results[:50]]},
            subjects=[parsed.value] if parsed.identifies_person else [],
        )
    return results


# --- saved views and bulk actions (staff workspace) ---------------------------------------


SAVED_VIEWS_MAX = 50
SAVED_VIEW_NAME_MAX_CHARS = 80
SAVED_VIEW_QUERY_MAX_CHARS = 2_000
BULK_MAX_CASES = 100


def _saved_view_name(name: Any) -> str:
    return _text(name, field="name", label=_("Name"), max_length=SAVED_VIEW_NAME_MAX_CHARS)


def _saved_view_name_free(user: Any, name: str, *, exclude_pk: int | None = None) -> None:
    others = SavedView.objects.filter(user_id=user.pk, name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise InvalidInputError(_("You already have a saved view called “%(name)s”.") % {"name": name}, field="name")


@transaction.atomic
def saved_view_create(
    *,
    user: Any,
    name: str,
    query: Mapping[str, Any],
    service_group: ServiceGroup | None = None,
    organization_id: int | None = None,
) -> SavedView:
    """Save the filters and sort order of a list the user may open, under a name of their own.

    The list is a group's work queue (`service_group`) or the organisation's list of all
    contacts (`organization_id`); anything the user may not open is NotFoundError. `query`
    (the list's parameters) must be valid for that list now; defaults and empty values are not
    stored. A user keeps at most SAVED_VIEWS_MAX views, with different names.
    """
    from civicdesk.cases.forms import list_query_clean

    access = access_for(user)
    if access.user_id is None:
        raise NotFoundError()
    if service_group is not None:
        if not policy.can_view_queue(user, service_group) or not (
            access.is_superuser or service_group.organization_id in access.organization_ids
        ):
            raise NotFoundError()
        organization_id = service_group.organization_id
    elif organization_id is None or not policy.can_view_organization_list(user, organization_id):
        raise NotFoundError()
    name = _saved_view_name(name)
    values, invalid = list_query_clean(query, actor=user, group=service_group, organization_id=organization_id)
    if invalid:
        raise InvalidInputError(
            _("These filters are not valid for this list: %(filters)s.") % {"filters": ", ".join(invalid)},
            field="query",
        )
    # Serialises concurrent saves by the same user, so the limit holds.
    list(User.objects.select_for_update().filter(pk=access.user_id).values_list("pk", flat=True))
    existing = list(SavedView.objects.filter(user_id=access.user_id).values_list("position", flat=True))
    if len(existing) >= SAVED_VIEWS_MAX:
        raise InvalidInputError(
            _("You can keep at most %(limit)d saved views. Delete one first.") % {"limit": SAVED_VIEWS_MAX},
            field="name",
        )
    _saved_view_name_free(user, name)
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                user_id=access.user_id,
                organization_id=organization_id,
                scope=SavedViewScope.QUEUE if service_group is not None else SavedViewScope.ALL,
                service_group=service_group,
                name=name,
                query=values,
                position=max(existing, default=0) + 1,
            )
    except IntegrityError as exc:  # the same name saved at the same moment
        raise InvalidInputError(
            _("You already have a saved view called “%(name)s”.") % {"name": name}, field="name"
        ) from exc


def _own_saved_view_locked(user: Any, saved_view: SavedView) -> SavedView:
    owner_id = access_for(user).user_id
    found = (
        SavedView.objects.select_for_update().filter(pk=saved_view.pk, user_id=owner_id).first()
        if owner_id is not None
        else None
    )
    if found is None:  # someone else's view is as missing as a deleted one
        raise NotFoundError()
    return found


@transaction.atomic
def saved_view_rename(*, user: Any, saved_view: SavedView, name: str) -> SavedView:
    """Give one of the user's own saved views a new name (NotFoundError for anyone else's)."""
    view = _own_saved_view_locked(user, saved_view)
    name = _saved_view_name(name)
    _saved_view_name_free(user, name, exclude_pk=view.pk)
    view.name = name
    try:
        with transaction.atomic():
            view.save(update_fields=["name"])
    except IntegrityError as exc:
        raise InvalidInputError(
            _("You already have a saved view called “%(name)s”.") % {"name": name}, field="name"
        ) from exc
    return view


@transaction.atomic
def saved_view_delete(*, user: Any, saved_view: SavedView) -> None:
    """Delete one of the user's own saved views (NotFoundError for anyone else's)."""
    _own_saved_view_locked(user, saved_view).delete()


@dataclass(frozen=True)
class BulkFailure:
    """A case a bulk action could not act on: its reference (or `#id` if not found) and why, translated."""

    label: str
    reason: str


@dataclass(frozen=True)
class BulkResult:
    succeeded: tuple[str, ...]
    failed: tuple[BulkFailure, ...]


def _bulk_case_ids(case_ids: Iterable[Any]) -> list[int]:
    raw = list(case_ids)
    too_many = InvalidInputError(
        _("You can act on at most %(limit)d cases at a time.") % {"limit": BULK_MAX_CASES}, field="cases"
    )
    if len(raw) > 2 * BULK_MAX_CASES:  # ticked rows plus "all on this page" repeat ids; more is not a page
        raise too_many
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidInputError(_("The selected cases are not valid."), field="cases")
        text = str(value).strip()
        if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18 and int(text) > 0):
            raise InvalidInputError(_("The selected cases are not valid."), field="cases")
        if int(text) not in ids:
            ids.append(int(text))
        if len(ids) > BULK_MAX_CASES:
            raise too_many
    if not ids:
        raise InvalidInputError(_("Select at least one case."), field="cases")
    return ids


def _cases_bulk(
    *, actor: Any, case_ids: Iterable[Any], organization_id: int, act: Callable[[Case], object]
) -> BulkResult:
    """Run `act` (one single-case service) on each case, each in its own transaction.

    The cases are looked up again through the permission policy; an id the actor may not see, of
    another organisation or of no case at all fails as "not found". A case that fails (policy,
    state, input) is reported with the service's translated message and leaves the others done.
    """
    from civicdesk.cases.selectors import cases_for_bulk_action

    ids = _bulk_case_ids(case_ids)
    found = cases_for_bulk_action(user=actor, case_ids=ids, organization_id=organization_id)
    succeeded: list[str] = []
    failed: list[BulkFailure] = []
    for case_id in ids:
        case = found.get(case_id)
        if case is None:
            failed.append(BulkFailure(f"#{case_id}", _("The case was not found.")))
            continue
        try:
            with transaction.atomic():
                act(case)
        except ApplicationError as exc:
            failed.append(BulkFailure(case.reference, str(exc.message)))
        except DatabaseError:
            # A lock timeout or a conflict on one case must not lose the others already done.
            logger.exception("Bulk action failed on case %s", case.pk)
            failed.append(BulkFailure(case.reference, _("The case could not be saved just now. Try again.")))
        else:
            succeeded.append(case.reference)
    return BulkResult(succeeded=tuple(succeeded), failed=tuple(failed))


def cases_bulk_assign(
    *,
    actor: Any,
    case_ids: Iterable[Any],
    organization_id: int,
    handler: Any = None,
    service_group: ServiceGroup | None = None,
    message: str = "",
) -> BulkResult:
    """`case_assign` for each case (at most BULK_MAX_CASES): every check, entry, audit and event as for one."""
    if handler is None and service_group is None:
        raise InvalidInputError(_("Choose a person or a group."), field="handler")
    message = _text(message, field="message", label=_("Message"), required=False)
    return _cases_bulk(
        actor=actor, case_ids=case_ids, organization_id=organization_id,
        act=lambda case: case_assign(
            case=case, actor=actor, handler=handler, service_group=service_group, message=message
        ),
    )


def cases_bulk_forward(
    *, actor: Any, case_ids: Iterable[Any], organization_id: int, to_group: ServiceGroup | None, message: str = ""
) -> BulkResult:
    """`case_forward` for each case (at most BULK_MAX_CASES): every check, entry, audit and event as for one."""
    if to_group is None:
        raise InvalidInputError(_("Choose the group to forward the cases to."), field="to_group")
    message = _text(message, field="message", label=_("Message"), required=False)
    return _cases_bulk(
        actor=actor, case_ids=case_ids, organization_id=organization_id,
        act=lambda case: case_forward(case=case, actor=actor, to_group=to_group, message=message),
    )


def cases_bulk_close_unnecessary(
    *, actor: Any, case_ids: Iterable[Any], organization_id: int, reason: str
) -> BulkResult:
    """`case_close_unnecessary` for each case (at most BULK_MAX_CASES), each checked and logged as one."""
    reason = _text(reason, field="reason", label=_("Reason"))
    return _cases_bulk(
        actor=actor, case_ids=case_ids, organization_id=organization_id,
        act=lambda case: case_close_unnecessary(case=case, actor=actor, reason=reason),
    )
