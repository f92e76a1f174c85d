"""The public list, map and pages of published contacts (R1.7, R1.6, R9.4): nothing unpublished or personal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from civicdesk.cases import services
from civicdesk.cases.models import Case
from civicdesk.portal import selectors
from civicdesk.portal.selectors import PublicFilters

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    # Another test in the same worker may leave a language active; these read Finnish URLs and texts.
    with translation.override("fi"):
        yield

PRIVATE = ("Maija Meikäläinen", "maija@example.fi", "+358401234567", "Kotikatu 5 B 12", "salainen-alkuteksti")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _published(city, *, title="Kuoppa pyörätiellä", lat=60.17, lon=24.94, categories=None, **extra):
    case = city.case(
        title="Alkuperäinen otsikko", description="Kuoppa kotini edessä, salainen-alkuteksti.",
        customer_name="Maija Meikäläinen", customer_email="maija@example.fi", customer_phone="040 123 4567",
        address="Kotikatu 5 B 12", lat=lat, lon=lon, categories=categories or [city.category_streets], **extra,
    )
    return services.case_publish(case=case, actor=city.fresh("advisor"), public_title=title,
                                 public_text="Pyörätiellä on syvä kuoppa.", public_answer="Kuoppa paikataan.")


@pytest.fixture
def cases(city):
    published = _published(city)
    unpublished = city.case(title="Julkaisematon asia", description="Ei julkinen.")
    special = _published(city, title="Erityinen asia")
    Case.objects.filter(pk=special.pk).update(contains_special_categories=True)
    withdrawn = _published(city, title="Peruttu julkaisu")
    services.case_unpublish(case=withdrawn, actor=city.fresh("advisor"))
    return {"published": published, "unpublished": unpublished, "special": special, "withdrawn": withdrawn}


def _assert_nothing_private(body: str) -> None:
    for secret in PRIVATE:
        assert secret not in body, f"{secret!r} leaked"
    assert "Alkuperäinen otsikko" not in body


def test_the_list_shows_only_published_texts(client, city, cases):
    with translation.override("en"):
        response = client.get(reverse("portal:public_contacts"))
        case_url = reverse("portal:public_case", args=[cases["published"].reference])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kuoppa pyörätiellä" in body
    assert "Pyörätiellä on syvä kuoppa." in body
    assert "1 published contact" in body
    for hidden in ("Julkaisematon asia", "Erityinen asia", "Peruttu julkaisu"):
        assert hidden not in body
    _assert_nothing_private(body)
    assert case_url in body


def test_each_published_case_has_its_page_and_nothing_else_does(client, city, cases):
    with translation.override("en"):
        page = client.get(reverse("portal:public_case", args=[cases["published"].reference]))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Kuoppa paikataan." in body
        assert "Being handled" in body or "Received" in body
        _assert_nothing_private(body)
        for name in ("unpublished", "special", "withdrawn"):
            assert client.get(reverse("portal:public_case", args=[cases[name].reference])).status_code == 404
        assert client.get(reverse("portal:public_case", args=["2026-999999"])).status_code == 404
        assert client.get(reverse("portal:public_case", args=["<script>"])).status_code == 404


def test_another_organisations_published_case_is_not_found_through_this_one(client, city, other_city):
    theirs = _published(other_city)
    mine = _published(city)
    url = reverse("portal:public_case", args=[theirs.reference])
    # Both have the same reference number: each organisation's page shows its own.
    assert theirs.reference == mine.reference
    assert client.get(url, {"org": other_city.org.slug}).status_code == 200
    assert client.get(reverse("portal:public_contacts")).status_code == 200  # a choice of organisations
    assert client.get(url).status_code == 404  # no organisation chosen, several hosted
    assert client.get(url, {"org": "no-such-city"}).status_code == 404


def test_filters_by_topic_status_and_time(client, city):
    streets = _published(city, title="Katuasia")
    parks = _published(city, title="Puistoasia", categories=[city.category_parks])
    services.case_close(case=parks, actor=city.fresh("parks_expert"), reply="Korjattu.")
    old = _published(city, title="Vanha asia")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))

    def titles(**params):
        response = client.get(reverse("portal:public_contacts"), params)
        assert response.status_code == 200
        body = response.content.decode()
        return {t for t in ("Katuasia", "Puistoasia", "Vanha asia") if t in body}

    assert titles() == {"Katuasia", "Puistoasia", "Vanha asia"}
    assert titles(category="parks") == {"Puistoasia"}
    assert titles(status="done") == {"Puistoasia"}
    assert titles(status="received") == {"Katuasia", "Vanha asia"}
    assert titles(period="30") == {"Katuasia", "Puistoasia"}
    # Values that are not valid are ignored rather than shown as an error.
    assert titles(category="nope", status="x", period="-1", page="abc") == {"Katuasia", "Puistoasia", "Vanha asia"}
    assert streets.pk


def test_a_parent_topic_finds_its_children(city):
    from civicdesk.cases.models import Category

    child = Category.objects.create(organization=city.org, code="potholes", name="Kuopat",
                                    parent=city.category_streets, default_group=city.streets)
    _published(city, title="Lapsiaihe", categories=[child])
    categories = selectors.public_categories(organization=city.org)
    ids = selectors.category_with_descendants(categories=categories, chosen=city.category_streets)
    page = selectors.public_case_page(organization=city.org, filters=PublicFilters(category_ids=ids))
    assert [c.title for c in page.cases] == ["Lapsiaihe"]


def test_the_list_is_paginated_with_a_bounded_count(city, monkeypatch):
    for n in range(5):
        _published(city, title=f"Asia {n}")
    page = selectors.public_case_page(organization=city.org, filters=PublicFilters(), page=2, page_size=2)
    assert [c.title for c in page.cases] == ["Asia 2", "Asia 1"]
    assert page.total == 5
    assert page.total_is_exact
    assert page.has_next
    assert page.has_previous
    monkeypatch.setattr(selectors, "PUBLIC_COUNT_AHEAD", 1)
    first = selectors.public_case_page(organization=city.org, filters=PublicFilters(), page=1, page_size=2)
    assert first.total == 3
    assert not first.total_is_exact
    assert first.has_next


def test_the_list_page_takes_a_fixed_number_of_queries(client, city):
    for n in range(3):
        _published(city, title=f"Asia {n}")
    client.get(reverse("portal:public_contacts"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:public_contacts"))
    for n in range(3, 12):
        _published(city, title=f"Asia {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("portal:public_contacts"))
    assert response.status_code == 200
    assert len(many) == len(few) <= 8


def test_map_data_is_geojson_without_personal_data(client, city, cases):
    response = client.get(reverse("portal:public_map_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["truncated"] is False
    assert [f["id"] for f in data["features"]] == [cases["published"].reference]
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [24.94, 60.17]}
    assert feature["properties"]["category"] == "streets"
    assert feature["properties"]["url"].endswith(f"/contacts/{cases['published'].reference}/")
    _assert_nothing_private(response.content.decode())


def test_map_data_is_bounded_by_the_bbox_and_the_limit(client, city, monkeypatch):
    inside = [_published(city, title=f"Sisällä {n}", lat=60.17 + n / 1000, lon=24.94) for n in range(3)]
    _published(city, title="Ulkona", lat=61.5, lon=23.7)
    _published(city, title="Ei paikkaa", lat=None, lon=None)

    def fetch(**params):
        cache.clear()
        response = client.get(reverse("portal:public_map_data"), params)
        return response.status_code, json.loads(response.content)

    status, data = fetch(bbox="24.9,60.1,25.0,60.2")
    assert status == 200
    assert {f["properties"]["title"] for f in data["features"]} == {"Sisällä 0", "Sisällä 1", "Sisällä 2"}
    monkeypatch.setattr(selectors, "PUBLIC_MAP_LIMIT", 2)
    status, data = fetch(bbox="24.9,60.1,25.0,60.2")
    assert data["truncated"] is True
    assert data["limit"] == 2
    assert [f["id"] for f in data["features"]] == [inside[2].reference, inside[1].reference]
    for bad in ("1,2,3", "a,b,c,d", "25,60,24,61", "nan,1,2,3", "24.9,100,25,120"):
        status, data = fetch(bbox=bad)
        assert status == 400, bad
        assert data["error"]["field"] == "bbox"
    # A little past the edges of the world is clamped, not refused.
    assert fetch(bbox="-200,-95,200,95")[0] == 200


def test_map_data_is_cached_and_hides_a_case_unpublished_after_the_cache(client, city):
    case = _published(city)
    url = reverse("portal:public_map_data")
    assert len(json.loads(client.get(url).content)["features"]) == 1
    services.case_unpublish(case=case, actor=city.fresh("advisor"))
    with CaptureQueriesContext(connection) as queries:
        assert len(json.loads(client.get(url).content)["features"]) == 1  # from the cache, for at most a minute
    assert not any("cases_case" in q["sql"] for q in queries)
    cache.clear()
    assert json.loads(client.get(url).content)["features"] == []


def test_coordinates_are_published_rounded(city):
    _published(city, lat=60.1712345, lon=24.9412345)
    points, _ = selectors.public_map_points(organization=city.org, filters=PublicFilters())
    assert (points[0].lat, points[0].lon) == (60.1712, 24.9412)
