"""Reads of notices for residents. Only published notices of the given organisation ever come out."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.cases.models import Category
from civicdesk.knowledge.models import Notice
from civicdesk.organizations.models import Area, Organization

UPCOMING_DAYS = 30


def _published(organization: Organization | int) -> QuerySet[Notice]:
    org_id = organization if isinstance(organization, int) else organization.pk
    return Notice.objects.filter(organization_id=org_id, is_published=True)


def _valid_at(qs: QuerySet[Notice], at: dt.datetime) -> QuerySet[Notice]:
    return qs.filter(valid_from__lte=at).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))


def _category_and_ancestors(organization: Organization | int, category: Category | int) -> list[int]:
    category_id = category if isinstance(category, int) else category.pk
    org_id = organization if isinstance(organization, int) else organization.pk
    parents = dict(Category.objects.filter(organization_id=org_id).values_list("id", "parent_id"))
    found: list[int] = []
    current: int | None = category_id if category_id in parents else None
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


def notices_for(organization: Organization | int, category: Category | int | None = None,
                area: Area | int | None = None, at: dt.datetime | None = None) -> list[Notice]:
    """The notices valid at `at` (default now) that concern a contact about `category` in `area`.

    A notice restricted to categories matches the category or any category above it (a notice on
    "Water" covers "Water > Outage"); one restricted to areas matches those areas. An argument not
    given does not narrow: with no category, notices of every category come out (the resident has
    not chosen yet), and likewise for the area. General notices (no category, no area) always come
    out. Most severe first, then the newest. 3 queries (2 without a category).
    """
    at = at or timezone.now()
    qs = _valid_at(_published(organization), at)
    if category is not None:
        ids = _category_and_ancestors(organization, category)
        qs = qs.filter(Q(categories__isnull=True) | Q(categories__in=ids))
    if area is not None:
        area_id = area if isinstance(area, int) else area.pk
        qs = qs.filter(Q(areas__isnull=True) | Q(areas=area_id))
    return list(qs.distinct().order_by("-severity", "-valid_from", "-id").prefetch_related("areas"))


def notices_current(*, organization: Organization, at: dt.datetime | None = None) -> list[Notice]:
    """Everything valid now, for the news page: most severe first, then the newest (2 queries)."""
    at = at or timezone.now()
    return list(_valid_at(_published(organization), at).order_by("-severity", "-valid_from", "-id")
                .prefetch_related("areas")[:100])


def notices_upcoming(*, organization: Organization, at: dt.datetime | None = None,
                     days: int = UPCOMING_DAYS) -> list[Notice]:
    """Planned notices that start within `days` (planned outages, road works), soonest first (2 queries)."""
    at = at or timezone.now()
    return list(
        _published(organization).filter(valid_from__gt=at, valid_from__lte=at + dt.timedelta(days=days))
        .order_by("valid_from", "id").prefetch_related("areas")[:100]
    )
