"""Reads for the residents' pages. Nothing here may return staff-only data."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case, CaseCategory, CaseType, Category, EntryKind, Status, TimelineEntry
from civicdesk.core.errors import ApplicationError, NotFoundError
from civicdesk.organizations.models import Area, Organization, Theme
from civicdesk.organizations.selectors import area_for_point

CUSTOMER_VISIBLE_KINDS = (EntryKind.CREATED, EntryKind.INBOUND_MESSAGE, EntryKind.OUTBOUND_REPLY)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def organizations_taking_contacts() -> QuerySet[Organization]:
    return Organization.objects.filter(is_active=True).order_by("name")


def organization_for_contact(*, slug: str) -> Organization:
    organization = organizations_taking_contacts().filter(slug=slug).first()
    if organization is None:
        raise NotFoundError()
    return organization


_organizations: dict[str, tuple[float, Organization]] = {}


def organization_for_contact_cached(*, slug: str) -> Organization:
    """`organization_for_contact`, kept per process for PORTAL_FORM_CACHE_SECONDS like the form's configuration.

    For the hottest paths (the form's submission and the map's nearby lookup): a deactivated
    organisation stops taking contacts within that time. The instance is shared: only read it.
    """
    seconds = settings.PORTAL_FORM_CACHE_SECONDS
    if not seconds:
        return organization_for_contact(slug=slug)
    cached = _organizations.get(slug)
    if cached is not None and time.monotonic() - cached[0] <= seconds:
        return cached[1]
    organization = organization_for_contact(slug=slug)
    if len(_organizations) > 200:
        _organizations.clear()
    _organizations[slug] = (time.monotonic(), organization)
    return organization


def contact_topics(*, organization: Organization) -> QuerySet[Category]:
    """The categories a resident may choose, in the current language's alphabetical order."""
    return Category.objects.filter(organization=organization, is_active=True).order_by("name")


def contact_case_types(*, organization: Organization) -> QuerySet[CaseType]:
    return CaseType.objects.filter(organization=organization, is_active=True).order_by("name")


def case_for_tracking(*, token: str) -> Case:
    """The case behind a private tracking link; a merged case leads to the one it was merged into.

    Anything but an exact, current token gives NotFoundError, with no hint whether it existed.
    """
    if not TOKEN_RE.fullmatch(token or ""):
        raise NotFoundError()
    case = Case.objects.select_related("organization", "merged_into").filter(tracking_token=token).first()
    if case is None:
        raise NotFoundError()
    return case.merged_into or case


def case_customer_timeline(*, case: Case) -> list[TimelineEntry]:
    """What the customer may see of the case's history: their own messages and the city's replies.

    Internal notes, comment requests, forwards and staff names never appear (1 query).
    """
    return list(
        TimelineEntry.objects.filter(case=case, is_internal=False, kind__in=CUSTOMER_VISIBLE_KINDS)
        .only("id", "kind", "body", "created_at", "data", "case_id")
        .order_by("created_at", "id")
    )


# --- The contact form's map: contacts already made nearby (R1.2) ----------------------------------

# The lookup itself is `intake.selectors.contacts_nearby` (the view calls it).


# --- Public contacts: the list, the map and each case's page (R1.7, R1.6, R9.4) -------------------
#
# `public_cases` is the only door to cases for anonymous readers. It admits what staff published
# and nothing holding special categories, and the readers below copy only the public columns into
# `PublicCase`, so a template cannot reach the customer's name, email, phone, address, the
# original text or anything unpublished even by mistake.

PUBLIC_PAGE_SIZE = 20
# The list counts at most this many rows past the page shown (like the staff queues, ADR 0011).
PUBLIC_COUNT_AHEAD = 1000
# The map's JSON never holds more than this many points; the newest come first.
PUBLIC_MAP_LIMIT = 1000
# Coordinates are published rounded to 4 decimals (about 10 m): enough to see that a fault is
# already known, not enough to point at a front door.
PUBLIC_COORDINATE_DECIMALS = 4


class PublicStatus(models.TextChoices):
    """The case's status in a resident's words."""

    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being handled")
    DONE = "done", _("Handled")


_STATUS_FOR_PUBLIC = {
    Status.NEW: PublicStatus.RECEIVED,
    Status.OPEN: PublicStatus.IN_PROGRESS,
    Status.WAITING: PublicStatus.IN_PROGRESS,
    Status.CLOSED: PublicStatus.DONE,
}
_PUBLIC_STATUS_FILTER = {
    PublicStatus.RECEIVED: models.Q(status=Status.NEW),
    PublicStatus.IN_PROGRESS: models.Q(status__in=(Status.OPEN, Status.WAITING)),
    PublicStatus.DONE: models.Q(status=Status.CLOSED),
}
_PUBLIC_WORKS_TEXT = {
    "PUBLIC_WORKS_NEW": _("Work ordered"),
    "PUBLIC_WORKS_IN_PROGRESS": _("Work in progress"),
    "PUBLIC_WORKS_COMPLETED": _("Work done"),
    "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER": _("Scheduled for later"),
    "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION": _("No work needed"),
    "PUBLIC_WORKS_INTERRUPTED": _("Work interrupted"),
}
REFERENCE_RE = re.compile(r"\d{4}-\d{1,10}")


