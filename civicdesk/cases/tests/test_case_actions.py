"""The actions on the case page: each form posts to one service, errors come back as 4xx with
the form, refusals change nothing, and the whole handling loop works through HTTP."""

import pytest
from django.core.cache import cache

from civicdesk.cases.models import Case, CommentRequest, EntryKind, Status, TimelineEntry
from tests.factories import City


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _post(client, case: Case, action: str, data: dict | None = None):
    prefixed = {f"{action}-{key}": value for key, value in (data or {}).items()}
    return client.post(f"/en/staff/cases/{case.reference}/actions/{action}/", prefixed)


@pytest.mark.django_db
def test_the_handling_loop_through_the_case_page(client, city: City):
    case = city.case()
    expert, expert2 = city.users["expert"], city.users["expert2"]
    client.force_login(expert)

    page = client.get(f"/en/staff/cases/{case.reference}/")
    assert page.status_code == 200
    assert b'actions/take/' in page.content

    assert _post(client, case, "take").status_code == 302
    assert _post(client, case, "comment-request", {"from_user": expert2.pk, "question": "Onko tämä teidän?"}
                 ).status_code == 302
    client.force_login(expert2)
    request = CommentRequest.objects.get(case=case)
    assert _post(client, case, "comment-answer", {"comment_request": request.pk, "answer": "On."}).status_code == 302
    client.force_login(expert)
    assert _post(client, case, "note", {"body": "Tarkistettu."}).status_code == 302
    assert _post(client, case, "close", {"reply": "Korjaamme kuopan viikolla 48."}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert _post(client, case, "publish", {"public_title": "Kuoppa", "public_text": "Kadulla oli kuoppa.",
                                           "public_answer": "Korjataan viikolla 48."}).status_code == 302
    assert _post(client, case, "reopen", {"reason": "Ei korjattu"}).status_code == 302
    case.refresh_from_db()
    assert case.status != Status.CLOSED
    assert case.is_published
    kinds = list(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True))
    for kind in (EntryKind.HANDLER_CHANGE, EntryKind.COMMENT_REQUEST, EntryKind.COMMENT_REPLY,
                 EntryKind.INTERNAL_NOTE, EntryKind.OUTBOUND_REPLY, EntryKind.PUBLICATION):
        assert kind in kinds


@pytest.mark.django_db
def test_forward_link_and_merge(client, city: City):
    case, other = city.case(), city.case()
    client.force_login(city.users["advisor"])
    assert _post(client, other, "link", {"other_reference": case.reference, "kind": "related"}).status_code == 302
    assert _post(client, case, "forward", {"to_group": city.parks.pk, "message": "Teille"}).status_code == 302
    case.refresh_from_db()
    assert case.owner_group == city.parks
    assert _post(client, other, "link", {"other_reference": case.reference, "kind": "merge"}).status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == case.pk


@pytest.mark.django_db
def test_invalid_input_returns_the_form_with_errors_and_changes_nothing(client, city: City):
    case = city.case()
    client.force_login(city.users["expert"])
    before = TimelineEntry.objects.count()
    response = _post(client, case, "note", {"body": ""})
    assert response.status_code == 400
    assert b'id="action-errors"' in response.content
    response = _post(client, case, "close", {"reply": ""})  # the customer asked for an answer
    assert response.status_code == 409
    assert b"asked for an answer" in response.content
    response = _post(client, case, "publish", {"public_title": "Kuoppa",
                                                "public_text": "Maija Meikäläinen ilmoitti kuopasta."})
    assert response.status_code == 400
    assert TimelineEntry.objects.count() == before
    assert _post(client, case, "no-such-action").status_code == 404


@pytest.mark.django_db
def test_actions_refused_to_those_who_may_not_act(client, city: City):
    case = city.case()
    before = TimelineEntry.objects.count()
    client.force_login(city.users["viewer"])  # may read the case (its area), never act
    page = client.get(f"/en/staff/cases/{case.reference}/")
    assert page.status_code == 200
    assert b"actions/" not in page.content
    assert _post(client, case, "note", {"body": "x"}).status_code == 403
    client.force_login(city.users["parks_expert"])  # may not even see it
    assert _post(client, case, "note", {"body": "x"}).status_code == 404
    assert TimelineEntry.objects.count() == before
    assert client.get(f"/en/staff/cases/{case.reference}/actions/note/").status_code == 405


@pytest.mark.django_db
def test_home_queue_counts_refresh_as_a_fragment(client, city: City):
    city.case()
    client.force_login(city.users["expert"])
    home = client.get("/en/staff/")
    assert b'hx-get="/en/staff/queue-counts/"' in home.content
    fragment = client.get("/en/staff/queue-counts/")
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.strip().startswith('<section aria-labelledby="queues-heading" id="queue-counts"')
    assert "<html" not in body
    assert city.streets.name in body


