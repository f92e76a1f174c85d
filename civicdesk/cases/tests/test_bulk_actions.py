"""Bulk actions on case lists: each case goes through its own single-case service and transaction.

Refusals change nothing; a case that fails does not undo the others; ids are looked up again
through the permission policy, so tampered ids are "not found"; the number of cases is capped.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError
from django.test import Client
from django.utils import translation

from civicdesk.cases import services
from civicdesk.cases.models import Case, EntryKind, Resolution, Status, TimelineEntry
from civicdesk.core.errors import InvalidInputError
from civicdesk.privacy.models import AuditEntry
from tests.factories import City

pytestmark = pytest.mark.django_db


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def _queue(group: Any) -> str:
    return f"/en/staff/queues/{group.pk}/"


def _post(client: Client, url: str, cases: list[Any], **fields: Any) -> Any:
    data: dict[str, Any] = {"case": [str(getattr(case, "pk", case)) for case in cases]}
    for name, value in fields.items():
        data[name if name in ("next", "select_all", "page_case") else f"bulk-{name}"] = value
    return client.post(url, data)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _state(*cases: Case) -> list[Any]:
    """What a bulk action could change, to show that a refusal changed nothing."""
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("pk")
    state: list[Any] = [
        (*row, TimelineEntry.objects.filter(case_id=row[0]).count())
        for row in rows.values_list("pk", "status", "resolution", "owner_group_id", "handler_id")
    ]
    return [*state, AuditEntry.objects.filter(action__startswith="case.").exclude(action="case.view").count()]


# --- the action bar -----------------------------------------------------------------------


def test_the_queue_offers_an_accessible_action_bar(client: Client, city: City) -> None:
    case = city.case(title="Kuoppa kadulla")
    client = _login(client, city.users["advisor"])

    with translation.override("en"):
        response = client.get(f"{_queue(city.streets)}?sort=due")

    body = response.content.decode()
    assert f'<form method="post" action="/en/staff/queues/{city.streets.pk}/bulk/"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert f'id="select-case-{case.pk}" name="case" value="{case.pk}"' in body
    label = f'<label for="select-case-{case.pk}" class="visually-hidden">Select {case.reference} Kuoppa kadulla</label>'
    assert label in body
    assert '<label for="bulk-select-all" class="visually-hidden">Select all cases on this page</label>' in body
    assert f'name="next" value="/en/staff/queues/{city.streets.pk}/?sort=due"' in body
    for label in ("Assign to a person or a group", "Forward to a group", "Close as unnecessary"):
        assert label in body


def test_a_partner_is_offered_only_closing(client: Client, city: City) -> None:
    city.case(owner_group=city.partner_group)
    response = _login(client, city.users["partner"]).get(_queue(city.partner_group))
    form = response.context["bulk_form"]
    assert [key for key, _label in form.fields["action"].choices] == ["", "close-unnecessary"]


@pytest.mark.parametrize(
    ("user", "url"), [("reporter", "/en/staff/all/"), ("reporter", "queue"), ("viewer", "/en/staff/all/")]
)
def test_readers_get_no_action_bar(client: Client, city: City, user: str, url: str) -> None:
    city.case(lat=60.17, lon=24.93)
    response = _login(client, city.users[user]).get(_queue(city.streets) if url == "queue" else url)
    assert response.status_code == 200
    assert "bulk_form" not in response.context
    assert b'name="case"' not in response.content
    assert b"/bulk/" not in response.content


# --- doing it -----------------------------------------------------------------------------


def test_assign_several_cases_to_a_person(client: Client, city: City) -> None:
    first, second = city.case(), city.case()
    expert = city.users["expert"]
    client = _login(client, city.users["advisor"])
    back = f"{_queue(city.streets)}?sort=due&page=1"

    response = _post(client, f"{_queue(city.streets)}bulk/", [first, second], action="assign", handler=expert.pk,
                     next=back)

    assert response.status_code == 302
    assert response["Location"] == back
    assert _messages(response) == ["2 cases done."]
    for case in (first, second):
        case.refresh_from_db()
        assert case.handler == expert
        assert case.status == Status.OPEN
        assert TimelineEntry.objects.filter(case=case, kind=EntryKind.HANDLER_CHANGE).count() == 1
        assert AuditEntry.objects.filter(action="case.assign", object_id=str(case.pk)).count() == 1


def test_assign_to_a_group_moves_the_cases(client: Client, city: City) -> None:
    cases = [city.case(), city.case()]
    client = _login(client, city.users["advisor"])

    response = _post(client, "/en/staff/all/bulk/", cases, action="assign", group=city.parks.pk)

    assert response.status_code == 302
    assert response["Location"] == "/en/staff/all/"
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("owner_group", flat=True)) == {
        city.parks.pk}


def test_select_all_on_the_page_works_without_javascript(client: Client, city: City) -> None:
    cases = [city.case() for _ in range(3)]
    client = _login(client, city.users["advisor"])

    response = client.post(f"{_queue(city.streets)}bulk/", {
        "select_all": "1", "page_case": [str(c.pk) for c in cases],
        "bulk-action": "close-unnecessary", "bulk-reason": "Roskapostia",
    })

    assert response.status_code == 302
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("resolution", flat=True)) == {
        Resolution.UNNECESSARY}


def test_each_case_gets_what_a_single_action_gives(city: City, django_capture_on_commit_callbacks: Any) -> None:
    cases = [city.case(), city.case()]
    single = city.case()
    advisor = city.users["advisor"]

    with django_capture_on_commit_callbacks() as bulk_callbacks:
        result = services.cases_bulk_forward(actor=advisor, case_ids=[c.pk for c in cases],
                                             organization_id=city.org.pk, to_group=city.parks, message="Teille")
    with django_capture_on_commit_callbacks() as single_callbacks:
        services.case_forward(case=single, actor=advisor, to_group=city.parks, message="Teille")

    assert result.succeeded == tuple(c.reference for c in cases)
    assert result.failed == ()
    # The same realtime events and tasks per case, run after each case's own commit.
    assert len(bulk_callbacks) == 2 * len(single_callbacks)
    for case in (*cases, single):
        assert TimelineEntry.objects.filter(case=case, kind=EntryKind.FORWARD, body="Teille").count() == 1
        assert AuditEntry.objects.filter(action="case.forward", object_id=str(case.pk)).count() == 1


# --- partial failure ----------------------------------------------------------------------


def test_a_special_category_case_fails_and_the_others_are_forwarded(client: Client, city: City) -> None:
    ordinary = city.case(categories=[city.category_social])
    special = city.case(case_type=city.special_type, categories=[city.category_social],
                        contains_special_categories=True)
    assert ordinary.owner_group == special.owner_group == city.social
    before = _state(special)[0]
    client = _login(client, city.users["social_expert"])

    response = _post(client, f"{_queue(city.social)}bulk/", [special, ordinary], action="forward",
                     group=city.streets.pk, message="Kuuluu teille", next=_queue(city.social))

    assert response.status_code == 302
    ordinary.refresh_from_db()
    assert ordinary.owner_group == city.streets
    assert _state(special)[0] == before
    assert AuditEntry.objects.filter(action="case.forward").count() == 1
    [message] = _messages(response)
    assert message.startswith(f"1 case done, 1 could not be done: {special.reference}: ")

    page = client.get(response["Location"])
    body = page.content.decode()
    result = page.context["bulk_result"]
    assert result["done"] == [ordinary.reference]
    assert [failure["label"] for failure in result["failed"]] == [special.reference]
    assert '<div role="alert">' in body
    assert '<div role="status">' in body
    assert f"{special.reference}: {result['failed'][0]['reason']}" in body
    # Shown once: the next visit is a plain list again.
    assert client.get(response["Location"]).context["bulk_result"] is None


def test_an_already_closed_case_is_reported_and_the_open_ones_closed(client: Client, city: City) -> None:
    closed, still_open = city.case(), city.case()
    services.case_close_unnecessary(case=closed, actor=city.users["advisor"], reason="Tuplaviesti")
    client = _login(client, city.users["advisor"])

    response = _post(client, f"{_queue(city.streets)}bulk/", [closed, still_open], action="close-unnecessary",
                     reason="Ei toimenpiteitä")

    assert _messages(response) == [
        f"1 case done, 1 could not be done: {closed.reference}: The case is closed. Reopen it first."
    ]
    still_open.refresh_from_db()
    assert still_open.status == Status.CLOSED
    assert AuditEntry.objects.filter(action="case.close_unnecessary", object_id=str(closed.pk)).count() == 1


def test_one_case_failing_in_the_database_does_not_undo_the_others(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, broken, last = city.case(), city.case(), city.case()
    real = services.case_close_unnecessary

    def close_then_fail_on_one(*, case: Case, actor: Any, reason: str) -> Case:
        closed = real(case=case, actor=actor, reason=reason)
        if case.pk == broken.pk:
            raise DatabaseError("lost the connection after writing")
        return closed

    monkeypatch.setattr(services, "case_close_unnecessary", close_then_fail_on_one)
    with translation.override("en"):
        result = services.cases_bulk_close_unnecessary(
            actor=city.users["advisor"], case_ids=[first.pk, broken.pk, last.pk], organization_id=city.org.pk,
            reason="Roskapostia",
        )

    assert result.succeeded == (first.reference, last.reference)
    assert [(f.label, f.reason) for f in result.failed] == [
        (broken.reference, "The case could not be saved just now. Try again.")
    ]
    statuses = dict(Case.objects.filter(pk__in=[first.pk, broken.pk, last.pk]).values_list("pk", "status"))
    assert statuses == {first.pk: Status.CLOSED, broken.pk: Status.NEW, last.pk: Status.CLOSED}
    assert not TimelineEntry.objects.filter(case=broken, kind=EntryKind.STATUS_CHANGE).exists()


# --- tampered ids, cap, refusals ----------------------------------------------------------


def test_ids_of_other_organisations_and_missing_cases_are_not_found(client: Client, city: City,
                                                                     other_city: City) -> None:
    own = city.case()
    foreign = other_city.case()
    hidden = city.case(case_type=city.special_type, contains_special_categories=True,
                       categories=[city.category_social])
    foreign_before, hidden_before = _state(foreign)[0], _state(hidden)[0]
    client = _login(client, city.users["advisor"])

    response = _post(client, f"{_queue(city.streets)}bulk/", [foreign, 999999, own, hidden],
                     action="close-unnecessary", reason="Roskapostia")

    assert response.status_code == 302
    [message] = _messages(response)
    assert message == (f"1 case done, 3 could not be done: #{foreign.pk}: The case was not found. "
                       f"#999999: The case was not found. #{hidden.pk}: The case was not found.")
    assert _state(foreign)[0] == foreign_before
    assert _state(hidden)[0] == hidden_before
    own.refresh_from_db()
    assert own.status == Status.CLOSED


@pytest.mark.parametrize("ids", [["abc"], ["1.5"], ["-3"], ["0"], ["9" * 30], ["１２"], []])
def test_malformed_or_missing_ids_are_refused_with_400(client: Client, city: City, ids: list[str]) -> None:
    case = city.case()
    before = _state(case)
    client = _login(client, city.users["advisor"])

    response = _post(client, f"{_queue(city.streets)}bulk/", [*ids, case], action="close-unnecessary",
                     reason="Roskapostia") if ids else _post(client, f"{_queue(city.streets)}bulk/", [],
                                                             action="close-unnecessary", reason="Roskapostia")

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert _state(case) == before


def test_more_than_the_cap_is_refused_with_400(client: Client, city: City) -> None:
    case = city.case()
    before = _state(case)
    client = _login(client, city.users["advisor"])
    ids = [case.pk, *range(10_000, 10_000 + services.BULK_MAX_CASES)]

    response = _post(client, f"{_queue(city.streets)}bulk/", ids, action="close-unnecessary", reason="x")

    assert response.status_code == 400
    assert "You can act on at most 100 cases at a time." in response.content.decode()
    assert _state(case) == before
    with translation.override("en"), pytest.raises(InvalidInputError) as error:
        services.cases_bulk_close_unnecessary(actor=city.users["advisor"], case_ids=ids,
                                              organization_id=city.org.pk, reason="x")
    assert error.value.status_code == 400
    assert _state(case) == before


def test_exactly_the_cap_is_accepted(city: City) -> None:
    case = city.case()
    ids = [case.pk, *range(10_000, 10_000 + services.BULK_MAX_CASES - 1)]
    result = services.cases_bulk_close_unnecessary(actor=city.users["advisor"], case_ids=ids,
                                                   organization_id=city.org.pk, reason="x")
    assert result.succeeded == (case.reference,)
    assert len(result.failed) == services.BULK_MAX_CASES - 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Action: Choose an action."),
        ({"action": "assign"}, "Person: Choose a person or a group."),
        ({"action": "forward", "message": "Teille"}, "Service group: Choose the group to forward the cases to."),
        ({"action": "close-unnecessary", "reason": "   "}, "Reason (internal): Give the reason for closing the cases."),
        ({"action": "merge"}, "Action: Select a valid choice. merge is not one of the available choices."),
    ],
)
def test_incomplete_forms_are_refused_and_change_nothing(client: Client, city: City, fields: dict[str, Any],
                                                         error: str) -> None:
    case = city.case()
    before = _state(case)
    client = _login(client, city.users["advisor"])

    response = _post(client, f"{_queue(city.streets)}bulk/", [case], next=_queue(city.streets), **fields)

    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert f'href="{_queue(city.streets)}"' in body
    assert _state(case) == before


def test_a_partner_cannot_assign(client: Client, city: City) -> None:
    case = city.case(owner_group=city.partner_group)
    before = _state(case)
    client = _login(client, city.users["partner"])

    response = _post(client, f"{_queue(city.partner_group)}bulk/", [case], action="assign",
                     handler=city.users["partner"].pk)

    assert response.status_code == 400
    assert _state(case) == before


def test_an_expert_outside_the_queue_is_not_found(client: Client, city: City) -> None:
    case = city.case(categories=[city.category_parks])
    before = _state(case)
    client = _login(client, city.users["expert"])

    response = _post(client, f"{_queue(city.parks)}bulk/", [case], action="close-unnecessary", reason="x")

    assert response.status_code == 404
    assert _state(case) == before


@pytest.mark.parametrize("user", ["viewer", "reporter", "contentadmin"])
def test_readers_cannot_bulk_act(client: Client, city: City, user: str) -> None:
    case = city.case(lat=60.17, lon=24.93)  # in the viewer's area
    before = _state(case)
    client = _login(client, city.users[user])

    on_all = _post(client, "/en/staff/all/bulk/", [case], action="close-unnecessary", reason="x")
    on_queue = _post(client, f"{_queue(city.streets)}bulk/", [case], action="close-unnecessary", reason="x")

    assert on_all.status_code == 403
    assert on_queue.status_code == (404 if user == "viewer" else 403)
    assert _state(case) == before


def test_people_without_the_list_are_not_found(client: Client, city: City) -> None:
    case = city.case()
    before = _state(case)
    client = _login(client, city.users["expert"])  # experts have no list of all contacts

    assert _post(client, "/en/staff/all/bulk/", [case], action="close-unnecessary", reason="x").status_code == 404
    assert _state(case) == before


def test_the_service_checks_each_case_even_if_called_directly(city: City) -> None:
    case = city.case(lat=60.17, lon=24.93)
    before = _state(case)

    with translation.override("en"):
        result = services.cases_bulk_close_unnecessary(actor=city.users["viewer"], case_ids=[case.pk],
                                                       organization_id=city.org.pk, reason="x")

    assert result.succeeded == ()
    assert [(f.label, f.reason) for f in result.failed] == [(case.reference, "You are not allowed to do this.")]
    assert _state(case) == before


def test_post_only_with_csrf(city: City) -> None:
    case = city.case()
    before = _state(case)
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["advisor"])

    assert client.get(f"{_queue(city.streets)}bulk/").status_code == 405
    response = client.post(f"{_queue(city.streets)}bulk/", {"case": [case.pk], "bulk-action": "close-unnecessary",
                                                            "bulk-reason": "x"})
    assert response.status_code == 403
    assert _state(case) == before


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/staff/", "javascript:alert(1)"])
def test_next_must_stay_on_the_site(client: Client, city: City, next_url: str) -> None:
    case = city.case()
    client = _login(client, city.users["advisor"])

    response = _post(client, f"{_queue(city.streets)}bulk/", [case], action="close-unnecessary", reason="x",
                     next=next_url)

    assert response.status_code == 302
    assert response["Location"] == _queue(city.streets)
