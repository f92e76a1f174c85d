"""GeoJSON validation and point-in-area tests (shapely), kept apart from the ORM."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import BigIntegerField, F, Value
from django.db.models.functions import Cast, Floor
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


def box_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the box of ±`radius_m` around a point (`degrees_around`)."""
    dlat, dlon = degrees_around(lat, radius_m)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


# The grid of `Case.geo_cell` (a column the database computes from lat and lon): cells of 1/180° of
# latitude (about 620 m) by 1/90° of longitude (about 620 m at 60° N, 1.2 km at the equator). A "near
# this point" query names the few cells its box touches, so that an index on (organisation, cell, date)
# reads only the cases of those cells and dates, where one on (lat, lon) reads a whole band of latitude.
GEO_CELLS_PER_DEGREE_LAT = 180
GEO_CELLS_PER_DEGREE_LON = 90
# The cell number is lat_cell * GEO_CELL_LAT_STRIDE + lon_cell; lon_cell is within ±16200, so every
# cell has its own number.
GEO_CELL_LAT_STRIDE = 65536
# A box that touches more cells than this is queried by its corners alone (a radius far larger than
# the case page's and the duplicate check's few hundred metres, or a point near a pole).
GEO_CELLS_MAX = 16


def geo_cell(lat: float, lon: float) -> int:
    """The cell of a point, computed exactly as the database computes `Case.geo_cell` (the same IEEE
    products and floors: `geo_cell_expression`)."""
    return (math.floor(lat * GEO_CELLS_PER_DEGREE_LAT) * GEO_CELL_LAT_STRIDE
            + math.floor(lon * GEO_CELLS_PER_DEGREE_LON))


def geo_cell_expression() -> Any:
    """The database expression of `geo_cell` over the columns lat and lon (NULL when they are)."""
    lat_cell = Floor(F("lat") * Value(GEO_CELLS_PER_DEGREE_LAT))
    lon_cell = Floor(F("lon") * Value(GEO_CELLS_PER_DEGREE_LON))
    return Cast(lat_cell * Value(GEO_CELL_LAT_STRIDE) + lon_cell, output_field=BigIntegerField())


def geo_cells_covering(lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> list[int] | None:
    """The cells a box touches, or None when they are more than GEO_CELLS_MAX."""
    lat_cells = range(math.floor(lat_min * GEO_CELLS_PER_DEGREE_LAT),
                      math.floor(lat_max * GEO_CELLS_PER_DEGREE_LAT) + 1)
    lon_cells = range(math.floor(lon_min * GEO_CELLS_PER_DEGREE_LON),
                      math.floor(lon_max * GEO_CELLS_PER_DEGREE_LON) + 1)
    if len(lat_cells) * len(lon_cells) > GEO_CELLS_MAX:
        return None
    return [lat_cell * GEO_CELL_LAT_STRIDE + lon_cell for lat_cell in lat_cells for lon_cell in lon_cells]


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
