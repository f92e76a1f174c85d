"""Possible duplicates of a new case (R4.9): the same matter reported again, by someone else or another channel.

When a case arrives (after routing, in the same background task), recent cases of the organisation
that share a category with it or lie near it are scored on three things, each explained:

* **text**: cosine similarity of the character 4-grams of title and description (inflection and
  compounds barely matter to it, which suits Finnish);
* **place**: 1 at the same point, falling to 0 at `RADIUS_M` (when both cases are located);
* **category**: 1 for a shared category, 0.5 for a shared parent category.

The best `MAX_SUGGESTIONS` above `MIN_SCORE` are stored as `DuplicateSuggestion`s for staff, who
link or merge in one action on the case page or dismiss the suggestion. Nothing is merged
automatically. Residents see the same matters before they file, on the contact form's map of
nearby cases (the portal).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from civicdesk.cases.models import Case, CaseCategory, CaseLink, Category
from civicdesk.organizations.geometry import box_around, geo_cells_covering
from civicdesk.routing.models import DuplicateState, DuplicateSuggestion

WINDOW_DAYS = 30  # how far back a case counts as "the same matter reported again"
RADIUS_M = 500
MIN_SCORE = 0.5
MAX_SUGGESTIONS = 5
POOL_PER_QUERY = 200  # candidates read per query (by category, by place): bounded work per case
TEXT_CHARS = 2_000
WEIGHTS_LOCATED = {"text": 0.5, "place": 0.3, "category": 0.2}
WEIGHTS_UNLOCATED = {"text": 0.7, "category": 0.3}

_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Candidate:
    case_id: int
    score: float
    reasons: dict[str, Any]


def _grams(text: str) -> Counter[str]:
    """Character 4-grams inside words (padded), lower case: "kuoppa" → " kuo", "kuop", "uopp", …"""
    grams: Counter[str] = Counter()
    for word in _NON_WORD.sub(" ", text[:TEXT_CHARS].lower()).split():
        padded = f" {word} "
        if len(padded) <= 4:
            grams[padded] += 1
            continue
        grams.update(padded[i:i + 4] for i in range(len(padded) - 3))
    return grams


def text_similarity(first: Counter[str], second: Counter[str]) -> float:
    if not first or not second:
        return 0.0
    shared = sum(count * second[gram] for gram, count in first.items() if gram in second)
    norm = math.sqrt(sum(c * c for c in first.values())) * math.sqrt(sum(c * c for c in second.values()))
    return shared / norm if norm else 0.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough within a city."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def _pool(case: Case, category_ids: set[int], since: dt.datetime) -> list[dict[str, Any]]:
    """Recent cases of the organisation sharing a category with the case, or near it (2 queries at most)."""
    recent = (Case.objects.filter(organization_id=case.organization_id, created_at__gte=since,
                                  created_at__lte=case.created_at, merged_into__isnull=True)
              .exclude(pk=case.pk))
    ids: list[int] = []
    if category_ids:
        ids += recent.filter(Exists(CaseCategory.objects.filter(
            case_id=OuterRef("pk"), category_id__in=category_ids))).order_by("-created_at").values_list(
            "pk", flat=True)[:POOL_PER_QUERY]
    if case.lat is not None and case.lon is not None:
        lat_min, lat_max, lon_min, lon_max = box_around(case.lat, case.lon, RADIUS_M)
        ids += recent.in_box(
            lat_min=lat_min, lat_max=lat_max, lon_min=lon_min, lon_max=lon_max,
            cells=geo_cells_covering(lat_min, lat_max, lon_min, lon_max),
        ).order_by("-created_at").values_list("pk", flat=True)[:POOL_PER_QUERY]
    if not ids:
        return []
    rows = Case.objects.filter(pk__in=set(ids)).values("pk", "title", "description", "lat", "lon", "created_at")
    return [dict(row) for row in rows]


def _categories_of(case_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for case_id, category_id in CaseCategory.objects.filter(case_id__in=list(case_ids)).values_list(
            "case_id", "category_id"):
        found.setdefault(case_id, set()).add(category_id)
    return found


def duplicate_candidates(case: Case, *, limit: int = MAX_SUGGESTIONS, min_score: float = MIN_SCORE,
                         category_ids: Iterable[int] | None = None) -> list[Candidate]:
    """The recent cases most likely to be the same matter as `case`, best first, with the reasons.

    `category_ids`, when the caller has the case's categories at hand, saves reading them."""
    if category_ids is None:
        category_ids = CaseCategory.objects.filter(case=case).values_list("category_id", flat=True)
    own_categories = set(category_ids)
    pool = _pool(case, own_categories, case.created_at - dt.timedelta(days=WINDOW_DAYS))
    if not pool:
        return []
    categories = _categories_of(row["pk"] for row in pool)
    all_categories = own_categories | {c for found in categories.values() for c in found}
    parent_of = dict(Category.objects.filter(pk__in=all_categories).values_list("pk", "parent_id"))
    own_parents = {parent_of.get(c) for c in own_categories} - {None}
    own_grams = _grams(f"{case.title}\n{case.description}")
    located = case.lat is not None and case.lon is not None
    found: list[Candidate] = []
    for row in pool:
        theirs = categories.get(row["pk"], set())
        if own_categories & theirs:
            category = 1.0
        elif own_parents & ({parent_of.get(c) for c in theirs} - {None}):
            category = 0.5
        else:
            category = 0.0
        text = text_similarity(own_grams, _grams(f"{row['title']}\n{row['description']}"))
        reasons: dict[str, Any] = {"text": round(text, 3), "category": category,
                                   "days_apart": (case.created_at - row["created_at"]).days}
        if located and row["lat"] is not None and row["lon"] is not None:
            metres = distance_m(case.lat, case.lon, row["lat"], row["lon"])  # type: ignore[arg-type]
            place = max(0.0, 1 - metres / RADIUS_M)
            reasons["distance_m"] = round(metres)
            weights, parts = WEIGHTS_LOCATED, {"text": text, "place": place, "category": category}
        else:
            weights, parts = WEIGHTS_UNLOCATED, {"text": text, "category": category}
        score = sum(weights[name] * value for name, value in parts.items())
        if score >= min_score:
            found.append(Candidate(case_id=row["pk"], score=round(score, 3), reasons=reasons))
    found.sort(key=lambda c: (-c.score, -c.case_id))
    return found[:limit]


