"""Reads of cases for pages and APIs. Every function starts from the permission policy.

Each selector states how many queries it makes; tests assert those counts so that list pages
stay constant-time in the number of rows shown.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from typing import Any, NamedTuple, cast

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Count, Exists, F, ForeignKey, OrderBy, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname, resolution_order
from modeltranslation.utils import get_language as translation_language

from civicdesk.accounts.models import Role
from civicdesk.accounts.permissions import access_for
from civicdesk.cases.models import (
    Attachment,
    Case,
    CaseCategory,
    CaseLink,
    CaseQuerySet,
    CaseType,
    Category,
    CommentRequest,
    CommentRequestStatus,
    LinkKind,
    SavedView,
    Status,
    TimelineEntry,
)
from civicdesk.cases.permissions import (
    _special_categories_filter,
    can_view_organization_list,
    can_view_queue,
    case_loaded_as_visible,
    cases_visible_to,
)
from civicdesk.cases.querysets import SEARCH_CONFIGS
from civicdesk.core.config_generation import KeptRows
from civicdesk.core.errors import InvalidInputError, NotFoundError
from civicdesk.core.kept_queries import KeptQuery
from civicdesk.core.phone_numbers import phone_normalize
from civicdesk.organizations.geometry import box_around, geo_cells_covering
from civicdesk.organizations.models import ServiceGroup
from civicdesk.organizations.selectors import KEPT_AREAS, KEPT_GROUPS, KEPT_ORGANIZATIONS

REFERENCE_RE = re.compile(r"^\s*(\d{4})-(\d{1,6})\s*$")
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "last_activity": ("-last_activity_at", "-id"),
    # Cases without a due time last, on SQLite as on PostgreSQL.
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "created": ("-created_at", "-id"),
    "priority": ("-priority", "-last_activity_at", "-id"),
}
QUEUE_FILTERS = ("open", "new", "waiting", "overdue", "closed", "all")
MAX_PAGE = 10_000
COUNT_AHEAD = 1_000


class CaseRow(NamedTuple):
    """One row of a list of cases: what the staff's case tables show, and the keys they sort by.

    Read as plain columns (no model instances, no joins but the handler's name), which makes a
    list query cheap to build, to plan and to turn into Python (docs/benchmarks.md, issue 3).
    """

    pk: int
    reference: str
    title: str
    status: str
    organization_id: int
    last_activity_at: dt.datetime
    created_at: dt.datetime
    due_at: dt.datetime | None
    priority: int
    handler_name: str  # as `str(user)` shows the handler; "" when nobody handles the case
    category_names: tuple[str, ...]  # in the current language, the primary category first

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


_STATUS_LABELS = dict(Status.choices)
# Case types are watched configuration (cases/apps.py): kept per process until one changes (ADR 0021).
KEPT_CASE_TYPES: KeptRows[CaseType] = KeptRows(CaseType)

_ROW_FIELDS = (
    "pk", "reference", "title", "status", "organization_id", "last_activity_at", "created_at", "due_at",
    "priority", "handler__first_name", "handler__last_name", "handler__username",
)


@dataclass(frozen=True)
class CasePage:
    """One page of a list. `total` is exact when `total_is_exact`, else a lower bound."""

    cases: list[CaseRow]
    page: int
    page_size: int
    total: int
    total_is_exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class _KeptList(NamedTuple):
    """A list query whose SQL the process keeps (core.kept_queries): `build(**slots)` gives its queryset,
    `owner` (the user's access) and `key` say what else its SQL depends on."""

    build: Callable[..., Any]
    owner: Any
    key: Hashable
    slots: dict[str, Any]


_LIST_ROWS = KeptQuery("cases.list_rows")


def _row_values(build: Callable[..., Any]) -> Callable[..., Any]:
    return lambda **slots: build(**slots).values_list(*_ROW_FIELDS)


def _rows(cases: Any) -> list[CaseRow]:
    """Evaluate a list query as `CaseRow`s, with each row's categories from one more query (2 queries).

    The categories' names come in the current language, with modeltranslation's fallbacks, in the
    order the database sorts that language's names.
    """
    return _rows_many([cases])[0]


def _rows_many(querysets: Sequence[Any]) -> list[list[CaseRow]]:
    """Several list queries as `CaseRow`s, their rows' categories from one query for all of them
    (one query per list, and one more if any has rows)."""
    found = [
        _LIST_ROWS.rows(_row_values(item.build), owner=item.owner, key=item.key, **item.slots)
        if isinstance(item, _KeptList) else list(item.values_list(*_ROW_FIELDS))
        for item in querysets
    ]
    names: dict[int, list[str]] = {row[0]: [] for rows in found for row in rows}
    if names:
        for case_id, name in _category_names(list(names)):
            names[case_id].append(name)
    return [
        [
            CaseRow(
                pk, reference, title, status, organization_id, last_activity_at, created_at, due_at, priority,
                # What User.__str__ shows: the full name, else the username.
                (f"{first} {last}".strip() or username) if username is not None else "",
                tuple(names[pk]),
            )
            for (pk, reference, title, status, organization_id, last_activity_at, created_at, due_at, priority,
                 first, last, username) in rows
        ]
        for rows in found
    ]


# The categories of a list's cases, kept compiled per language and number of cases (core.kept_queries).
_CATEGORY_NAMES = KeptQuery("cases.category_names", reads_configuration=False)


def _category_names(case_ids: list[int]) -> list[tuple[int, str]]:
    """(case id, category name) for these cases, each case's primary category first, then by name.

    The name is the current language's, else the first of modeltranslation's fallback languages that
    has one (its `resolution_order`, what it gives for `name`), sorted by the current language's column
    as modeltranslation sorts `name`. Read from the join table with the translated columns named, so
    that the statement can be kept (modeltranslation's own values query cannot).
    """
    language = translation_language()
    columns = [f"category__{build_localized_fieldname('name', code)}" for code in resolution_order(language)]

    def build(**ids: int) -> Any:
        return (
            CaseCategory.objects.filter(case_id__in=list(ids.values()))
            .order_by("case_id", "-is_primary", columns[0])
            .values_list("case_id", *columns, "category__name")
        )

    rows = _CATEGORY_NAMES.rows(build, key=(language, len(case_ids)),
                                **{f"case_{i}": case_id for i, case_id in enumerate(case_ids)})
    return [(row[0], next((name for name in row[1:] if name), "")) for row in rows]


def _page_number(page: Any) -> int:
    try:
        number = int(page)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(_("The page number is not valid."), field="page") from exc
    if number < 1 or number > MAX_PAGE:
        raise InvalidInputError(_("The page number is not valid."), field="page")
    return number


def case_get_for_user(
    *, user: Any, reference: str, organization_id: int | None = None, for_page: bool = False
) -> Case:
    """The case with this reference that the user may see; NotFoundError otherwise (1 query).

    The reference of a case merged into another still finds the merged case itself, whose
    page says where its history went.

    `for_page`: the same query also says what the case page's sections would each ask about —
    `page_has_service_level`, `page_has_workflow`, `page_has_suggestions` (open duplicate
    suggestions) and `page_followed` (by the user) — so that a section with nothing to show costs
    no query. (Flags rather than the rows joined in: each joined model costs the ORM more to
    compile and load than the section's own query costs when there is something to show.)
    """
    match = REFERENCE_RE.match(reference or "")
    if not match:
        raise NotFoundError()
    normalised = f"{match.group(1)}-{int(match.group(2)):06d}"

    def build(reference: str, **more: Any) -> CaseQuerySet:
        cases = cases_visible_to(user).filter(reference=reference)
        if organization_id is not None:
            cases = cases.filter(organization_id=more["organization_id"])
        # The organisation, type, group and area come from the rows the process keeps (`_with_kept`).
        cases = cases.select_related("handler")
        if for_page:
            def exists(model: str, **where: Any) -> Exists:
                return Exists(apps.get_model(model).objects.filter(case_id=OuterRef("pk"), **where))

            cases = cases.annotate(
                page_has_service_level=exists("routing.CaseServiceLevel"),
                page_has_workflow=exists("routing.CaseWorkflow"),
                page_has_suggestions=exists("routing.DuplicateSuggestion", state="suggested"),
                page_followed=exists("notifications.CaseFollow", user_id=more["user_id"]),
            )
        return cases.defer("search_vector")[:2]

    slots: dict[str, Any] = {"reference": normalised}
    if organization_id is not None:
        slots["organization_id"] = organization_id
    if for_page:
        slots["user_id"] = user.pk
    found = _CASE_READ.instances(build, owner=access_for(user), key=for_page, **slots)
    if len(found) != 1:
        # Two organisations with the same number and no organisation given: ambiguous, treat as missing.
        raise NotFoundError()
    return case_loaded_as_visible(user, _with_kept(found[0]))


# The case read's SQL, kept per user's access (core.kept_queries; ADR 0026).
_CASE_READ = KeptQuery("cases.case_read")


# A case's configuration, taken from the rows the process keeps rather than joined into its query.
_KEPT_RELATIONS = (
    ("organization", KEPT_ORGANIZATIONS), ("case_type", KEPT_CASE_TYPES), ("owner_group", KEPT_GROUPS),
    ("area", KEPT_AREAS),
)


def _with_kept(case: Case) -> Case:
    """The case with its organisation, type, group and area set from the kept rows (no query while they
    are kept; one the process does not have yet is left to load on access)."""
    for name, kept in _KEPT_RELATIONS:
        field = cast(ForeignKey, Case._meta.get_field(name))
        related_id = getattr(case, field.attname)
        if related_id is not None:
            instance = kept.get(related_id)
            if instance is not None:
                field.set_cached_value(case, instance)
    return case


def case_get_by_id_for_user(*, user: Any, case_id: Any) -> Case:
    try:
        pk = int(case_id)
    except (TypeError, ValueError) as exc:
        raise NotFoundError() from exc
    case = (
        cases_visible_to(user)
        .filter(pk=pk)
        .select_related("organization", "case_type", "owner_group", "handler", "area", "merged_into")
        .first()
    )
    if case is None:
        raise NotFoundError()
    return case_loaded_as_visible(user, case)


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    timeline: list[TimelineEntry]
    attachments: list[Attachment]
    comment_requests: list[CommentRequest]
    links: list[tuple[LinkKind, Case]]
    categories: list[Any]


def _case_has(model: type[Any], *fields: str, case_id: int) -> RawSQL:
    """Whether the model has a row whose foreign key in `fields` (any of them) points at the case."""
    table = connection.ops.quote_name(model._meta.db_table)
    where = " OR ".join(f"{connection.ops.quote_name(model._meta.get_field(name).column)} = %s" for name in fields)
    # Table and column names come from the models; the case's id is a parameter.
    return RawSQL(f"EXISTS (SELECT 1 FROM {table} WHERE {where})", (case_id,) * len(fields))  # noqa: S608, S611


_TIMELINE_FIELDS = tuple(field.name for field in TimelineEntry._meta.concrete_fields)


def _timeline_of(case_id: int) -> Any:
    return (
        TimelineEntry.objects.filter(case_id=case_id)
        # Only what names the author (User.__str__): no password hash or address in a page's rows.
        .select_related("actor")
        .only(*_TIMELINE_FIELDS, "actor__first_name", "actor__last_name", "actor__username")
        .annotate(
            case_has_attachments=_case_has(Attachment, "case", case_id=case_id),
            case_has_comment_requests=_case_has(CommentRequest, "case", case_id=case_id),
            case_has_links=_case_has(CaseLink, "from_case", "to_case", case_id=case_id),
        )
        .order_by("created_at", "id")
    )


# The case page's timeline and categories, their SQL kept per process (core.kept_queries; the categories'
# per language, which decides the column they are sorted by).
_TIMELINE = KeptQuery("cases.timeline", reads_configuration=False)
_CASE_CATEGORIES = KeptQuery("cases.case_categories", reads_configuration=False)


def case_detail(*, case: Case) -> CaseDetail:
    """Everything a case page shows besides the case row itself (2 to 5 queries, however long the timeline).

    Each timeline entry gets `attachment_list`: its own attachments, from one query for the case.
    Most cases have no attachments, comment requests or links: the timeline's query also says
    whether each exists (three `EXISTS` the database answers once), and only those that do are read.
    """
    annotated = _TIMELINE.instances(_timeline_of, case_id=case.pk)
    # Without a timeline entry (none is ever missing in practice) nothing is known: read them all.
    present = annotated[0] if annotated else None
    timeline = cast(list[TimelineEntry], annotated)
    attachments = (
        list(Attachment.objects.filter(case=case).only("id", "entry_id", "original_name", "content_type", "size"))
        if present is None or present.case_has_attachments
        else []
    )
    by_entry: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        by_entry.setdefault(attachment.entry_id, []).append(attachment)
    for entry in timeline:
        entry.attachment_list = by_entry.get(entry.pk, [])  # type: ignore[attr-defined]
    comment_requests = (
        list(
            CommentRequest.objects.filter(case=case).select_related(
                "requested_from_user", "requested_from_group", "requested_by"
            )
        )
        if present is None or present.case_has_comment_requests
        else []
    )
    links = (
        [
            (LinkKind(link.kind), link.to_case if link.from_case_id == case.pk else link.from_case)
            for link in CaseLink.objects.filter(Q(from_case=case) | Q(to_case=case))
            .select_related("from_case", "to_case")
            .only(
                "kind",
                "from_case__id",
                "from_case__reference",
                "from_case__title",
                "to_case__id",
                "to_case__reference",
                "to_case__title",
            )
        ]
        if present is None or present.case_has_links
        else []
    )
    categories = _CASE_CATEGORIES.instances(
        lambda case_id: Category.objects.filter(case_categories__case_id=case_id).order_by(
            "-case_categories__is_primary", "name"),
        key=translation_language(), case_id=case.pk,
    )
    return CaseDetail(
        case=case,
        timeline=timeline,
        attachments=attachments,
        comment_requests=comment_requests,
        links=links,
        categories=categories,
    )


def _apply_queue_filter(cases: CaseQuerySet, status_filter: str, now: dt.datetime | None) -> CaseQuerySet:
    if status_filter == "open":
        return cases.open()
    if status_filter == "new":
        return cases.filter(status=Status.NEW)
    if status_filter == "waiting":
        return cases.filter(status=Status.WAITING)
    if status_filter == "overdue":
        return cases.overdue(now or timezone.now())
    if status_filter == "closed":
        return cases.closed()
    return cases


@dataclass(frozen=True)
class QueueFilters:
    """Narrowing of a work queue; None means "any". `handler_id` 0 means "nobody"."""

    category_id: int | None = None
    case_type_id: int | None = None
    channel: str | None = None
    area_id: int | None = None
    handler_id: int | None = None
    published: bool | None = None
    text: str = ""


def _apply_queue_filters(cases: CaseQuerySet, filters: QueueFilters) -> CaseQuerySet:
    if filters.category_id is not None:
        cases = cases.filter(case_categories__category_id=filters.category_id)
    if filters.case_type_id is not None:
        cases = cases.filter(case_type_id=filters.case_type_id)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.area_id is not None:
        cases = cases.filter(area_id=filters.area_id)
    if filters.handler_id == 0:
        cases = cases.filter(handler__isnull=True)
    elif filters.handler_id is not None:
        cases = cases.filter(handler_id=filters.handler_id)
    if filters.published is not None:
        cases = cases.filter(is_published=filters.published)
    if filters.text:
        cases = _matching_text(cases, filters.text, None)
    return cases


def _matching_text(cases: CaseQuerySet, query: str, language: str | None) -> CaseQuerySet:
    if connection.vendor == "postgresql":
        config = SEARCH_CONFIGS.get(language or "fi", "finnish")
        text_query = SearchQuery(query, config=config, search_type="websearch") | SearchQuery(
            query, config="simple", search_type="websearch"
        )
        return cases.filter(search_vector=text_query)
    return cases.filter(Q(title__icontains=query) | Q(description__icontains=query))


def cases_in_queue(
    *,
    user: Any,
    service_group: ServiceGroup,
    status_filter: str = "open",
    sort: str = "last_activity",
    page: Any = 1,
    page_size: int | None = None,
    filters: QueueFilters | None = None,
) -> CasePage:
    """A page of a group's work queue (2 queries + 1 for categories).

    Members of the group and the organisation's advisors see the whole queue; special-category
    cases appear only to those allowed to see them.
    """
    if not can_view_queue(user, service_group):
        raise NotFoundError()
    access = access_for(user)

    def queue(group_id: int) -> CaseQuerySet:
        cases = Case.objects.filter(owner_group_id=group_id)
        if not access.is_superuser:
            cases = cases.filter(_special_categories_filter(access))
        return cases

    return _case_page(queue, owner=access, key="queue", slots={"group_id": service_group.pk},
                      status_filter=status_filter, sort=sort, page=page, page_size=page_size, filters=filters)


def cases_of_organization(
    *,
    user: Any,
    organization_id: int,
    status_filter: str = "open",
    sort: str = "last_activity",
    page: Any = 1,
    page_size: int | None = None,
    filters: QueueFilters | None = None,
) -> CasePage:
    """Every incoming contact of the organisation that the user may see, as one queue (R5).

    For service advisors and the other organisation-wide readers, and for viewers, who see the
    cases of their areas only (the policy narrows it); anyone else gets NotFoundError.
    """
    if not can_view_organization_list(user, organization_id):
        raise NotFoundError()

    def contacts(organization_id: int) -> CaseQuerySet:
        return cases_visible_to(user).filter(organization_id=organization_id)

    return _case_page(contacts, owner=access_for(user), key="organization", slots={"organization_id": organization_id},
                      status_filter=status_filter, sort=sort, page=page, page_size=page_size, filters=filters)


# A list page's count and rows, kept compiled per user's access and list (core.kept_queries; ADR 0026).
_LIST_COUNT = KeptQuery("cases.list_count")
# QueueFilters' fields that reach the SQL as one parameter each (the others change its text: in the key).
_FILTER_SLOTS = ("category_id", "case_type_id", "channel", "area_id", "handler_id", "text")


def _case_page(
    base: Callable[..., CaseQuerySet],
    *,
    owner: Any,
    key: Hashable,
    slots: dict[str, Any],
    status_filter: str,
    sort: str,
    page: Any,
    page_size: int | None,
    filters: QueueFilters | None,
) -> CasePage:
    """One page of the list `base(**slots)` gives. Its SQL is kept per `owner` (the user's access) and
    `key` (which list), with the status filter, the narrowing filters present, the sort and the page."""
    if status_filter not in QUEUE_FILTERS or sort not in SORTS:
        raise InvalidInputError(_("Unknown filter or sort order."), field="filter")
    number = _page_number(page)
    size = page_size or settings.CASES_PAGE_SIZE
    base_names = tuple(slots)  # the list's own values; the status and narrowing filters add theirs
    slots = dict(slots)
    if status_filter == "overdue":
        slots["now"] = timezone.now()
    filter_key: tuple[Any, ...] = ()
    if filters is not None:
        present = [name for name in _FILTER_SLOTS if getattr(filters, name) not in (None, "", 0)]
        filter_key = (tuple(present), filters.handler_id == 0, filters.published)
        slots.update({f"filter_{name}": getattr(filters, name) for name in present})

    def build(**values: Any) -> CaseQuerySet:
        cases = _apply_queue_filter(base(**{name: values[name] for name in base_names}), status_filter,
                                    values.get("now"))
        if filters is not None:
            cases = _apply_queue_filters(cases, dataclass_replace(filters, **{
                name.removeprefix("filter_"): value for name, value in values.items() if name.startswith("filter_")
            }))
        return cases

    list_key = (key, status_filter, filter_key)
    offset = (number - 1) * size
    # Counting a queue of tens of thousands exactly costs more than the page itself; beyond
    # COUNT_AHEAD rows past this page the page says "more than N".
    limit = offset + size + COUNT_AHEAD
    total = _LIST_COUNT.count(build, limit=limit, owner=owner, key=list_key, **slots)
    rows: list[CaseRow] = []
    if offset < total:
        order = SORTS[sort]

        def page_rows(**values: Any) -> CaseQuerySet:
            # Pick the page's ids from the index first, then load only those rows.
            page_ids = build(**values).order_by(*order).values("pk")[offset : offset + size]
            return Case.objects.filter(pk__in=page_ids).order_by(*order)

        rows = _rows(_KeptList(page_rows, owner, (*list_key, sort, offset, size), slots))
    return CasePage(cases=rows, page=number, page_size=size, total=total, total_is_exact=total < limit)


def cases_handled_by(*, user: Any, limit: int = 50) -> list[CaseRow]:
    """The user's own open cases, most recently active first (2 queries)."""
    return _rows(
        cases_visible_to(user).open().filter(handler_id=user.pk).order_by("-last_activity_at", "-id")[:limit]
    )


def comment_requests_waiting_for(*, user: Any, limit: int = 50) -> list[CommentRequest]:
    """Pending comment requests addressed to the user or one of their groups (1 query).

    Only on cases the user may see: a case marked as holding special categories after the
    request was sent drops out of the list of those outside the named groups.
    """
    access = access_for(user)
    if access.user_id is None:
        return []
    return list(
        CommentRequest.objects.filter(status=CommentRequestStatus.PENDING)
        .filter(Q(requested_from_user_id=access.user_id) | Q(requested_from_group_id__in=access.group_ids))
        .filter(case__in=cases_visible_to(user))
        .select_related("case", "requested_by", "requested_from_group")
        .order_by("due_at", "created_at")[:limit]
    )


def comment_requests_sent_by(*, user: Any, limit: int = 50) -> list[CommentRequest]:
    """Pending comment requests the user asked, on cases they may still see: the other side of
    "waiting for me", so a hand-over never disappears from view (1 query)."""
    access = access_for(user)
    if access.user_id is None:
        return []
    return list(
        CommentRequest.objects.filter(status=CommentRequestStatus.PENDING, requested_by_id=access.user_id)
        .filter(case__in=cases_visible_to(user))
        .select_related("case", "requested_from_user", "requested_from_group")
        .order_by("due_at", "created_at")[:limit]
    )


@dataclass(frozen=True)
class QueueCounts:
    service_group: ServiceGroup
    new: int
    open: int
    waiting: int
    overdue: int


def queue_counts(*, user: Any, groups: list[ServiceGroup]) -> list[QueueCounts]:
    """Counts of new, open, waiting and overdue cases for each group the user may see (1 query)."""
    visible = [g for g in groups if can_view_queue(user, g)]
    if not visible:
        return []
    now = timezone.now()
    cases = Case.objects.open().filter(owner_group__in=visible)
    access = access_for(user)
    if not access.is_superuser:
        # Counted only where the user could open them, so the numbers leak nothing.
        cases = cases.filter(_special_categories_filter(access))
    rows = cases.values("owner_group_id").annotate(
        new=Count("id", filter=Q(status=Status.NEW)),
        open=Count("id"),
        waiting=Count("id", filter=Q(status=Status.WAITING)),
        overdue=Count("id", filter=Q(due_at__lt=now)),
    )
    by_group: dict[int, dict[str, Any]] = {r["owner_group_id"]: dict(r) for r in rows}
    return [
        QueueCounts(
            service_group=g,
            new=by_group.get(g.pk, {}).get("new", 0),
            open=by_group.get(g.pk, {}).get("open", 0),
            waiting=by_group.get(g.pk, {}).get("waiting", 0),
            overdue=by_group.get(g.pk, {}).get("overdue", 0),
        )
        for g in visible
    ]


@dataclass(frozen=True)
class SearchQueryKind:
    """What a search box query is: a reference, an email, a phone number (E.164) or words."""

    kind: str
    value: str

    @property
    def identifies_person(self) -> bool:
        return self.kind in ("email", "phone")


def search_query_kind(query: str) -> SearchQueryKind:
    query = (query or "").strip()
    match = REFERENCE_RE.match(query)
    if match:
        return SearchQueryKind("reference", f"{match.group(1)}-{int(match.group(2)):06d}")
    if "@" in query and " " not in query:
        return SearchQueryKind("email", query.lower())
    digits = re.sub(r"[\s()-]", "", query)
    phone = phone_normalize(digits) if re.fullmatch(r"\+?\d{6,15}", digits) else None
    if phone:
        return SearchQueryKind("phone", phone)
    return SearchQueryKind("text", query)


def cases_search(*, user: Any, query: str, limit: int = 50, language: str | None = None) -> list[CaseRow]:
    """Cases the user may see matching a reference number, a customer's email or phone, or free text.

    On PostgreSQL free text uses the full-text index (stemmed in the case's language, and exact
    words); on SQLite a substring match. Newest activity first (2 queries).
    """
    query = (query or "").strip()
    if not query:
        return []
    if len(query) > 200:
        raise InvalidInputError(_("The search is too long."), field="q")
    visible = cases_visible_to(user)
    parsed = search_query_kind(query)
    if parsed.kind == "reference":
        return _rows(visible.filter(reference=parsed.value)[:limit])
    if parsed.kind == "email":
        return _rows(visible.filter(customer_email=parsed.value).order_by("-last_activity_at")[:limit])
    if parsed.kind == "phone":
        return _rows(visible.filter(customer_phone=parsed.value).order_by("-last_activity_at")[:limit])
    matches = _matching_text(visible, query, language)
    return _rows(matches.order_by("-last_activity_at", "-id")[:limit])


def cases_of_same_customer(*, user: Any, case: Case, limit: int = 20) -> list[CaseRow]:
    """The customer's other cases that the user may see (R4.6), by email or phone (2 queries)."""
    query = _same_customer_query(user=user, case=case, limit=limit)
    return _rows(query) if query is not None else []


def _same_customer_query(*, user: Any, case: Case, limit: int) -> _KeptList | None:
    email, phone = case.customer_email, case.customer_phone
    if not email and not phone:
        return None

    def build(*, organization_id: int, case_id: int, email: str = "", phone: str = "") -> CaseQuerySet:
        same = Q()
        if email:
            same |= Q(customer_email=email)
        if phone:
            same |= Q(customer_phone=phone)
        return (
            cases_visible_to(user)
            .filter(organization_id=organization_id)
            .filter(same)
            .exclude(pk=case_id)
            .order_by("-created_at")[:limit]
        )

    slots: dict[str, Any] = {"organization_id": case.organization_id, "case_id": case.pk}
    if email:
        slots["email"] = email
    if phone:
        slots["phone"] = phone
    return _KeptList(build, access_for(user), ("same-customer", bool(email), bool(phone), limit), slots)


# What "nearby" means on the case page (R4.6, R4.9): this far, this recent.
NEARBY_RADIUS_M = 300
NEARBY_DAYS = 180


def cases_nearby(
    *, user: Any, case: Case, radius_m: float = NEARBY_RADIUS_M, days: int = NEARBY_DAYS, limit: int = 20,
    category_ids: Sequence[int] | None = None,
) -> list[CaseRow]:
    """Cases near this one in the same categories, within `days` (R4.6, R4.9) (2 queries, and 1 more
    for the case's categories unless `category_ids` gives them)."""
    query = _nearby_query(user=user, case=case, radius_m=radius_m, days=days, limit=limit,
                          category_ids=category_ids)
    return _rows(query) if query is not None else []


def _nearby_query(
    *, user: Any, case: Case, radius_m: float, days: int, limit: int, category_ids: Sequence[int] | None
) -> _KeptList | None:
    if case.lat is None or case.lon is None:
        return None
    lat_min, lat_max, lon_min, lon_max = box_around(case.lat, case.lon, radius_m)
    cells = geo_cells_covering(lat_min, lat_max, lon_min, lon_max)
    cell_count = len(cells) if cells is not None else None
    if category_ids is None:
        category_ids = list(case.case_categories.values_list("category_id", flat=True))
    category_count = len(category_ids)

    def build(*, organization_id: int, case_id: int, lat_min: float, lat_max: float, lon_min: float, lon_max: float,
              since: dt.datetime, **numbered: int) -> CaseQuerySet:
        candidates = (
            cases_visible_to(user)
            .filter(organization_id=organization_id, created_at__gte=since)
            .in_box(lat_min=lat_min, lat_max=lat_max, lon_min=lon_min, lon_max=lon_max,
                    cells=[numbered[f"cell_{i}"] for i in range(cell_count)] if cell_count is not None else None)
            .exclude(pk=case_id)
        )
        if category_count:
            # EXISTS rather than a join and DISTINCT over the wide rows: the same cases, far cheaper to plan and run.
            candidates = candidates.filter(Exists(CaseCategory.objects.filter(
                case_id=OuterRef("pk"), category_id__in=[numbered[f"category_{i}"] for i in range(category_count)]
            )))
        return candidates.order_by("-created_at")[:limit]

    slots: dict[str, Any] = {
        "organization_id": case.organization_id, "case_id": case.pk,
        "lat_min": float(lat_min), "lat_max": float(lat_max), "lon_min": float(lon_min), "lon_max": float(lon_max),
        "since": case.created_at - dt.timedelta(days=days),
        **{f"category_{i}": int(category_id) for i, category_id in enumerate(category_ids)},
        **{f"cell_{i}": cell for i, cell in enumerate(cells or ())},
    }
    return _KeptList(build, access_for(user), ("nearby", category_count, cell_count, limit), slots)


def cases_related_for_page(
    *, user: Any, case: Case, limit: int, category_ids: Sequence[int]
) -> tuple[list[CaseRow], list[CaseRow]]:
    """The case page's two lists, `cases_of_same_customer` and `cases_nearby` (with the case's
    `category_ids`), their categories read together (1–3 queries)."""
    same = _same_customer_query(user=user, case=case, limit=limit)
    nearby = _nearby_query(user=user, case=case, radius_m=NEARBY_RADIUS_M, days=NEARBY_DAYS, limit=limit,
                           category_ids=category_ids)
    lists = _rows_many([query for query in (same, nearby) if query is not None])
    return (lists.pop(0) if same is not None else []), (lists.pop(0) if nearby is not None else [])


def queues_for_user(*, user: Any) -> list[ServiceGroup]:
    """The groups whose queues the user works from: their own, and every group for advisors (1 query)."""
    access = access_for(user)
    advisor_orgs = access.organizations_with_role(Role.SERVICE_ADVISOR)
    groups = ServiceGroup.objects.filter(is_active=True).filter(
        Q(pk__in=access.group_ids) | Q(organization_id__in=advisor_orgs)
    )
    return list(groups.order_by("-is_intake", "name"))


# --- saved views and bulk actions ---------------------------------------------------------


_SAVED_VIEWS = KeptQuery("cases.saved_views")


def saved_views_of(*, user: Any) -> list[SavedView]:
    """The user's own saved views, in their order, with each queue's group (1 query; the groups come
    from the rows the process keeps).

    Views of organisations where the user no longer holds a role are left out.
    """
    access = access_for(user)
    user_id = access.user_id
    if user_id is None:
        return []

    def build() -> Any:
        views = SavedView.objects.filter(user_id=user_id)
        if not access.is_superuser:
            views = views.filter(organization_id__in=access.organization_ids)
        return views.order_by("position", "id")

    # Everything in its SQL comes from the user's access: kept with it (core.kept_queries).
    found = _SAVED_VIEWS.instances(build, owner=access)
    group_field = SavedView._meta.get_field("service_group")
    groups = KEPT_GROUPS.snapshot() if any(view.service_group_id is not None for view in found) else None
    for view in found:
        if groups is not None and view.service_group_id is not None:
            group_field.set_cached_value(view, groups.get(view.service_group_id))
    return found


def saved_view_get_for_user(*, user: Any, view_id: Any) -> SavedView:
    """One of the user's own saved views; NotFoundError for anyone else's, as for a missing one (1 query)."""
    access = access_for(user)
    try:
        pk = int(view_id)
    except (TypeError, ValueError) as exc:
        raise NotFoundError() from exc
    view = (
        SavedView.objects.filter(pk=pk, user_id=access.user_id).select_related("service_group").first()
        if access.user_id is not None
        else None
    )
    if view is None:
        raise NotFoundError()
    return view


def cases_for_bulk_action(*, user: Any, case_ids: list[int], organization_id: int) -> dict[int, Case]:
    """The cases among `case_ids` that the user may see in the organisation, by id (1 query).

    Ids of cases that do not exist, belong to another organisation or are hidden from the user
    are simply absent, so a caller cannot tell them apart.
    """
    if not case_ids:
        return {}
    cases = (
        cases_visible_to(user)
        .filter(pk__in=case_ids, organization_id=organization_id)
        .only("id", "reference", "organization_id")
    )
    return {case.pk: case for case in cases}

