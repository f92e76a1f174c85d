"""Service levels (issue 6, part 4): due times in business hours, paused while waiting, warned, escalated.

* `service_level_apply(case)` runs when a case arrives (after routing, so the owning group is final):
  the first active `ServiceLevel` in order whose conditions hold gives a first-answer and a
  resolution due time, counted in business hours of the owning group's calendar (its opening
  hours, exceptions and the country's public holidays; `organizations.calendars`), from the
  arrival. The case's own due time is set to the resolution time unless a rule set one.
* `service_levels_check(now)` runs every few minutes (Celery beat): it notes the first answer (a
  reply to the customer), pauses the clock while the case waits for the customer and moves the
  due times on by the business time paused, warns `warn_before_hours` business hours before the
  resolution is due, and on a breach escalates as the level says: a timeline entry and
  notifications, a higher priority, another group. Each step happens once per case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicdesk.cases.models import Case, CaseCategory, EntryKind, Priority, Status, TimelineEntry
from civicdesk.core.config_generation import ConfigCache
from civicdesk.organizations.calendars import CalendarSnapshot
from civicdesk.privacy.services import audit_record
from civicdesk.routing.models import CaseServiceLevel, ServiceLevel
from civicdesk.routing.workflows import follow_status

logger = logging.getLogger(__name__)

HOUR = 3600.0
CHECK_BATCH = 2_000


class BusinessClock(Protocol):
    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float: ...

    def add_business_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime: ...


class AlwaysOpen:
    """For a group without a calendar: every hour counts."""

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return max(0.0, (end - start).total_seconds())

    def add_business_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        return start + dt.timedelta(seconds=seconds)


def clock_for(case: Case, cache: dict[int, BusinessClock] | None = None) -> BusinessClock:
    group = case.owner_group
    calendar_id = getattr(group, "calendar_id", None)
    if calendar_id is None:
        return AlwaysOpen()
    if cache is not None and calendar_id in cache:
        return cache[calendar_id]
    clock: BusinessClock = CalendarSnapshot.load(group.calendar)  # type: ignore[arg-type]
    if cache is not None:
        cache[calendar_id] = clock
    return clock


@dataclasses.dataclass(frozen=True)
class _LevelSpec:
    level: ServiceLevel
    case_type_ids: frozenset[int]
    category_ids: frozenset[int]
    group_ids: frozenset[int]

    def matches(self, case: Case, category_ids: set[int]) -> bool:
        return ((not self.case_type_ids or case.case_type_id in self.case_type_ids)
                and (not self.category_ids or bool(self.category_ids & category_ids))
                and (not self.group_ids or case.owner_group_id in self.group_ids))


_level_specs: ConfigCache[list[_LevelSpec]] = ConfigCache()


def _levels(organization_id: int) -> list[_LevelSpec]:
    """The organisation's active levels in order, kept until the configuration changes (`config_generation`)."""
    return _level_specs.get(organization_id, lambda: _levels_read(organization_id))


def _levels_read(organization_id: int) -> list[_LevelSpec]:
    levels = list(ServiceLevel.objects.filter(organization_id=organization_id, is_active=True)
                  .prefetch_related("case_types", "categories", "groups").order_by("position", "id"))
    return [_LevelSpec(level, frozenset(t.pk for t in level.case_types.all()),
                       frozenset(c.pk for c in level.categories.all()), frozenset(g.pk for g in level.groups.all()))
            for level in levels]


def service_level_for(case: Case, *, category_ids: Iterable[int] | None = None) -> ServiceLevel | None:
    """The first active level whose conditions the case meets; `category_ids`, when the caller has the
    case's categories at hand, saves reading them."""
    if category_ids is None:
        category_ids = CaseCategory.objects.filter(case=case).values_list("category_id", flat=True)
    chosen = set(category_ids)
    return next((spec.level for spec in _levels(case.organization_id) if spec.matches(case, chosen)), None)


def service_level_apply(*, case: Case, category_ids: Iterable[int] | None = None) -> CaseServiceLevel | None:
    """Hold a newly arrived case to its service level (once); None when no level applies."""
    level = service_level_for(case, category_ids=category_ids)  # kept per process: no query, mostly
    if level is None or CaseServiceLevel.objects.filter(case=case).exists():
        return None
    clock = clock_for(case)
    start = case.created_at
    state = CaseServiceLevel(case=case, service_level=level)
    if level.first_response_hours is not None:
        state.first_response_due = clock.add_business_seconds(start, level.first_response_hours * HOUR)
    if level.resolution_hours is not None:
        state.resolution_due = clock.add_business_seconds(start, level.resolution_hours * HOUR)
    with transaction.atomic():
        state.save()
        if case.due_at is None and state.resolution_due is not None:
            Case.objects.filter(pk=case.pk, due_at__isnull=True).update(due_at=state.resolution_due)
            case.due_at = state.resolution_due
    return state


# --- the periodic check ---------------------------------------------------------------------------


def service_levels_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """One pass over the open cases held to a service level; returns how many of each step were taken."""
    now = now or timezone.now()
    done = {"responded": 0, "paused": 0, "resumed": 0, "warned": 0, "response_breached": 0, "breached": 0}
    states = list(
        CaseServiceLevel.objects.filter(breached_at__isnull=True)
        .exclude(case__status=Status.CLOSED)
        .select_related("case", "case__owner_group", "case__organization", "service_level")
        .order_by("resolution_due")[:CHECK_BATCH]
    )
    if not states:
        return done
    replied = set(TimelineEntry.objects.filter(
        case_id__in=[s.case_id for s in states if s.responded_at is None], kind=EntryKind.OUTBOUND_REPLY,
    ).values_list("case_id", flat=True))
    clocks: dict[int, BusinessClock] = {}
    for state in states:
        try:
            with transaction.atomic():
                _check_one(state, now=now, replied=state.case_id in replied, clocks=clocks, done=done)
        except Exception:
            logger.exception("service level check failed for case %s", state.case_id)
    return done


