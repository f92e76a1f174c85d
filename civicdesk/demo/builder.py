"""Builds the demo city "Merilahti": its organisation, staff, districts, categories and two years
of cases, written through the same services that production uses.

Every case is created by `cases.services.case_create` and then handled by the real actions (take,
forward, request a comment, reply, close, publish, merge…), so the timelines, the permission
checks and the audit chain are exactly what a city running CivicDesk for two years would have.
The cases' histories are interleaved in time order, so reference numbers and audit entries
follow the calendar as they would in a real deployment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import itertools
import json
import logging
import random
import re
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.cases import services as case_services
from civicdesk.cases import tasks as case_tasks
from civicdesk.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseLink,
    CaseType,
    Category,
    Channel,
    CommentRequest,
    CommentRequestStatus,
    CustomerType,
    EntryKind,
    Priority,
    PublicWorksStatus,
    Status,
    TimelineEntry,
)
from civicdesk.core.errors import ApplicationError, InvalidInputError, InvalidStateError
from civicdesk.demo import catalogue as cat
from civicdesk.demo import texts
from civicdesk.demo.topics import demo_topics_add_to_existing, demo_topics_build
from civicdesk.demo.workflows import demo_workflow_build
from civicdesk.organizations.calendars import public_holidays
from civicdesk.organizations.models import Area, OpeningHours, Organization, ServiceGroup, Unit, WorkingCalendar
from civicdesk.organizations.services import area_save
from civicdesk.privacy.models import AuditEntry

DEFAULT_CASES = 3000
DEFAULT_SEED = 2024
DEFAULT_PASSWORD = "civicdesk-demo"  # noqa: S105 - the documented password of the demo logins
HISTORY_DAYS = 730
# Steps of case histories written per transaction (about a hundred cases' worth).
STEPS_PER_TRANSACTION = 450
HELSINKI_FEEDBACK_FILE = "helsinki_feedback_2014_2015.jsonl"
# Final states, as shares of all cases; the rest of each mix is chosen per case.
STATUS_SHARES = ((Status.CLOSED, 0.60), (Status.OPEN, 0.20), (Status.NEW, 0.12), (Status.WAITING, 0.08))
CHANNEL_WEIGHTS: dict[str, float] = {
    Channel.WEB_FORM: 40, Channel.MOBILE_APP: 12, Channel.EMBEDDED_FORM: 5, Channel.EMAIL: 14, Channel.PHONE: 10,
    Channel.CHAT: 6, Channel.WALK_IN: 3, Channel.SOCIAL_MEDIA: 3, Channel.API: 3,
}
# Share of contacts that leave contact details, by channel.
CONTACT_SHARE: dict[str, float] = {
    Channel.EMAIL: 1.0, Channel.PHONE: 0.9, Channel.WALK_IN: 0.6, Channel.CHAT: 0.4, Channel.SOCIAL_MEDIA: 0.3,
}
# Share of contacts the customer (or the staff member logging them) put in a category.
CATEGORISED_SHARE: dict[str, float] = {
    Channel.EMAIL: 0.25, Channel.CHAT: 0.25, Channel.SOCIAL_MEDIA: 0.25, Channel.PHONE: 0.9, Channel.WALK_IN: 0.9,
}
STAFF_CHANNELS: tuple[str, ...] = (Channel.PHONE, Channel.WALK_IN)
CONSENT_METHODS: dict[str, str] = {Channel.PHONE: "verbal", Channel.WALK_IN: "verbal", Channel.EMAIL: "email"}
SEASONS = {
    "winter": {11: 2.5, 12: 3.0, 1: 3.5, 2: 3.0, 3: 2.0, 4: 0.4, 10: 0.3},
    "summer": {5: 1.5, 6: 1.8, 7: 1.8, 8: 1.6, 9: 1.1, 11: 0.6, 12: 0.5, 1: 0.5, 2: 0.5},
    "dark": {10: 1.6, 11: 2.0, 12: 2.2, 1: 2.0, 2: 1.5, 5: 0.4, 6: 0.2, 7: 0.3},
}


# --- time travel --------------------------------------------------------------------------


class DemoClock:
    """The moment the services believe it is while a demo history is being written."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        # In UTC, as timezone.now() returns it: the audit chain hashes the ISO form of the time,
        # and the database gives it back in UTC.
        return self.moment.astimezone(dt.UTC)


@contextlib.contextmanager
def demo_time_travel(clock: DemoClock) -> Iterator[DemoClock]:
    """Make the services stamp timeline entries, audit entries and `updated_at` with the clock.

    For the demo history only. The services take "now" from `django.utils.timezone.now`
    (through `cases.services._now` for the timeline, directly in `privacy.services.audit_record`
    and in `auto_now` fields). Patching them is how a two-year history gets written through the
    real services — with the same timelines and audit chain production would have — without
    giving every service a `now` argument that production code must never pass.
    """
    with mock.patch.object(timezone, "now", clock.now), mock.patch.object(case_services, "_now", clock.now):
        yield clock


class _HistoricDelivery:
    """Stands in for the reply-delivery task while history is written.

    The real task runs right after the commit, as the worker would, but against a dummy mail
    backend: the replies read "sent" and no invented address receives anything.
    """

    def __init__(self, task: Any) -> None:
        self.task = task

    def delay(self, entry_id: int) -> None:
        self.task.apply(args=(entry_id,))


def _no_publish(**_kwargs: Any) -> None:
    """Nobody watches a history being written: realtime events are dropped."""


@contextlib.contextmanager
def _history_interfaces() -> Iterator[None]:
    # DEBUG's query log would record every one of the build's ~100 000 queries (and slow it by
    # a third); the Celery worker log would print a line per delivered reply.
    celery_log = logging.getLogger("celery.app.trace")
    level = celery_log.level
    celery_log.setLevel(logging.WARNING)
    try:
        with (
            mock.patch.object(case_services, "publish_after_commit", _no_publish),
            mock.patch.object(case_tasks, "case_reply_deliver_task",
                              _HistoricDelivery(case_tasks.case_reply_deliver_task)),
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", DEBUG=False),
        ):
            yield
    finally:
        celery_log.setLevel(level)


# --- geography ----------------------------------------------------------------------------


