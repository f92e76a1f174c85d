"""`cases_visible_to` is built once per user object, and a case read through it passes
`can_view_case` without a second query — for that user, while what visibility reads is unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from civicdesk.cases.permissions import can_view_case, cases_visible_to
from civicdesk.cases.selectors import case_get_for_user
from tests.factories import City

pytestmark = pytest.mark.django_db


def test_the_filter_is_built_once_and_each_call_gets_a_fresh_queryset(city: City) -> None:
    case = city.case()
    expert = city.fresh("expert")
    first = cases_visible_to(expert)
    assert list(first) == [case]
    second = cases_visible_to(expert)
    assert second is not first
    assert second._result_cache is None  # evaluating one copy fills no other's cache
    assert str(second.query) == str(first.query)
    assert cases_visible_to(city.fresh("parks_expert")).count() == 0


def test_a_case_read_through_the_filter_needs_no_second_query(city: City, django_assert_num_queries: Any) -> None:
    case = city.case()
    expert = city.fresh("expert")
    found = case_get_for_user(user=expert, reference=case.reference)
    with django_assert_num_queries(0):
        assert can_view_case(expert, found)


def test_the_note_does_not_speak_for_another_user(city: City, django_assert_num_queries: Any) -> None:
    case = city.case()
    found = case_get_for_user(user=city.fresh("expert"), reference=case.reference)
    outsider = city.fresh("parks_expert")
    cases_visible_to(outsider)  # access and filter built: what is left is the check itself
    with django_assert_num_queries(1):
        assert not can_view_case(outsider, found)


@pytest.mark.parametrize(("change", "still_visible"), [("owner_group", False), ("handler", True), ("special", False)])
def test_the_note_lapses_when_a_column_visibility_reads_changes(
    city: City, change: str, still_visible: bool, django_assert_num_queries: Any
) -> None:
    case = city.case()
    expert = city.fresh("expert")
    found = case_get_for_user(user=expert, reference=case.reference)
    if change == "owner_group":
        found.owner_group = city.parks
    elif change == "handler":
        found.handler = city.users["parks_expert"]
    else:
        found.contains_special_categories = True
    found.save()
    with django_assert_num_queries(1):  # asked again, not taken from the note
        assert can_view_case(expert, found) is still_visible
