"""What external partners and viewers see in the workspace (R5): their own cases, read-only areas."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.models import Status, TimelineEntry

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_viewer_gets_the_cases_of_its_area_read_only(client, city):
    inside = city.case(title="Inside the west area", lat=60.17, lon=24.93)
    outside = city.case(title="Outside in the east", lat=60.17, lon=25.02)
    _login(client, city.users["viewer"])
    with translation.override("en"):
        response = client.get(reverse("cases:all"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cases in my areas" in body
    assert inside.reference in body
    assert outside.reference not in body
    page = client.get(reverse("cases:detail", args=[inside.reference]))
    assert page.status_code == 200
    assert b'/actions/' not in page.content
    assert client.get(reverse("cases:detail", args=[outside.reference])).status_code == 404


def test_viewer_cannot_act_and_nothing_changes(client, city):
    case = city.case(lat=60.17, lon=24.93)
    entries = TimelineEntry.objects.filter(case=case).count()
    _login(client, city.users["viewer"])
    for action in ("take", "note", "close-unnecessary", "reply"):
        response = client.post(reverse("cases:action", args=[case.reference, action]),
                                {f"{action}-body": "x", f"{action}-reason": "x"})
        assert response.status_code in (400, 403, 404)
    case.refresh_from_db()
    assert case.handler_id is None
    assert case.status != Status.CLOSED
    assert TimelineEntry.objects.filter(case=case).count() == entries


def test_navigation_follows_the_role(client, city):
    with translation.override("en"):
        advisor = _login(client, city.users["advisor"]).get(reverse("cases:home")).content.decode()
        assert "All contacts" in advisor
        expert = _login(client, city.users["expert"]).get(reverse("cases:home")).content.decode()
        assert reverse("cases:all") not in expert
        viewer = _login(client, city.users["viewer"]).get(reverse("cases:home")).content.decode()
        assert "Cases in my areas" in viewer
        partner = _login(client, city.users["partner"]).get(reverse("cases:home")).content.decode()
        assert reverse("cases:all") not in partner


def test_expert_and_partner_have_no_organisation_overview(client, city):
    for user in (city.users["expert"], city.users["partner"]):
        assert _login(client, user).get(reverse("cases:all")).status_code == 404


def test_partner_sees_and_answers_only_its_own_cases(client, city):
    own = city.case(owner_group=city.partner_group, customer_email="resident@example.org")
    other = city.case(owner_group=city.streets)
    _login(client, city.users["partner"])
    home = client.get(reverse("cases:home")).content.decode()
    assert str(city.partner_group) in home
    queue = client.get(reverse("cases:queue", args=[city.partner_group.pk])).content.decode()
    assert own.reference in queue
    assert other.reference not in queue
    assert client.get(reverse("cases:detail", args=[other.reference])).status_code == 404
    assert client.get(reverse("cases:queue", args=[city.streets.pk])).status_code == 404
    assert client.get(reverse("cases:search"), {"q": other.reference}).content.decode().count(
        f'/cases/{other.reference}/') == 0
    response = client.post(reverse("cases:action", args=[own.reference, "reply"]),
                           {"reply-body": "We fix it on Monday."})
    assert response.status_code == 302
    assert TimelineEntry.objects.filter(case=own, body="We fix it on Monday.").exists()
    # Partners cannot hand a case on.
    response = client.post(reverse("cases:action", args=[own.reference, "forward"]),
                           {"forward-to_group": city.streets.pk, "forward-message": "yours"})
    assert response.status_code in (400, 403, 404)
    own.refresh_from_db()
    assert own.owner_group_id == city.partner_group.pk


def _seen_on_page(client, case, action):
    import re

    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    match = re.search(rf'name="{action}-seen" value="(\d+)"', page)
    assert match, f"no seen field for {action}"
    return match.group(1)


def test_stale_form_is_refused_with_what_changed_and_accepted_when_sent_again(client, city):
    from civicdesk.cases import services

    case = city.case()
    _login(client, city.users["advisor"])
    seen = _seen_on_page(client, case, "close-unnecessary")
    # Meanwhile the customer writes and an expert forwards it.
    services.case_record_customer_message(case=case, body="Lisätietoa: kuoppa on syvä.")
    posted = {"close-unnecessary-reason": "Duplicate", "close-unnecessary-seen": seen}
    with translation.override("en"):
        response = client.post(reverse("cases:action", args=[case.reference, "close-unnecessary"]), posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Someone else changed this case" in body
    assert "Message from customer" in body
    assert "Duplicate" in body  # what the user typed is kept
    case.refresh_from_db()
    assert case.is_open
    # The returned form carries the newest entry: sending it again works.
    import re

    found = re.search(r'name="close-unnecessary-seen" value="(\d+)"', body)
    assert found
    newer = found.group(1)
    assert int(newer) > int(seen)
    response = client.post(reverse("cases:action", args=[case.reference, "close-unnecessary"]),
                           {**posted, "close-unnecessary-seen": newer})
    assert response.status_code == 302
    case.refresh_from_db()
    assert not case.is_open


def test_own_changes_and_notes_do_not_make_a_form_stale(client, city):
    case = city.case()
    _login(client, city.users["advisor"])
    seen = _seen_on_page(client, case, "note")
    assert client.post(reverse("cases:action", args=[case.reference, "note"]),
                       {"note-body": "Soitin asiakkaalle.", "note-seen": seen}).status_code == 302
    response = client.post(reverse("cases:action", args=[case.reference, "close-unnecessary"]),
                           {"close-unnecessary-reason": "Duplicate", "close-unnecessary-seen": seen})
    assert response.status_code == 302


def test_tampered_seen_value_is_a_clear_400(client, city):
    case = city.case()
    _login(client, city.users["advisor"])
    with translation.override("en"):
        response = client.post(reverse("cases:action", args=[case.reference, "take"]), {"take-seen": "abc"})
    assert response.status_code == 400
    assert "Enter a whole number" in response.content.decode()
    case.refresh_from_db()
    assert case.handler_id is None
