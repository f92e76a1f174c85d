"""Reads of organisations, areas and calendars."""

from __future__ import annotations

from typing import Any

from civicdesk.core.config_generation import ConfigCache
from civicdesk.organizations.geometry import area_shape, geometry_contains, validate_coordinates
from civicdesk.organizations.models import Area, Organization, ServiceGroup

# Every service group's row, per process until a group changes (ServiceGroup is watched configuration).
_GROUP_ROWS: ConfigCache[tuple[list[str], dict[int, tuple[Any, ...]]]] = ConfigCache(max_entries=1)


def service_group_rows() -> tuple[list[str], dict[int, tuple[Any, ...]]]:
    """The groups' column names and each group's values by id, as kept (1 query when not kept)."""
    def load() -> tuple[list[str], dict[int, tuple[Any, ...]]]:
        names = [field.attname for field in ServiceGroup._meta.concrete_fields]
        # The loaded values as stored (`__dict__`: modeltranslation's descriptors would give the
        # current language's name for `name`).
        return names, {group.pk: tuple(group.__dict__[name] for name in names) for group in ServiceGroup.objects.all()}

    return _GROUP_ROWS.get("rows", load)


def service_group_kept(
    group_id: int, *, kept: tuple[list[str], dict[int, tuple[Any, ...]]] | None = None
) -> ServiceGroup | None:
    """A fresh instance of the group from the kept rows (`kept`, else `service_group_rows()`), or None."""
    names, rows = kept if kept is not None else service_group_rows()
    row = rows.get(group_id)
    return ServiceGroup.from_db("default", names, row) if row is not None else None


def area_for_point(*, organization: Organization | int, lat: float, lon: float, kind: str | None = None) -> Area | None:
    """The smallest area of the organisation that contains the point, or None.

    The bounding-box filter runs in the database; the exact test runs on the few candidates.
    """
    lat, lon = validate_coordinates(lat=lat, lon=lon)
    org_id = organization if isinstance(organization, int) else organization.pk
    candidates = Area.objects.filter(
        organization_id=org_id, min_lat__lte=lat, max_lat__gte=lat, min_lon__lte=lon, max_lon__gte=lon
    )
    if kind:
        candidates = candidates.filter(kind=kind)
    matches = [
        area
        for area in candidates
        if geometry_contains(
            area_id=area.pk, version=area.updated_at.isoformat(), geojson=area.geometry, lat=lat, lon=lon
        )
    ]
    if not matches:
        return None
    # Nested areas: the most specific (smallest) wins. Not by bounding box: a shape inside another
    # can have the same bounding box.
    return min(
        matches,
        key=lambda a: area_shape(area_id=a.pk, version=a.updated_at.isoformat(), geojson=a.geometry).area,
    )