@pytest.mark.django_db
def test_queue_filters(client, city: City):
    from civicdesk.cases import services

    mine = city.case(title="Kuoppa Mannerheimintiellä")
    other = city.case(title="Roskia puistossa", lat=60.17, lon=25.0)  # east area
    city.case(title="Liikennemerkki kaatunut")
    expert = city.users["expert"]
    services.case_take(case=mine, actor=city.fresh("expert"))
    client.force_login(expert)
    base = f"/en/staff/queues/{city.streets.pk}/"

    def refs(query: str) -> list[str]:
        response = client.get(base + query)
        assert response.status_code == 200, response.content[:500]
        return [c.reference for c in response.context["page"].cases]

    assert refs("?handler=me") == [mine.reference]
    assert mine.reference not in refs("?handler=none")
    assert refs(f"?area={city.area_east.pk}") == [other.reference]
    assert refs("?q=roskia") == [other.reference]
    assert refs("?published=yes") == []
    assert refs(f"?category={city.category_streets.pk}&filter=all&sort=created")
    assert client.get(base + "?area=abc").status_code == 400
    assert client.get(base + "?channel=carrier-pigeon").status_code == 400
    page = client.get(base + "?handler=me")
    assert b"handler=me&amp;page=" not in page.content or b"Next" in page.content


@pytest.mark.django_db
def test_staff_add_an_attachment_and_bad_files_are_refused(client, city: City):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicdesk.cases.models import Attachment

    case = city.case()
    client.force_login(city.users["expert"])
    page = client.get(f"/en/staff/cases/{case.reference}/")
    assert b'enctype="multipart/form-data"' in page.content
    ok = client.post(f"/en/staff/cases/{case.reference}/actions/attachment/",
                     {"attachment-file": SimpleUploadedFile("muistio.txt", b"Mittaukset 12.11.\n")})
    assert ok.status_code == 302
    assert Attachment.objects.get(case=case).original_name == "muistio.txt"
    bad = client.post(f"/en/staff/cases/{case.reference}/actions/attachment/",
                      {"attachment-file": SimpleUploadedFile("kuva.jpg", b"MZ\x90\x00" + b"\x00" * 64)})
    assert bad.status_code == 400
    assert Attachment.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_advisors_see_all_incoming_contacts_in_one_queue(client, city: City):
    streets, parks = city.case(), city.case(categories=[city.category_parks])
    special = city.case(case_type=city.special_type, contains_special_categories=True)
    client.force_login(city.users["advisor"])
    response = client.get("/en/staff/all/", {"filter": "all"})
    assert response.status_code == 200
    shown = {c.pk for c in response.context["page"].cases}
    assert {streets.pk, parks.pk} <= shown
    assert special.pk not in shown  # the advisor is not in the social group
    parks_only = client.get("/en/staff/all/", {"category": city.category_parks.pk})
    assert [c.pk for c in parks_only.context["page"].cases] == [parks.pk]
    client.force_login(city.users["expert"])
    assert client.get("/en/staff/all/").status_code == 404


@pytest.mark.django_db
def test_reclassify_sets_the_main_category_first_and_refuses_an_empty_change(client, city: City):
    from civicdesk.cases.models import CaseCategory, CaseKind, EntryKind

    case = city.case(categories=[city.category_parks])
    client.force_login(city.users["advisor"])
    page = client.get(f"/en/staff/cases/{case.reference}/")
    assert b"actions/reclassify/" in page.content
    change = {"category": city.category_streets.pk, "other_categories": [city.category_parks.pk],
              "case_type": city.types[CaseKind.QUESTION].pk, "priority": 3}
    assert _post(client, case, "reclassify", change).status_code == 302
    chosen = CaseCategory.objects.filter(case=case).order_by("-is_primary", "id").values_list("category_id", flat=True)
    assert list(chosen) == [city.category_streets.pk, city.category_parks.pk]
    case.refresh_from_db()
    assert (case.case_type_id, case.priority) == (city.types[CaseKind.QUESTION].pk, 3)
    entries = TimelineEntry.objects.filter(case=case, kind=EntryKind.CLASSIFICATION_CHANGE).count()
    response = _post(client, case, "reclassify", change)
    assert response.status_code == 400
    assert b"Nothing was changed" in response.content
    assert TimelineEntry.objects.filter(case=case, kind=EntryKind.CLASSIFICATION_CHANGE).count() == entries