def duplicates_suggest(*, case: Case, category_ids: Iterable[int] | None = None) -> list[DuplicateSuggestion]:
    """Store the case's possible duplicates for staff (once per pair; a dismissed pair stays dismissed)."""
    candidates = duplicate_candidates(case, category_ids=category_ids)
    if not candidates:
        return []
    with transaction.atomic():
        known = set(DuplicateSuggestion.objects.filter(case=case).values_list("candidate_id", flat=True))
        created = DuplicateSuggestion.objects.bulk_create([
            DuplicateSuggestion(case=case, candidate_id=c.case_id, score=c.score, reasons=c.reasons)
            for c in candidates if c.case_id not in known
        ])
    return created


def duplicate_suggestions_for(*, user: Any, case: Case) -> list[DuplicateSuggestion]:
    """The case's open suggestions whose other case the user may see and that are not linked to it yet,
    best first (1 query, 2 when there are any)."""
    from civicdesk.cases.permissions import cases_visible_to

    suggestions = list(
        DuplicateSuggestion.objects.filter(case=case, state=DuplicateState.SUGGESTED)
        .filter(Q(candidate__in=cases_visible_to(user)), candidate__merged_into__isnull=True)
        .select_related("candidate")
        .order_by("-score", "id")
    )
    if suggestions:
        linked = {i for pair in CaseLink.objects.filter(Q(from_case=case) | Q(to_case=case)).values_list(
            "from_case_id", "to_case_id") for i in pair}
        suggestions = [s for s in suggestions if s.candidate_id not in linked]
    return suggestions
