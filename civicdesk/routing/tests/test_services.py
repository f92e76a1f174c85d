"""Training versions, routing new cases (threshold, rules, timeline, audit), the intake hook, failures."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case, CaseKind, Channel, EntryKind, Priority, Status, TimelineEntry
from civicdesk.intake.services import case_intake
from civicdesk.privacy.models import AuditEntry
from civicdesk.routing import selectors, services
from civicdesk.routing.models import ClassifierModel, Outcome, RoutingDecision, RoutingRule, RoutingSettings, Target
from civicdesk.routing.tests.synthetic import handled_cases

pytestmark = pytest.mark.django_db

STREET_TEXT = "Kadulla on iso kuoppa ja asfaltti on rikki pyörätien kohdalla"
VAGUE_TEXT = "Hei, minulla olisi kysymys teille, voisitteko soittaa minulle"


@pytest.fixture
def trained_city(city):
    RoutingSettings.objects.create(organization=city.org, min_training_cases=30, confidence_threshold=0.5)
    handled_cases(city, 120)
    for target in (Target.CATEGORY, Target.GROUP):  # the case-type model is trained the same way
        result = services.classifier_train(organization=city.org, target=target)
        assert result.activated, result.message
    return city


def _new_case(city, text=STREET_TEXT, **overrides):
    values = {"categories": [], "channel": Channel.EMAIL, "description": text, "title": text[:40]}
    values.update(overrides)
    return city.case(**values)


def _route(case):
    decision = services.route_case(case=case)
    assert decision is not None
    return decision


# --- training and versions -------------------------------------------------------------------------


def test_too_few_handled_cases_train_nothing_and_say_so(city):
    handled_cases(city, 12)
    result = services.classifier_train(organization=city.org, target=Target.GROUP)
    assert not result.activated
    assert result.model is None
    assert "12" in result.message
    assert not ClassifierModel.objects.exists()


def test_first_version_is_stored_with_summary_metrics_and_checksum(trained_city):
    row = ClassifierModel.objects.get(organization=trained_city.org, target=Target.GROUP, is_active=True)
    assert row.version == 1
    assert row.training_summary["train_cases"] + row.training_summary["test_cases"] == 120
    assert row.training_summary["labels"] == 3
    assert row.metrics["accuracy"] >= 0.7  # a fifth of the synthetic cases say nothing of their topic
    assert {"macro_f1", "top3_accuracy", "ece", "reliability"} <= set(row.metrics)
    assert len(row.sha256) == 64
    assert row.size_bytes == len(bytes(row.artifact))
    assert AuditEntry.objects.filter(action="classifier.train", object_id=str(row.pk)).exists()


def test_a_new_version_replaces_the_active_one_only_if_no_worse(trained_city):
    handled_cases(trained_city, 60, seed=2, start=timezone.now() - dt.timedelta(days=30))
    with mock.patch.object(services, "no_worse", return_value=False):
        refused = services.classifier_train(organization=trained_city.org, target=Target.GROUP)
    assert not refused.activated
    assert refused.model is not None
    assert refused.model.version == 2
    assert refused.model.active_metrics, "the active version was evaluated on the same recent cases"
    assert refused.model.metrics["cases"] == refused.model.active_metrics["cases"]
    assert ClassifierModel.objects.get(organization=trained_city.org, target=Target.GROUP, is_active=True).version == 1
    handled_cases(trained_city, 60, seed=3, start=timezone.now() - dt.timedelta(days=10))
    with mock.patch.object(services, "no_worse", return_value=True):
        accepted = services.classifier_train(organization=trained_city.org, target=Target.GROUP)
    assert accepted.activated, accepted.message
    assert ClassifierModel.objects.get(organization=trained_city.org, target=Target.GROUP, is_active=True).version == 3


def test_no_new_cases_since_the_active_version_trains_nothing(trained_city):
    result = services.classifier_train(organization=trained_city.org, target=Target.GROUP)
    assert not result.activated
    assert result.model is None


def test_a_tampered_model_is_not_loaded_and_routing_goes_on(trained_city, caplog):
    row = ClassifierModel.objects.get(organization=trained_city.org, target=Target.GROUP, is_active=True)
    ClassifierModel.objects.filter(pk=row.pk).update(sha256="0" * 64)
    assert Target.GROUP not in selectors.active_classifiers(organization=trained_city.org)
    assert "integrity" in caplog.text


def test_staff_corrections_are_training_signal(city):
    case = _new_case(city)
    case_services.case_forward(case=case, actor=city.fresh("advisor"), to_group=city.parks)
    case_services.case_reclassify(case=case, actor=city.fresh("advisor"), categories=[city.category_parks])
    assert sorted(selectors.corrections_for(organization=city.org)[case.pk]) == [
        EntryKind.CLASSIFICATION_CHANGE, EntryKind.FORWARD]
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, resolution="answered")
    example = next(e for e in selectors.training_examples(organization=city.org, target=Target.GROUP)
                   if e.case_id == case.pk)
    assert example.labels == (str(city.parks.pk),)
    assert example.weight == selectors.CORRECTION_WEIGHT


def test_the_weekly_task_and_the_command_train(trained_city):
    from django.core.management import call_command

    from civicdesk.routing.tasks import classifier_retrain_task

    results = classifier_retrain_task(organization_id=trained_city.org.pk, target=Target.GROUP)
    assert results[0]["target"] == Target.GROUP
    call_command("classifier_train", trained_city.org.slug, "--target", "group")


# --- routing a new case ---------------------------------------------------------------------------


def test_a_confident_case_is_routed_to_the_predicted_group_with_a_timeline_entry(trained_city):
    case = _new_case(trained_city)
    assert case.owner_group == trained_city.intake
    decision = _route(case)
    assert decision is not None
    assert decision.outcome == Outcome.ROUTED
    case.refresh_from_db()
    assert case.owner_group == trained_city.streets
    assert list(case.categories.all()) == [trained_city.category_streets]
    forward = case.timeline.get(kind=EntryKind.FORWARD)
    assert forward.actor is None
    assert forward.data["by_routing"] is True
    assert forward.data["to_group"] == trained_city.streets.pk
    assert "%" in forward.body
    assert decision.detected_language == "fi"
    assert decision.predictions[Target.GROUP]["ranked"][0][0] == str(trained_city.streets.pk)
    assert AuditEntry.objects.filter(action="case.route", object_id=str(case.pk)).exists()


def _settings_change(city, **values):
    """As the admin does (a save, which tells every process's cache: `core.config_generation`)."""
    row = RoutingSettings.objects.get(organization=city.org)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()


def test_below_the_threshold_the_case_stays_in_the_unclear_queue(trained_city):
    _settings_change(trained_city, confidence_threshold=0.9)
    case = _new_case(trained_city, VAGUE_TEXT)
    decision = _route(case)
    assert decision.outcome == Outcome.UNCLEAR
    case.refresh_from_db()
    assert case.owner_group == trained_city.intake
    note = case.timeline.get(kind=EntryKind.INTERNAL_NOTE)
    assert note.data["by_routing"] is True


def test_without_any_model_the_case_stays_with_the_advisors(city):
    case = _new_case(city)
    decision = _route(case)
    assert decision.outcome == Outcome.UNCLEAR
    assert decision.predictions == {}
    case.refresh_from_db()
    assert case.owner_group == city.intake
    assert not case.timeline.filter(data__by_routing=True).exists(), "nothing automatic happened to show"
    assert not AuditEntry.objects.filter(action="case.route").exists()


def test_a_category_the_customer_chose_is_kept(trained_city):
    case = _new_case(trained_city, categories=[trained_city.category_parks])
    decision = _route(case)
    assert decision.outcome == Outcome.KEPT
    case.refresh_from_db()
    assert case.owner_group == trained_city.parks
    assert not case.timeline.filter(data__by_routing=True).exists()


def test_two_confident_topics_suggest_a_split(trained_city):
    _settings_change(trained_city, split_threshold=0.0)
    decision = _route(_new_case(trained_city))
    assert decision.split_suggested


def test_routing_failure_never_loses_the_contact(trained_city, caplog):
    with mock.patch.object(services, "routing_plan", side_effect=RuntimeError("boom")):
        case = _new_case(trained_city)
        assert services.route_case(case=case) is None
    case.refresh_from_db()
    assert case.owner_group == trained_city.intake
    assert RoutingDecision.objects.get(case=case).outcome == Outcome.FAILED
    assert "routing failed" in caplog.text


def test_intake_routes_the_case_after_commit(trained_city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_intake(organization=trained_city.org, channel=Channel.EMAIL,
                           case_type=trained_city.types[CaseKind.FAULT_REPORT], description=STREET_TEXT)
    case.refresh_from_db()
    assert case.owner_group == trained_city.streets
    assert RoutingDecision.objects.get(case=case).outcome == Outcome.ROUTED


def test_intake_keeps_the_contact_when_routing_cannot_even_be_queued(city, django_capture_on_commit_callbacks,
                                                                     caplog):
    from civicdesk.routing import tasks

    with mock.patch.object(tasks.route_case_task, "delay", side_effect=ConnectionError("broker down")), \
            django_capture_on_commit_callbacks(execute=True):
        case = case_intake(organization=city.org, channel=Channel.EMAIL,
                           case_type=city.types[CaseKind.FAULT_REPORT], description=STREET_TEXT)
    assert Case.objects.get(pk=case.pk).owner_group == city.intake
    assert "could not queue" in caplog.text


def test_a_case_is_routed_once(trained_city):
    from civicdesk.routing.tasks import route_case_task

    case = _new_case(trained_city)
    assert route_case_task(case_id=case.pk) == Outcome.ROUTED
    assert route_case_task(case_id=case.pk) is None
    assert RoutingDecision.objects.filter(case=case).count() == 1


def test_routing_a_new_case_checks_and_locks_in_one_statement_and_a_gone_case_is_nothing(trained_city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicdesk.routing.tasks import route_case_task

    case = _new_case(trained_city)
    with CaptureQueriesContext(connection) as queries:
        route_case_task(case_id=case.pk)
    reads_of_case = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")
                     and f'WHERE "cases_case"."id" = {case.pk}' in q["sql"]]
    assert len(reads_of_case) == 1
    assert "routing_routingdecision" in reads_of_case[0]
    assert route_case_task(case_id=case.pk + 1000) is None
    assert not RoutingDecision.objects.filter(case_id=case.pk + 1000).exists()


# --- rules' actions ---------------------------------------------------------------------------------


def test_a_rule_sets_group_handler_priority_due_time_and_records_placeholders(city):
    expert = city.fresh("parks_expert")
    rule = RoutingRule.objects.create(
        organization=city.org, name="Puistot", keywords="puisto", set_group=city.parks, set_handler=expert,
        set_priority=Priority.HIGH, due_in_hours=24, auto_reply_template="kiitos-puisto", external_hook="ramboll")
    case = _new_case(city, "Puistossa on rikki oleva penkki")
    decision = _route(case)
    case.refresh_from_db()
    assert decision.rule == rule
    assert decision.rule_version == 1
    assert case.owner_group == city.parks
    assert case.handler == expert
    assert case.status == Status.OPEN
    assert case.priority == Priority.HIGH
    assert case.due_at == case.created_at + dt.timedelta(hours=24)
    assert decision.applied["pending"] == {"auto_reply_template": "kiitos-puisto", "external_hook": "ramboll"}
    kinds = set(TimelineEntry.objects.filter(case=case, data__by_routing=True).values_list("kind", flat=True))
    assert kinds == {EntryKind.FORWARD, EntryKind.HANDLER_CHANGE, EntryKind.CLASSIFICATION_CHANGE}
    assert "Puistot" in case.timeline.get(kind=EntryKind.FORWARD).body


def test_a_rule_marks_special_categories_and_picks_a_group_that_may_see_them(city):
    RoutingRule.objects.create(organization=city.org, name="Arkaluonteinen", keywords="diagnoosi",
                               mark_special_categories=True, set_group=city.streets)
    case = _new_case(city, "Lapseni diagnoosi ja kotihoito", case_type=city.special_type)
    services.route_case(case=case)
    case.refresh_from_db()
    assert case.contains_special_categories
    assert case.owner_group == city.social


def test_a_handler_outside_the_group_is_refused_and_the_rest_applies(city):
    RoutingRule.objects.create(organization=city.org, name="Väärä käsittelijä", keywords="kuoppa",
                               set_group=city.parks, set_handler=city.fresh("expert"))
    case = _new_case(city)
    decision = _route(case)
    case.refresh_from_db()
    assert case.owner_group == city.parks
    assert case.handler is None
    assert decision.applied["handler_refused"] == city.users["expert"].pk


def test_a_rule_on_confidence_sends_doubtful_cases_to_a_group(trained_city):
    RoutingRule.objects.create(organization=trained_city.org, name="Epävarmat", max_confidence=0.6,
                               set_group=trained_city.parks)
    sure = _new_case(trained_city)
    decision = _route(sure)
    sure.refresh_from_db()
    assert decision.rule is None, decision.predictions
    assert sure.owner_group == trained_city.streets
    case = _new_case(trained_city, VAGUE_TEXT)
    decision = _route(case)
    case.refresh_from_db()
    assert case.owner_group == trained_city.parks, decision.predictions


def test_the_preview_writes_nothing(trained_city):
    before = (Case.objects.count(), RoutingDecision.objects.count(), AuditEntry.objects.count())
    plan = services.routing_preview(organization=trained_city.org, text=STREET_TEXT, lat=60.17, lon=24.94)
    assert plan.group_id == trained_city.streets.pk
    assert plan.facts.area_id == trained_city.area_west.pk
    assert (Case.objects.count(), RoutingDecision.objects.count(), AuditEntry.objects.count()) == before


def test_explanation_shows_features_and_similar_cases_to_those_who_may_see_the_case(trained_city):
    case = _new_case(trained_city)
    services.route_case(case=case)
    explanation = selectors.routing_explanation(user=trained_city.fresh("advisor"), case=case)
    assert explanation is not None
    assert explanation["features"][Target.GROUP]
    assert explanation["similar"]
    assert all(similar.status == Status.CLOSED for similar, _score in explanation["similar"])
    assert selectors.routing_explanation(user=trained_city.fresh("partner"), case=case) is None


def test_the_case_page_links_to_why_routing_did_what_it_did(client, trained_city):
    case = _new_case(trained_city)
    services.route_case(case=case)
    client.force_login(trained_city.fresh("advisor"))
    with translation.override("en"):
        url = reverse("routing:case_why", args=[case.reference])
        assert url in client.get(reverse("cases:detail", args=[case.reference])).content.decode()
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="suggestions-heading"' in text
    assert trained_city.streets.name in text
    assert 'id="similar-heading"' in text
    client.force_login(trained_city.fresh("partner"))
    assert client.get(url).status_code == 404
