"""Reads of cases: what each selector returns to whom, and how many queries it takes.

Query counts include resolving a fresh user's access (roles with their areas, then groups:
three queries), as on the first call of a request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from civicdesk.accounts.models import User
from civicdesk.cases import selectors, services
from civicdesk.cases.models import Case, LinkKind, Status
from civicdesk.cases.permissions import cases_visible_to
from civicdesk.cases.selectors import (
    _LIST_ROWS,
    NEARBY_DAYS,
    NEARBY_RADIUS_M,
    SORTS,
    _nearby_query,
    case_detail,
    case_get_by_id_for_user,
    case_get_for_user,
    cases_handled_by,
    cases_in_queue,
    cases_nearby,
    cases_of_same_customer,
    cases_search,
    comment_requests_waiting_for,
    queue_counts,
    queues_for_user,
)
from civicdesk.core.config_generation import config_generation_scope
from civicdesk.core.errors import InvalidInputError, NotFoundError
from civicdesk.organizations.geometry import box_around, geo_cell, geo_cells_covering
from tests.factories import City

pytestmark = pytest.mark.django_db

# What a process that has not served the user yet reads for their first visibility filter: the
# configuration generation, memberships, group memberships (areas only for viewers), and (kept with the
# generation, read again outside a request's scope) the groups case types name for special categories.
ACCESS_QUERIES = 5
ACCESS_ONLY_QUERIES = 3  # the first three: no visibility filter is built


def _ago(**delta: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


@pytest.fixture
def queue(city: City) -> dict[str, Case]:
    """The streets group's queue with a case in every state, plus one elsewhere."""
    advisor = city.users["advisor"]
    new = city.case(title="Uusi", created_at=_ago(days=5), priority=1)
    opened = services.case_take(case=city.case(title="Auki", created_at=_ago(days=4), priority=3),
                                actor=city.users["expert"])
    waiting = city.case(title="Odottaa", created_at=_ago(days=3))
    services.case_reply(case=waiting, actor=advisor, body="Missä tarkalleen?", wait_for_customer=True)
    overdue = city.case(title="Myöhässä", created_at=_ago(days=20), due_at=_ago(days=1), priority=4)
    closed = city.case(title="Suljettu", created_at=_ago(days=2))
    services.case_close(case=closed, actor=advisor, reply="Korjattu.")
    elsewhere = city.case(title="Puistossa", categories=[city.category_parks])
    return {
        "new": new, "opened": opened, "waiting": Case.objects.get(pk=waiting.pk), "overdue": overdue,
        "closed": Case.objects.get(pk=closed.pk), "elsewhere": elsewhere,
    }


# --- cases_in_queue -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_filter", "expected"),
    [
        ("open", {"new", "opened", "waiting", "overdue"}),
        ("new", {"new", "overdue"}),
        ("waiting", {"waiting"}),
        ("overdue", {"overdue"}),
        ("closed", {"closed"}),
        ("all", {"new", "opened", "waiting", "overdue", "closed"}),
    ],
)
def test_queue_filters(city: City, queue: dict[str, Case], status_filter: str, expected: set[str]) -> None:
    page = cases_in_queue(user=city.fresh("expert"), service_group=city.streets, status_filter=status_filter)
    names = {name for name, case in queue.items() if case.pk in {c.pk for c in page.cases}}
    assert names == expected
    assert page.total == len(expected)


@pytest.mark.parametrize("sort", list(SORTS))
def test_queue_sorts(city: City, queue: dict[str, Case], sort: str) -> None:
    page = cases_in_queue(user=city.fresh("advisor"), service_group=city.streets, status_filter="all", sort=sort)
    keys = {
        "last_activity": lambda c: (-c.last_activity_at.timestamp(), -c.pk),
        "due": lambda c: (c.due_at is None, c.due_at or timezone.now(), c.pk),
        "created": lambda c: (-c.created_at.timestamp(), -c.pk),
        "priority": lambda c: (-c.priority, -c.last_activity_at.timestamp(), -c.pk),
    }
    assert [c.pk for c in page.cases] == [c.pk for c in sorted(page.cases, key=keys[sort])]
    assert len(page.cases) == 5
    if sort == "priority":
        assert page.cases[0].pk == queue["overdue"].pk
    if sort == "created":
        assert page.cases[0].pk == queue["closed"].pk


