"""Configuration kept per process is dropped the moment anyone changes it (`core.config_generation`)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from civicdesk.core import config_generation as generation_module
from civicdesk.core.config_generation import (
    ConfigCache,
    config_changed,
    config_generation,
    config_generation_scope,
)
from civicdesk.intake.models import MailTemplate, OutboundKind
from civicdesk.intake.sources.email.mail_templates import mail_template_render
from civicdesk.organizations.models import OpeningHours, WorkingCalendar
from civicdesk.routing import selectors
from civicdesk.routing.models import RoutingRule, RoutingSettings, ServiceLevel, Workflow, WorkflowStatus
from civicdesk.routing.service_levels import service_level_for
from civicdesk.routing.workflows import workflow_active_for

pytestmark = pytest.mark.django_db


class Counter:
    def __init__(self) -> None:
        self.loads = 0

    def __call__(self) -> int:
        self.loads += 1
        return self.loads


def test_a_change_gives_a_new_generation_and_a_rollback_keeps_the_old_one():
    before = config_generation()
    config_changed()
    changed = config_generation()
    assert changed != before
    inside = []

    def change_then_fail() -> None:
        with transaction.atomic():
            config_changed()
            inside.append(config_generation())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert inside[0] != changed
    assert config_generation() == changed


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_a_value_is_kept_until_the_configuration_changes_and_none_is_kept_too():
    cache: ConfigCache[int | None] = ConfigCache()
    load = Counter()
    assert cache.get("k", load) == 1
    assert cache.get("k", load) == 1, "kept"
    config_changed()
    assert cache.get("k", load) == 2, "read again after a change"
    nothing = Counter()
    assert cache.get("none", lambda: nothing() and None) is None
    assert cache.get("none", lambda: nothing() and None) is None
    assert nothing.loads == 1, "an empty answer is kept as well"


@override_settings(CONFIG_CACHE_SECONDS=0)
def test_zero_seconds_reads_every_time():
    cache: ConfigCache[int] = ConfigCache()
    load = Counter()
    assert [cache.get("k", load) for _ in range(3)] == [1, 2, 3]


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_a_kept_value_costs_one_small_query(city):
    selectors.rule_specs_for(organization=city.org)
    selectors.routing_settings_for(city.org)
    with CaptureQueriesContext(connection) as queries:
        selectors.rule_specs_for(organization=city.org)
        selectors.routing_settings_for(city.org)
    assert len(queries) == 2
    assert all("core_configgeneration" in q["sql"] for q in queries.captured_queries)


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_a_scope_reads_the_generation_once_and_sees_its_own_change(city):
    selectors.rule_specs_for(organization=city.org)
    selectors.routing_settings_for(city.org)
    with config_generation_scope():
        with CaptureQueriesContext(connection) as queries:
            selectors.rule_specs_for(organization=city.org)
            selectors.routing_settings_for(city.org)
            selectors.rule_specs_for(organization=city.org)
        assert len(queries) == 1, "one generation read for the whole unit of work"
        kept = config_generation()
        config_changed()  # a change made inside the scope
        assert config_generation() != kept, "seen at once"
    with CaptureQueriesContext(connection) as queries:
        config_generation()
        config_generation()
    assert len(queries) == 2, "outside a scope every read asks the database"


def test_a_scope_reads_again_after_its_time_so_a_long_task_sees_edits(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(generation_module.time, "monotonic", lambda: now[0])
    with config_generation_scope():
        first = config_generation()
        with connection.cursor() as cursor:  # another process's change: no signal reaches this one
            cursor.execute("UPDATE core_configgeneration SET value = value + 1 WHERE id = 1")
            if cursor.rowcount == 0:
                cursor.execute("INSERT INTO core_configgeneration (id, value) VALUES (1, 7)")
        assert config_generation() == first, "kept within the scope's second"
        now[0] += generation_module.CONFIG_GENERATION_SCOPE_SECONDS + 0.01
        assert config_generation() != first, "read again after it"


def test_a_rolled_back_change_inside_a_scope_is_not_kept():
    before = config_generation()
    with config_generation_scope():
        assert config_generation() == before
        seen = []

        def change_then_fail() -> None:
            with transaction.atomic():
                config_changed()
                seen.append(config_generation())
                raise RuntimeError

        with pytest.raises(RuntimeError):
            change_then_fail()
        assert seen[0] != before
        assert config_generation() == before


def test_a_worker_task_runs_in_a_scope_and_an_eager_one_in_its_callers():
    from types import SimpleNamespace

    from config import celery as celery_app

    worker_task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    celery_app._open_config_generation_scope(sender=worker_task)
    try:
        assert generation_module._scope.get() is not None
    finally:
        celery_app._close_config_generation_scope(sender=worker_task)
    assert generation_module._scope.get() is None
    celery_app._open_config_generation_scope(sender=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    assert generation_module._scope.get() is None, "an eager task belongs to its caller's unit of work"


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_editing_a_rule_applies_to_the_next_read_including_its_relations(city):
    assert selectors.rule_specs_for(organization=city.org) == []
    rule = RoutingRule.objects.create(organization=city.org, name="Puistot", keywords="puisto",
                                      set_group=city.parks)
    assert [spec.name for spec in selectors.rule_specs_for(organization=city.org)] == ["Puistot"]
    rule.categories.add(city.category_parks)  # a many-to-many change alone
    assert selectors.rule_specs_for(organization=city.org)[0].category_ids == frozenset({city.category_parks.pk})
    rule.categories.clear()
    assert selectors.rule_specs_for(organization=city.org)[0].category_ids == frozenset()
    rule.name = "Puistot ja viheralueet"
    rule.save()
    assert selectors.rule_specs_for(organization=city.org)[0].name == "Puistot ja viheralueet"
    rule.delete()
    assert selectors.rule_specs_for(organization=city.org) == []


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_a_rules_office_hours_follow_its_calendar(city):
    calendar = WorkingCalendar.objects.create(organization=city.org, name="Virka-aika")
    RoutingRule.objects.create(organization=city.org, name="Virka-aikana", office_hours=True, calendar=calendar,
                               set_group=city.parks)
    def weekdays() -> list[int]:
        snapshot = selectors.rule_specs_for(organization=city.org)[0].calendar
        assert snapshot is not None
        return list(snapshot.weekly)

    assert weekdays() == []
    OpeningHours.objects.create(calendar=calendar, weekday=0, opens="08:00", closes="16:00")
    assert weekdays() == [0]


@override_settings(CONFIG_CACHE_SECONDS=300)
def test_settings_service_levels_workflows_and_templates_follow_their_edits(city):
    assert selectors.routing_settings_for(city.org).pk is None, "the defaults, unsaved"
    row = RoutingSettings.objects.create(organization=city.org, confidence_threshold=0.8)
    assert selectors.routing_settings_for(city.org).confidence_threshold == 0.8

    case = city.case()
    assert service_level_for(case, category_ids=[]) is None
    level = ServiceLevel.objects.create(organization=city.org, name="Kaikki", first_response_hours=24)
    assert service_level_for(case, category_ids=[]) == level
    level.case_types.add(city.types["question"])
    assert service_level_for(case, category_ids=[]) is None

    assert workflow_active_for(case.case_type_id) is None
    workflow = Workflow.objects.create(organization=city.org, case_type=case.case_type, name="Viat", version=1,
                                       status=WorkflowStatus.ACTIVE)
    assert workflow_active_for(case.case_type_id) == workflow
    workflow.status = WorkflowStatus.RETIRED
    workflow.save(update_fields=["status"])
    assert workflow_active_for(case.case_type_id) is None

    values = {"reference": "2026-000001", "organization": "X", "title": "T", "customer_name": "",
              "tracking_url": "https://x.example/t", "description": "D"}
    render = lambda: mail_template_render(organization_id=city.org.pk,  # noqa: E731
                                          kind=OutboundKind.ACKNOWLEDGEMENT, language="fi", values=values)
    assert render() is None
    template = MailTemplate.objects.create(organization=city.org, kind=OutboundKind.ACKNOWLEDGEMENT, language="fi",
                                           subject="Kiitos {{ reference }}", body_text="Numero {{ reference }}.")
    rendered = render()
    assert rendered is not None
    assert rendered.subject == "Kiitos 2026-000001"
    template.is_active = False
    template.save()
    assert render() is None
    row.delete()
    assert selectors.routing_settings_for(city.org).pk is None
