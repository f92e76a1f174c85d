"""Areas: GeoJSON validation on save and point-in-area lookups."""

from __future__ import annotations

import json
import math

import pytest
from django.utils import translation

from civicdesk.core.errors import InvalidInputError
from civicdesk.organizations.models import Area, Organization
from civicdesk.organizations.selectors import area_for_point
from civicdesk.organizations.services import area_save
from tests.factories import EAST_SQUARE, SQUARE


def polygon(*ring: tuple[float, float]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in (*ring, ring[0])]]}


def box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict:
    return polygon((min_lon, min_lat), (max_lon, min_lat), (max_lon, max_lat), (min_lon, max_lat))


# The city's two areas: west = lon 24.90–24.98 (60.17, 24.94 is inside), east = lon 24.98–25.06
# (60.17, 25.02 is inside), both lat 60.15–60.20.
SHAPELY_NAN_WARNING = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param("not a dict", id="string"),
        pytest.param(None, id="none"),
        pytest.param([[24.9, 60.1], [25.0, 60.1], [25.0, 60.2]], id="list"),
        pytest.param({"type": "Point", "coordinates": [24.9, 60.1]}, id="point"),
        pytest.param({"type": "LineString", "coordinates": [[24.9, 60.1], [25.0, 60.2]]}, id="linestring"),
        pytest.param({"type": "GeometryCollection", "geometries": []}, id="collection"),
        pytest.param({"coordinates": SQUARE["coordinates"]}, id="no-type"),
        pytest.param({"type": "Polygon"}, id="no-coordinates"),
        pytest.param({"type": "Polygon", "coordinates": "abc"}, id="coordinates-text"),
        pytest.param({"type": "Polygon", "coordinates": [[["a", "b"], [1, 0], [1, 1], ["a", "b"]]]}, id="text-points"),
        pytest.param({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, id="two-points"),
        pytest.param({"type": "Polygon", "coordinates": []}, id="empty-polygon"),
        pytest.param({"type": "Polygon", "coordinates": [[]]}, id="empty-ring"),
        pytest.param({"type": "MultiPolygon", "coordinates": []}, id="empty-multipolygon"),
        pytest.param(polygon((24.90, 60.15), (24.98, 60.20), (24.98, 60.15), (24.90, 60.20)), id="bow-tie"),
        pytest.param(
            {"type": "MultiPolygon",
             "coordinates": [SQUARE["coordinates"], box(24.95, 60.16, 25.0, 60.18)["coordinates"]]},
            id="overlapping-multipolygon",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [*SQUARE["coordinates"], box(30, 61, 31, 62)["coordinates"][0]]},
            id="hole-outside-shell",
        ),
        pytest.param(box(24.9, 60.15, 190.0, 60.2), id="longitude-over-180"),
        pytest.param(box(24.9, -91.0, 25.0, 60.2), id="latitude-under-minus-90"),
        pytest.param(box(2_500_000, 6_670_000, 2_510_000, 6_680_000), id="projected-coordinates"),
        pytest.param(polygon((24.9, 60.1), (float("nan"), 60.1), (25.0, 60.2)), id="nan", marks=SHAPELY_NAN_WARNING),
        pytest.param(polygon((24.9, 60.1), (float("inf"), 60.1), (25.0, 60.2)), id="infinity",
                     marks=SHAPELY_NAN_WARNING),
        pytest.param(polygon((24.9, 60.1), (10**400, 60.1), (25.0, 60.2)), id="huge-integer"),
    ],
)
def test_area_save_refuses_bad_geometry(city, geometry):
    before = Area.objects.count()

    with pytest.raises(InvalidInputError) as excinfo:
        area_save(organization=city.org, code="bad", name="Huono", geometry=geometry)

    assert excinfo.value.field == "geometry"
    assert Area.objects.count() == before


def test_area_save_refuses_too_many_vertices(city):
    count = 50_001
    ring = [
        (24.9 + 0.05 * math.cos(2 * math.pi * i / count), 60.17 + 0.02 * math.sin(2 * math.pi * i / count))
        for i in range(count)
    ]
    with translation.override("en"), pytest.raises(InvalidInputError, match="too many points"):
        area_save(organization=city.org, code="detailed", name="Tarkka", geometry=polygon(*ring))
    assert not Area.objects.filter(code="detailed").exists()


def test_area_save_refused_update_keeps_the_old_outline(city):
    with pytest.raises(InvalidInputError):
        area_save(organization=city.org, code="west", name="Länsi", geometry={"type": "Polygon", "coordinates": []})

    city.area_west.refresh_from_db()
    assert city.area_west.geometry == SQUARE


def test_area_save_stores_bounding_box_and_translations(city):
    area = area_save(organization=city.org, code="centre", name="Keskusta", kind="maintenance",
                     geometry=box(24.93, 60.16, 24.96, 60.18), translations={"sv": "Centrum", "en": "Centre"})

    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (24.93, 60.16, 24.96, 60.18)
    assert area.kind == "maintenance"
    assert (getattr(area, "name_sv"), getattr(area, "name_en")) == ("Centrum", "Centre")  # noqa: B009


