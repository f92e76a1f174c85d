"""Reads behind the Open311 API. Nothing here returns personal data or unpublished text.

- Services are the organisation's active categories that have an Open311 service code. A case's
  service is its primary category, or the nearest ancestor of it that has a code.
- GET requests lists only published cases (R9.4: their anonymised public texts, never the
  resident's own words or contact details), newest first.
- A single request is found by its reference (`service_request_id`), published or not; an
  unpublished one shows only its status and dates (`ServiceRequestRow.is_public` False), and one
  holding special categories of personal data is "not found", like a missing one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, FloatField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt
from django.utils import translation
from django.utils.translation import gettext as _

from civicdesk.api.errors import Open311Error, invalid_parameter
from civicdesk.api.params import RequestFilters
from civicdesk.cases.models import Case, CaseCategory, CaseKind, CaseType, Category, Status
from civicdesk.cases.selectors import REFERENCE_RE
from civicdesk.core.config_generation import ConfigCache
from civicdesk.core.prepared_statements import prepared_cursor
from civicdesk.core.process_cache import ProcessCache
from civicdesk.intake.models import TopicQuestion
from civicdesk.organizations.models import Organization, ServiceGroup

EARTH_RADIUS_M = 6_371_000.0
# An organisation's categories and case types change rarely; each web process keeps them this long
# instead of reading them on every request (two queries of about ten a POST makes).
CONFIGURATION_SECONDS = 30.0
# Kinds a posting application may choose, in the order used when it chooses none.
POSTABLE_KINDS = (CaseKind.SERVICE_REQUEST, CaseKind.FAULT_REPORT, CaseKind.FEEDBACK, CaseKind.QUESTION)
# Where a posted `media_url` is kept in `Case.form_answers` (views.RequestsView, `media_url_record`).
MEDIA_URL_KEY = "media_url"


def organization_for_jurisdiction(jurisdiction_id: str) -> Organization:
    """The organisation a request is about: `jurisdiction_id` is its slug, optional when only one is hosted.

    The active organisations are kept per process until the configuration changes
    (`core.config_generation`: one small query instead of reading the organisation). The instances
    are shared between requests: only read them.
    """
    organizations = _organizations.get(
        "active", lambda: list(Organization.objects.filter(is_active=True).order_by("pk")))
    if jurisdiction_id:
        organization = next((o for o in organizations if o.slug == jurisdiction_id), None)
        if organization is None:
            raise Open311Error(_("jurisdiction_id: no such jurisdiction."), status_code=404)
        return organization
    if len(organizations) != 1:
        raise invalid_parameter("jurisdiction_id", _("is required: this server hosts several jurisdictions."))
    return organizations[0]


@dataclass
class CategoryIndex:
    """An organisation's categories (1 query) with the service code each one files under."""

    by_id: dict[int, Category]
    # (language, category id) → the name and code of its service, each read once (`service_name_and_code`).
    _service_names: dict[tuple[str, int | None], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, organization: Organization | int) -> CategoryIndex:
        """The organisation's categories, read at most every CONFIGURATION_SECONDS per process."""
        organization_id = organization if isinstance(organization, int) else organization.pk
        return _configuration.get(
            ("categories", organization_id), seconds=CONFIGURATION_SECONDS,
            load=lambda: cls({c.pk: c for c in Category.objects.filter(organization_id=organization_id)}))

    def service_of(self, category_id: int | None) -> Category | None:
        """The category, or its nearest ancestor, that is an active Open311 service."""
        seen = 0
        category = self.by_id.get(category_id) if category_id else None
        while category is not None and seen < 20:
            if category.open311_service_code and category.is_active:
                return category
            category = self.by_id.get(category.parent_id) if category.parent_id else None
            seen += 1
        return None

    def service_name_and_code(self, category_id: int | None, language: str) -> tuple[str, str]:
        """The name (in `language`, the current one) and code of the category's service; ("", "") if none."""
        found = self._service_names.get((language, category_id))
        if found is None:
            service = self.service_of(category_id)
            found = (str(service.name), service.open311_service_code) if service else ("", "")
            self._service_names[(language, category_id)] = found
        return found

    def services(self) -> list[Category]:
        return sorted(
            (c for c in self.by_id.values() if c.open311_service_code and c.is_active),
            key=lambda c: (c.open311_service_code, c.pk),
        )

    def service_by_code(self, code: str) -> Category | None:
        return next((c for c in self.services() if c.open311_service_code == code), None)

    def category_ids_for_codes(self, codes: list[str]) -> list[int]:
        wanted = set(codes)
        return [pk for pk in self.by_id if (s := self.service_of(pk)) and s.open311_service_code in wanted]

    def group_name(self, category: Category) -> str:
        parent = self.by_id.get(category.parent_id) if category.parent_id else None
        return parent.name if parent else ""


