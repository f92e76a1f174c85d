"""SQL queries per staff page, over the whole request: bounded, and the same however many rows a page shows.

The bounds are what the pages take today (issue "staff workspace", must-show 3; the HTTP timings
are in docs/benchmarks.md). A page that starts to query per row, per timeline entry or per
attachment fails the equality checks; one that adds a fixed query fails the bound, which should
then be raised deliberately. Each page is requested once before counting, since a session's
first request also records when the user was last seen.
"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicdesk.accounts.models import User
from civicdesk.cases import services
from civicdesk.cases.forms import action_forms_for
from civicdesk.cases.models import Case, CommentRequest, LinkKind
from tests.factories import City

pytestmark = pytest.mark.django_db

# The whole request: session (from the database here; from Redis in production), user, the
# configuration generation (the user's access and the groups are kept per process: ADR 0021), the
# page's selectors, its forms and its template.
QUEUE_PAGE_MAX_QUERIES = 8
ALL_CONTACTS_PAGE_MAX_QUERIES = 8
# The case page with everything to show (attachments, links, a comment request, the customer's other
# cases nearby; the two lists' categories come in one query). Its service level, possible duplicates,
# workflow step and follow state are each read only when the case's own query said there is one
# (`case_get_for_user(for_page=True)`).
CASE_PAGE_MAX_QUERIES = 16
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _queries(client: Any, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _queue_cases(city: City, count: int) -> list[Case]:
    """Cases in the streets queue, some handled, with categories and areas, as list rows show them."""
    expert = city.users["expert"]
    cases = []
    for number in range(count):
        case = city.case(title=f"Kuoppa {number}", customer_email=f"asiakas{number}@example.fi",
                         categories=[city.category_streets, city.category_parks][: 1 + number % 2],
                         lat=60.16 + number / 1000, lon=24.93 + (number % 3) / 100)
        if number % 3 == 0:
            services.case_take(case=case, actor=expert)
        cases.append(case)
    return cases


@pytest.mark.parametrize("extra", [2, 30])
def test_queue_page_queries_are_bounded_and_do_not_grow_with_rows(
    client: Any, city: City, extra: int, django_assert_max_num_queries: Any
) -> None:
    _queue_cases(city, 1)
    client.force_login(city.users["expert"])
    url = f"/staff/queues/{city.streets.pk}/"
    one_row = _queries(client, url)
    _queue_cases(city, extra)

    many_rows = _queries(client, url)

    assert many_rows == one_row
    with django_assert_max_num_queries(QUEUE_PAGE_MAX_QUERIES):
        response = client.get(url)
    assert len(response.context["page"].cases) == min(1 + extra, 25)
    with django_assert_max_num_queries(QUEUE_PAGE_MAX_QUERIES):
        assert client.get(url + "?page=2").status_code == 200


def test_all_contacts_page_queries_are_bounded_and_do_not_grow_with_rows(
    client: Any, city: City, django_assert_max_num_queries: Any
) -> None:
    _queue_cases(city, 1)
    client.force_login(city.users["advisor"])
    one_row = _queries(client, "/staff/all/")
    _queue_cases(city, 30)

    assert _queries(client, "/staff/all/") == one_row
    with django_assert_max_num_queries(ALL_CONTACTS_PAGE_MAX_QUERIES):
        response = client.get("/staff/all/")
    assert len(response.context["page"].cases) == 25


def _busy(city: City, case: Case, *, entries: int, attachments: int, neighbours: int) -> None:
    """A long timeline with attachments, comment requests, links, and the customer's other cases nearby."""
    expert, advisor = city.users["expert"], city.users["advisor"]
    for number in range(entries):
        services.case_add_note(case=case, actor=expert, body=f"Muistiinpano {number}")
    for number in range(attachments):
        services.attachment_add(case=case, uploaded_file=ContentFile(PDF), name=f"liite {number}.pdf", actor=expert)
    for _ in range(neighbours):
        other = city.case(customer_email=case.customer_email, lat=case.lat, lon=case.lon)
        services.case_link(case=case, other=other, actor=advisor, kind=LinkKind.RELATED)
    services.case_request_comment(case=case, actor=expert, question="Mitä mieltä?", from_user=city.users["expert2"],
                                  from_group=None, due_at=None)


@pytest.mark.parametrize("user", ["expert", "advisor"])
def test_case_page_queries_are_bounded_and_do_not_grow_with_the_timeline(
    client: Any, city: City, user: str, django_assert_max_num_queries: Any
) -> None:
    small, big = city.case(), city.case(customer_email="toinen@example.fi", lat=60.18, lon=24.95)
    _busy(city, small, entries=0, attachments=1, neighbours=1)  # the same kinds of rows, fewer of each
    _busy(city, big, entries=20, attachments=5, neighbours=12)
    client.force_login(city.users[user])

    small_queries = _queries(client, f"/staff/cases/{small.reference}/")
    big_queries = _queries(client, f"/staff/cases/{big.reference}/")

    assert big_queries == small_queries
    with django_assert_max_num_queries(CASE_PAGE_MAX_QUERIES):
        response = client.get(f"/staff/cases/{big.reference}/")
    detail = response.context["detail"]
    assert len(detail.timeline) > 20
    assert len(detail.attachments) == 5
    assert len(detail.links) == 12
    assert len(response.context["same_customer"]) == 10


@pytest.mark.parametrize("user", ["expert", "advisor"])
def test_action_forms_offer_their_querysets_rows_read_once_per_process(
    city: City, user: str, django_assert_max_num_queries: Any
) -> None:
    case = city.case()
    actor = User.objects.get(pk=city.users[user].pk)
    action_forms_for(actor=actor, case=case)  # the first page reads the organisation's pickers

    with django_assert_max_num_queries(3):  # who may answer a comment request; special groups; categories
        offered = action_forms_for(actor=actor, case=Case.objects.get(pk=case.pk))
        choice_fields: list[Any] = [
            (form, name, field) for form in offered for name, field in form.fields.items()
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None
            and field.queryset.model is not CommentRequest
        ]
        offered_choices = [
            [(str(value), str(label)) for value, label in field.choices] for _, _, field in choice_fields
        ]

    # reclassify: category, other categories, type; forward: group; information: group, person;
    # comment request: person, group; assign: handler
    assert len(choice_fields) == 9
    for (form, name, field), choices in zip(choice_fields, offered_choices, strict=True):
        # A blank form builds no queryset; a sent one validates with it, and offers the same rows.
        bound = type(form)({}, case=form.case, actor=actor)
        expected = [(str(row.pk), str(row)) for row in bound.fields[name].queryset]
        if field.empty_label is not None:
            expected.insert(0, ("", field.empty_label))
        assert choices == expected
