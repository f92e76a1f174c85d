"""Evaluating routing rules: a pure function from rules and a case's facts to the rule that fires, and why.

No queries happen here: `selectors.rule_specs_for` loads the rules with their relations and
calendars once, and the test bench, `route_case` and the tests call `rules_evaluate` on them.
The first rule whose every condition holds fires; the rules are tried in their order and none is
tried twice, so evaluation cannot loop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from civicdesk.organizations.calendars import CalendarSnapshot


@dataclasses.dataclass(frozen=True)
class CaseFacts:
    """What the rules may look at, for a new case or a text pasted into the test bench."""

    text: str
    at: dt.datetime
    channel: str = ""
    language: str = ""
    customer_type: str = ""
    case_type_id: int | None = None
    area_id: int | None = None
    category_ids: frozenset[int] = frozenset()
    confidence: float | None = None
    # For a contact that came by email: did the receiving server verify the sender (None: not
    # email, or no verdict from a trusted server).
    sender_verified: bool | None = None


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """A routing rule as loaded for evaluation (ids and values; the calendar loaded when needed)."""

    id: int
    name: str
    version: int = 1
    category_ids: frozenset[int] = frozenset()
    case_type_ids: frozenset[int] = frozenset()
    channels: frozenset[str] = frozenset()
    area_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()
    customer_types: frozenset[str] = frozenset()
    office_hours: str = ""
    calendar: CalendarSnapshot | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    sender_check: str = ""
    actions: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ConditionResult:
    condition: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "ok": self.ok, "detail": self.detail}


@dataclasses.dataclass(frozen=True)
class RuleCheck:
    rule: RuleSpec
    matched: bool
    conditions: tuple[ConditionResult, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.id, "name": self.rule.name, "version": self.rule.version, "matched": self.matched,
                "conditions": [c.as_dict() for c in self.conditions]}


@dataclasses.dataclass(frozen=True)
class RuleEvaluation:
    fired: RuleSpec | None
    checks: tuple[RuleCheck, ...]

    def reasons(self) -> list[dict[str, Any]]:
        return [check.as_dict() for check in self.checks]


def _any_of(name: str, wanted: frozenset[Any], present: frozenset[Any] | set[Any]) -> ConditionResult | None:
    if not wanted:
        return None
    hits = sorted(str(v) for v in wanted & frozenset(present))
    return ConditionResult(name, bool(hits), ", ".join(hits) if hits else ", ".join(sorted(str(v) for v in present)))


def _conditions(rule: RuleSpec, facts: CaseFacts) -> list[ConditionResult]:
    results: list[ConditionResult | None] = [
        _any_of("category", rule.category_ids, facts.category_ids),
        _any_of("case_type", rule.case_type_ids, {facts.case_type_id} - {None}),
        _any_of("channel", rule.channels, {facts.channel}),
        _any_of("area", rule.area_ids, {facts.area_id} - {None}),
        _any_of("language", rule.languages, {facts.language}),
        _any_of("customer_type", rule.customer_types, {facts.customer_type}),
    ]
    if rule.keywords:
        text = facts.text.lower()
        found = [k for k in rule.keywords if k in text]
        results.append(ConditionResult("keywords", bool(found), ", ".join(found)))
    if rule.office_hours:
        is_open = rule.calendar is not None and rule.calendar.is_open_at(facts.at)
        wanted = rule.office_hours == "open"
        results.append(ConditionResult("office_hours", is_open == wanted, "open" if is_open else "closed"))
    if rule.min_confidence is not None or rule.max_confidence is not None:
        confidence = facts.confidence
        ok = confidence is not None
        if ok and rule.min_confidence is not None:
            ok = confidence >= rule.min_confidence  # type: ignore[operator]
        if ok and rule.max_confidence is not None:
            ok = confidence < rule.max_confidence  # type: ignore[operator]
        results.append(ConditionResult("confidence", ok, "—" if confidence is None else f"{confidence:.2f}"))
    if rule.sender_check:
        verified = facts.sender_verified
        wanted = rule.sender_check == "verified"
        results.append(ConditionResult("sender_check", verified is not None and verified == wanted,
                                       "—" if verified is None else ("verified" if verified else "unverified")))
    return [r for r in results if r is not None]


def rule_check(rule: RuleSpec, facts: CaseFacts) -> RuleCheck:
    """Every condition of one rule against the facts; a rule without conditions matches every case."""
    conditions = tuple(_conditions(rule, facts))
    return RuleCheck(rule=rule, matched=all(c.ok for c in conditions), conditions=conditions)


def rules_evaluate(rules: Sequence[RuleSpec], facts: CaseFacts) -> RuleEvaluation:
    """The first rule (in the given order) that matches, and the checks of every rule tried up to it."""
    checks = []
    for rule in rules:
        check = rule_check(rule, facts)
        checks.append(check)
        if check.matched:
            return RuleEvaluation(fired=rule, checks=tuple(checks))
    return RuleEvaluation(fired=None, checks=tuple(checks))


def rules_unreachable(rules: Sequence[RuleSpec]) -> dict[int, str]:
    """Rules that can never fire because an earlier rule without conditions matches every case."""
    unreachable: dict[int, str] = {}
    catch_all: RuleSpec | None = None
    for rule in rules:
        if catch_all is not None:
            unreachable[rule.id] = catch_all.name
            continue
        if not _has_conditions(rule):
            catch_all = rule
    return unreachable


def _has_conditions(rule: RuleSpec) -> bool:
    return bool(
        rule.category_ids or rule.case_type_ids or rule.channels or rule.area_ids or rule.languages or rule.keywords
        or rule.customer_types or rule.office_hours or rule.min_confidence is not None
        or rule.max_confidence is not None or rule.sender_check
    )