def test_area_save_accepts_multipolygon(city):
    islands = {
        "type": "MultiPolygon",
        "coordinates": [box(24.90, 60.10, 24.92, 60.12)["coordinates"], box(25.10, 60.13, 25.12, 60.14)["coordinates"]],
    }
    area = area_save(organization=city.org, code="islands", name="Saaret", geometry=islands)

    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (24.90, 60.10, 25.12, 60.14)


def test_area_save_replaces_by_code_and_updates_bounding_box(city):
    west = city.area_west
    moved = area_save(organization=city.org, code="west", name="Länsi", geometry=box(24.70, 60.30, 24.80, 60.40))

    assert moved.pk == west.pk
    assert Area.objects.filter(organization=city.org, code="west").count() == 1
    moved.refresh_from_db()
    assert (moved.min_lon, moved.min_lat, moved.max_lon, moved.max_lat) == (24.70, 60.30, 24.80, 60.40)
    # The old location is no longer in the area, the new one is (parsed-shape cache invalidated).
    assert area_for_point(organization=city.org, lat=60.17, lon=24.94) is None
    assert area_for_point(organization=city.org, lat=60.35, lon=24.75) == moved


# --- point lookups ------------------------------------------------------------------------


def test_area_for_point_finds_the_right_area(city):
    assert area_for_point(organization=city.org, lat=60.17, lon=24.94) == city.area_west
    assert area_for_point(organization=city.org, lat=60.17, lon=25.02) == city.area_east
    assert area_for_point(organization=city.org.pk, lat=60.17, lon=25.02) == city.area_east


def test_area_for_point_accepts_numbers_as_text(city):
    assert area_for_point(organization=city.org, lat="60.17", lon="24.94") == city.area_west  # type: ignore[arg-type]


def test_area_for_point_outside_every_area(city):
    assert area_for_point(organization=city.org, lat=60.30, lon=24.94) is None
    assert area_for_point(organization=city.org, lat=0, lon=0) is None


def test_boundary_counts_as_inside(city):
    # On the west square's outer edge and on its corner.
    assert area_for_point(organization=city.org, lat=60.15, lon=24.94) == city.area_west
    assert area_for_point(organization=city.org, lat=60.20, lon=24.90) == city.area_west
    # On the edge shared by west and east: one of them, never None.
    assert area_for_point(organization=city.org, lat=60.17, lon=24.98) in {city.area_west, city.area_east}


def test_point_in_bounding_box_but_outside_the_outline(city):
    triangle = area_save(organization=city.org, code="triangle", name="Kolmio",
                         geometry=polygon((25.10, 60.10), (25.20, 60.10), (25.10, 60.14)))

    assert area_for_point(organization=city.org, lat=60.105, lon=25.11) == triangle
    # Inside the bounding box, beyond the hypotenuse.
    assert area_for_point(organization=city.org, lat=60.135, lon=25.19) is None


def test_nested_areas_smallest_wins(city):
    district = area_save(organization=city.org, code="district", name="Kaupunginosa",
                         geometry=box(24.92, 60.16, 24.96, 60.19))
    block = area_save(organization=city.org, code="block", name="Kortteli",
                      geometry=box(24.935, 60.165, 24.945, 60.175))

    assert area_for_point(organization=city.org, lat=60.17, lon=24.94) == block
    assert area_for_point(organization=city.org, lat=60.185, lon=24.93) == district
    assert area_for_point(organization=city.org, lat=60.155, lon=24.91) == city.area_west


def test_nested_area_with_the_same_bounding_box_wins(city):
    # A diamond inscribed in a square has the square's bounding box but half its area; the
    # smaller shape must win whatever the names' order.
    area_save(organization=city.org, code="aa-square", name="AA neliö", geometry=box(25.20, 60.20, 25.30, 60.30))
    diamond = area_save(organization=city.org, code="zz-diamond", name="ZZ vinoneliö",
                        geometry=polygon((25.25, 60.20), (25.30, 60.25), (25.25, 60.30), (25.20, 60.25)))

    assert area_for_point(organization=city.org, lat=60.25, lon=25.25) == diamond


def test_area_for_point_with_multipolygon(city):
    islands = area_save(organization=city.org, code="islands", name="Saaret", geometry={
        "type": "MultiPolygon",
        "coordinates": [box(25.10, 60.10, 25.12, 60.12)["coordinates"], box(25.20, 60.10, 25.22, 60.12)["coordinates"]],
    })

    assert area_for_point(organization=city.org, lat=60.11, lon=25.11) == islands
    assert area_for_point(organization=city.org, lat=60.11, lon=25.21) == islands
    # Between the islands: inside the bounding box, outside both polygons.
    assert area_for_point(organization=city.org, lat=60.11, lon=25.16) is None


