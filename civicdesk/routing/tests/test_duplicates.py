"""Duplicate suggestions (R4.9): found when a case arrives, explained, acted on by staff, never merged by themselves."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.models import Case
from civicdesk.privacy.models import AuditEntry
from civicdesk.routing import services
from civicdesk.routing.duplicates import (
    _grams,
    distance_m,
    duplicate_candidates,
    duplicate_suggestions_for,
    duplicates_suggest,
    text_similarity,
)
from civicdesk.routing.models import DuplicateState, DuplicateSuggestion
from tests.factories import City

pytestmark = pytest.mark.django_db

POTHOLE = {"title": "Kuoppa Rantakadulla",
           "description": "Rantakadulla on syvä kuoppa pyörätien kohdalla, vaarallinen."}


def _aged(case: Case, days: float) -> Case:
    Case.objects.filter(pk=case.pk).update(created_at=case.created_at - dt.timedelta(days=days))
    case.refresh_from_db()
    return case


def _scene(city: City) -> dict[str, Case]:
    """An earlier report of the same pothole, and four that are not it."""
    return {
        "same": _aged(city.case(**POTHOLE, lat=60.1700, lon=24.9400), 2),
        "far_other_topic": _aged(city.case(title="Puiston penkki rikki", description="Penkki on rikottu puistossa.",
                                           categories=[city.category_parks], lat=60.2500, lon=25.1000), 2),
        "too_old": _aged(city.case(**POTHOLE, lat=60.1700, lon=24.9400), 45),
        "merged": _aged(city.case(**POTHOLE, lat=60.1700, lon=24.9401), 1),
        "same_place_other_words": _aged(city.case(title="Roskis täynnä", description="Roska-astia on täynnä.",
                                                  lat=60.1701, lon=24.9400), 1),
    }


def test_text_similarity_tolerates_inflection_and_distance_is_in_metres():
    assert text_similarity(_grams("Kuoppa Rantakadulla"), _grams("kuopasta rantakadun kohdalla")) > 0.4
    assert text_similarity(_grams("Kuoppa Rantakadulla"), _grams("Puiston penkki")) < 0.1
    assert text_similarity(_grams(""), _grams("x")) == 0.0
    assert 95 < distance_m(60.17, 24.94, 60.1709, 24.94) < 105


def test_the_same_matter_is_suggested_with_its_reasons_and_the_others_are_not(city: City):
    scene = _scene(city)
    new = city.case(**{**POTHOLE, "title": "Syvä kuoppa Rantakadulla"}, lat=60.1702, lon=24.9402)
    from civicdesk.cases import services as case_services

    case_services.case_merge(source=scene["merged"], target=scene["same"], actor=city.fresh("advisor"))
    found = duplicate_candidates(new)
    assert [c.case_id for c in found] == [scene["same"].pk]
    reasons = found[0].reasons
    assert reasons["category"] == 1.0
    assert reasons["distance_m"] < 40
    assert reasons["days_apart"] == 2
    assert reasons["text"] > 0.6
    assert found[0].score > 0.8


def test_without_a_location_text_and_category_still_find_it(city: City):
    earlier = _aged(city.case(**POTHOLE, lat=None, lon=None), 3)
    new = city.case(**POTHOLE, lat=None, lon=None)
    assert [c.case_id for c in duplicate_candidates(new)] == [earlier.pk]


def test_arrival_stores_suggestions_once_and_never_merges(city: City):
    earlier = _aged(city.case(**POTHOLE), 1)
    new = city.case(**POTHOLE)
    services.route_case(case=new)
    suggestion = DuplicateSuggestion.objects.get(case=new)
    assert suggestion.candidate == earlier
    assert suggestion.state == DuplicateState.SUGGESTED
    assert duplicates_suggest(case=new) == []  # the pair is not suggested twice
    new.refresh_from_db()
    earlier.refresh_from_db()
    assert new.merged_into_id is None
    assert earlier.merged_into_id is None


def test_a_failure_in_the_suggestions_leaves_routing_and_the_case_alone(city: City, caplog):
    new = city.case(**POTHOLE)
    with mock.patch("civicdesk.routing.duplicates.duplicate_candidates", side_effect=RuntimeError("boom")):
        decision = services.route_case(case=new)
    assert decision is not None
    assert "duplicate suggestions failed" in caplog.text


def test_staff_merge_or_dismiss_from_the_case_page_and_others_cannot(client, city: City):
    earlier = _aged(city.case(**POTHOLE), 1)
    other = _aged(city.case(**{**POTHOLE, "description": "Rantakadulla iso kuoppa pyörätiellä."}), 2)
    new = city.case(**POTHOLE)
    duplicates_suggest(case=new)
    suggestions = {s.candidate_id: s for s in DuplicateSuggestion.objects.filter(case=new)}
    assert set(suggestions) == {earlier.pk, other.pk}

    client.force_login(city.fresh("expert"))
    with translation.override("en"):
        page = client.get(reverse("cases:detail", args=[new.reference])).content.decode()
    assert "Possible duplicates" in page
    assert f"Merge this case into {earlier.reference}" in page

    client.force_login(city.fresh("partner"))
    dismiss = reverse("routing:duplicate_dismiss", args=[suggestions[other.pk].pk])
    assert client.post(dismiss).status_code == 404
    client.force_login(city.fresh("viewer"))
    assert client.post(dismiss).status_code == 404

    client.force_login(city.fresh("expert"))
    assert client.post(dismiss).status_code == 303
    assert client.post(dismiss).status_code == 409
    assert AuditEntry.objects.filter(action="routing.duplicate_dismiss", object_id=str(new.pk)).count() == 1
    answer = client.post(reverse("cases:action", args=[new.reference, "link"]),
                         {"link-other_reference": earlier.reference, "link-kind": "merge"})
    assert answer.status_code == 302
    new.refresh_from_db()
    assert new.merged_into_id == earlier.pk  # by a person, in one action


def test_a_special_category_case_is_never_shown_to_someone_who_may_not_see_it(city: City):
    secret = _aged(city.case(**POTHOLE, case_type=city.special_type, contains_special_categories=True), 1)
    new = city.case(**POTHOLE)
    duplicates_suggest(case=new)
    assert DuplicateSuggestion.objects.filter(case=new, candidate=secret).exists()
    # The advisors read the whole organisation, but not special categories outside the named groups.
    assert secret.pk not in {s.candidate_id for s in duplicate_suggestions_for(user=city.fresh("advisor"), case=new)}
    assert secret.pk in {s.candidate_id for s in duplicate_suggestions_for(user=city.fresh("social_expert"),
                                                                           case=new)}