def district_outlines(*, rng: random.Random) -> list[dict[str, Any]]:
    """GeoJSON Polygons tiling the box around the centre: a grid with wobbly, shared borders.

    Neighbours share the very same vertices along their common border, so the districts cover
    the box without gaps or overlaps; the wobble is small next to a cell, so every polygon stays
    valid.
    """
    lons, lats = cat.DISTRICT_LON_EDGES, cat.DISTRICT_LAT_EDGES
    cols, rows = len(lons) - 1, len(lats) - 1

    def node(i: int, j: int) -> tuple[float, float]:
        inner = 0 < i < cols and 0 < j < rows
        jitter = 0.006 if inner else 0.0
        return (round(lons[i] + rng.uniform(-jitter, jitter), 6), round(lats[j] + rng.uniform(-jitter, jitter), 6))

    nodes = {(i, j): node(i, j) for i in range(cols + 1) for j in range(rows + 1)}
    edges: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}

    def edge(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[float, float]]:
        """The border from node a to node b, with three wobbling points between them."""
        key = (min(a, b), max(a, b))
        if key not in edges:
            (x1, y1), (x2, y2) = nodes[key[0]], nodes[key[1]]
            points = []
            for step in (0.25, 0.5, 0.75):
                x, y = x1 + (x2 - x1) * step, y1 + (y2 - y1) * step
                points.append((round(x + rng.uniform(-0.003, 0.003), 6), round(y + rng.uniform(-0.002, 0.002), 6)))
            edges[key] = [nodes[key[0]], *points, nodes[key[1]]]
        path = edges[key]
        return path if key[0] == a else list(reversed(path))

    outlines = []
    # Districts are listed from the north-west, row by row.
    for row in reversed(range(rows)):
        for col in range(cols):
            corners = [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1), (col, row)]
            ring: list[tuple[float, float]] = []
            for a, b in itertools.pairwise(corners):
                ring.extend(edge(a, b)[:-1])
            ring.append(ring[0])
            outlines.append({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
    return outlines


def is_office_time(local: dt.datetime) -> bool:
    """Mon–Fri 8–16 on a Finnish working day: when the demo's staff work."""
    return (local.weekday() < 5 and 8 <= local.hour < 16
            and local.date() not in public_holidays("FI", local.year, with_eves=True))


def next_office_moment(moment: dt.datetime, *, rng: random.Random, tz: ZoneInfo) -> dt.datetime:
    """`moment` if it is office time, else a random moment in the next office morning."""
    local = moment.astimezone(tz)
    for _ in range(30):
        if is_office_time(local):
            return local
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0) + dt.timedelta(minutes=rng.randrange(150))
        local = morning if local.hour < 8 else morning + dt.timedelta(days=1)
    return local


@dataclass(eq=False)
class District:
    spec: cat.DistrictSpec
    area: Area
    outline: BaseGeometry
    prepared: PreparedGeometry

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        """A point strictly inside the district, as (lat, lon)."""
        min_lon, min_lat, max_lon, max_lat = self.outline.bounds
        while True:
            lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
            if self.prepared.contains(Point(lon, lat)):
                return round(lat, 6), round(lon, 6)


# --- the world: organisation, people, configuration ---------------------------------------


@dataclass
class DemoWorld:
    organization: Organization
    groups: dict[str, ServiceGroup]
    categories: dict[str, Category]
    case_types: dict[str, CaseType]
    special_type: CaseType
    districts: list[District]
    logins: dict[str, User]
    advisors: list[User]
    members: dict[int, list[User]]
    leads: dict[int, User]
    internal_customers: list[User]

    @property
    def intake(self) -> ServiceGroup:
        return self.groups[cat.INTAKE_GROUP]


def _fold(text: str) -> str:
    """ASCII for usernames and email addresses: "Väinö Åberg" → "vaino", "aberg"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


class _People:
    """Unique invented names for staff."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = taken

    def staff(self) -> tuple[str, str, str]:
        while True:
            if self.rng.random() < 0.12:
                first, last = self.rng.choice(cat.SWEDISH_FIRST_NAMES), self.rng.choice(cat.SWEDISH_SURNAMES)
            else:
                first, last = self.rng.choice(cat.FINNISH_FIRST_NAMES), self.rng.choice(cat.FINNISH_SURNAMES)
            username = f"{_fold(first)}.{_fold(last)}"
            if username not in self.taken:
                self.taken.add(username)
                return username, first, last


def _create_user(
    *, username: str, first_name: str, last_name: str, password_hash: str, language: str = "fi",
    is_staff: bool = False,
) -> User:
    """A demo staff account; an existing account of that name is reused as it is (password untouched)."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User.objects.create_user(
        username=username, email=f"{username}@{cat.STAFF_EMAIL_DOMAIN}", first_name=first_name,
        last_name=last_name, preferred_language=language, is_staff=is_staff,
    )
    # One hash for every demo login: hashing the same password fifty times would take most of
    # the build's time (PBKDF2 is slow on purpose).
    user.password = password_hash
    user.save(update_fields=["password"])
    return user


def _membership(user: User, organization: Organization, role: str, *, groups: Sequence[ServiceGroup] = (),
                lead: bool = False) -> None:
    Membership.objects.get_or_create(user=user, organization=organization, role=role)
    for group in groups:
        GroupMembership.objects.get_or_create(user=user, service_group=group, defaults={"is_lead": lead})


def _build_units(organization: Organization) -> dict[str, Unit]:
    units: dict[str, Unit] = {}

    def add(spec: cat.UnitSpec, parent: Unit | None) -> None:
        units[spec.code] = Unit.objects.create(
            organization=organization, parent=parent, code=spec.code, **spec.name.as_fields("name")
        )
        for child in spec.children:
            add(child, units[spec.code])

    for spec in cat.UNITS:
        add(spec, None)
    return units


def _build_calendar(organization: Organization) -> WorkingCalendar:
    calendar = WorkingCalendar.objects.create(organization=organization, name="Virka-aika (ma–pe 8–16)")
    OpeningHours.objects.bulk_create(
        [OpeningHours(calendar=calendar, weekday=day, opens=dt.time(8), closes=dt.time(16)) for day in range(5)]
    )
    return calendar


def _build_world(*, rng: random.Random, password: str) -> DemoWorld:
    """Organisation, units, groups, districts, types, categories and users (one transaction)."""
    organization = Organization.objects.create(
        slug=cat.ORGANIZATION_SLUG, business_id=cat.ORGANIZATION_BUSINESS_ID, default_language="fi",
        **cat.Translated(**cat.ORGANIZATION_NAMES).as_fields("name"),
    )
    units = _build_units(organization)
    calendar = _build_calendar(organization)
    groups = {
        spec.code: ServiceGroup.objects.create(
            organization=organization, unit=units[spec.unit], code=spec.code, kind=spec.kind, calendar=calendar,
            is_intake=spec.code == cat.INTAKE_GROUP, email=f"{spec.code}@{cat.STAFF_EMAIL_DOMAIN}",
            **spec.name.as_fields("name"),
        )
        for spec in cat.GROUPS
    }
    districts = []
    for spec, outline in zip(cat.DISTRICTS, district_outlines(rng=rng), strict=True):
        area = area_save(organization=organization, code=spec.code, name=spec.name.fi, geometry=outline,
                         translations={"fi": spec.name.fi, "sv": spec.name.sv, "en": spec.name.en})
        geometry = shape(outline)
        districts.append(District(spec=spec, area=area, outline=geometry, prepared=prep(geometry)))

    case_types = {
        spec.kind: CaseType.objects.create(organization=organization, code=spec.code, kind=spec.kind,
                                           **spec.name.as_fields("name"))
        for spec in cat.CASE_TYPES
    }
    special = cat.SPECIAL_CASE_TYPE
    special_type = CaseType.objects.create(organization=organization, code=special.code, kind=special.kind,
                                           **special.name.as_fields("name"))
    special_type.special_data_groups.add(groups[cat.SOCIAL_GROUP])
    categories = {
        spec.code: Category.objects.create(
            organization=organization, code=spec.code, open311_service_code=spec.service_code,
            default_group=groups[spec.group] if spec.group else None,
            **spec.name.as_fields("name"), **spec.description.as_fields("description"),
            **spec.keywords.as_fields("keywords"),
        )
        for spec in cat.CATEGORIES
    }

    password_hash = make_password(password)
    logins: dict[str, User] = {}
    for login in cat.DEMO_LOGINS:
        user = _create_user(username=login.username, first_name=login.first_name, last_name=login.last_name,
                            password_hash=password_hash, language=login.language, is_staff=login.is_staff)
        _membership(user, organization, login.role, groups=[groups[g] for g in login.groups])
        logins[login.username] = user
    viewer_membership = Membership.objects.get(user=logins["viewer"], organization=organization, role=Role.VIEWER)
    viewer_membership.areas.add(*[d.area for d in districts if d.spec.code in cat.VIEWER_DISTRICTS])

    people = _People(rng, taken=set(logins))
    members: dict[int, list[User]] = {}
    leads: dict[int, User] = {}
    for group_spec in cat.GROUPS:
        group = groups[group_spec.code]
        role = {"advisors": Role.SERVICE_ADVISOR, "partner": Role.EXTERNAL_PARTNER}.get(group_spec.kind, Role.EXPERT)
        pool: list[User] = []
        for login in cat.DEMO_LOGINS:
            if group_spec.code in login.groups:
                # The demo logins handle more than their share, so their queues are full.
                pool += [logins[login.username]] * 3
        for number in range(group_spec.experts):
            username, first, last = people.staff()
            user = _create_user(username=username, first_name=first, last_name=last, password_hash=password_hash,
                                language="sv" if last in cat.SWEDISH_SURNAMES else "fi")
            _membership(user, organization, role, groups=[group], lead=number == 0)
            if number == 0:
                leads[group.pk] = user
            pool.append(user)
        members[group.pk] = pool
    internal_customers = [logins["internal"]]
    for _number in range(cat.EXTRA_INTERNAL_CUSTOMERS):
        username, first, last = people.staff()
        user = _create_user(username=username, first_name=first, last_name=last, password_hash=password_hash)
        _membership(user, organization, Role.INTERNAL_CUSTOMER)
        internal_customers.append(user)
    return DemoWorld(
        organization=organization, groups=groups, categories=categories, case_types=case_types,
        special_type=special_type, districts=districts, logins=logins, advisors=members[groups[cat.INTAKE_GROUP].pk],
        members=members, leads=leads, internal_customers=internal_customers,
    )


# --- texts from the real Helsinki feedback ------------------------------------------------


@dataclass(frozen=True)
class RealFeedback:
    title: str
    description: str
    answer: str


_ANSWER_GREETING = re.compile(
    r"^\s*(Hei|Moi|Terve|Hyvä [^\n,]{1,40}|Hej|Hello|Hi)\b[^\n]{0,40}?[.,!]?\s*\n", re.IGNORECASE
)
_ANSWER_ENDINGS = re.compile(
    r"\n\s*(Ystävällisin terveisin|Terveisin|Hälsningar|Med vänlig|Best regards|Rakennusviraston asiakaspalvelu)",
    re.IGNORECASE,
)


def _scrub(text: str) -> str:
    """Personal data out, line breaks tidied: the text may end up published."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for pattern in (case_services.EMAIL_IN_TEXT_RE, case_services.PHONE_IN_TEXT_RE, case_services.HETU_RE):
        text = pattern.sub("[poistettu]", text)
    text = re.sub(r"https?://\S+", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _short_title(description: str) -> str:
    first = re.split(r"(?<=[.!?])\s|\n", description.strip(), maxsplit=1)[0].rstrip(".!? ")
    if len(first) <= 70:
        return first
    return first[:70].rsplit(" ", 1)[0] + "…"


def load_helsinki_feedback(*, path: Path) -> dict[str, list[RealFeedback]]:
    """The Helsinki feedback of 2014–2015 by Open311 service code, cleaned; empty if the file is absent."""
    if not path.exists():
        return {}
    by_code: dict[str, list[RealFeedback]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            description = _scrub(row.get("description") or "")
            if not 20 <= len(description) <= 1500:
                continue
            title = (row.get("title") or "").strip()
            if not title or title.endswith("...") or len(title) > 120:
                title = _short_title(description)
            answer = _ANSWER_ENDINGS.split(row.get("answer") or "", maxsplit=1)[0].replace("\r\n", "\n")
            answer = _scrub(_ANSWER_GREETING.sub("", answer, count=1))
            if "Metron.fi" in answer or "ajantasainen" in answer:
                answer = ""  # apologies for an outage of Helsinki's system of the time, not about the topic
            by_code.setdefault(str(row.get("service_code") or ""), []).append(
                RealFeedback(title=_scrub(title)[:200], description=description,
                             answer=answer if len(answer) >= 20 else "")
            )
    return by_code


# --- planning a case ----------------------------------------------------------------------


@dataclass
class Customer:
    name: str
    first_name: str
    email: str
    phone: str
    customer_type: str


@dataclass
class CasePlan:
    """Everything decided about a case before its history is written."""

    created_at: dt.datetime
    final: str
    language: str
    category: cat.CategorySpec
    kind: str
    subtype: str
    title: str
    description: str
    public_text: str
    channel: str
    categorised: bool = True
    wrong_category: cat.CategorySpec | None = None
    point: tuple[float, float] | None = None
    address: str = ""
    customer: Customer | None = None
    answer_requested: bool = False
    internal_by: User | None = None
    special: bool = False
    special_later: bool = False
    priority: int = Priority.NORMAL
    due_days: int | None = None
    real_answer: str = ""
    advisor_answers: bool = False
    route_to: str = ""
    merge: bool = False
    link: bool = False
    partner: bool = False
    comment: bool = False
    comment_pending: bool = False
    note: bool = False
    wait: bool = False
    wait_answered: bool = True
    extra_message: bool = False
    close: str = "close"
    publish: bool = False
    reopen: str = ""
    reclose: bool = True

    @property
    def has_contact(self) -> bool:
        return self.customer is not None


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _Planner:
    def __init__(self, *, world: DemoWorld, rng: random.Random, now: dt.datetime,
                 real_feedback: dict[str, list[RealFeedback]]) -> None:
        self.world = world
        self.rng = rng
        self.now = now
        self.start = now - dt.timedelta(days=HISTORY_DAYS)
        self.real_feedback = real_feedback
        self.tz = ZoneInfo(world.organization.timezone)

    # moments -------------------------------------------------------------------------

    def _moment_between(self, earliest: dt.datetime, latest: dt.datetime, *, growth: bool = False) -> dt.datetime:
        fraction = self.rng.random() ** 0.75 if growth else self.rng.random()
        day = earliest + (latest - earliest) * fraction
        local = day.astimezone(self.tz)
        # Residents write from early morning to late evening, most around office hours.
        hour = self.rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 10, 11, 10, 9, 8, 8,
                                                    8, 8, 7, 6, 4, 2])[0]
        moment = local.replace(hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60))
        return min(max(moment, earliest), latest)

    def created_at(self, final: str) -> dt.datetime:
        day = dt.timedelta(days=1)
        if final == Status.NEW:
            if self.rng.random() < 0.85:
                return self._moment_between(self.now - 10 * day, self.now - dt.timedelta(hours=1))
            return self._moment_between(self.now - 90 * day, self.now - 10 * day)
        if final in (Status.OPEN, Status.WAITING):
            # Long enough ago for the handling to have reached the final state.
            if self.rng.random() < 0.65:
                return self._moment_between(self.now - 75 * day, self.now - 14 * day)
            return self._moment_between(self.start, self.now - 75 * day, growth=True)
        return self._moment_between(self.start, self.now - 2 * day, growth=True)

    # contents ------------------------------------------------------------------------

    def category(self, moment: dt.datetime) -> cat.CategorySpec:
        month = moment.astimezone(self.tz).month
        weights = {spec: spec.weight * SEASONS.get(spec.season, {}).get(month, 1.0) for spec in cat.CATEGORIES}
        return _weighted(self.rng, weights)

    def customer(self, language: str) -> Customer:
        rng = self.rng
        if language == "en" or (language == "fi" and rng.random() < 0.03):
            first, last = rng.choice(cat.INTERNATIONAL_NAMES).split(" ", 1)
        elif language == "sv" or rng.random() < 0.08:
            first, last = rng.choice(cat.SWEDISH_FIRST_NAMES), rng.choice(cat.SWEDISH_SURNAMES)
        else:
            first, last = rng.choice(cat.FINNISH_FIRST_NAMES), rng.choice(cat.FINNISH_SURNAMES)
        has_email = rng.random() < 0.85
        email = ""
        if has_email:
            local = f"{_fold(first)}.{_fold(last)}" + (str(rng.randrange(2, 99)) if rng.random() < 0.3 else "")
            email = f"{local}@{rng.choice(('example.fi', 'example.fi', 'example.com'))}"
        phone = ""
        if not has_email or rng.random() < 0.4:
            phone = f"+358 {rng.choice(('40', '44', '45', '50'))} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
        customer_type = _weighted(rng, {CustomerType.RESIDENT: 80, CustomerType.BUSINESS: 8,
                                        CustomerType.VISITOR: 7 if language != "en" else 25, CustomerType.UNKNOWN: 5})
        return Customer(name=f"{first} {last}", first_name=first, email=email, phone=phone,
                        customer_type=customer_type)

    def _fill(self, template: str, *, language: str, category: cat.CategorySpec, district: District,
              street: cat.StreetSpec, number: str) -> str:
        place = self.rng.choice(category.places) if category.places else district.spec.name.get(language)
        values = {
            "address": f"{street.sv if language == 'sv' else street.fi} {number}",
            "district": district.spec.name.get(language),
            "district_in": district.spec.inessive,
            "place": place,
            "when": self.rng.choice(texts.WHEN[language]),
            "line": self.rng.choice(cat.BUS_LINES),
            "city": cat.CITY_NAMES[language],
        }
        return template.format(**values)

    def plan(self, final: str) -> CasePlan:
        rng = self.rng
        created_at = self.created_at(final)
        internal = rng.random() < 0.03
        language = _weighted(rng, {"fi": 70, "sv": 10, "en": 20})
        real: RealFeedback | None = None
        if internal:
            language = "fi" if rng.random() < 0.9 else "en"
            code, title, body = rng.choice(texts.INTERNAL_TEMPLATES[language])
            category = next(spec for spec in cat.CATEGORIES if spec.code == code)
            kind, subtype = "internal_request", ""
            channel = Channel.INTERNAL
        else:
            category = self.category(created_at)
            templates = texts.TEMPLATES[category.code].get(language) or texts.TEMPLATES[category.code]["fi"]
            kind_and_subtype, title, body = rng.choice(templates)
            kind, _, subtype = kind_and_subtype.partition(":")
            candidates = self.real_feedback.get(category.service_code, []) if category.service_code else []
            if language == "fi" and candidates and rng.random() < 0.45:
                real = rng.choice(candidates)
                kind, subtype = "fault_report", ""
            channel = _weighted(rng, CHANNEL_WEIGHTS)
        if channel in (*STAFF_CHANNELS, Channel.INTERNAL):
            # Logged or sent by staff: during office hours (unless that would be in the future).
            at_office = next_office_moment(created_at, rng=rng, tz=self.tz)
            created_at = at_office if at_office < self.now - dt.timedelta(hours=1) else created_at

        district = _weighted(rng, {d: d.spec.weight for d in self.world.districts})
        street = rng.choice(district.spec.streets)
        number = str(rng.randrange(1, 80)) + (f" {rng.choice('ABC')}" if rng.random() < 0.15 else "")
        fill = {"language": language, "category": category, "district": district, "street": street,
                "number": number}
        uses_address = real is None and "{address}" in title + body
        if real is not None:
            title, body = real.title, real.description
        else:
            title, body = self._fill(title, **fill), self._fill(body, **fill)
            body = (rng.choice(texts.OPENERS[language]) + body + rng.choice(texts.CLOSERS[language])).strip()
            if body[0].islower():
                body = body[0].upper() + body[1:]
        point = district.random_point(rng) if uses_address or rng.random() < category.located else None
        address = f"{street.sv if language == 'sv' else street.fi} {number}" if point else ""

        plan = CasePlan(
            created_at=created_at, final=final, language=language, category=category, kind=kind, subtype=subtype,
            title=title, description=body, public_text=body, channel=channel, point=point, address=address,
            real_answer=real.answer if real else "",
        )
        if internal:
            user = rng.choice(self.world.internal_customers)
            plan.internal_by = user
            plan.customer = Customer(name=user.get_full_name(), first_name=user.first_name, email=user.email,
                                     phone="", customer_type=CustomerType.EMPLOYEE)
            plan.answer_requested = True
        elif final == Status.WAITING or rng.random() < CONTACT_SHARE.get(channel, 0.55):
            plan.customer = self.customer(language)
            if channel == Channel.PHONE and not plan.customer.phone:
                plan.customer.phone = f"+358 40 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
            plan.answer_requested = channel == Channel.EMAIL or rng.random() < 0.85
            if rng.random() < 0.3:
                # Customers sign their messages; the published text must leave the name out.
                plan.description = f"{body}\n\n{texts.SIGNATURES[language]}\n{plan.customer.name}"
        self._plan_handling(plan)
        return plan

    def _plan_handling(self, plan: CasePlan) -> None:
        rng = self.rng
        category = plan.category
        closed = plan.final == Status.CLOSED
        plan.categorised = plan.channel == Channel.INTERNAL or rng.random() < CATEGORISED_SHARE.get(plan.channel, 0.95)
        social = category.group == cat.SOCIAL_GROUP
        if social and plan.kind == "feedback":
            plan.special = rng.random() < 0.6
            plan.special_later = not plan.special and rng.random() < 0.3
        if social:
            # Customer service may not see special categories: these go straight to the social group.
            plan.categorised = True
        if (plan.categorised and category.group and not social and plan.channel not in STAFF_CHANNELS
                and rng.random() < 0.05):
            plan.wrong_category = rng.choice([c for c in cat.CATEGORIES if c.group not in (category.group, None,
                                                                                           cat.SOCIAL_GROUP)])
        if plan.kind == "fault_report":
            plan.priority = _weighted(rng, {Priority.NORMAL: 85, Priority.HIGH: 12, Priority.URGENT: 3})
        elif plan.subtype in ("wish", "idea"):
            plan.priority = Priority.LOW if rng.random() < 0.3 else Priority.NORMAL
        if plan.kind in ("fault_report", "service_request") and rng.random() < 0.5:
            plan.due_days = 14
        elif plan.kind == "internal_request":
            plan.due_days = 5
        elif plan.kind == "question" and rng.random() < 0.3:
            plan.due_days = 7

        lands_in_intake = not plan.categorised or category.group is None
        if lands_in_intake:
            if category.group is None and (not category.routes or plan.kind == "question" or rng.random() < 0.3):
                plan.advisor_answers = True
            elif category.group is None:
                plan.route_to = rng.choice(category.routes)
            elif plan.kind == "question" and rng.random() < 0.4:
                plan.advisor_answers = True
        destination = plan.route_to or category.group
        plainly_public = not plan.special and not plan.special_later
        plan.merge = closed and plainly_public and rng.random() < 0.04
        plan.link = plainly_public and rng.random() < 0.05
        plan.partner = (category.street and plan.kind == "fault_report" and not plan.advisor_answers
                        and destination in (cat.STREETS_GROUP, cat.PARKS_GROUP) and rng.random() < 0.3)
        plan.comment = plainly_public and rng.random() < 0.19
        plan.comment_pending = plan.final == Status.OPEN and rng.random() < 0.6
        plan.note = rng.random() < 0.22
        plan.wait = plan.has_contact and (plan.final == Status.WAITING or rng.random() < 0.12)
        plan.wait_answered = rng.random() < 0.75
        plan.extra_message = plan.has_contact and rng.random() < 0.05
        if closed and rng.random() < 0.07:
            plan.close = "unnecessary"
        elif plan.has_contact and (plan.answer_requested or rng.random() < 0.3):
            plan.close = "answer"
        plan.publish = closed and plainly_public and plan.close != "unnecessary" and not plan.merge and (
            rng.random() < (0.45 if plan.subtype == "thanks" else 0.3)
        )
        if closed and plan.close != "unnecessary":
            if plan.has_contact and rng.random() < 0.04:
                plan.reopen = "customer"
            elif rng.random() < 0.015:
                plan.reopen = "staff"
        plan.reclose = rng.random() < 0.65


