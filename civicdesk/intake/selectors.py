"""Reads for the residents' contact form: topics, their questions, the address list and the contacts
already made nearby (R1.1–R1.3). Nothing here returns personal data or unpublished text."""

from __future__ import annotations

import datetime as dt
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases.models import Attachment, Case, CaseType, EntryKind, Status
from civicdesk.core.errors import InvalidInputError, NotFoundError
from civicdesk.core.prepared_statements import prepared_cursor
from civicdesk.intake.models import (
    CASE_KIND_OF,
    AddressPoint,
    ContactFormSettings,
    ContactKind,
    Topic,
    TopicQuestion,
    address_key,
)
from civicdesk.organizations.geometry import degrees_around, validate_coordinates
from civicdesk.organizations.models import Area, Organization

# The form's map shows contacts within this distance of the marked point (R1.2).
NEARBY_RADIUS_M = 400
NEARBY_LIMIT = 60
# Open contacts older than this are not shown: the map is about what is known now.
NEARBY_DAYS = 365
# Unpublished contacts are shown on a grid of about 110 m, never at their exact point.
APPROXIMATE_LAT_STEP = 0.001
APPROXIMATE_LON_STEP = 0.002
ADDRESS_RESULTS = 8
ADDRESS_QUERY_MAX = 100


def search_fold(text: str) -> str:
    """Text as topic search compares it: case-folded, accents removed (ä→a), so "katuvalo" finds "Katuvalo"."""
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def topics_for_form(*, organization: Organization) -> list[Topic]:
    """The organisation's active topics, redirects included, in the content admin's order (1 query)."""
    return list(
        Topic.objects.filter(organization=organization, is_active=True)
        .select_related("category")
        .order_by("position", "name", "id")
    )


def topic_search_text(topic: Topic) -> str:
    """What the topic list searches in the current language: name, keywords and description, folded."""
    return search_fold(" ".join((topic.name, topic.keywords or "", topic.description or "")))


def topics_matching(topics: Iterable[Topic], query: str) -> list[Topic]:
    """Topics in whose text every word of the query occurs (the same rule as static/js/contact-form.js)."""
    words = search_fold(query or "").split()[:10]
    if not words:
        return list(topics)
    return [topic for topic in topics if all(word in topic_search_text(topic) for word in words)]


def topic_for_form(*, organization: Organization, slug: str) -> Topic:
    """An active topic of the organisation by its identifier; NotFoundError otherwise (1 query)."""
    topic = (
        Topic.objects.filter(organization=organization, slug=slug, is_active=True)
        .select_related("category").first()
    )
    if topic is None:
        raise NotFoundError()
    return topic


def topic_questions(*, topic: Topic | None) -> list[TopicQuestion]:
    """The topic's questions in order (1 query; none for the general form)."""
    if topic is None:
        return []
    return list(TopicQuestion.objects.filter(topic=topic).order_by("position", "id"))


GENERAL_KINDS: tuple[str, ...] = tuple(ContactKind.values)


def kinds_offered(topic: Topic | None) -> list[str]:
    """The contact kinds the resident may choose, in ContactKind's order."""
    wanted = set(topic.kinds if topic is not None else GENERAL_KINDS)
    return [kind for kind in ContactKind.values if kind in wanted]


def case_types_for_form(*, organization: Organization, topic: Topic | None) -> dict[str, CaseType]:
    """The case type each offered contact kind creates (1–2 queries).

    The topic's own case types come first; otherwise the organisation's active type of the kind
    that no special-category groups guard (those are for the topics that name them).
    """
    offered = kinds_offered(topic)
    case_kinds = {CASE_KIND_OF[kind][0] for kind in offered}
    by_kind: dict[str, CaseType] = {}
    if topic is not None and topic.pk:
        for case_type in topic.case_types.filter(is_active=True, kind__in=case_kinds).order_by("code"):
            by_kind.setdefault(case_type.kind, case_type)
    missing = case_kinds - set(by_kind)
    if missing:
        general = CaseType.objects.filter(
            organization=organization, is_active=True, kind__in=missing, special_data_groups__isnull=True
        ).order_by("code")
        for case_type in general:
            by_kind.setdefault(case_type.kind, case_type)
    return {kind: by_kind[CASE_KIND_OF[kind][0]] for kind in offered if CASE_KIND_OF[kind][0] in by_kind}


def form_settings(*, organization: Organization) -> ContactFormSettings:
    """The organisation's form settings, or unsaved defaults (1 query)."""
    settings = ContactFormSettings.objects.filter(organization=organization).first()
    return settings or ContactFormSettings(organization=organization)


@dataclass(frozen=True)
class FormConfiguration:
    """What a topic's form is made of, read once: the topic, its questions, case types and form settings."""

    topic: Topic | None
    questions: list[TopicQuestion]
    case_types: dict[str, CaseType]
    form_settings: ContactFormSettings


_configurations: dict[tuple[int, str], tuple[float, FormConfiguration]] = {}
_configurations_lock = threading.Lock()


