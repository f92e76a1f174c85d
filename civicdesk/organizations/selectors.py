"""Reads of organisations, areas and calendars."""

from __future__ import annotations

from civicdesk.core.config_generation import KeptRows
from civicdesk.organizations.geometry import area_shape, geometry_contains, validate_coordinates
from civicdesk.organizations.models import Area, Organization, ServiceGroup

# Organisations, service groups and areas are watched configuration (organizations/apps.py): each is
# kept per process until one changes (ADR 0021). An area's shape is not kept.
KEPT_ORGANIZATIONS: KeptRows[Organization] = KeptRows(Organization)
KEPT_GROUPS: KeptRows[ServiceGroup] = KeptRows(ServiceGroup)
KEPT_AREAS: KeptRows[Area] = KeptRows(Area, defer=("geometry",))


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