# --- writing the history ------------------------------------------------------------------


@dataclass
class BuildReport:
    created: bool
    cases: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)
    by_resolution: dict[str, int] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.created:
            return ["The demo city is already loaded."]
        result = [f"Built the demo city with {self.cases} cases in {self.seconds:.1f} s."]
        result.append("  status: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items())))
        result.append("  resolution: " + ", ".join(f"{k or '—'} {v}" for k, v in sorted(self.by_resolution.items())))
        result += [f"  {key.replace('_', ' ')}: {value}" for key, value in self.facts.items()]
        if self.skipped:
            result.append(f"  actions refused by the services (skipped): {len(self.skipped)}")
        return result


Story = Iterator[dt.datetime]


class _Historian:
    """Writes each planned case's history through the services, all cases interleaved in time."""

    def __init__(self, *, world: DemoWorld, rng: random.Random, clock: DemoClock, now: dt.datetime) -> None:
        self.world = world
        self.rng = rng
        self.clock = clock
        self.now = now
        self.tz = ZoneInfo(world.organization.timezone)
        self.skipped: list[str] = []

    # time ----------------------------------------------------------------------------

    def staff_after(self, low: float, high: float) -> dt.datetime:
        """A moment `low`–`high` hours from now, moved into office hours (Mon–Fri 8–16, FI holidays)."""
        later = self.clock.moment + dt.timedelta(hours=self.rng.uniform(low, high))
        return next_office_moment(later, rng=self.rng, tz=self.tz)

    def customer_after(self, low: float, high: float) -> dt.datetime:
        local = (self.clock.moment + dt.timedelta(hours=self.rng.uniform(low, high))).astimezone(self.tz)
        if local.hour < 7:
            local = local.replace(hour=7) + dt.timedelta(minutes=self.rng.randrange(240))
        return local

    # people --------------------------------------------------------------------------

    def member(self, group: ServiceGroup, *, besides: User | None = None) -> User:
        pool = [u for u in self.world.members[group.pk] if besides is None or u.pk != besides.pk]
        return self.rng.choice(pool or self.world.members[group.pk])

    def advisor(self) -> User:
        return self.rng.choice(self.world.advisors)

    def user(self, user_id: int | None) -> User:
        """The staff member's shared instance: it carries the cached permissions (access_for)."""
        return next(u for pool in self.world.members.values() for u in pool if u.pk == user_id)

    # texts ---------------------------------------------------------------------------

    def reply_core(self, plan: CasePlan) -> str:
        """The answer without greeting and signature: what a publication shows as the city's answer."""
        language = plan.language
        if plan.real_answer:
            return plan.real_answer
        key = plan.subtype or plan.kind
        opening = texts.REPLY_OPENINGS[language].get(key, texts.REPLY_OPENINGS[language]["feedback"])
        if plan.subtype == "thanks":
            resolution = texts.THANKS_RESOLUTION[language]
        elif plan.subtype in ("wish", "idea"):
            resolution = texts.IDEA_RESOLUTION[language]
        elif plan.kind == "question":
            resolution = texts.QUESTION_ANSWERS.get(plan.title, texts.QUESTION_FALLBACK[language])
        elif plan.kind == "internal_request":
            resolution = self.rng.choice(texts.INTERNAL_ANSWERS[language])
        elif plan.kind in ("fault_report", "service_request"):
            resolution = self.rng.choice(texts.FAULT_ANSWERS[language])
        else:
            resolution = self.rng.choice(texts.COMPLAINT_ANSWERS[language])
        return f"{opening} {resolution}"

    def reply(self, plan: CasePlan, *, core: str, handler: User, group: ServiceGroup) -> str:
        language = plan.language
        first_name = plan.customer.first_name if plan.customer else ""
        greeting = self.rng.choice(texts.GREETINGS[language]).format(first_name=first_name)
        signature = "\n".join([texts.REPLY_SIGNATURES[language], handler.get_full_name(),
                               getattr(group, f"name_{language}") or group.name, cat.ORGANIZATION_NAMES[language]])
        return f"{greeting}\n\n{core}\n\n{signature}"

    def more_info(self, plan: CasePlan, table: dict[str, dict[str, tuple[str, ...]]]) -> str:
        """A line about the customer's question, the place on the map, or the service."""
        topic = "question" if plan.kind == "question" else "place" if plan.address else "service"
        options = table[topic][plan.language]
        return self.rng.choice(options).format(address=plan.address)

    # the story of one case -----------------------------------------------------------

    def create(self, plan: CasePlan) -> Case:
        world = self.world
        customer = plan.customer
        category = plan.wrong_category or plan.category
        case_type = world.special_type if plan.special else world.case_types[plan.kind]
        actor: User | None = None
        if plan.internal_by is not None:
            actor = plan.internal_by
        elif plan.channel in STAFF_CHANNELS:
            actor = self.advisor()
        return case_services.case_create(
            organization=world.organization, case_type=case_type, title=plan.title, description=plan.description,
            channel=plan.channel, categories=[world.categories[category.code]] if plan.categorised else [],
            language=plan.language, feedback_subtype=plan.subtype if plan.kind == "feedback" else "",
            lat=plan.point[0] if plan.point else None, lon=plan.point[1] if plan.point else None,
            address=plan.address, customer_name=customer.name if customer else "",
            customer_email=customer.email if customer else "", customer_phone=customer.phone if customer else "",
            customer_type=customer.customer_type if customer else "", answer_requested=plan.answer_requested,
            consent_text=texts.CONSENT_TEXTS[plan.language] if customer else "",
            consent_method=CONSENT_METHODS.get(plan.channel, "checkbox") if customer else "",
            priority=plan.priority,
            due_at=plan.created_at + dt.timedelta(days=plan.due_days) if plan.due_days else None,
            contains_special_categories=plan.special, submitted_by=plan.internal_by, actor=actor,
            created_at=plan.created_at,
        )

    def story(self, plan: CasePlan) -> Story:
        world, rng = self.world, self.rng
        yield plan.created_at
        case = self.create(plan)
        routed_by_intake = case.owner_group_id == world.intake.pk and not plan.advisor_answers and bool(
            plan.route_to or plan.category.group)
        if plan.final == Status.NEW and not (routed_by_intake and rng.random() < 0.4):
            return  # nobody has touched it yet (or, below, customer service routed it and nobody took it)
        handler: User | None = None

        if plan.merge or plan.link:
            # Customer service spots duplicates and related contacts when it goes through new ones.
            yield self.staff_after(0.2, 20)
            if plan.merge:
                self.merge_or_close(case, plan)
                return
            self.link(case)

        if case.owner_group_id == world.intake.pk:
            yield self.staff_after(0.2, 20)
            handler = self.advisor()
            case = case_services.case_take(case=case, actor=handler)
            if not plan.categorised:
                case = case_services.case_reclassify(case=case, actor=handler,
                                                     categories=[world.categories[plan.category.code]])
            destination = world.groups.get(plan.route_to or plan.category.group or "")
            if destination is not None and not plan.advisor_answers:
                yield self.staff_after(0.05, 3)
                case = case_services.case_forward(case=case, actor=handler, to_group=destination,
                                                  message=rng.choice(texts.FORWARD_MESSAGES))
                handler = None
                if plan.final == Status.NEW:
                    return

        if handler is None:
            yield self.staff_after(0.5, 30)
            case, handler = self.take(case)
        if plan.wrong_category is not None:
            # The customer chose the wrong topic: the first group reclassifies and hands it on.
            yield self.staff_after(0.5, 16)
            case = case_services.case_reclassify(case=case, actor=handler,
                                                 categories=[world.categories[plan.category.code]])
            case = case_services.case_forward(case=case, actor=handler,
                                              to_group=world.groups[plan.category.group or ""],
                                              message=rng.choice(texts.MISROUTE_MESSAGES))
            yield self.staff_after(1, 24)
            case, handler = self.take(case)
        if plan.special_later:
            yield self.staff_after(0.1, 4)
            case = case_services.case_reclassify(case=case, actor=handler, case_type=world.special_type,
                                                 contains_special_categories=True)
        if plan.comment:
            yield self.staff_after(1, 24)
            request = self.request_comment(case, handler)
            if plan.final == Status.OPEN and plan.comment_pending:
                return
            yield self.staff_after(4, 100)
            if request.requested_from_group is not None:
                answerer = self.member(request.requested_from_group, besides=handler)
            else:
                answerer = self.user(request.requested_from_user_id)
            case_services.comment_request_answer(comment_request=request, actor=answerer,
                                                 answer=rng.choice(texts.COMMENT_ANSWERS))
        if plan.note:
            yield self.staff_after(1, 48)
            case_services.case_add_note(case=case, actor=handler, body=rng.choice(texts.NOTES))
        answered_wait = False
        if plan.wait:
            yield self.staff_after(2, 40)
            case_services.case_reply(case=case, actor=handler, wait_for_customer=True,
                                     body=self.reply(plan, core=self.more_info(plan, texts.MORE_INFO_QUESTIONS),
                                                     handler=handler, group=case.owner_group))
            if plan.final == Status.WAITING:
                return
            if plan.wait_answered:
                yield self.customer_after(3, 96)
                self.customer_says(case, plan, self.more_info(plan, texts.MORE_INFO_ANSWERS))
                answered_wait = True
        if plan.extra_message:
            yield self.customer_after(5, 72)
            self.customer_says(case, plan, rng.choice(texts.EXTRA_MESSAGES[plan.language]))

        expert = handler
        if plan.partner:
            yield self.staff_after(1, 16)
            case = case_services.case_reclassify(case=case, actor=handler,
                                                 public_works_status=PublicWorksStatus.IN_PROGRESS)
            case = case_services.case_forward(case=case, actor=handler, to_group=world.groups[cat.PARTNER_GROUP],
                                              message=rng.choice(texts.PARTNER_ORDERS))
            yield self.staff_after(2, 30)
            case, handler = self.take(case)
            yield self.staff_after(8, 200)
            case_services.case_add_note(case=case, actor=handler, body=rng.choice(texts.PARTNER_NOTES))
        if plan.final == Status.OPEN:
            return

        yield self.staff_after(2, 300 if plan.kind == "fault_report" else 120)
        core = self.close(case, plan, handler=handler, answered_wait=answered_wait)
        if plan.partner:
            case_services.case_reclassify(case=case, actor=self.advisor(),
                                          public_works_status=PublicWorksStatus.COMPLETED)
        if plan.publish:
            yield self.staff_after(1, 72)
            publisher = expert if expert.pk == handler.pk else self.advisor()
            self.publish(case, plan, publisher=publisher, core=core)
        if plan.reopen:
            if plan.reopen == "customer":
                yield self.customer_after(48, 500)
                self.customer_says(case, plan, rng.choice(texts.REOPEN_MESSAGES[plan.language]))
            else:
                yield self.staff_after(24, 300)
                case_services.case_reopen(case=case, actor=handler, reason=rng.choice(texts.STAFF_REOPEN_REASONS))
            if not plan.reclose:
                return
            yield self.staff_after(8, 100)
            if plan.has_contact:
                case_services.case_reply(case=case, actor=handler, close=True,
                                         body=self.reply(plan, core=texts.RECLOSE_REPLIES[plan.language],
                                                         handler=handler, group=case.owner_group))
            else:
                case_services.case_close(case=case, actor=handler)

    # the steps -----------------------------------------------------------------------

    def take(self, case: Case) -> tuple[Case, User]:
        """A member of the owning group takes the case, or the group's lead assigns it to one."""
        group = case.owner_group  # every case the services return has its group loaded
        member = self.member(group)
        # Partners may not hand cases on (R5), so in the contractor's group everyone takes their own.
        lead = self.world.leads.get(group.pk) if group.kind != ServiceGroup.Kind.PARTNER else None
        if lead is not None and lead.pk != member.pk and self.rng.random() < 0.3:
            case = case_services.case_assign(case=case, actor=lead, handler=member,
                                             message=self.rng.choice(texts.ASSIGN_MESSAGES))
        else:
            case = case_services.case_take(case=case, actor=member)
        return case, member

    def request_comment(self, case: Case, handler: User) -> CommentRequest:
        rng = self.rng
        experts = [g for code, g in self.world.groups.items()
                   if code not in (cat.INTAKE_GROUP, cat.PARTNER_GROUP, cat.SOCIAL_GROUP)]
        group = rng.choice(experts)
        due = self.clock.moment + dt.timedelta(days=rng.choice((3, 5, 7))) if rng.random() < 0.5 else None
        if rng.random() < 0.5:
            return case_services.case_request_comment(case=case, actor=handler, from_group=group, due_at=due,
                                                      question=rng.choice(texts.COMMENT_QUESTIONS))
        colleague = self.member(group, besides=handler)
        return case_services.case_request_comment(case=case, actor=handler, from_user=colleague, due_at=due,
                                                  question=rng.choice(texts.COMMENT_QUESTIONS))

    def customer_says(self, case: Case, plan: CasePlan, body: str) -> None:
        case_services.case_record_customer_message(
            case=case, body=body, sender_label=plan.customer.name if plan.customer else "",
            channel=Channel.EMAIL if plan.customer and plan.customer.email else Channel.WEB_FORM,
        )

    def close(self, case: Case, plan: CasePlan, *, handler: User, answered_wait: bool) -> str:
        """Close the case as planned; returns the answer's core (for the publication)."""
        core = self.reply_core(plan)
        if plan.close == "unnecessary":
            case_services.case_close_unnecessary(case=case, actor=handler,
                                                 reason=self.rng.choice(texts.UNNECESSARY_REASONS))
        elif plan.close == "answer" and plan.has_contact:
            if plan.wait and not answered_wait:
                core = texts.NO_INFO_REPLIES[plan.language]
            body = self.reply(plan, core=core, handler=handler, group=case.owner_group)
            # Both paths write the same timeline; the second locks the case once instead of three times.
            if self.rng.random() < 0.15:
                case_services.case_close(case=case, actor=handler, reply=body)
            else:
                case_services.case_reply(case=case, actor=handler, body=body, close=True)
        else:
            case_services.case_close(case=case, actor=handler)
        return core

    def publish(self, case: Case, plan: CasePlan, *, publisher: User, core: str) -> None:
        try:
            case_services.case_publish(case=case, actor=publisher, public_title=plan.title,
                                       public_text=plan.public_text, public_answer=core)
        except InvalidInputError as exc:
            # Real feedback can hold personal data our scrubbing missed: then it stays unpublished,
            # just as the service would make a member of staff edit it first.
            self.skipped.append(f"publish {case.reference}: {exc}")

    def merge_or_close(self, case: Case, plan: CasePlan) -> None:
        advisor = self.advisor()
        target = (
            Case.objects.filter(
                organization=self.world.organization, status__in=OPEN_STATUSES, merged_into=None,
                contains_special_categories=False, case_categories__category__code=plan.category.code,
                created_at__lt=case.created_at, created_at__gte=case.created_at - dt.timedelta(days=45),
            )
            .exclude(pk=case.pk)
            .order_by("-created_at")
            .first()
        )
        if target is None:
            case_services.case_close_unnecessary(case=case, actor=advisor, reason=texts.UNNECESSARY_REASONS[0])
            return
        case_services.case_merge(source=case, target=target, actor=advisor)

    def link(self, case: Case) -> None:
        fresh = Case.objects.get(pk=case.pk)
        primary = fresh.case_categories.filter(is_primary=True).values_list("category_id", flat=True).first()
        if primary is None and fresh.area_id is None:
            return
        other = (
            Case.objects.filter(organization=self.world.organization, contains_special_categories=False,
                                created_at__lt=fresh.created_at,
                                created_at__gte=fresh.created_at - dt.timedelta(days=120))
            .filter(Q(case_categories__category_id=primary) if primary else Q(area=fresh.area_id))
            .exclude(pk=fresh.pk)
            .order_by("-created_at")
            .first()
        )
        if other is None:
            return
        kind = "duplicate" if self.rng.random() < 0.3 else "related"
        with contextlib.suppress(InvalidStateError):
            case_services.case_link(case=fresh, other=other, actor=self.advisor(), kind=kind)

    # running -------------------------------------------------------------------------

    def run(self, plans: Sequence[CasePlan], *, progress: Callable[[str], None]) -> None:
        """Advance every story in time order, a few hundred steps per transaction."""
        queue: list[tuple[dt.datetime, int, Story]] = []
        for number, plan in enumerate(plans):
            story = self.story(plan)
            heapq.heappush(queue, (next(story), number, story))
        started: set[int] = set()
        next_report = max(1, len(plans) // 10)
        while queue:
            with transaction.atomic():
                for _step in range(STEPS_PER_TRANSACTION):
                    if not queue:
                        break
                    moment, number, story = heapq.heappop(queue)
                    if moment >= self.now:
                        continue  # the rest of this case's life has not happened yet
                    self.clock.moment = moment
                    first_step = number not in started
                    started.add(number)
                    try:
                        heapq.heappush(queue, (next(story), number, story))
                    except StopIteration:
                        pass
                    except ApplicationError as exc:
                        self.skipped.append(f"case {number} ({_where(exc)}): {type(exc).__name__}: {exc}")
                    if first_step and len(started) % next_report == 0:
                        progress(f"  {len(started)}/{len(plans)} cases, history written up to "
                                 f"{moment.astimezone(self.tz):%Y-%m-%d}")


def _where(exc: BaseException) -> str:
    """The step of the story that the services refused, for the report."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename == __file__]
    return f"line {ours[-1].lineno}" if ours else "?"


# --- the entry points ---------------------------------------------------------------------


def demo_city_exists() -> bool:
    return Organization.objects.filter(slug=cat.ORGANIZATION_SLUG).exists()


def _plan_all(*, planner: _Planner, cases: int, rng: random.Random) -> list[CasePlan]:
    finals: list[str] = []
    for status, share in STATUS_SHARES[1:]:
        finals += [status] * max(1, round(cases * share)) if cases >= 10 else [status]
    finals = finals[:cases]
    finals += [Status.CLOSED] * (cases - len(finals))
    rng.shuffle(finals)
    return [planner.plan(final) for final in finals]


def demo_city_build(
    *,
    cases: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    password: str = DEFAULT_PASSWORD,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Create the demo city with `cases` cases over the last two years, unless it exists.

    Idempotent: when the organisation `demo-city` exists nothing is written and the report
    says so. The same seed gives the same city (up to the current date).
    """
    say = progress or (lambda _message: None)
    if demo_city_exists():
        demo_topics_add_to_existing(seed=seed)  # a city loaded before the contact form had topics
        return BuildReport(created=False)
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    clock = DemoClock(now - dt.timedelta(days=HISTORY_DAYS + 1))
    with _history_interfaces(), demo_time_travel(clock):
        say("Creating the organisation, its groups, districts, categories and staff…")
        with transaction.atomic():
            world = _build_world(rng=rng, password=password)
            demo_topics_build(world=world, seed=seed)
        real = load_helsinki_feedback(path=Path(settings.SHARED_DATA_DIR) / HELSINKI_FEEDBACK_FILE)
        if real:
            say(f"Using {sum(len(v) for v in real.values())} real Helsinki feedback texts for street topics.")
        planner = _Planner(world=world, rng=rng, now=now, real_feedback=real)
        plans = _plan_all(planner=planner, cases=cases, rng=rng)
        say(f"Writing the history of {cases} cases through the case services…")
        historian = _Historian(world=world, rng=rng, clock=clock, now=now)
        historian.run(plans, progress=say)
    say("Taking the fault reports' workflow into use…")
    demo_workflow_build(case_types=world.case_types)
    return _report(world=world, seconds=time.monotonic() - started, skipped=historian.skipped, now=now)


def _report(*, world: DemoWorld, seconds: float, skipped: list[str], now: dt.datetime) -> BuildReport:
    cases = Case.objects.filter(organization=world.organization)
    by_status = Counter(cases.values_list("status", flat=True))
    by_resolution = Counter(cases.values_list("resolution", flat=True))
    entries = TimelineEntry.objects.filter(case__organization=world.organization)
    requests = CommentRequest.objects.filter(case__organization=world.organization)
    facts = {
        "users": User.objects.filter(memberships__organization=world.organization).distinct().count(),
        "published": cases.filter(is_published=True).count(),
        "forwarded": entries.filter(kind=EntryKind.FORWARD).values("case").distinct().count(),
        "with_comment_requests": requests.values("case").distinct().count(),
        "comment_requests_pending": requests.filter(status=CommentRequestStatus.PENDING).count(),
        "linked_pairs": CaseLink.objects.filter(from_case__organization=world.organization).count(),
        "reopened": entries.filter(kind=EntryKind.STATUS_CHANGE, data__from=Status.CLOSED).values("case")
        .distinct().count(),
        "special_categories": cases.filter(contains_special_categories=True).count(),
        "overdue": cases.overdue(now).count(),
        "with_customer_details": cases.exclude(customer_email="", customer_phone="").count(),
        "timeline_entries": entries.count(),
        "audit_entries": AuditEntry.objects.filter(organization=world.organization).count(),
    }
    by_language = Counter(cases.values_list("language", flat=True))
    facts.update({f"language_{lang}": n for lang, n in sorted(by_language.items())})
    return BuildReport(
        created=True, cases=cases.count(), seconds=seconds, by_status=dict(by_status),
        by_resolution={str(k): v for k, v in by_resolution.items()}, facts=facts, skipped=skipped,
    )

