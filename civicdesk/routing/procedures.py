"""Signals of defective procedures (R6.5): cases whose handling went wrong in a way that points at the process.

Four signals, over the cases the user may see, per owning group and primary category so that a
process owner sees where the pattern is:

* **ping-pong**: forwarded `PING_PONG_FORWARDS` times or more in the period, or forwarded back to a
  group it had already left (A → B → A);
* **reopened**: reopened `REOPENED_TIMES` times or more in the period (the answer did not settle it);
* **overdue, untouched**: still open past its due time, with nothing done since before it was due;
* **closed as unnecessary late**: closed as unnecessary `UNNECESSARY_AFTER_DAYS` days or more after it
  arrived (someone handled it for long before seeing it was not needed).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case, CaseCategory, EntryKind, Resolution, Status, TimelineEntry
from civicdesk.cases.permissions import cases_visible_to

PING_PONG_FORWARDS = 3
REOPENED_TIMES = 2
UNNECESSARY_AFTER_DAYS = 14
CASES_PER_SIGNAL = 100

SIGNALS = {
    "ping_pong": _("Passed between groups"),
    "reopened": _("Reopened repeatedly"),
    "overdue_untouched": _("Overdue and untouched"),
    "unnecessary_late": _("Closed as unnecessary after long handling"),
}


@dataclass(frozen=True)
class FlaggedCase:
    case_id: int
    reference: str
    title: str
    group: str
    category: str
    detail: str


@dataclass
class GroupCategoryRow:
    group: str
    category: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ProcedureReport:
    since: dt.datetime
    until: dt.datetime
    cases: dict[str, list[FlaggedCase]]
    rows: list[GroupCategoryRow]

    @property
    def total(self) -> int:
        return sum(len(found) for found in self.cases.values())


def _ping_pong(visible: Any, since: dt.datetime) -> dict[int, str]:
    busy = list(TimelineEntry.objects.filter(kind=EntryKind.FORWARD, created_at__gte=since, case__in=visible)
                .values("case_id").annotate(n=Count("id")).filter(n__gte=2).values_list("case_id", "n"))
    if not busy:
        return {}
    paths: dict[int, list[Any]] = defaultdict(list)
    for case_id, data in (TimelineEntry.objects.filter(kind=EntryKind.FORWARD, created_at__gte=since,
                                                      case_id__in=[case_id for case_id, _n in busy])
                          .order_by("case_id", "created_at", "id").values_list("case_id", "data")):
        if not paths[case_id]:
            paths[case_id].append(data.get("from_group_name") or data.get("from_group"))
        paths[case_id].append(data.get("to_group_name") or data.get("to_group"))
    flagged = {}
    for case_id, path in paths.items():
        returned = len(set(path)) < len(path)
        if len(path) - 1 >= PING_PONG_FORWARDS or returned:
            flagged[case_id] = " → ".join(str(group) for group in path)
    return flagged


def _reopened(visible: Any, since: dt.datetime) -> dict[int, str]:
    rows = (TimelineEntry.objects.filter(kind=EntryKind.STATUS_CHANGE, created_at__gte=since, case__in=visible,
                                         data__from=Status.CLOSED)
            .values("case_id").annotate(n=Count("id")).filter(n__gte=REOPENED_TIMES).values_list("case_id", "n"))
    return {case_id: str(_("reopened %(count)d times") % {"count": n}) for case_id, n in rows}


def _overdue_untouched(visible: Any, now: dt.datetime) -> dict[int, str]:
    rows = (visible.exclude(status=Status.CLOSED).filter(due_at__lt=now, last_activity_at__lt=F("due_at"))
            .order_by("due_at").values_list("pk", "due_at")[:CASES_PER_SIGNAL * 5])
    return {case_id: str(_("due %(days)d days ago") % {"days": (now - due).days}) for case_id, due in rows}


def _unnecessary_late(visible: Any, since: dt.datetime) -> dict[int, str]:
    rows = (visible.filter(resolution=Resolution.UNNECESSARY, closed_at__gte=since)
            .filter(closed_at__gte=F("created_at") + dt.timedelta(days=UNNECESSARY_AFTER_DAYS))
            .values_list("pk", "created_at", "closed_at"))
    return {case_id: str(_("closed after %(days)d days") % {"days": (closed - created).days})
            for case_id, created, closed in rows}


def procedure_signals(*, user: Any, organization_id: int, days: int = 90,
                      now: dt.datetime | None = None) -> ProcedureReport:
    """The four signals over the organisation's cases the user may see, in the last `days` days."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    visible = cases_visible_to(user).filter(organization_id=organization_id)
    found = {
        "ping_pong": _ping_pong(visible, since),
        "reopened": _reopened(visible, since),
        "overdue_untouched": _overdue_untouched(visible, now),
        "unnecessary_late": _unnecessary_late(visible, since),
    }
    ids = {case_id for flagged in found.values() for case_id in flagged}
    info = {row["pk"]: row for row in Case.objects.filter(pk__in=ids).values(
        "pk", "reference", "title", group=F("owner_group__name"))}
    primary = dict(CaseCategory.objects.filter(case_id__in=ids).filter(Q(is_primary=True))
                   .values_list("case_id", "category__name"))
    cases: dict[str, list[FlaggedCase]] = {}
    table: dict[tuple[str, str], GroupCategoryRow] = {}
    for signal, flagged in found.items():
        listed = []
        for case_id, detail in flagged.items():
            row = info.get(case_id)
            if row is None:
                continue
            group, category = row["group"] or "–", primary.get(case_id) or "–"
            listed.append(FlaggedCase(case_id=case_id, reference=row["reference"], title=row["title"], group=group,
                                      category=category, detail=detail))
            entry = table.setdefault((group, category), GroupCategoryRow(group=group, category=category))
            entry.counts[signal] = entry.counts.get(signal, 0) + 1
        listed.sort(key=lambda c: c.reference, reverse=True)
        cases[signal] = listed[:CASES_PER_SIGNAL]
    rows = sorted(table.values(), key=lambda r: (-r.total, r.group, r.category))
    return ProcedureReport(since=since, until=now, cases=cases, rows=rows)