def postable_case_types(organization: Organization) -> list[CaseType]:
    """The case types an application may post as: active, for residents, not special (cached like categories)."""
    def load() -> list[CaseType]:
        types = CaseType.objects.filter(organization=organization, is_active=True, kind__in=POSTABLE_KINDS).filter(
            special_data_groups__isnull=True
        )
        return sorted(types, key=lambda t: (POSTABLE_KINDS.index(t.kind), t.name))

    return _configuration.get(("case_types", organization.pk), seconds=CONFIGURATION_SECONDS, load=load)


def service_questions(organization: Organization | int) -> dict[int, list[TopicQuestion]]:
    """The questions of the residents' form topics, per category the topics file under (cached like categories).

    Only topics that take contacts (active, not sent elsewhere) and do not name a case type
    guarded by special-category groups; in the form's order (topic, then question). 1 query.
    The instances are shared between requests and only read: their translated fields resolve in
    each request's language.
    """
    organization_id = organization if isinstance(organization, int) else organization.pk

    def load() -> dict[int, list[TopicQuestion]]:
        questions = (
            TopicQuestion.objects.filter(topic__organization_id=organization_id, topic__is_active=True,
                                         topic__redirect_url="", topic__category__isnull=False)
            .exclude(topic__case_types__special_data_groups__isnull=False)
            .select_related("topic")
            .order_by("topic__position", "topic_id", "position", "id")
        )
        by_category: dict[int, list[TopicQuestion]] = {}
        for question in questions:
            by_category.setdefault(question.topic.category_id or 0, []).append(question)
        return by_category

    return _configuration.get(("questions", organization_id), seconds=CONFIGURATION_SECONDS, load=load)


# The active organisations, per process until the configuration changes.
_organizations: ConfigCache[list[Organization]] = ConfigCache(max_entries=1)
# An organisation's categories, postable case types and form questions, per process (CONFIGURATION_SECONDS).
_configuration: ProcessCache[Any] = ProcessCache()


def configuration_forget() -> None:
    """Drop the cached organisations, categories and case types (tests; a changed configuration shows
    at once for organisations and within 30 s for the rest anyway)."""
    _configuration.clear()
    _organizations.clear()


@dataclass
class ServiceRequestRow:
    """What a request shows, read as plain values (no model instances): the case's listed columns
    (`_LISTED_COLUMNS`), its service and the name of its owner group (the agency)."""

    reference: str
    status: str
    public_works_status: str
    created_at: dt.datetime
    last_activity_at: dt.datetime
    lat: float | None
    lon: float | None
    public_title: str
    public_text: str
    public_answer: str
    service_name: str  # of its service (the primary category or its nearest coded ancestor); "" if none
    service_code: str
    is_public: bool
    agency: str
    media_url: str = ""  # the address a posting application gave (`Case.form_answers["media_url"]`), never fetched


@dataclass
class ServiceGroupIndex:
    """An organisation's service groups (their names are the agencies), with each name read once per language."""

    by_id: dict[int, ServiceGroup]
    names: dict[tuple[str, int | None], str] = field(default_factory=dict)

    def name(self, group_id: int | None, language: str) -> str:
        found = self.names.get((language, group_id))
        if found is None:
            group = self.by_id.get(group_id) if group_id is not None else None
            found = self.names[(language, group_id)] = str(group.name) if group else ""
        return found


def _service_groups(organization_id: int) -> ServiceGroupIndex:
    """The organisation's service groups, cached like the categories."""
    return _configuration.get(
        ("groups", organization_id), seconds=CONFIGURATION_SECONDS,
        load=lambda: ServiceGroupIndex({g.pk: g for g in ServiceGroup.objects.filter(organization_id=organization_id)}))


# A listed request's columns, in the order of `_LISTED_SQL` and `_listed`'s tuples.
_LISTED_COLUMNS = (
    "reference", "status", "public_works_status", "created_at", "last_activity_at", "lat", "lon", "public_title",
    "public_text", "public_answer", "is_published", "owner_group_id", "organization_id",
)
# The same columns written out for PostgreSQL, with the times as UTC text: Django's loader of aware
# datetimes costs more than the rest of a row (docs/benchmarks.md, Open311), fromisoformat a tenth.
_LISTED_SQL = """
SELECT c.reference, c.status, c.public_works_status, (c.created_at AT TIME ZONE 'UTC')::text,
       (c.last_activity_at AT TIME ZONE 'UTC')::text, c.lat, c.lon, c.public_title, c.public_text,
       c.public_answer, c.is_published, c.owner_group_id, c.organization_id,
       (SELECT cc.category_id FROM cases_casecategory cc WHERE cc.case_id = c.id AND cc.is_primary LIMIT 1),
       c.form_answers ->> %s
  FROM cases_case c
"""