@dataclass(frozen=True)
class PublicCase:
    """What anyone may read of a published case; nothing else is ever copied in."""

    reference: str
    title: str
    text: str
    answer: str
    created_at: datetime
    published_at: datetime | None
    status: str
    public_works_status: str
    lat: float | None
    lon: float | None
    area_name: str = ""
    categories: tuple[str, ...] = ()

    @property
    def status_text(self) -> str:
        return str(PublicStatus(self.status).label)

    @property
    def work_text(self) -> str:
        return str(_PUBLIC_WORKS_TEXT.get(self.public_works_status, ""))

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class PublicFilters:
    """Validated filters of the public list and map; every field optional."""

    category_ids: tuple[int, ...] | None = None
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class PublicPage:
    cases: list[PublicCase]
    number: int
    page_size: int
    total: int
    total_is_exact: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.total > self.number * self.page_size

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class PublicPoint:
    """One published case on the public map: just enough for a marker and its popup."""

    reference: str
    title: str
    created_at: datetime
    status: str
    lat: float
    lon: float
    category: str
    category_name: str


@dataclass(frozen=True)
class Bbox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


_PUBLIC_COLUMNS = ("id", "reference", "public_title", "public_text", "public_answer", "created_at", "published_at",
                   "status", "public_works_status", "lat", "lon", "area_id")


def public_cases(*, organization: Organization) -> QuerySet[Case]:
    """The organisation's published cases that may be shown to anyone.

    Published by staff (`case_publish` checked the texts for personal data), never holding special
    categories of personal data (even if the flag was set after publication), never merged away.
    The condition matches the partial indexes `case_public_list_idx` and `case_public_location_idx`.
    """
    return Case.objects.filter(
        organization=organization, is_published=True, contains_special_categories=False, merged_into__isnull=True
    )


def _filtered(qs: QuerySet[Case], filters: PublicFilters) -> QuerySet[Case]:
    if filters.category_ids is not None:
        qs = qs.filter(Exists(CaseCategory.objects.filter(case=OuterRef("pk"), category_id__in=filters.category_ids)))
    if filters.status:
        qs = qs.filter(_PUBLIC_STATUS_FILTER[PublicStatus(filters.status)])
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(created_at__lt=filters.until)
    return qs


def public_categories(*, organization: Organization) -> list[Category]:
    """The active categories residents may filter by, parents before their children (1 query)."""
    categories = list(Category.objects.filter(organization=organization, is_active=True).order_by("name"))
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    known = {c.pk for c in categories}
    ordered: list[Category] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for category in children.get(parent_id, []):
            category.depth = depth  # type: ignore[attr-defined]
            ordered.append(category)
            walk(category.pk, depth + 1)

    walk(None, 0)
    # A child of an inactive parent is still offered, at the top level.
    for category in categories:
        if category.parent_id is not None and category.parent_id not in known:
            category.depth = 0  # type: ignore[attr-defined]
            ordered.append(category)
            walk(category.pk, 1)
    return ordered


def category_with_descendants(*, categories: list[Category], chosen: Category) -> tuple[int, ...]:
    """The chosen category's id and those of the categories under it: a parent finds its children's cases."""
    by_parent: dict[int | None, list[int]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category.pk)
    found, stack = [chosen.pk], [chosen.pk]
    while stack:
        for child in by_parent.get(stack.pop(), []):
            if child not in found:
                found.append(child)
                stack.append(child)
    return tuple(found)


def _public_case(row: Case, *, areas: dict[int, str], categories: dict[int, list[str]]) -> PublicCase:
    rounded = PUBLIC_COORDINATE_DECIMALS
    return PublicCase(
        reference=row.reference, title=row.public_title, text=row.public_text, answer=row.public_answer,
        created_at=row.created_at, published_at=row.published_at,
        status=_STATUS_FOR_PUBLIC.get(Status(row.status), PublicStatus.IN_PROGRESS).value,
        public_works_status=row.public_works_status,
        lat=round(row.lat, rounded) if row.lat is not None else None,
        lon=round(row.lon, rounded) if row.lon is not None else None,
        area_name=areas.get(row.area_id or 0, ""), categories=tuple(categories.get(row.pk, [])),
    )


def _public_rows(rows: list[Case]) -> list[PublicCase]:
    """Copy the public columns, with area and category names in the current language (2 queries)."""
    if not rows:
        return []
    area_ids = {row.area_id for row in rows if row.area_id}
    # Not the outlines: a district's GeoJSON is far larger than everything else on the page.
    areas = ({area.pk: area.name for area in Area.objects.filter(pk__in=area_ids).defer("geometry")}
             if area_ids else {})
    names: dict[int, list[str]] = {}
    for link in (
        CaseCategory.objects.filter(case_id__in=[row.pk for row in rows])
        .select_related("category").order_by("-is_primary", "id")
    ):
        names.setdefault(link.case_id, []).append(link.category.name)
    return [_public_case(row, areas=areas, categories=names) for row in rows]


