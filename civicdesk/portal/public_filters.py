"""The filters of the public list and map of contacts: parsed from the query string, never trusted.

Both the HTML list (a GET form that works without JavaScript) and the map's JSON read the same
parameters: `category` (a category code), `status` (`received`, `in_progress`, `done`) and
`period` (days back: 7, 30, 90 or 365). The map also takes `bbox=min_lon,min_lat,max_lon,max_lat`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Category
from civicdesk.core.errors import InvalidInputError
from civicdesk.organizations.models import Organization
from civicdesk.portal import selectors
from civicdesk.portal.selectors import Bbox, PublicFilters, PublicStatus

PERIOD_CHOICES = [
    ("", _("Any time")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 3 months")),
    ("365", _("Last 12 months")),
]


class PublicCaseFilterForm(forms.Form):
    """What the resident narrows the list and the map by; invalid values are ignored, never an error page."""

    category = forms.ChoiceField(label=_("Topic"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PublicStatus.choices]
    )
    period = forms.ChoiceField(label=_("Sent"), required=False, choices=PERIOD_CHOICES)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories: list[Category] = selectors.public_categories(organization=organization)
        # The indent shows the tree in a plain <select>, which has no other way to nest options.
        self.fields["category"].choices = [("", _("All topics"))] + [  # type: ignore[attr-defined]
            (category.code, "\u2003" * getattr(category, "depth", 0) + category.name) for category in self.categories
        ]

    def filters(self, *, now: dt.datetime | None = None) -> PublicFilters:
        """The valid part of the input as selector filters (an invalid field counts as not given)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        category_ids = None
        code = data.get("category") or ""
        chosen = next((c for c in self.categories if c.code == code), None) if code else None
        if chosen is not None:
            category_ids = selectors.category_with_descendants(categories=self.categories, chosen=chosen)
        since = None
        if data.get("period"):
            since = (now or timezone.now()) - dt.timedelta(days=int(data["period"]))
        return PublicFilters(category_ids=category_ids, status=data.get("status") or "", since=since)

    def query_string(self) -> str:
        """The valid filters as a query string (for page links and the map's data URL)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return urlencode({name: data[name] for name in ("category", "status", "period") if data.get(name)})

    def is_filtered(self) -> bool:
        self.is_valid()
        return any(getattr(self, "cleaned_data", {}).get(name) for name in ("category", "status", "period"))

    def full_clean(self) -> None:
        # Drop invalid values instead of reporting them: a stale bookmark still shows the list.
        super().full_clean()
        for name in list(self.errors):
            self.cleaned_data[name] = ""
        self._errors = forms.utils.ErrorDict()


def parse_bbox(value: str | None) -> Bbox | None:
    """`min_lon,min_lat,max_lon,max_lat` (the Open311 and Leaflet order) in WGS84 degrees; empty is None."""
    if not value:
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInputError(_("The bounding box needs four numbers: min_lon,min_lat,max_lon,max_lat."),
                                field="bbox")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError as exc:
        raise InvalidInputError(_("The bounding box needs four numbers: min_lon,min_lat,max_lon,max_lat."),
                                field="bbox") from exc
    numbers = (min_lon, min_lat, max_lon, max_lat)
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidInputError(_("The bounding box is not on the map."), field="bbox")
    # Leaflet may ask for a little past the edges of the world; clamp rather than refuse.
    min_lon, max_lon = max(min_lon, -180.0), min(max_lon, 180.0)
    min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidInputError(_("The bounding box is not on the map."), field="bbox")
    return Bbox(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)