def form_configuration(*, organization: Organization, topic_slug: str | None) -> FormConfiguration:
    """The form of a topic (or the general form, `topic_slug` None): 0 queries when cached, else 4–5.

    Kept per process for `PORTAL_FORM_CACHE_SECONDS` (30 s by default; 0 in tests), like the Open311
    service list: a content admin's change shows within that time. The instances are shared between
    requests and only read; translated fields resolve in each request's language when read.
    An unknown or inactive topic raises NotFoundError and is not cached.
    """
    seconds = django_settings.PORTAL_FORM_CACHE_SECONDS
    key = (organization.pk, topic_slug or "")
    cached = _configurations.get(key) if seconds else None
    if cached is not None and time.monotonic() - cached[0] <= seconds:
        return cached[1]
    topic = topic_for_form(organization=organization, slug=topic_slug) if topic_slug else None
    configuration = FormConfiguration(
        topic=topic, questions=topic_questions(topic=topic),
        case_types=case_types_for_form(organization=organization, topic=topic),
        form_settings=form_settings(organization=organization),
    )
    if seconds:
        with _configurations_lock:
            if len(_configurations) > 2000:
                _configurations.clear()
            _configurations[key] = (time.monotonic(), configuration)
    return configuration


def form_configuration_cache_clear() -> None:
    _configurations.clear()


# --- addresses ------------------------------------------------------------------------------


def addresses_matching(*, organization: Organization, query: str, limit: int = ADDRESS_RESULTS) -> list[AddressPoint]:
    """Addresses of the organisation's list that start with the query (prefix search on an index; 1 query)."""
    key = address_key(query[:ADDRESS_QUERY_MAX])
    if len(key) < 2:
        return []
    return list(AddressPoint.objects.filter(organization=organization, search_key__startswith=key)
                .order_by("search_key")[:limit])


def address_point_for(*, organization: Organization, address: str) -> AddressPoint | None:
    """The one address of the list that the typed address names, for the form without JavaScript (1 query).

    "Kauppakatu 5, 00100 Merilahti" matches "Kauppakatu 5"; an ambiguous prefix matches nothing.
    """
    key = address_key((address or "").split(",")[0][:ADDRESS_QUERY_MAX])
    if len(key) < 3:
        return None
    found = list(AddressPoint.objects.filter(organization=organization, search_key__startswith=key)
                 .order_by("search_key")[:2])
    exact = [point for point in found if point.search_key == key]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


# --- contacts already made nearby (R1.2) -----------------------------------------------------


@dataclass(frozen=True)
class NearbyContact:
    """A contact on the form's map. Unpublished ones carry no text, no reference and an approximate point."""

    published: bool
    lat: float
    lon: float
    status: str
    created_at: dt.datetime
    title: str = ""
    reference: str = ""


def _approximate(value: float, step: float) -> float:
    return round(round(value / step) * step, 6)


def parse_point(lat: object, lon: object) -> tuple[float, float]:
    """Coordinates from a query string; a translated InvalidInputError for anything but two finite numbers."""
    if lat in (None, "") or lon in (None, ""):
        raise InvalidInputError(_("Give both latitude and longitude."), field="location")
    lat_f, lon_f = validate_coordinates(lat=lat, lon=lon)
    return lat_f, lon_f


# One fixed statement, written out (composing it with the ORM cost more than running it), as a
# deferred join: the candidates' ids and dates come from the covering GiST index
# `case_nearby_covering_gist` alone (cases migration 0012), and only the page's rows are read from
# the table. Its conditions repeat the index's (not closed or published, no special categories, not
# merged). The point is written (lat, lon), the index's order, so the planner cannot take the
# narrower `case_nearby_point_gist` (lon, lat; intake migration 0002), which costs it the same but
# visits the table for every case in the box. The date comes as UTC text: `datetime.fromisoformat`
# reads it in a fraction of the time Django's loader takes.
_NEARBY_SQL = """
SELECT c.reference, c.lat, c.lon, c.status, (c.created_at AT TIME ZONE 'UTC')::text, c.is_published,
       c.public_title
  FROM cases_case c
 WHERE c.id IN (
       SELECT u.id
         FROM cases_case u
         JOIN cases_casecategory cc ON cc.case_id = u.id AND cc.category_id = %(category)s
        WHERE point(u.lat, u.lon) <@ box(point(%(south)s, %(west)s), point(%(north)s, %(east)s))
          AND u.lat IS NOT NULL AND NOT u.contains_special_categories AND u.merged_into_id IS NULL
          AND (u.is_published OR NOT (u.status = 'closed'))
          AND u.organization_id = %(organization)s AND u.created_at >= %(since)s
        ORDER BY u.created_at DESC
        LIMIT %(limit)s)
 ORDER BY c.created_at DESC
"""

_NearbyRow = tuple[str, float | None, float | None, str, dt.datetime, bool, str]


class _NearbyWhere(TypedDict):
    organization: int
    category: int
    since: dt.datetime
    west: float
    south: float
    east: float
    north: float
    limit: int