def _check_one(state: CaseServiceLevel, *, now: dt.datetime, replied: bool, clocks: dict[int, BusinessClock],
               done: dict[str, int]) -> None:
    case = Case.objects.select_for_update(of=("self",)).select_related("owner_group", "organization").get(
        pk=state.case_id)
    if case.status == Status.CLOSED:
        return
    changed: list[str] = []
    if state.responded_at is None and (replied or case.status == Status.WAITING):
        state.responded_at = now
        changed.append("responded_at")
        done["responded"] += 1
    waiting = case.status == Status.WAITING
    if waiting and state.paused_since is None:
        state.paused_since = now
        changed.append("paused_since")
        done["paused"] += 1
    elif not waiting and state.paused_since is not None:
        _resume(state, case, now=now, clock=clock_for(case, clocks))
        changed += ["paused_since", "resolution_due", "first_response_due"]
        done["resumed"] += 1
    level = state.service_level
    if state.paused_since is None and level is not None:
        if (state.responded_at is None and state.response_breached_at is None
                and state.first_response_due is not None and now >= state.first_response_due):
            state.response_breached_at = now
            changed.append("response_breached_at")
            _record(case, "response_breach", level, due=state.first_response_due,
                    extra={"notify": level.breach_notify})
            done["response_breached"] += 1
        if state.resolution_due is not None:
            if now >= state.resolution_due:
                state.breached_at = now
                changed.append("breached_at")
                _escalate(case, level, due=state.resolution_due)
                done["breached"] += 1
            elif state.warned_at is None and _warn_due(state, level, now, clock_for(case, clocks)):
                state.warned_at = now
                changed.append("warned_at")
                _record(case, "warning", level, due=state.resolution_due)
                done["warned"] += 1
    if changed:
        state.save(update_fields=sorted(set(changed)))


def _warn_due(state: CaseServiceLevel, level: ServiceLevel, now: dt.datetime, clock: BusinessClock) -> bool:
    """Whether only `warn_before_hours` business hours or less are left before the resolution is due."""
    assert state.resolution_due is not None
    return clock.business_seconds_between(now, state.resolution_due) <= level.warn_before_hours * HOUR


def _resume(state: CaseServiceLevel, case: Case, *, now: dt.datetime, clock: BusinessClock) -> None:
    """The customer answered: the due times move on by the business time spent waiting."""
    assert state.paused_since is not None
    paused = clock.business_seconds_between(state.paused_since, now)
    old_due = state.resolution_due
    if state.resolution_due is not None:
        state.resolution_due = clock.add_business_seconds(state.resolution_due, paused)
    if state.first_response_due is not None and state.responded_at is None:
        state.first_response_due = clock.add_business_seconds(state.first_response_due, paused)
    state.paused_since = None
    if old_due is not None and case.due_at == old_due:
        case.due_at = state.resolution_due
        case.save(update_fields=["due_at", "updated_at"])


def _record(case: Case, event: str, level: ServiceLevel, *, due: dt.datetime, body: str = "",
            extra: dict[str, Any] | None = None) -> TimelineEntry:
    from civicdesk.routing.services import _system_entry

    with override(case.organization.default_language or "fi"):
        texts = {
            "warning": _("Service level “%(level)s”: the case is due %(due)s."),
            "response_breach": _("Service level “%(level)s”: no answer to the customer by %(due)s."),
            "breach": _("Service level “%(level)s”: the case was due %(due)s and was escalated."),
        }
        text = texts[event] % {"level": level.name, "due": timezone.localtime(due).strftime("%d.%m.%Y %H:%M")}
    entry = _system_entry(case, EntryKind.SERVICE_LEVEL, body="\n".join(t for t in (text, body) if t),
                          data={"event": event, "service_level": level.pk, "due": due.isoformat(), **(extra or {})})
    case.save(update_fields=["last_activity_at", "updated_at"])
    return entry


def _escalate(case: Case, level: ServiceLevel, *, due: dt.datetime) -> None:
    changes: dict[str, Any] = {}
    old_status = case.status
    if level.breach_raise_priority and case.priority < Priority.URGENT:
        changes["priority"] = [case.priority, case.priority + 1]
        case.priority = case.priority + 1
    if level.breach_group_id is not None and level.breach_group_id != case.owner_group_id:
        changes["owner_group"] = [case.owner_group_id, level.breach_group_id]
        case.owner_group_id = level.breach_group_id
        case.handler_id = None
        case.status = Status.NEW
    if changes:
        case.save(update_fields=["priority", "owner_group", "handler", "status", "updated_at"])
        if case.status != old_status:
            # The case's workflow step follows its new status at once, as after the case page's actions.
            follow_status(case=case)
    _record(case, "breach", level, due=due, extra={"notify": level.breach_notify, **({"changes": changes} if changes
                                                                                    else {})})
    audit_record(action="case.service_level_breach", actor=None, actor_label="CivicDesk",
                 organization_id=case.organization_id, object_type="case", object_id=case.pk,
                 object_label=case.reference, changes={"service_level": level.name, **changes})