def test_polygon_with_a_hole(city):
    ring = area_save(organization=city.org, code="ring", name="Rengas", geometry={
        "type": "Polygon",
        "coordinates": [box(25.10, 60.30, 25.20, 60.40)["coordinates"][0],
                        box(25.13, 60.33, 25.17, 60.37)["coordinates"][0]],
    })

    assert area_for_point(organization=city.org, lat=60.31, lon=25.11) == ring
    assert area_for_point(organization=city.org, lat=60.35, lon=25.15) is None


def test_area_for_point_filters_by_kind(city):
    maintenance = area_save(organization=city.org, code="maint", name="Hoitoalue", kind="maintenance",
                            geometry=box(24.90, 60.15, 25.06, 60.20))

    assert area_for_point(organization=city.org, kind="maintenance", lat=60.17, lon=24.94) == maintenance
    assert area_for_point(organization=city.org, kind="district", lat=60.17, lon=24.94) == city.area_west


def test_another_organisations_area_is_never_returned(city, other_city):
    # The other city has areas with the same outlines; a smaller one too.
    area_save(organization=other_city.org, code="tiny", name="Pieni", geometry=box(24.939, 60.169, 24.941, 60.171))

    assert area_for_point(organization=city.org, lat=60.17, lon=24.94) == city.area_west
    found = area_for_point(organization=other_city.org, lat=60.17, lon=24.94)
    assert found is not None
    assert found.organization == other_city.org
    lone = Organization.objects.create(slug="lone", name="Yksinäinen")
    assert area_for_point(organization=lone, lat=60.17, lon=24.94) is None


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        ("abc", 24.94),
        (60.17, "east"),
        (None, 24.94),
        ("", 24.94),
        ([60.17], 24.94),
        (float("nan"), 24.94),
        (60.17, float("nan")),
        ("nan", 24.94),
        (float("inf"), 24.94),
        (91, 24.94),
        (-91, 24.94),
        (60.17, 181),
        (60.17, -180.5),
        (10**400, 24.94),
    ],
    ids=["text", "text-lon", "none", "empty", "list", "nan", "nan-lon", "nan-text", "infinity", "lat-91",
         "lat-minus-91", "lon-181", "lon-minus-180.5", "huge-integer"],
)
def test_area_for_point_refuses_invalid_coordinates(city, lat, lon):
    with pytest.raises(InvalidInputError) as excinfo:
        area_for_point(organization=city.org, lat=lat, lon=lon)
    assert excinfo.value.field == "location"


def test_factory_areas_are_where_the_tests_assume(city):
    assert city.area_west.geometry == SQUARE
    assert city.area_east.geometry == EAST_SQUARE


# --- the admin saves through area_save ----------------------------------------------------


@pytest.fixture
def area_admin_client(client, city):
    admin_user = city.fresh("contentadmin")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def _area_form(client, area: Area) -> tuple[str, dict]:
    url = f"/admin/organizations/area/{area.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["geometry"] = json.dumps(area.geometry)
    return url, data


def test_admin_keeps_translated_names(area_admin_client, city):
    url, data = _area_form(area_admin_client, city.area_west)
    data.update({"name_fi": "Läntinen", "name_sv": "Väst", "name_en": "West"})

    assert area_admin_client.post(url, data).status_code == 302

    city.area_west.refresh_from_db()
    names = tuple(getattr(city.area_west, f"name_{lang}") for lang in ("fi", "sv", "en"))
    assert names == ("Läntinen", "Väst", "West")


def test_admin_recomputes_the_bounding_box(area_admin_client, city):
    url, data = _area_form(area_admin_client, city.area_west)
    data["geometry"] = json.dumps(box(24.70, 60.30, 24.80, 60.40))

    assert area_admin_client.post(url, data).status_code == 302

    city.area_west.refresh_from_db()
    assert (city.area_west.min_lon, city.area_west.max_lat) == (24.70, 60.40)


def test_admin_cannot_change_the_code_into_a_copy(area_admin_client, city):
    url, data = _area_form(area_admin_client, city.area_west)
    data["code"] = "west-renamed"

    area_admin_client.post(url, data)

    assert sorted(Area.objects.filter(organization=city.org).values_list("code", flat=True)) == ["east", "west"]


def test_admin_shows_a_bad_outline_as_a_form_error(area_admin_client, city):
    url, data = _area_form(area_admin_client, city.area_west)
    data["geometry"] = json.dumps(polygon((24.90, 60.15), (24.98, 60.20), (24.98, 60.15), (24.90, 60.20)))

    response = area_admin_client.post(url, data)

    assert response.status_code == 200
    assert "geometry" in response.context["adminform"].form.errors
    city.area_west.refresh_from_db()
    assert city.area_west.geometry == SQUARE
