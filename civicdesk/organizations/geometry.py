"""GeoJSON validation and point-in-area tests (shapely), kept apart from the ORM."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from civicdesk.core.errors import InvalidInputError

MAX_VERTICES = 50_000


METRES_PER_DEGREE_LATITUDE = 111_320


def degrees_around(lat: float, radius_m: float) -> tuple[float, float]:
    """Half the side of a box of ±`radius_m` around a point at `lat`, in degrees of latitude and longitude:
    the prefilter of "near this point" queries (exact within a city; the longitude side grows
    towards the poles)."""
    dlat = radius_m / METRES_PER_DEGREE_LATITUDE
    return dlat, radius_m / (METRES_PER_DEGREE_LATITUDE * max(math.cos(math.radians(lat)), 0.01))


def parse_area_geometry(geojson: Any) -> BaseGeometry:
    """A valid Polygon or MultiPolygon in WGS84 (lon, lat order), or InvalidInputError."""
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise InvalidInputError(_("The area must be a GeoJSON Polygon or MultiPolygon."), field="geometry")
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise InvalidInputError(_("The area's GeoJSON could not be read."), field="geometry") from exc
    if geometry.is_empty:
        raise InvalidInputError(_("The area is empty."), field="geometry")
    if not geometry.is_valid:
        raise InvalidInputError(
            _("The area's outline is not valid: %(reason)s") % {"reason": explain_validity(geometry)}, field="geometry"
        )
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidInputError(_("The area's coordinates must be longitude and latitude."), field="geometry")
    count = _vertex_count(geometry)
    if count > MAX_VERTICES:
        raise InvalidInputError(_("The area has too many points."), field="geometry")
    return geometry


def _vertex_count(geometry: BaseGeometry) -> int:
    polygons = getattr(geometry, "geoms", [geometry])
    return sum(len(p.exterior.coords) + sum(len(i.coords) for i in p.interiors) for p in polygons)


_shape_cache: dict[tuple[int, str], BaseGeometry] = {}


def area_shape(*, area_id: int, version: str, geojson: dict[str, Any]) -> BaseGeometry:
    """The area's parsed outline; parsed shapes are cached per version."""
    key = (area_id, version)
    geometry = _shape_cache.get(key)
    if geometry is None:
        if len(_shape_cache) > 1024:
            _shape_cache.clear()
        geometry = _shape_cache[key] = shape(geojson)
    return geometry


def geometry_contains(*, area_id: int, version: str, geojson: dict[str, Any], lat: float, lon: float) -> bool:
    """Whether the point lies in the area (boundary included)."""
    return bool(area_shape(area_id=area_id, version=version, geojson=geojson).covers(Point(lon, lat)))


def validate_coordinates(*, lat: Any, lon: Any) -> tuple[float, float]:
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(_("The location must be given as numbers."), field="location") from exc
    # NaN fails every comparison, so it is refused here too.
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise InvalidInputError(_("The location is outside the map."), field="location")
    return lat_f, lon_f