def public_case_page(*, organization: Organization, filters: PublicFilters, page: int = 1,
                     page_size: int | None = None) -> PublicPage:
    """One page of published cases, newest contact first (4 queries; 3 when the page is empty).

    The count stops `PUBLIC_COUNT_AHEAD` rows past the page, so that a city with a million
    published cases still answers at once; `total_is_exact` says whether it stopped.
    """
    page_size = page_size or PUBLIC_PAGE_SIZE
    qs = _filtered(public_cases(organization=organization), filters)
    page = max(1, page)
    offset = (page - 1) * page_size
    limit = offset + page_size + PUBLIC_COUNT_AHEAD
    total = qs.order_by().values("pk")[:limit].count()
    rows = list(qs.only(*_PUBLIC_COLUMNS).order_by("-created_at", "-id")[offset:offset + page_size])
    return PublicPage(cases=_public_rows(rows), number=page, page_size=page_size, total=total,
                      total_is_exact=total < limit)


def public_case_get(*, organization: Organization, reference: str) -> PublicCase:
    """One published case by its reference; anything else (unknown, unpublished, special) is NotFoundError."""
    if not REFERENCE_RE.fullmatch(reference or ""):
        raise NotFoundError()
    row = public_cases(organization=organization).filter(reference=reference).only(*_PUBLIC_COLUMNS).first()
    if row is None:
        raise NotFoundError()
    return _public_rows([row])[0]


def public_map_points(*, organization: Organization, filters: PublicFilters, bbox: Bbox | None = None,
                      limit: int | None = None) -> tuple[list[PublicPoint], bool]:
    """The newest `limit` published cases with a location (inside `bbox`), for the map.

    Returns (points, truncated). 2 queries: the cases with their primary category, the categories.
    """
    limit = limit or PUBLIC_MAP_LIMIT
    qs = _filtered(public_cases(organization=organization), filters).filter(lat__isnull=False, lon__isnull=False)
    if bbox is not None:
        qs = qs.filter(lat__gte=bbox.min_lat, lat__lte=bbox.max_lat, lon__gte=bbox.min_lon, lon__lte=bbox.max_lon)
    # The primary category comes in the same statement (a correlated subquery on the unique
    # (case, category) index): a second query with 1,000 ids costs more to send than to run.
    primary = CaseCategory.objects.filter(case=OuterRef("pk"), is_primary=True).values("category_id")[:1]
    rows = list(
        qs.order_by("-created_at", "-id").annotate(primary_category=Subquery(primary)).values_list(
            "reference", "public_title", "created_at", "status", "lat", "lon", "primary_category"
        )[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    # Plain tuples, not model instances: building 2,000 objects cost more than the queries.
    names: dict[int, tuple[str, str]] = {}
    if rows:
        names = {c.pk: (c.code, c.name) for c in Category.objects.filter(organization=organization)}
    decimals = PUBLIC_COORDINATE_DECIMALS
    points: list[PublicPoint] = []
    for reference, title, created_at, status, lat, lon, category_id in rows:
        code, name = names.get(category_id or 0, ("", ""))
        points.append(PublicPoint(
            reference=reference, title=title, created_at=created_at,
            status=_STATUS_FOR_PUBLIC.get(Status(status), PublicStatus.IN_PROGRESS).value,
            lat=round(lat or 0.0, decimals), lon=round(lon or 0.0, decimals), category=code, category_name=name,
        ))
    return points, truncated


def category_for_topic(*, organization: Organization, topic: str) -> Category | None:
    """The active category a `?topic=` parameter names, by id or by code; None for anything else (1 query)."""
    topic = (topic or "").strip()
    if not topic or len(topic) > 63:
        return None
    qs = Category.objects.filter(organization=organization, is_active=True)
    return (qs.filter(pk=int(topic)) if topic.isdigit() else qs.filter(code=topic)).first()


def area_for_public_place(*, organization: Organization, area_code: str = "", lat: str = "", lon: str = ""
                          ) -> Area | None:
    """The area an area code or a point (strings from a query) falls in; None when neither is valid."""
    if area_code:
        return Area.objects.filter(organization=organization, code=area_code[:63]).first()
    try:
        return area_for_point(organization=organization, lat=float(lat), lon=float(lon))
    except (ValueError, TypeError, ApplicationError):
        return None


def theme_for(*, slug: str) -> Theme:
    """The theme of an active organisation; NotFoundError when it has none (1 query)."""
    theme = Theme.objects.filter(organization__slug=slug, organization__is_active=True).first()
    if theme is None:
        raise NotFoundError()
    return theme