def test_queue_pages(city: City, queue: dict[str, Case]) -> None:
    user = city.fresh("expert")
    first = cases_in_queue(user=user, service_group=city.streets, status_filter="all", page=1, page_size=2)
    second = cases_in_queue(user=user, service_group=city.streets, status_filter="all", page="2", page_size=2)
    third = cases_in_queue(user=user, service_group=city.streets, status_filter="all", page=3, page_size=2)
    beyond = cases_in_queue(user=user, service_group=city.streets, status_filter="all", page=4, page_size=2)

    assert [len(p.cases) for p in (first, second, third, beyond)] == [2, 2, 1, 0]
    assert len({c.pk for p in (first, second, third) for c in p.cases}) == 5
    assert (first.total, first.pages, first.has_next, first.has_previous) == (5, 3, True, False)
    assert (third.has_next, third.has_previous) == (False, True)
    assert beyond.total == 5


@pytest.mark.parametrize("page", ["kaksi", None, 0, -1, 10_001, "1.5", [1]])
def test_queue_refuses_invalid_pages(city: City, page: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        cases_in_queue(user=city.fresh("expert"), service_group=city.streets, page=page)
    assert str(caught.value)


@pytest.mark.parametrize("values", [{"status_filter": "everything"}, {"sort": "title"}, {"sort": None}])
def test_queue_refuses_unknown_filters_and_sorts(city: City, values: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        cases_in_queue(user=city.fresh("expert"), service_group=city.streets, **values)


@pytest.mark.parametrize("name", ["parks_expert", "viewer", "internal", "partner"])
def test_queue_is_missing_for_non_members(city: City, name: str) -> None:
    with pytest.raises(NotFoundError):
        cases_in_queue(user=city.fresh(name), service_group=city.streets)


def test_queue_is_missing_for_outsiders(city: City, other_city: City) -> None:
    with pytest.raises(NotFoundError):
        cases_in_queue(user=other_city.fresh("advisor"), service_group=city.streets)


@pytest.mark.parametrize("name", ["advisor", "reporter", "techadmin", "expert", "expert2"])
def test_queue_is_open_to_members_and_organisation_readers(city: City, queue: dict[str, Case], name: str) -> None:
    assert cases_in_queue(user=city.fresh(name), service_group=city.streets).total == 4


def test_queue_hides_special_category_cases_from_those_outside_the_named_groups(city: City) -> None:
    plain = city.case(categories=[city.category_social])
    special = city.case(case_type=city.special_type, categories=[city.category_social],
                        contains_special_categories=True)
    shown = {c.pk for c in cases_in_queue(user=city.fresh("advisor"), service_group=city.social).cases}
    assert shown == {plain.pk}
    shown = {c.pk for c in cases_in_queue(user=city.fresh("social_expert"), service_group=city.social).cases}
    assert shown == {plain.pk, special.pk}
    counts = queue_counts(user=city.fresh("advisor"), groups=[city.social])
    assert counts[0].open == 1  # only what the advisor could open is counted
    assert queue_counts(user=city.fresh("social_expert"), groups=[city.social])[0].open == 2


def test_queue_query_count_is_constant(city: City, queue: dict[str, Case],
                                       django_assert_num_queries: Any) -> None:
    # As in a request: the configuration generation is read once (the first compiling of the page's two
    # statements builds the list twice; a kept one is only run).
    in_request = ACCESS_QUERIES - 1
    user = city.fresh("expert")
    with config_generation_scope(), django_assert_num_queries(in_request + 3):  # capped count, rows, categories
        page = cases_in_queue(user=user, service_group=city.streets, status_filter="all")
    assert len(page.cases) == 5

    for _ in range(10):
        city.case()
    user = city.fresh("expert")
    with config_generation_scope(), django_assert_num_queries(in_request + 3):
        page = cases_in_queue(user=user, service_group=city.streets, status_filter="all")
        # Everything a row shows is already loaded.
        rows = [(c.reference, c.title, c.get_status_display(), c.handler_name, c.category_names,
                 c.last_activity_at) for c in page.cases]
    assert len(rows) == 15

    # A page beyond the end needs only the count.
    user = city.fresh("expert")
    with config_generation_scope(), django_assert_num_queries(in_request + 1):
        cases_in_queue(user=user, service_group=city.streets, page=9)


# --- counts, own cases, comment requests --------------------------------------------------


def test_queue_counts(city: City, queue: dict[str, Case], django_assert_num_queries: Any) -> None:
    user = city.fresh("advisor")
    with django_assert_num_queries(ACCESS_QUERIES + 1):
        counts = queue_counts(user=user, groups=[city.streets, city.parks, city.social])
    by_group = {c.service_group.pk: c for c in counts}
    streets = by_group[city.streets.pk]
    assert (streets.new, streets.open, streets.waiting, streets.overdue) == (2, 4, 1, 1)
    parks = by_group[city.parks.pk]
    assert (parks.new, parks.open, parks.waiting, parks.overdue) == (1, 1, 0, 0)
    assert (by_group[city.social.pk].open, by_group[city.social.pk].new) == (0, 0)

    # Only the groups the user may see; none at all costs no case query.
    expert = city.fresh("expert")
    assert [c.service_group for c in queue_counts(user=expert, groups=[city.streets, city.parks])] == [city.streets]
    viewer = city.fresh("viewer")
    with django_assert_num_queries(ACCESS_ONLY_QUERIES + 1):  # + the viewer's areas
        assert queue_counts(user=viewer, groups=[city.streets]) == []


def test_cases_handled_by(city: City, queue: dict[str, Case], django_assert_num_queries: Any) -> None:
    expert = city.fresh("expert")
    services.case_take(case=city.case(), actor=expert)
    closed = services.case_take(case=city.case(answer_requested=False), actor=expert)
    services.case_close(case=closed, actor=expert)
    expert = city.fresh("expert")
    with django_assert_num_queries(ACCESS_QUERIES + 2):
        mine = cases_handled_by(user=expert)
        [list(c.category_names) for c in mine]
    assert len(mine) == 2
    assert queue["opened"].pk in {c.pk for c in mine}
    assert closed.pk not in {c.pk for c in mine}
    assert mine == sorted(mine, key=lambda c: (c.last_activity_at, c.pk), reverse=True)
    assert len(cases_handled_by(user=city.fresh("expert"), limit=1)) == 1
    assert cases_handled_by(user=city.fresh("expert2")) == []


def test_comment_requests_waiting_for(city: City, django_assert_num_queries: Any) -> None:
    advisor, parks_expert = city.users["advisor"], city.users["parks_expert"]
    case = city.case()
    to_person = services.case_request_comment(case=case, actor=advisor, question="Sinulle?", from_user=parks_expert,
                                              due_at=timezone.now() + dt.timedelta(days=1))
    to_group = services.case_request_comment(case=case, actor=advisor, question="Ryhmälle?", from_group=city.parks,
                                             due_at=timezone.now() + dt.timedelta(days=2))
    answered = services.case_request_comment(case=case, actor=advisor, question="Vastattu?", from_group=city.parks)
    services.comment_request_answer(comment_request=answered, actor=parks_expert, answer="Kyllä")
    elsewhere = services.case_request_comment(case=case, actor=advisor, question="Kadut?", from_group=city.streets)

    user = city.fresh("parks_expert")
    with django_assert_num_queries(ACCESS_QUERIES + 1):
        waiting = comment_requests_waiting_for(user=user)
        [(r.case.reference, r.requested_by.username) for r in waiting]
    assert [r.pk for r in waiting] == [to_person.pk, to_group.pk]
    assert [r.pk for r in comment_requests_waiting_for(user=city.fresh("expert"))] == [elsewhere.pk]
    assert comment_requests_waiting_for(user=city.fresh("advisor")) == []
    assert comment_requests_waiting_for(user=None) == []


def test_comment_requests_on_special_category_cases_are_not_listed_to_those_who_may_not_see_them(
    city: City,
) -> None:
    social_expert = city.users["social_expert"]
    case = city.case(case_type=city.special_type, categories=[city.category_social])
    request = services.case_request_comment(case=case, actor=social_expert, question="?", from_group=city.parks)
    assert [r.pk for r in comment_requests_waiting_for(user=city.fresh("parks_expert"))] == [request.pk]

    services.case_reclassify(case=case, actor=social_expert, contains_special_categories=True)
    assert comment_requests_waiting_for(user=city.fresh("parks_expert")) == []


# --- single cases -------------------------------------------------------------------------


def test_case_get_for_user_normalises_the_reference(city: City, django_assert_num_queries: Any) -> None:
    case = city.case()
    Case.objects.filter(pk=case.pk).update(area=city.area_west)
    year, number = case.reference.split("-")
    case_get_for_user(user=city.fresh("expert"), reference=case.reference)  # the process's first request
    user = User.objects.get(pk=city.users["expert"].pk)  # a later request: its access and configuration kept
    with config_generation_scope(), django_assert_num_queries(2):  # the configuration generation, the case
        found = case_get_for_user(user=user, reference=f" {year}-{int(number)} ")
        # What the case page needs of the row itself is already there.
        shown = (found.organization.name, found.case_type.name, found.owner_group.name, found.area, found.merged_into)
    assert shown[0] == city.org.name
    assert shown[3] == city.area_west
    assert found.pk == case.pk
    assert case_get_by_id_for_user(user=user, case_id=str(case.pk)).pk == case.pk
    for bad in ("abc", None, "", [1]):
        with pytest.raises(NotFoundError):
            case_get_by_id_for_user(user=user, case_id=bad)
    with pytest.raises(NotFoundError):
        case_get_by_id_for_user(user=city.fresh("parks_expert"), case_id=case.pk)


def _case_with_entries(city: City, count: int) -> Case:
    advisor = city.users["advisor"]
    case = city.case()
    for number in range(count - 1):
        services.case_add_note(case=case, actor=advisor, body=f"Huomio {number}")
    services.attachment_add(case=case, uploaded_file=_text_file(), actor=advisor)
    return case


def _text_file() -> Any:
    from django.core.files.base import ContentFile

    return ContentFile(b"Liite\n", name="liite.txt")


def test_case_detail_takes_the_same_queries_however_long_the_timeline(
    city: City, django_assert_num_queries: Any
) -> None:
    short, long = _case_with_entries(city, 3), _case_with_entries(city, 30)
    other = city.case()
    for case in (short, long):
        services.case_link(case=case, other=other, actor=city.users["advisor"])
        services.case_request_comment(case=case, actor=city.users["advisor"], question="?", from_group=city.parks)

    details = []
    for case in (short, long):
        # timeline with actors, the case's attachments, comment requests, links, categories
        with django_assert_num_queries(5):
            detail = case_detail(case=case)
            [(e.actor, list(e.attachment_list)) for e in detail.timeline]  # type: ignore[attr-defined]
            [(r.requested_by.username, r.requested_from_group) for r in detail.comment_requests]
            [(kind, linked.reference) for kind, linked in detail.links]
        details.append(detail)

    short_detail, long_detail = details
    assert len(short_detail.timeline) == 3 + 2  # + link, comment request
    assert len(long_detail.timeline) == 30 + 2
    assert [a.original_name for a in long_detail.attachments] == ["liite.txt"]
    assert [linked.pk for _, linked in long_detail.links] == [other.pk]
    assert [c.pk for c in long_detail.categories] == [city.category_streets.pk]


def test_case_detail_reads_no_attachments_comment_requests_or_links_of_a_case_without_them(
    city: City, django_assert_num_queries: Any
) -> None:
    alone, bare, linked = city.case(), city.case(), city.case()
    services.case_link(case=linked, other=bare, actor=city.users["advisor"])  # `bare` is its link's target

    with django_assert_num_queries(2):  # the timeline (which says what else exists) and the categories
        detail = case_detail(case=alone)
    assert (detail.attachments, detail.comment_requests, detail.links) == ([], [], [])
    assert len(detail.timeline) >= 1

    with django_assert_num_queries(3):  # + the links, found from either end
        detail = case_detail(case=bare)
    assert [(kind, other.pk) for kind, other in detail.links] == [(LinkKind.RELATED, linked.pk)]
    assert (detail.attachments, detail.comment_requests) == ([], [])


# --- search and related cases -------------------------------------------------------------


def test_cases_search(city: City, other_city: City, django_assert_num_queries: Any) -> None:
    pothole = city.case(title="Pothole on Main Street", customer_email="Maija@Example.fi",
                        customer_phone="040 123 4567")
    bench = city.case(title="Broken bench", description="The bench in the park is broken.",
                      categories=[city.category_parks], customer_email="pekka@example.fi")
    special = city.case(title="Broken promise", case_type=city.special_type, categories=[city.category_social],
                        contains_special_categories=True)
    theirs = other_city.case(title="Pothole elsewhere", customer_email="maija@example.fi")

    advisor = city.fresh("advisor")
    with django_assert_num_queries(ACCESS_QUERIES + 2):
        found = cases_search(user=advisor, query=pothole.reference)
        [list(c.category_names) for c in found]
    assert [c.pk for c in found] == [pothole.pk]
    year, number = pothole.reference.split("-")
    assert [c.pk for c in cases_search(user=advisor, query=f"{year}-{int(number)}")] == [pothole.pk]
    assert [c.pk for c in cases_search(user=advisor, query="MAIJA@example.fi")] == [pothole.pk]
    assert [c.pk for c in cases_search(user=advisor, query="040 123 4567")] == [pothole.pk]
    assert [c.pk for c in cases_search(user=advisor, query="(040) 1234567")] == [pothole.pk]
    assert {c.pk for c in cases_search(user=advisor, query="broken")} == {bench.pk}
    assert {c.pk for c in cases_search(user=advisor, query="park is")} == {bench.pk}
    assert theirs.pk not in {c.pk for c in cases_search(user=advisor, query="pothole")}

    # What the user may not see is never found.
    assert cases_search(user=city.fresh("parks_expert"), query="pothole") == []
    assert {c.pk for c in cases_search(user=city.fresh("social_expert"), query="broken")} == {special.pk}
    assert [c.pk for c in cases_search(user=city.fresh("viewer"), query="pekka@example.fi")] == [bench.pk]
    assert cases_search(user=city.fresh("east_viewer"), query="pekka@example.fi") == []
    assert cases_search(user=None, query="broken") == []

    assert cases_search(user=advisor, query="   ") == []
    assert cases_search(user=advisor, query=None) == []  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        cases_search(user=advisor, query="x" * 201)


def test_cases_of_same_customer(city: City, other_city: City, django_assert_num_queries: Any) -> None:
    case = city.case(customer_phone="040 123 4567")
    by_email = city.case(customer_phone="")
    same_phone_digits = city.case(customer_email="", customer_phone="0401234567", answer_requested=False)
    stranger = city.case(customer_email="pekka@example.fi")
    east = city.case(lat=60.17, lon=25.02)
    other_city.case()

    user = city.fresh("advisor")
    with django_assert_num_queries(ACCESS_QUERIES + 2):
        same = cases_of_same_customer(user=user, case=case)
        [list(c.category_names) for c in same]
    assert {c.pk for c in same} == {by_email.pk, same_phone_digits.pk, east.pk}
    assert stranger.pk not in {c.pk for c in same}
    assert [c.created_at for c in same] == sorted((c.created_at for c in same), reverse=True)

    west_viewer = {c.pk for c in cases_of_same_customer(user=city.fresh("viewer"), case=case)}
    assert west_viewer == {by_email.pk, same_phone_digits.pk}
    anonymous = city.case(customer_email="", customer_name="", answer_requested=False)
    assert cases_of_same_customer(user=user, case=anonymous) == []


def test_cases_nearby(city: City, django_assert_num_queries: Any) -> None:
    case = city.case(lat=60.1700, lon=24.9400)
    near = city.case(lat=60.1710, lon=24.9410)  # about 130 m away
    far = city.case(lat=60.1800, lon=24.9400)  # about 1.1 km away
    other_topic = city.case(lat=60.1701, lon=24.9401, categories=[city.category_parks])
    long_ago = city.case(lat=60.1701, lon=24.9401, created_at=_ago(days=400))
    special = city.case(lat=60.1701, lon=24.9401, case_type=city.special_type,
                        categories=[city.category_streets], contains_special_categories=True)
    nowhere = city.case(lat=None, lon=None)

    user = city.fresh("advisor")
    with django_assert_num_queries(ACCESS_QUERIES + 3):
        found = cases_nearby(user=user, case=case)
        [list(c.category_names) for c in found]
    assert {c.pk for c in found} == {near.pk}
    assert far.pk not in {c.pk for c in found}
    assert other_topic.pk not in {c.pk for c in found}
    assert long_ago.pk not in {c.pk for c in found}
    assert special.pk not in {c.pk for c in found}
    assert {c.pk for c in cases_nearby(user=user, case=case, radius_m=2000)} == {near.pk, far.pk}
    assert cases_nearby(user=user, case=nowhere) == []
    assert cases_nearby(user=city.fresh("parks_expert"), case=case) == []


def test_nearby_reads_the_grid_cells_around_the_case_and_finds_cases_across_their_edges(city: City) -> None:
    # 60.15 is a cell edge of latitude (1/180°), 24.9444… one of longitude (1/90°): the case sits at a
    # corner, its neighbours in the three other cells.
    lat_edge, lon_edge = 10827 / 180, 2245 / 90
    case = city.case(lat=lat_edge - 0.0002, lon=lon_edge - 0.0004)
    neighbours = [city.case(lat=lat_edge + 0.0002, lon=lon_edge - 0.0004),
                  city.case(lat=lat_edge - 0.0002, lon=lon_edge + 0.0004),
                  city.case(lat=lat_edge + 0.0002, lon=lon_edge + 0.0004)]
    cells = Case.objects.filter(pk__in=[c.pk for c in (case, *neighbours)]).values_list("geo_cell", flat=True)
    assert len(set(cells)) == 4
    user = city.fresh("advisor")
    assert {c.pk for c in cases_nearby(user=user, case=case)} == {c.pk for c in neighbours}
    # The same list the second time, from the kept statement (the cells are bigint parameters).
    assert {c.pk for c in cases_nearby(user=user, case=case)} == {c.pk for c in neighbours}
    query = _nearby_query(user=user, case=case, radius_m=NEARBY_RADIUS_M, days=NEARBY_DAYS, limit=20,
                          category_ids=[city.category_streets.pk])
    assert query is not None
    if connection.vendor == "postgresql":  # SQLite's backend hands datetimes over as text: not kept there
        assert _LIST_ROWS.is_kept(owner=query.owner, key=query.key, **query.slots)


def test_the_database_computes_each_case_s_grid_cell_as_python_does(city: City) -> None:
    points = [(60.1699, 24.9384), (10827 / 180, 2245 / 90), (-33.8688, 151.2093), (40.7128, -74.0060),
              (-0.0001, -0.0001), (89.9999, 179.9999), (-90.0, -180.0), (0.0, 0.0)]
    for lat, lon in points:
        case = city.case(lat=lat, lon=lon)
        assert Case.objects.filter(pk=case.pk).values_list("geo_cell", flat=True).get() == geo_cell(lat, lon)
    nowhere = city.case(lat=None, lon=None)
    assert Case.objects.filter(pk=nowhere.pk).values_list("geo_cell", flat=True).get() is None


def test_the_cells_of_a_box_are_every_cell_it_touches() -> None:
    lat_min, lat_max, lon_min, lon_max = box_around(60.17, 24.94, NEARBY_RADIUS_M)
    cells = geo_cells_covering(lat_min, lat_max, lon_min, lon_max)
    assert cells is not None
    assert 1 <= len(cells) <= 4
    step = 0.0001
    lat = lat_min
    while lat <= lat_max:
        lon = lon_min
        while lon <= lon_max:
            assert geo_cell(lat, lon) in cells
            lon += step
        lat += step
    assert geo_cells_covering(*box_around(60.17, 24.94, 50_000)) is None  # too many: the box alone


def test_queues_for_user(city: City, django_assert_num_queries: Any) -> None:
    advisor = city.fresh("advisor")
    with django_assert_num_queries(ACCESS_ONLY_QUERIES + 1):
        groups = queues_for_user(user=advisor)
    assert groups[0] == city.intake
    assert set(groups) == {city.intake, city.streets, city.parks, city.social, city.partner_group}
    assert queues_for_user(user=city.fresh("expert")) == [city.streets]
    assert queues_for_user(user=city.fresh("viewer")) == []


def test_closed_cases_are_not_in_the_open_queue_but_stay_searchable(city: City) -> None:
    case = city.case(answer_requested=False)
    services.case_close(case=case, actor=city.users["advisor"])
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    advisor = city.fresh("advisor")
    assert cases_in_queue(user=advisor, service_group=city.streets).total == 0
    assert [c.pk for c in cases_search(user=advisor, query=case.reference)] == [case.pk]


def test_long_queues_are_counted_only_a_little_past_the_page(city: City, monkeypatch: Any) -> None:
    from civicdesk.cases import selectors

    monkeypatch.setattr(selectors, "COUNT_AHEAD", 3)
    for _ in range(8):
        city.case()
    user = city.fresh("expert")
    first = cases_in_queue(user=user, service_group=city.streets, page=1, page_size=2)
    assert (first.total, first.total_is_exact, first.has_next) == (5, False, True)
    last = cases_in_queue(user=user, service_group=city.streets, page=4, page_size=2)
    assert (last.total, last.total_is_exact, last.has_next) == (8, True, False)
    assert len(last.cases) == 2
    pages = [
        [c.pk for c in cases_in_queue(user=user, service_group=city.streets, page=n, page_size=2).cases]
        for n in range(1, 5)
    ]
    assert len({pk for page in pages for pk in page}) == 8


def test_a_group_named_or_unnamed_for_special_categories_applies_to_the_next_request(city: City) -> None:
    """The groups case types name are kept per process (cases.permissions); a change applies at once."""
    special = city.case(case_type=city.special_type, categories=[city.category_social],
                        contains_special_categories=True)
    expert = city.users["social_expert"]

    def sees() -> bool:
        # A new request: a new user object, the process's kept values as they are.
        user = type(expert).objects.get(pk=expert.pk)
        return cases_visible_to(user).filter(pk=special.pk).exists()

    assert sees()
    city.special_type.special_data_groups.remove(city.social)
    assert not sees()
    city.special_type.special_data_groups.add(city.social)
    assert sees()


def test_the_case_pages_two_lists_are_those_of_their_selectors_with_one_categories_query(
    city: City, django_assert_num_queries: Any
) -> None:
    case = city.case(customer_email="sama@example.fi", lat=60.17, lon=24.94, categories=[city.category_streets])
    same_and_near = city.case(customer_email="sama@example.fi", lat=60.17, lon=24.94,
                              categories=[city.category_streets, city.category_parks])
    only_same = city.case(customer_email="sama@example.fi", lat=60.3, lon=25.2)
    only_near = city.case(lat=60.1701, lon=24.9401, categories=[city.category_streets])
    user = city.fresh("advisor")
    expected = (cases_of_same_customer(user=user, case=case, limit=10),
                cases_nearby(user=user, case=case, limit=10, category_ids=[city.category_streets.pk]))

    with django_assert_num_queries(3):  # the two lists, and their categories together
        found = selectors.cases_related_for_page(user=user, case=case, limit=10,
                                                 category_ids=[city.category_streets.pk])

    assert found == expected
    assert {row.pk for row in found[0]} == {same_and_near.pk, only_same.pk}
    assert {row.pk for row in found[1]} == {same_and_near.pk, only_near.pk}
    nearby_only = cases_nearby(user=user, case=only_near, limit=10, category_ids=[])
    assert selectors.cases_related_for_page(user=user, case=only_near, limit=10, category_ids=[]) == ([], nearby_only)


def test_the_timeline_loads_only_the_authors_names(city: City, django_assert_num_queries: Any) -> None:
    case = city.case()
    services.case_add_note(case=case, actor=city.users["expert"], body="Muistiinpano")

    detail = case_detail(case=case)

    entry = next(entry for entry in detail.timeline if entry.actor is not None)
    actor: Any = entry.actor
    assert {"password", "email", "last_login"} <= actor.get_deferred_fields()
    with django_assert_num_queries(0):
        assert entry.author_display == str(city.users["expert"])


def test_list_rows_name_categories_in_the_current_language_with_fallbacks(city: City) -> None:
    """The list's category names: the language's own, else Finnish, English, Swedish (modeltranslation's
    fallbacks), primary first, then by the language's names; as the ORM's translated `name` gives them."""
    from django.utils import translation

    from civicdesk.cases.models import Category

    Category.objects.filter(pk=city.category_streets.pk).update(name_sv="Gator", name_en="Streets")
    Category.objects.filter(pk=city.category_parks.pk).update(name_sv="", name_en="Parks")
    Category.objects.filter(pk=city.category_social.pk).update(name_sv="Socialtjänst", name_en="")
    case = city.case(categories=[city.category_social, city.category_parks, city.category_streets])
    other = city.case(categories=[city.category_parks])
    user = city.fresh("advisor")
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            page = selectors.cases_of_organization(user=user, organization_id=city.org.pk, status_filter="all")
            rows = {row.pk: row.category_names for row in page.cases}
            expected = [
                str(category) for category in Category.objects.filter(case_categories__case=case)
                .order_by("-case_categories__is_primary", "name")
            ]
            assert list(rows[case.pk]) == expected
            assert list(rows[other.pk]) == [str(Category.objects.get(pk=city.category_parks.pk))]
    with translation.override("sv"):
        page = selectors.cases_of_organization(user=user, organization_id=city.org.pk, status_filter="all")
        names = next(row.category_names for row in page.cases if row.pk == case.pk)
        assert names[0] == "Socialtjänst"  # the primary category first
        assert sorted(names[1:]) == ["Gator", "Puistot"]  # no Swedish name: the Finnish one


def test_a_kept_list_runs_again_with_other_filter_values(city: City) -> None:
    """The list's count and page are kept per access and filter shape; the next request with other
    values of the same filters gets its own rows (cases.selectors._case_page; ADR 0026)."""
    from django.conf import settings

    from civicdesk.cases.selectors import _LIST_COUNT, QueueFilters, cases_of_organization

    streets = [city.case(categories=[city.category_streets]) for _ in range(3)]
    parks = [city.case(categories=[city.category_parks]) for _ in range(2)]
    Case.objects.filter(pk=parks[0].pk).update(handler=city.users["expert"])
    user = city.fresh("advisor")

    def listed(**filters: Any) -> set[int]:
        page = cases_of_organization(user=user, organization_id=city.org.pk, status_filter="all",
                                     filters=QueueFilters(**filters))
        return {row.pk for row in page.cases}

    assert listed(category_id=city.category_streets.pk) == {c.pk for c in streets}
    assert listed(category_id=city.category_parks.pk) == {c.pk for c in parks}
    assert listed(category_id=city.category_streets.pk) == {c.pk for c in streets}
    assert listed(handler_id=city.users["expert"].pk) == {parks[0].pk}
    assert listed(handler_id=city.users["advisor"].pk) == set()
    assert listed(handler_id=0) == {c.pk for c in streets} | {parks[1].pk}
    assert listed(category_id=city.category_parks.pk, handler_id=city.users["expert"].pk) == {parks[0].pk}
    # The counts' statement was compiled once per shape and then only run.
    from civicdesk.accounts.permissions import access_for
    from civicdesk.cases.selectors import COUNT_AHEAD

    limit = settings.CASES_PAGE_SIZE + COUNT_AHEAD
    assert _LIST_COUNT.is_kept(owner=access_for(user), key=(
        "count", limit, ("organization", "all", (("category_id",), False, None))),
        organization_id=city.org.pk, filter_category_id=city.category_parks.pk)
