"""Rule evaluation as a pure function: each condition, the order, unreachable rules, and the model's checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civicdesk.organizations.calendars import CalendarSnapshot
from civicdesk.routing.models import RoutingRule
from civicdesk.routing.rules import CaseFacts, RuleSpec, rule_check, rules_evaluate, rules_unreachable

MONDAY_NOON = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # 12:00 in Helsinki
MONDAY_NIGHT = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)

FACTS = CaseFacts(text="Iso kuoppa kadulla", at=MONDAY_NOON, channel="email", language="fi",
                  customer_type="resident", case_type_id=7, area_id=3, category_ids=frozenset({11, 12}),
                  confidence=0.8)


def _spec(**values):
    return RuleSpec(id=values.pop("id", 1), name=values.pop("name", "rule"), **values)


@pytest.mark.parametrize(("condition", "matching", "other"), [
    ("category_ids", frozenset({12, 99}), frozenset({99})),
    ("case_type_ids", frozenset({7}), frozenset({8})),
    ("channels", frozenset({"email", "phone"}), frozenset({"web_form"})),
    ("area_ids", frozenset({3}), frozenset({4})),
    ("languages", frozenset({"fi"}), frozenset({"sv", "en"})),
    ("keywords", ("kuop", "asfaltti"), ("puisto",)),
    ("customer_types", frozenset({"resident"}), frozenset({"business"})),
])
def test_each_list_condition_matches_any_of_its_values(condition, matching, other):
    assert rule_check(_spec(**{condition: matching}), FACTS).matched
    check = rule_check(_spec(**{condition: other}), FACTS)
    assert not check.matched
    assert [c.condition for c in check.conditions if not c.ok]


def test_keywords_ignore_letter_case_and_match_word_beginnings():
    assert rule_check(_spec(keywords=("kuop",)), CaseFacts(text="KUOPPIA kadulla", at=MONDAY_NOON)).matched


def test_confidence_range():
    assert rule_check(_spec(min_confidence=0.7), FACTS).matched
    assert not rule_check(_spec(min_confidence=0.9), FACTS).matched
    assert rule_check(_spec(max_confidence=0.9), FACTS).matched
    assert not rule_check(_spec(max_confidence=0.8), FACTS).matched, "the upper bound is exclusive"
    no_model = CaseFacts(text="x", at=MONDAY_NOON, confidence=None)
    assert not rule_check(_spec(max_confidence=0.5), no_model).matched


def test_office_hours_follow_the_calendar(city):
    calendar = CalendarSnapshot.load(city.intake.calendar)
    during = _spec(office_hours="open", calendar=calendar)
    outside = _spec(office_hours="closed", calendar=calendar)
    assert rule_check(during, FACTS).matched
    assert not rule_check(outside, FACTS).matched
    night = CaseFacts(text="x", at=MONDAY_NIGHT)
    assert not rule_check(during, night).matched
    assert rule_check(outside, night).matched
    # Easter Monday is a public holiday in Finland: closed all day.
    easter_monday = CaseFacts(text="x", at=dt.datetime(2026, 4, 6, 10, 0, tzinfo=dt.UTC))
    assert rule_check(outside, easter_monday).matched


def test_every_condition_must_hold_and_the_first_matching_rule_fires():
    rules = [
        _spec(id=1, name="swedish email", channels=frozenset({"email"}), languages=frozenset({"sv"})),
        _spec(id=2, name="email", channels=frozenset({"email"})),
        _spec(id=3, name="everything"),
    ]
    evaluation = rules_evaluate(rules, FACTS)
    assert evaluation.fired is not None
    assert evaluation.fired.id == 2
    assert [c.rule.id for c in evaluation.checks] == [1, 2], "rules after the one that fires are not tried"
    first = evaluation.reasons()[0]
    assert first["matched"] is False
    assert {"condition": "channel", "ok": True, "detail": "email"} in first["conditions"]
    assert {"condition": "language", "ok": False, "detail": "fi"} in first["conditions"]
    assert rules_evaluate([], FACTS).fired is None


def test_rules_after_a_catch_all_can_never_fire():
    rules = [_spec(id=1, keywords=("kuop",)), _spec(id=2, name="all"), _spec(id=3, channels=frozenset({"email"}))]
    assert rules_unreachable(rules) == {3: "all"}
    assert rules_unreachable(rules[:2]) == {}


def test_a_rule_that_can_never_match_or_does_nothing_is_refused(city):
    rule = RoutingRule(organization=city.org, name="x", min_confidence=0.8, max_confidence=0.5, keywords=" , ",
                       channels=["fax"])
    with pytest.raises(ValidationError) as refused:
        rule.clean()
    assert {"max_confidence", "keywords", "channels", "set_group"} <= set(refused.value.message_dict)
    foreign = RoutingRule(organization=city.org, name="y", set_group=None, set_priority=3,
                          set_handler=city.users["expert"])
    with pytest.raises(ValidationError) as refused:
        foreign.clean()
    assert "set_handler" in refused.value.message_dict


def test_the_email_sender_check_matches_only_mail_with_that_verdict():
    verified = CaseFacts(text="x", at=MONDAY_NOON, channel="email", sender_verified=True)
    forged = CaseFacts(text="x", at=MONDAY_NOON, channel="email", sender_verified=False)
    web = CaseFacts(text="x", at=MONDAY_NOON, channel="web_form")
    assert rule_check(_spec(sender_check="verified"), verified).matched
    assert not rule_check(_spec(sender_check="verified"), forged).matched
    assert rule_check(_spec(sender_check="unverified"), forged).matched
    assert not rule_check(_spec(sender_check="unverified"), web).matched, "other channels match neither choice"
    assert not rule_check(_spec(sender_check="verified"), web).matched
    assert rules_unreachable([_spec(id=1, sender_check="verified"), _spec(id=2)]) == {}