def _listed(cases: QuerySet[Case]) -> QuerySet[Case, tuple[Any, ...]]:
    """The columns a request shows as tuples, and its primary category in the same statement."""
    primary = CaseCategory.objects.filter(case_id=OuterRef("pk"), is_primary=True).values("category_id")[:1]
    return cases.annotate(primary_category_id=Subquery(primary), media_url=KT(f"form_answers__{MEDIA_URL_KEY}")
                          ).values_list(*_LISTED_COLUMNS, "primary_category_id", "media_url")


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _rows(cases: list[tuple[Any, ...]]) -> list[ServiceRequestRow]:
    """Rows with their service and owner group's name (no query while the configuration is cached)."""
    if not cases:
        return []
    organization_id = cases[0][12]
    index = CategoryIndex.load(organization_id)
    groups = _service_groups(organization_id)
    language = translation.get_language() or ""
    rows = []
    for (reference, status, works_status, created_at, last_activity_at, lat, lon, public_title, public_text,
         public_answer, is_published, group_id, _organization_id, category_id, media_url) in cases:
        service = index.service_name_and_code(category_id, language)  # worked out once per language
        rows.append(ServiceRequestRow(
            reference=reference, status=status, public_works_status=works_status,
            created_at=_utc(created_at) if isinstance(created_at, str) else created_at,
            last_activity_at=_utc(last_activity_at) if isinstance(last_activity_at, str) else last_activity_at,
            lat=lat, lon=lon, public_title=public_title, public_text=public_text, public_answer=public_answer,
            service_name=service[0], service_code=service[1], is_public=is_published,
            agency=groups.name(group_id, language), media_url=media_url or "",
        ))
    return rows


def _published(organization: Organization) -> QuerySet[Case]:
    return Case.objects.filter(organization=organization, is_published=True, contains_special_categories=False)


def _distance_m(lat: float, lon: float) -> Any:
    """Great-circle distance from the point, as a database expression (haversine)."""
    dlat = Radians(F("lat") - lat) / 2
    dlon = Radians(F("lon") - lon) / 2
    a = Power(Sin(dlat), 2) + math.cos(math.radians(lat)) * Cos(Radians(F("lat"))) * Power(Sin(dlon), 2)
    return 2 * EARTH_RADIUS_M * ASin(Sqrt(a, output_field=FloatField()))


