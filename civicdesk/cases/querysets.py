from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from civicdesk.cases.models import Case  # noqa: F401


# PostgreSQL text-search configuration per case language; other languages use "simple".
SEARCH_CONFIGS = {"fi": "finnish", "sv": "swedish", "en": "english"}


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        # Written as exclude(status=closed) so PostgreSQL can use the partial queue indexes.
        return self.exclude(status="closed")

    def closed(self) -> CaseQuerySet:
        return self.filter(status="closed")

    def overdue(self, now: object) -> CaseQuerySet:
        return self.open().filter(due_at__lt=now)

    def in_box(self, *, lat_min: float, lat_max: float, lon_min: float, lon_max: float,
               cells: list[int] | None) -> CaseQuerySet:
        """Cases located in the box; `cells` are the grid cells it touches (`geometry.geo_cells_covering`),
        which let the index on the cells read only those, or None to test the corners alone."""
        located = self.filter(lat__range=(lat_min, lat_max), lon__range=(lon_min, lon_max))
        return located.filter(geo_cell__in=cells) if cells is not None else located

    def for_list(self) -> CaseQuerySet:
        """Cases with their group, handler, type and area in one query, for code that needs model
        instances of many cases (the staff's lists read plain `selectors.CaseRow`s instead).

        The long text columns, the search vector and area outlines stay in the database.
        """
        return self.select_related("owner_group", "handler", "case_type", "area").defer(
            "description", "search_vector", "public_text", "public_answer", "consent_text", "form_answers",
            "area__geometry",
        )