def contacts_nearby(
    *, organization: Organization, topic: Topic, lat: float, lon: float,
    radius_m: float = NEARBY_RADIUS_M, limit: int = NEARBY_LIMIT, now: dt.datetime | None = None,
) -> list[NearbyContact]:
    """Published and still-open contacts of the topic's category near the point, newest first (1 query).

    Never a case holding special categories of personal data, never a merged one; for unpublished
    contacts only the status, the date and a point rounded to about 110 m.
    """
    if topic.category_id is None:
        return []
    lat, lon = validate_coordinates(lat=lat, lon=lon)
    dlat, dlon = degrees_around(lat, radius_m)
    since = (now or timezone.now()) - dt.timedelta(days=NEARBY_DAYS)
    where = _NearbyWhere(organization=organization.pk, category=topic.category_id, since=since, west=lon - dlon,
                         south=lat - dlat, east=lon + dlon, north=lat + dlat, limit=limit)
    rows = _nearby_rows_sql(where) if connection.vendor == "postgresql" else _nearby_rows_orm(where)
    found: list[NearbyContact] = []
    for reference, case_lat, case_lon, status, created_at, is_published, public_title in rows:
        if case_lat is None or case_lon is None:  # the bounding box excludes them; for the type checker
            continue
        if is_published:
            found.append(NearbyContact(published=True, lat=case_lat, lon=case_lon, status=status,
                                       created_at=created_at, title=public_title, reference=reference))
        else:
            found.append(NearbyContact(
                published=False, lat=_approximate(case_lat, APPROXIMATE_LAT_STEP),
                lon=_approximate(case_lon, APPROXIMATE_LON_STEP), status=status, created_at=created_at,
            ))
    return found


def _nearby_rows_sql(where: _NearbyWhere) -> list[_NearbyRow]:
    """`contacts_nearby`'s rows on PostgreSQL: `_NEARBY_SQL`."""
    with prepared_cursor() as cursor:  # parsed and planned once per connection
        cursor.execute(_NEARBY_SQL, cast("dict[str, Any]", where))
        return [(reference, case_lat, case_lon, status, dt.datetime.fromisoformat(created).replace(tzinfo=dt.UTC),
                 is_published, public_title)
                for reference, case_lat, case_lon, status, created, is_published, public_title in cursor.fetchall()]


def _nearby_rows_orm(where: _NearbyWhere) -> list[_NearbyRow]:
    """`contacts_nearby`'s rows through the ORM (SQLite; and the reference `_NEARBY_SQL` is tested against)."""
    return list(
        Case.objects.filter(
            organization_id=where["organization"],
            lat__isnull=False,
            contains_special_categories=False,
            merged_into__isnull=True,
            created_at__gte=where["since"],
            case_categories__category_id=where["category"],
            lat__range=(where["south"], where["north"]),
            lon__range=(where["west"], where["east"]),
        )
        .filter(Q(is_published=True) | ~Q(status=Status.CLOSED))
        .order_by("-created_at")
        .values_list("reference", "lat", "lon", "status", "created_at", "is_published", "public_title")[
            : where["limit"]]
    )


# --- the map and the tracking page ----------------------------------------------------------


def map_centre(*, organization: Organization) -> dict[str, float] | None:
    """Where the form's map opens: the middle of the organisation's areas, or of its address list (1–2 queries)."""
    for model in (Area, AddressPoint):
        if model is Area:
            box = Area.objects.filter(organization=organization).aggregate(
                min_lat=Min("min_lat"), max_lat=Max("max_lat"), min_lon=Min("min_lon"), max_lon=Max("max_lon"))
        else:
            box = AddressPoint.objects.filter(organization=organization).aggregate(
                min_lat=Min("lat"), max_lat=Max("lat"), min_lon=Min("lon"), max_lon=Max("lon"))
        if box["min_lat"] is not None:
            return {"lat": round((box["min_lat"] + box["max_lat"]) / 2, 6),
                    "lon": round((box["min_lon"] + box["max_lon"]) / 2, 6),
                    "south": box["min_lat"], "north": box["max_lat"], "west": box["min_lon"], "east": box["max_lon"]}
    return None


def topic_name_for_case(*, case: Case) -> str:
    """The topic the customer chose, in the reader's language if the topic still exists (0–1 query)."""
    answers = case.form_answers if isinstance(case.form_answers, dict) else {}
    chosen = answers.get("topic")
    if not isinstance(chosen, dict):
        return ""
    topic_id = chosen.get("id")
    topic = (Topic.objects.filter(pk=topic_id, organization_id=case.organization_id).first()
             if isinstance(topic_id, int) else None)
    return str(topic.name) if topic is not None else str(chosen.get("name", ""))


def customer_files_of(*, case: Case) -> list[Attachment]:
    """The files the customer sent (with the contact or a message); never those staff attached (1 query)."""
    return list(
        Attachment.objects.filter(case=case, uploaded_by__isnull=True,
                                  entry__kind__in=(EntryKind.CREATED, EntryKind.INBOUND_MESSAGE))
        .only("id", "original_name", "size", "created_at").order_by("created_at", "id")
    )