def _filtered(cases: QuerySet[Case], filters: RequestFilters, category_ids: list[int]) -> QuerySet[Case]:
    if filters.service_codes:
        cases = cases.filter(case_categories__is_primary=True, case_categories__category_id__in=category_ids)
    if filters.statuses and len(set(filters.statuses)) == 1:
        # exclude(status=closed) is how the partial "open" indexes are matched (CaseQuerySet.open).
        closed = filters.statuses[0] == "closed"
        cases = cases.filter(status=Status.CLOSED) if closed else cases.exclude(status=Status.CLOSED)
    if filters.start_date:
        cases = cases.filter(created_at__gte=filters.start_date)
    if filters.end_date:
        cases = cases.filter(created_at__lte=filters.end_date)
    if filters.updated_after:
        cases = cases.filter(last_activity_at__gte=filters.updated_after)
    if filters.updated_before:
        cases = cases.filter(last_activity_at__lte=filters.updated_before)
    if filters.bbox:
        south, west, north, east = filters.bbox
        cases = cases.filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)
    if filters.near:
        lat, lon, radius = filters.near
        # A bounding box first, so the index on (organization, lat, lon) does the work; then the exact circle.
        dlat = math.degrees(radius / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        cases = cases.filter(
            lat__gte=lat - dlat, lat__lte=lat + dlat, lon__gte=lon - dlon, lon__lte=lon + dlon
        ).alias(distance=_distance_m(lat, lon)).filter(distance__lte=radius)
    return cases


def service_requests(*, organization: Organization, filters: RequestFilters) -> list[ServiceRequestRow]:
    """One page of the organisation's published requests, newest first.

    1 query (the page, with each row's primary category), plus 1 each for the organisation's
    categories and service groups when this process has not read them in CONFIGURATION_SECONDS.

    With `service_request_id` the other filters are ignored, as the spec says, and each listed
    reference is answered as a single request would be (unpublished ones with status and dates).
    """
    if filters.service_request_ids:
        references = [r for r in (_reference(i) for i in filters.service_request_ids) if r]
        found = list(_listed(
            Case.objects.filter(organization=organization, reference__in=references,
                                contains_special_categories=False)
        ).order_by("-created_at", "-id"))
        return _rows(found)
    if filters.service_codes:
        codes_index = CategoryIndex.load(organization)
        category_ids = codes_index.category_ids_for_codes(filters.service_codes)
    else:
        category_ids = []
    offset = (filters.page - 1) * filters.page_size
    if connection.vendor == "postgresql":
        return _rows(_page_postgresql(organization_id=organization.pk, filters=filters, category_ids=category_ids,
                                      offset=offset))
    cases = _filtered(_published(organization), filters, category_ids)
    # A deferred join in one statement: the page's ids come from the index alone where an index
    # covers the filters (docs/benchmarks.md, Open311), then only those rows are read.
    ids = cases.order_by("-created_at", "-id").values("pk")[offset: offset + filters.page_size]
    return _rows(list(_listed(Case.objects.filter(pk__in=ids)).order_by("-created_at", "-id")))


def _page_postgresql(*, organization_id: int, filters: RequestFilters, category_ids: list[int],
                     offset: int) -> list[tuple[Any, ...]]:
    """`_filtered`'s page as one statement written out: composing it with the ORM cost more CPU than
    PostgreSQL spends running it (docs/benchmarks.md, Open311). The same conditions, in the form the
    indexes match (`case_public_location_idx`, `case_public_list_idx`); the same deferred join."""
    where = ["u.organization_id = %s", "u.is_published", "NOT u.contains_special_categories"]
    params: list[Any] = [organization_id]
    if filters.service_codes:
        where.append("EXISTS (SELECT 1 FROM cases_casecategory cc WHERE cc.case_id = u.id AND cc.is_primary"
                     " AND cc.category_id = ANY(%s))")
        params.append(category_ids)
    if filters.statuses and len(set(filters.statuses)) == 1:
        where.append("u.status = %s" if filters.statuses[0] == "closed" else "NOT (u.status = %s)")
        params.append(Status.CLOSED.value)
    for column, operator, value in (("created_at", ">=", filters.start_date), ("created_at", "<=", filters.end_date),
                                    ("last_activity_at", ">=", filters.updated_after),
                                    ("last_activity_at", "<=", filters.updated_before)):
        if value is not None:
            where.append(f"u.{column} {operator} %s")
            params.append(value)
    if filters.bbox:
        south, west, north, east = filters.bbox
        where.append("u.lat >= %s AND u.lat <= %s AND u.lon >= %s AND u.lon <= %s")
        params += [south, north, west, east]
    if filters.near:
        lat, lon, radius = filters.near
        dlat = math.degrees(radius / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        # The bounding box for the index, then the exact circle (haversine, as `_distance_m`).
        where.append("u.lat >= %s AND u.lat <= %s AND u.lon >= %s AND u.lon <= %s")
        params += [lat - dlat, lat + dlat, lon - dlon, lon + dlon]
        where.append("%s * ASIN(SQRT(POWER(SIN(RADIANS(u.lat - %s) / 2), 2) + %s * COS(RADIANS(u.lat))"
                     " * POWER(SIN(RADIANS(u.lon - %s) / 2), 2))) <= %s")
        params += [2 * EARTH_RADIUS_M, lat, math.cos(math.radians(lat)), lon, radius]
    # Only the fixed fragments above are joined; every value is a parameter.
    conditions = " AND ".join(where)
    sql = (
        f"{_LISTED_SQL} WHERE c.id IN (SELECT u.id FROM cases_case u WHERE {conditions}"  # noqa: S608
        " ORDER BY u.created_at DESC, u.id DESC LIMIT %s OFFSET %s) ORDER BY c.created_at DESC, c.id DESC"
    )
    with prepared_cursor() as cursor:  # parsed and planned once per connection and shape of filters
        cursor.execute(sql, [MEDIA_URL_KEY, *params, filters.page_size, offset])
        return cursor.fetchall()


def _reference(value: str) -> str | None:
    match = REFERENCE_RE.match(value or "")
    return f"{match.group(1)}-{int(match.group(2)):06d}" if match else None


def service_request(*, organization: Organization, service_request_id: str) -> ServiceRequestRow:
    """The request with this reference; unpublished ones are reduced to status and dates (1–3 queries)."""
    reference = _reference(service_request_id)
    case = (
        _listed(Case.objects.filter(organization=organization, reference=reference, contains_special_categories=False))
        .order_by("pk").first()
        if reference else None
    )
    if case is None:
        raise Open311Error(_("service_request_id: not found."), status_code=404)
    return _rows([case])[0]


def service_request_for_token(*, organization: Organization, token: str) -> Case:
    """The case behind a token from POST requests (its tracking token, 1 query)."""
    if not token or len(token) > 64:
        raise Open311Error(_("token: not found."), status_code=404)
    case = Case.objects.filter(organization=organization, tracking_token=token).only("id", "reference").first()
    if case is None:
        raise Open311Error(_("token: not found."), status_code=404)
    return case
