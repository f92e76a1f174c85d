"""Writes to organisations, areas and calendars."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from civicdesk.organizations.geometry import parse_area_geometry
from civicdesk.organizations.models import Area, Organization


@transaction.atomic
def area_save(
    *, organization: Organization, code: str, name: str, geometry: dict[str, Any], kind: str = "district",
    translations: dict[str, str] | None = None,
) -> Area:
    """Create or replace the area `code`; the GeoJSON is validated and its bounding box stored."""
    shape = parse_area_geometry(geometry)
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    area, _created = Area.objects.update_or_create(
        organization=organization,
        code=code,
        defaults={
            "name": name,
            "kind": kind,
            "geometry": geometry,
            "min_lat": min_lat,
            "max_lat": max_lat,
            "min_lon": min_lon,
            "max_lon": max_lon,
            **{f"name_{lang}": value for lang, value in (translations or {}).items()},
        },
    )
    return area
