"""Reading Open311 query and form parameters; anything malformed is an Open311Error (400)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicdesk.api.errors import invalid_parameter

STATUSES = ("open", "closed")
MAX_IDS = 200
MAX_CODES = 100
MAX_RADIUS_M = 50_000
MAX_PAGE = 10_000


def text(params: dict[str, str] | None, name: str, *, max_length: int = 200) -> str:
    value = (params or {}).get(name) or ""
    if not isinstance(value, str):
        raise invalid_parameter(name, _("must be text."))
    value = value.replace("\x00", "").strip()
    if len(value) > max_length:
        raise invalid_parameter(name, _("is too long (at most %(limit)d characters).") % {"limit": max_length})
    return value


def comma_list(params: dict[str, str], name: str, *, max_items: int, max_length: int = 5000) -> list[str]:
    raw = text(params, name, max_length=max_length)
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if len(items) > max_items:
        raise invalid_parameter(name, _("lists too many values (at most %(limit)d).") % {"limit": max_items})
    return items


def moment(params: dict[str, str], name: str) -> dt.datetime | None:
    """A W3C date-time (`2010-01-01T00:00:00Z`, an offset, or a date alone meaning its midnight)."""
    raw = text(params, name, max_length=40)
    if not raw:
        return None
    try:
        parsed = parse_datetime(raw.replace(" ", "+"))  # "+02:00" arrives as " 02:00" when not URL-encoded
        if parsed is None:
            day = parse_date(raw)
            parsed = dt.datetime.combine(day, dt.time()) if day else None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise invalid_parameter(name, _("must be a date and time such as 2024-01-31T12:00:00Z."))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def number(params: dict[str, str], name: str, *, low: float, high: float) -> float | None:
    raw = text(params, name, max_length=40)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid_parameter(name, _("must be a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return value


def boolean(params: dict[str, str], name: str) -> bool | None:
    raw = text(params, name, max_length=10).lower()
    if not raw:
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise invalid_parameter(name, _("must be true or false."))


def positive_int(params: dict[str, str], name: str, *, default: int, high: int) -> int:
    raw = text(params, name, max_length=10)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise invalid_parameter(name, _("must be a whole number from 1 to %(high)d.") % {"high": high})
    return int(raw)


@dataclass(frozen=True)
class RequestFilters:
    """The filters of GET requests, validated."""

    service_request_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    # (south, west, north, east) in degrees.
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lat, lon, radius in metres
    page: int = 1
    page_size: int = 100


def bbox(params: dict[str, str]) -> tuple[float, float, float, float] | None:
    """`bbox=west,south,east,north` (longitudes and latitudes, the GeoJSON order)."""
    raw = text(params, "bbox", max_length=200)
    if not raw:
        return None
    parts = raw.split(",")
    message = _("must be four numbers: west longitude, south latitude, east longitude, north latitude.")
    if len(parts) != 4:
        raise invalid_parameter("bbox", message)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise invalid_parameter("bbox", message) from None
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values) or not (
        -180 <= west <= east <= 180 and -90 <= south <= north <= 90
    ):
        raise invalid_parameter("bbox", message)
    return south, west, north, east


def request_filters(params: dict[str, str]) -> RequestFilters:
    statuses = [s.lower() for s in comma_list(params, "status", max_items=2)]
    if any(s not in STATUSES for s in statuses):
        raise invalid_parameter("status", _("must be open, closed or both, separated by a comma."))
    lat = number(params, "lat", low=-90, high=90)
    lon = number(params, "long", low=-180, high=180)
    radius = number(params, "radius", low=1, high=MAX_RADIUS_M)
    near = None
    if lat is not None or lon is not None or radius is not None:
        if lat is None or lon is None:
            raise invalid_parameter("lat", _("give lat and long together (and radius in metres)."))
        near = (lat, lon, radius or 1000.0)
    filters = RequestFilters(
        service_request_ids=comma_list(params, "service_request_id", max_items=MAX_IDS),
        service_codes=comma_list(params, "service_code", max_items=MAX_CODES),
        statuses=statuses,
        start_date=moment(params, "start_date"),
        end_date=moment(params, "end_date"),
        updated_after=moment(params, "updated_after"),
        updated_before=moment(params, "updated_before"),
        bbox=bbox(params),
        near=near,
        page=positive_int(params, "page", default=1, high=MAX_PAGE),
        page_size=positive_int(params, "page_size", default=settings.OPEN311_PAGE_SIZE,
                               high=settings.OPEN311_PAGE_SIZE_MAX),
    )
    return filters
