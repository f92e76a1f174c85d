"""Writes for routing: training classifier versions, routing a new case, saving rules (audited).

`route_case` is called by `intake.case_intake` right after the case is created. It never raises:
whatever goes wrong is logged, rolled back to its savepoint, and the case stays where intake put
it (the advisors' queue of unclear contacts, or the group of the category the customer chose).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk.accounts.models import Role, User
from civicdesk.accounts.permissions import access_for
from civicdesk.cases.models import Case, CaseCategory, Category, Channel, EntryKind, Priority, Status, TimelineEntry
from civicdesk.core.errors import InvalidStateError, NotFoundError
from civicdesk.core.follow_ups import committed_row_keep, follow_up
from civicdesk.core.realtime import organization_group_name, publish_after_commit, service_group_channel_name
from civicdesk.notifications.services import notify_case_event
from civicdesk.organizations.models import Organization, ServiceGroup
from civicdesk.privacy.services import audit_record
from civicdesk.routing import selectors
from civicdesk.routing.classifier import (
    HELD_OUT_SHARE,
    FeatureOptions,
    NotEnoughDataError,
    Prediction,
    TrainedClassifier,
    classifier_dump,
    classifier_evaluate,
    classifier_fit,
    learnable,
    lemmatiser_available,
    no_worse,
    split_by_time,
)
from civicdesk.routing.language import language_detect
from civicdesk.routing.models import (
    ClassifierModel,
    DuplicateState,
    DuplicateSuggestion,
    Outcome,
    RoutingDecision,
    RoutingRule,
    RoutingSettings,
    Target,
)
from civicdesk.routing.rules import CaseFacts, RuleEvaluation, RuleSpec, rules_evaluate

logger = logging.getLogger(__name__)

# Held-out recent cases needed to compare a new version with the active one.
MIN_TEST_CASES = 20
# Finnish base forms from Voikko (when installed) are used for training; see ADR 0016.
USE_LEMMAS = False
ROUTING_LABEL = "CivicDesk"


# --- training -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    target: str
    model: ClassifierModel | None
    activated: bool
    message: str


def classifier_train(*, organization: Organization, target: str, now: dt.datetime | None = None) -> TrainingResult:
    """Train a new version for one target; it becomes active only if it evaluates no worse than the active one.

    The newest handled cases are held out (time-based split): the most recent `HELD_OUT_SHARE`, and
    never any case the active version was trained on, so both versions are compared on the same
    cases that neither has seen. Too few cases refuse training with the reason and change nothing:
    intake then routes by rules and the advisors alone. Runs for seconds to minutes; call it from
    `classifier_retrain_task`, never from a request.
    """
    settings_row = selectors.routing_settings_for(organization)
    examples = selectors.training_examples(organization=organization, target=target)
    if len(examples) < settings_row.min_training_cases:
        return TrainingResult(target, None, False, _(
            "Not trained: %(count)d handled cases, %(needed)d needed. New cases are routed by the rules and the "
            "advisors.") % {"count": len(examples), "needed": settings_row.min_training_cases})
    active = selectors.active_model_row(organization=organization, target=target)
    newest = max(e.at for e in examples).isoformat() if examples else None
    if active is not None and (active.training_summary.get("examples"), active.training_summary.get("newest_case_at")
                               ) == (len(examples), newest):
        return TrainingResult(target, None, False, _(
            "Not trained: no handled cases since version %(version)s was trained.") % {"version": active.version})
    train, test, cutoff = split_by_time(examples, held_out_share=HELD_OUT_SHARE,
                                        not_before=active.trained_until if active else None)
    if len(test) < MIN_TEST_CASES:
        if active is None:
            message = _("Not trained: only %(count)d recent handled cases to evaluate on; %(needed)d are needed.")
        else:
            message = _("Not trained: only %(count)d handled cases since the active version was trained; "
                        "%(needed)d are needed to compare.")
        return TrainingResult(target, None, False, message % {"count": len(test), "needed": MIN_TEST_CASES})
    options = FeatureOptions(lemmas=USE_LEMMAS and lemmatiser_available())
    started = time.perf_counter()
    try:
        model = classifier_fit(train, target=target, multi_label=target == Target.CATEGORY, options=options)
    except NotEnoughDataError as exc:
        return TrainingResult(target, None, False, _("Not trained: %(reason)s.") % {"reason": exc})
    fit_seconds = time.perf_counter() - started
    metrics = classifier_evaluate(model, test)
    active_metrics: dict[str, Any] = {}
    if active is not None:
        loaded = selectors.active_classifiers(organization=organization).get(target)
        if loaded is not None:
            active_metrics = classifier_evaluate(loaded[1], test)
    activate = active is None or not active_metrics or no_worse(metrics, active_metrics)
    data, digest = classifier_dump(model)
    summary = {**_summary(train, test, fit_seconds=fit_seconds, options=options), "examples": len(examples),
               "newest_case_at": newest}
    with transaction.atomic():
        # One training at a time per organisation and target: the version number and the switch are serialised.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        last = (ClassifierModel.objects.filter(organization=organization, target=target)
                .order_by("-version").values_list("version", flat=True).first()) or 0
        if activate:
            ClassifierModel.objects.filter(organization=organization, target=target, is_active=True).update(
                is_active=False)
        if activate:
            decision = _("Activated: no worse than version %(version)s on %(count)d recent cases.") % {
                "version": active.version, "count": len(test)} if active else _("Activated: the first version.")
        else:
            decision = _("Not activated: version %(version)s is better on the same %(count)d recent cases.") % {
                "version": active.version if active else "-", "count": len(test)}
        row = ClassifierModel.objects.create(
            organization=organization, target=target, version=last + 1, is_active=activate, trained_until=cutoff,
            training_summary=summary, metrics=metrics, active_metrics=active_metrics, decision=decision[:300],
            artifact=data, sha256=digest, size_bytes=len(data),
        )
        audit_record(action="classifier.train", actor=None, actor_label=ROUTING_LABEL,
                     organization_id=organization.pk, object_type="routing.classifiermodel", object_id=row.pk,
                     object_label=str(row)[:200],
                     changes={"activated": activate, "accuracy": metrics.get("accuracy"),
                              "macro_f1": metrics.get("macro_f1"),
                              "active_accuracy": active_metrics.get("accuracy"),
                              "active_macro_f1": active_metrics.get("macro_f1")})
    return TrainingResult(target, row, activate, decision)


def _summary(train: list[Any], test: list[Any], *, fit_seconds: float, options: FeatureOptions) -> dict[str, Any]:
    usable = learnable(train)
    counts: dict[str, int] = {}
    for example in usable:
        for label in example.labels:
            counts[label] = counts.get(label, 0) + 1
    return {
        "train_cases": len(train), "usable_cases": len(usable), "test_cases": len(test),
        "labels": len(counts), "label_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])[:50]),
        "corrected_cases": sum(1 for e in train if e.weight > 1),
        "first_case_at": train[0].at.isoformat() if train else None,
        "last_case_at": train[-1].at.isoformat() if train else None,
        "fit_seconds": round(fit_seconds, 2), "lemmas": options.lemmas,
    }


def classifiers_retrain(*, organization: Organization) -> list[TrainingResult]:
    """Train every target of the organisation (categories, case type, group)."""
    return [classifier_train(organization=organization, target=target) for target in Target.values]


# --- routing a new case ---------------------------------------------------------------------------


@dataclasses.dataclass
class Suggestions:
    """The classifier's suggestions for a text, per target, and the active versions that made them."""

    predictions: dict[str, Prediction]
    versions: dict[str, int]
    language: str

    def as_json(self) -> dict[str, Any]:
        return {target: {"ranked": [[label, round(p, 4)] for label, p in prediction.ranked]}
                for target, prediction in self.predictions.items()}


def text_classify(*, organization: Organization | int, text: str, models: dict[str, Any] | None = None) -> Suggestions:
    """The active models' suggestions for a text and its detected language (no writes)."""
    loaded = models if models is not None else selectors.active_classifiers(organization=organization)
    predictions: dict[str, Prediction] = {}
    versions: dict[str, int] = {}
    for target, (row, model) in loaded.items():
        assert isinstance(model, TrainedClassifier)
        predictions[target] = model.predict([text], top=5)[0]
        versions[target] = row.version
    return Suggestions(predictions=predictions, versions=versions, language=language_detect(text))


@dataclasses.dataclass
class RoutingPlan:
    """What routing would do with a case: computed without writes, so the test bench can show it."""

    facts: CaseFacts
    suggestions: Suggestions
    evaluation: RuleEvaluation
    outcome: str
    group_id: int | None = None
    category_ids: list[int] = dataclasses.field(default_factory=list)
    handler_id: int | None = None
    priority: int | None = None
    due_at: dt.datetime | None = None
    mark_special: bool = False
    pending: dict[str, str] = dataclasses.field(default_factory=dict)
    split_suggested: bool = False
    reason: str = ""


def routing_plan(*, organization: Organization, facts: CaseFacts, suggestions: Suggestions,
                 rules: list[RuleSpec], has_categories: bool, in_intake_group: bool,
                 settings_row: RoutingSettings | None = None) -> RoutingPlan:
    """Decide, without writing: the rule that fires, else the classifier when confident, else unclear.

    - A rule that fires decides everything it sets; the classifier fills in only what it leaves.
    - Without a rule: a contact whose customer chose a category stays in that category's group.
      Otherwise the group is the classifier's when its confidence reaches the organisation's
      threshold (the group model, else the confident category's default group); below it the case
      stays in the advisors' queue of unclear contacts (R4.4).
    """
    settings_row = settings_row or selectors.routing_settings_for(organization)
    threshold = settings_row.confidence_threshold
    evaluation = rules_evaluate(rules, facts)
    plan = RoutingPlan(facts=facts, suggestions=suggestions, evaluation=evaluation, outcome=Outcome.KEPT)
    categories = suggestions.predictions.get(Target.CATEGORY)
    if categories is not None:
        plan.split_suggested = len(categories.confident_labels(settings_row.split_threshold)) >= 2
        if not has_categories and settings_row.classifier_enabled:
            plan.category_ids = [int(label) for label in categories.confident_labels(threshold)][:10]
    fired = evaluation.fired
    if fired is not None:
        actions = fired.actions
        plan.group_id = actions.get("set_group")
        plan.handler_id = actions.get("set_handler")
        plan.priority = actions.get("set_priority")
        if actions.get("due_in_hours"):
            plan.due_at = facts.at + dt.timedelta(hours=int(actions["due_in_hours"]))
        plan.mark_special = bool(actions.get("mark_special_categories"))
        for key in ("auto_reply_template", "external_hook"):
            if actions.get(key):
                plan.pending[key] = str(actions[key])
        plan.reason = "rule"
    if plan.group_id is None and not has_categories and settings_row.classifier_enabled:
        group = suggestions.predictions.get(Target.GROUP)
        if group is not None and group.label is not None and group.confidence >= threshold:
            plan.group_id = int(group.label)
            plan.reason = plan.reason or "classifier"
        elif plan.category_ids:
            default_group = (Category.objects.filter(pk=plan.category_ids[0], organization=organization)
                             .values_list("default_group_id", flat=True).first())
            if default_group:
                plan.group_id = default_group
                plan.reason = plan.reason or "classifier"
    changed = plan.group_id is not None or plan.category_ids or plan.handler_id or plan.priority or plan.due_at
    if changed or plan.mark_special or plan.pending:
        plan.outcome = Outcome.ROUTED
    elif in_intake_group and not has_categories:
        plan.outcome = Outcome.UNCLEAR
    return plan


def case_facts(case: Case, *, language: str, confidence: float | None, category_ids: frozenset[int],
               with_sender: bool = True) -> CaseFacts:
    """What the rules look at; `with_sender=False` (no rule checks the sender) saves reading the mail's verdict."""
    return CaseFacts(
        text=selectors.case_text(case.title, case.description), at=case.created_at, channel=case.channel,
        language=language, customer_type=case.customer_type, case_type_id=case.case_type_id, area_id=case.area_id,
        category_ids=category_ids, confidence=confidence,
        sender_verified=_sender_verified(case) if with_sender else None,
    )


def _sender_verified(case: Case) -> bool | None:
    """The receiving server's verdict on the sender of the mail that created the case (None: not email)."""
    if case.channel != Channel.EMAIL:
        return None
    from civicdesk.intake.sources.email.services import case_sender_verified  # the channel owns its mail

    return case_sender_verified(case_id=case.pk)


def _routing_confidence(suggestions: Suggestions) -> float | None:
    for target in (Target.GROUP, Target.CATEGORY):
        prediction = suggestions.predictions.get(target)
        if prediction is not None:
            return prediction.confidence
    return None


def route_new_case(*, case_id: int) -> str | None:
    """Route a new case by id unless it is gone or was routed already; the outcome, or None.

    Whether it was routed is read under the case's row lock, in the statement that takes the lock, so
    that two tasks for the same case (a retry, a duplicate delivery) never route it twice."""
    decision = route_case(case=Case(pk=case_id), unrouted_only=True)
    return decision.outcome if decision is not None else None


class _NothingToRouteError(Exception):
    """The case is gone, or (`unrouted_only`) was routed already."""


def route_case_later(*, case_id: int) -> None:
    """Route a new case after the current transaction commits: by `route_case_task`, or in the worker
    task that created the case when it runs its follow-ups itself (`core.follow_ups`). Never raises:
    if the broker cannot take the task, the case stays in the queue intake put it in, for the advisors."""
    from civicdesk.routing.tasks import route_case_task

    follow_up(route_case_task, case_id=case_id)


def route_case(*, case: Case, unrouted_only: bool = False) -> RoutingDecision | None:
    """Classify a new case and apply the routing rules; every change is on the case's timeline.

    With `unrouted_only`, a case that has a routing decision already is left alone (None); only
    `case.pk` is read of `case` then.

    Never raises: on any error the savepoint is rolled back, the error is logged with the case,
    and the case stays in the queue intake chose, so a contact is never lost to routing.
    """
    started = time.perf_counter()
    try:
        with transaction.atomic():
            decision, routed, category_ids = _route(case, started=started, unrouted_only=unrouted_only)
    except _NothingToRouteError:
        return None
    except Exception:
        logger.exception("routing failed for case %s; it stays in its intake queue", case.pk)
        try:
            organization_id = case.organization_id or (
                Case.objects.filter(pk=case.pk).values_list("organization_id", flat=True).first())
            if organization_id is None:  # the case is gone: nothing to record against
                return None
            with transaction.atomic():
                RoutingDecision.objects.create(
                    case_id=case.pk, organization_id=organization_id, outcome=Outcome.FAILED,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2))
        except Exception:
            logger.exception("could not record the failed routing of case %s", case.pk)
        return None
    # The steps after routing read the case as routing committed it: its row with the organisation
    # and the final group, and its final categories, as routing left them (not read again).
    _suggest_duplicates(routed, category_ids=category_ids)
    _apply_service_level(routed, category_ids=category_ids)
    _start_workflow(routed)
    committed_row_keep(routed)  # the acknowledgement that may follow leaves from the routed group's address
    return decision


def _start_workflow(case: Case) -> None:
    """The workflow of the case's type (`workflows`), in the state of its status; never fails routing."""
    from civicdesk.routing.workflows import case_workflow_start, workflow_active_for

    if workflow_active_for(case.case_type_id) is None:  # kept per process: most types follow none
        return
    try:
        with transaction.atomic():
            case_workflow_start(case=case)
    except Exception:
        logger.exception("starting the workflow failed for case %s", case.pk)


def _apply_service_level(case: Case, *, category_ids: frozenset[int]) -> None:
    """The service level of the case's final group and type (`service_levels`); never fails routing."""
    from civicdesk.routing.service_levels import service_level_apply

    try:
        service_level_apply(case=case, category_ids=category_ids)
    except Exception:
        logger.exception("applying the service level failed for case %s", case.pk)


def _suggest_duplicates(case: Case, *, category_ids: frozenset[int]) -> None:
    """Possible duplicates for staff (`duplicates`); like routing, a failure here never touches the case."""
    from civicdesk.routing.duplicates import duplicates_suggest

    try:
        duplicates_suggest(case=case, category_ids=category_ids)
    except Exception:
        logger.exception("duplicate suggestions failed for case %s", case.pk)


def duplicate_dismiss(*, user: Any, suggestion: DuplicateSuggestion) -> None:
    """Staff say the other case is not the same matter; the pair is not suggested again. Audited."""
    from civicdesk.cases.permissions import can_link_cases

    case, other = suggestion.case, suggestion.candidate
    if not can_link_cases(user, case, other):
        raise NotFoundError()
    if suggestion.state != DuplicateState.SUGGESTED:
        raise InvalidStateError(_("This suggestion was already handled."))
    with transaction.atomic():
        suggestion.state = DuplicateState.DISMISSED
        suggestion.decided_by = user
        suggestion.save(update_fields=["state", "decided_by"])
        audit_record(action="routing.duplicate_dismiss", actor=user, organization_id=case.organization_id,
                     object_type="case", object_id=case.pk, object_label=case.reference,
                     changes={"candidate": other.reference, "score": suggestion.score})



def _confident_categories(*, organization: Organization, suggestions: Suggestions,
                          settings_row: RoutingSettings | None = None) -> frozenset[int]:
    """The categories the classifier suggests above the organisation's confidence threshold."""
    prediction = suggestions.predictions.get(Target.CATEGORY)
    if prediction is None:
        return frozenset()
    threshold = (settings_row or selectors.routing_settings_for(organization)).confidence_threshold
    return frozenset(int(label) for label in prediction.confident_labels(threshold))

def _route(case: Case, *, started: float, unrouted_only: bool = False) -> tuple[RoutingDecision, Case, frozenset[int]]:
    """Route under the case's row lock; returns the decision, the case as routed and its final categories."""
    # The case type is read only by a rule that marks special categories (`_apply`), so it is not joined.
    rows = Case.objects.select_for_update(of=("self",)).select_related("organization", "owner_group")
    if unrouted_only:
        rows = rows.annotate(routed=Exists(RoutingDecision.objects.filter(case_id=OuterRef("pk"))))
    locked = next(iter(rows.filter(pk=case.pk)[:1]), None)
    if locked is None or (unrouted_only and getattr(locked, "routed", False)):
        raise _NothingToRouteError
    case = locked
    organization = case.organization
    own_categories = frozenset(CaseCategory.objects.filter(case=case).values_list("category_id", flat=True))
    text = selectors.case_text(case.title, case.description)
    suggestions = text_classify(organization=organization, text=text)
    settings_row = selectors.routing_settings_for(organization)
    confident = _confident_categories(organization=organization, suggestions=suggestions, settings_row=settings_row)
    rules = selectors.rule_specs_for(organization=organization)
    facts = case_facts(case, language=suggestions.language, confidence=_routing_confidence(suggestions),
                       category_ids=own_categories | confident, with_sender=any(r.sender_check for r in rules))
    plan = routing_plan(organization=organization, facts=facts, suggestions=suggestions,
                        rules=rules, has_categories=bool(own_categories),
                        in_intake_group=bool(case.owner_group and case.owner_group.is_intake),
                        settings_row=settings_row)
    applied = _apply(case, plan, has_categories=bool(own_categories))
    categories = applied.get("categories")
    final_categories = own_categories or (frozenset(categories[1]) if categories else frozenset())
    fired = plan.evaluation.fired
    decision = RoutingDecision.objects.create(
        case=case, organization=organization, outcome=plan.outcome, detected_language=suggestions.language,
        predictions=suggestions.as_json(), model_versions=suggestions.versions,
        rule_id=fired.id if fired else None, rule_version=fired.version if fired else None,
        reasons=plan.evaluation.reasons(), applied=applied, split_suggested=plan.split_suggested,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return decision, case, final_categories


def _system_entry(case: Case, kind: str, *, body: str = "", data: dict[str, Any]) -> TimelineEntry:
    """A timeline entry written by routing: no actor (shown as "System"), marked `data.by_routing`."""
    moment = timezone.now()
    entry = TimelineEntry.objects.create(case=case, kind=kind, body=body, data={**data, "by_routing": True},
                                         is_internal=True, created_at=moment)
    case.last_activity_at = moment
    notify_case_event(entry=entry)
    return entry


def _summary_text(case: Case, plan: RoutingPlan) -> str:
    """One line for the timeline, in the organisation's language: who decided and how sure it was."""
    with translation.override(case.organization.default_language or "fi"):
        fired = plan.evaluation.fired
        confidence = plan.facts.confidence
        if fired is not None:
            text = _("Automatic routing: rule “%(rule)s”.") % {"rule": fired.name}
        elif plan.outcome == Outcome.UNCLEAR:
            text = _("Automatic routing: not sure enough (%(confidence)s); left to the advisors.") % {
                "confidence": "—" if confidence is None else f"{confidence:.0%}"}
        else:
            text = _("Automatic routing: classifier, confidence %(confidence)s.") % {
                "confidence": "—" if confidence is None else f"{confidence:.0%}"}
        if plan.split_suggested:
            text += " " + _("The contact may hold several topics: consider splitting it.")
        for key, value in plan.pending.items():
            label = _("automatic reply") if key == "auto_reply_template" else _("external system")
            text += " " + _("Waiting, not built yet: %(what)s “%(value)s”.") % {"what": label, "value": value}
        return text


def suggestions_or_rule(plan: RoutingPlan) -> bool:
    return bool(plan.suggestions.predictions) or plan.evaluation.fired is not None


def _handler_allowed(handler: User, organization_id: int, group: ServiceGroup) -> bool:
    access = access_for(handler)
    return bool(handler.is_active and access.can_handle_in(organization_id) and (
        access.has_role(organization_id, Role.SERVICE_ADVISOR) or group.pk in access.group_ids))


def _apply(case: Case, plan: RoutingPlan, *, has_categories: bool) -> dict[str, Any]:
    """Write the plan onto the case: each change with its timeline entry, one audit entry, one event."""
    applied: dict[str, Any] = {}
    fields: list[str] = []
    routing_data = {"rule": plan.evaluation.fired.id if plan.evaluation.fired else None,
                    "confidence": plan.facts.confidence, "outcome": plan.outcome}
    body = _summary_text(case, plan)
    changes: dict[str, Any] = {}
    if plan.category_ids and not has_categories:
        chosen = list(Category.objects.filter(pk__in=plan.category_ids, organization=case.organization,
                                              is_active=True))
        chosen.sort(key=lambda c: plan.category_ids.index(c.pk))
        if chosen:
            CaseCategory.objects.bulk_create(
                [CaseCategory(case=case, category=c, is_primary=(i == 0)) for i, c in enumerate(chosen)])
            changes["categories"] = [[], [c.pk for c in chosen]]
    if plan.priority and plan.priority != case.priority and plan.priority in Priority.values:
        changes["priority"] = [case.priority, plan.priority]
        case.priority = plan.priority
        fields.append("priority")
    if plan.due_at is not None:
        applied["due_at"] = plan.due_at.isoformat()
        case.due_at = plan.due_at
        fields.append("due_at")
    group = None
    if plan.group_id is not None:
        group = ServiceGroup.objects.filter(pk=plan.group_id, organization=case.organization, is_active=True).first()
    if plan.mark_special and not case.contains_special_categories and not case.is_published:
        changes["contains_special_categories"] = [False, True]
        case.contains_special_categories = True
        fields.append("contains_special_categories")
        allowed = list(case.case_type.special_data_groups.filter(is_active=True).order_by("pk"))
        target = group or case.owner_group
        if allowed and target is not None and all(g.pk != target.pk for g in allowed):
            group = allowed[0]
    if changes:
        _system_entry(case, EntryKind.CLASSIFICATION_CHANGE, data={"changes": changes, "routing": routing_data})
        applied.update(changes)
    if group is not None and group.pk != case.owner_group_id:
        previous = case.owner_group
        case.owner_group = group
        fields.append("owner_group")
        _system_entry(case, EntryKind.FORWARD, body=body, data={
            "from_group": previous.pk if previous else None, "from_group_name": str(previous or ""),
            "to_group": group.pk, "to_group_name": str(group), "handler": None, "routing": routing_data})
        applied["owner_group"] = [previous.pk if previous else None, group.pk]
        body = ""
    if plan.handler_id and case.owner_group is not None:
        handler = User.objects.filter(pk=plan.handler_id).first()
        if handler is not None and _handler_allowed(handler, case.organization_id, case.owner_group):
            applied["handler"] = [case.handler_id, handler.pk]
            case.handler = handler
            case.status = Status.OPEN
            fields += ["handler", "status"]
            _system_entry(case, EntryKind.HANDLER_CHANGE, data={"from": None, "to": handler.pk,
                                                                "routing": routing_data})
        else:
            applied["handler_refused"] = plan.handler_id
    if plan.pending:
        applied["pending"] = plan.pending
    if not suggestions_or_rule(plan):
        # No model and no rule: nothing automatic looked at the case, so there is nothing to show or audit.
        return applied
    if body and plan.outcome != Outcome.KEPT:
        # Nothing moved the case (or only its details changed): the decision itself is still on the timeline.
        _system_entry(case, EntryKind.INTERNAL_NOTE, body=body, data={"routing": routing_data})
    if fields:
        case.save(update_fields=sorted({*fields, "last_activity_at", "updated_at"}))
    else:
        Case.objects.filter(pk=case.pk).update(last_activity_at=case.last_activity_at)
    audit_record(action="case.route", actor=None, actor_label=ROUTING_LABEL, organization_id=case.organization_id,
                 object_type="case", object_id=case.pk, object_label=case.reference,
                 changes={"outcome": plan.outcome, **applied, "rule": routing_data["rule"]},
                 subjects=[s for s in (case.customer_email, case.customer_phone) if s])
    if fields:
        groups = [organization_group_name(case.organization_id), service_group_channel_name(case.owner_group_id)]
        payload: dict[str, Any] = {"case_id": case.pk, "status": case.status, "owner_group_id": case.owner_group_id}
        if not case.contains_special_categories:
            payload.update({"reference": case.reference, "handler_id": case.handler_id})
        publish_after_commit(groups=groups, event="case.changed", payload=payload)
    return applied


# --- the test bench ---------------------------------------------------------------------------------


def routing_preview(*, organization: Organization, text: str, lat: float | None = None, lon: float | None = None,
                    channel: str = "web_form", case_type_id: int | None = None, customer_type: str = "",
                    at: dt.datetime | None = None) -> RoutingPlan:
    """What routing would do with a contact of this text and place, without writing anything."""
    from civicdesk.organizations.selectors import area_for_point

    area = area_for_point(organization=organization, lat=lat, lon=lon) if lat is not None and lon is not None else None
    suggestions = text_classify(organization=organization, text=text)
    confident = _confident_categories(organization=organization, suggestions=suggestions)
    facts = CaseFacts(text=text, at=at or timezone.now(), channel=channel, language=suggestions.language,
                      customer_type=customer_type, case_type_id=case_type_id, area_id=area.pk if area else None,
                      category_ids=confident, confidence=_routing_confidence(suggestions))
    return routing_plan(organization=organization, facts=facts, suggestions=suggestions,
                        rules=selectors.rule_specs_for(organization=organization), has_categories=False,
                        in_intake_group=True)


# --- rules --------------------------------------------------------------------------------------------


def routing_rule_audit(*, rule: RoutingRule, actor: Any, action: str, changed: list[str] | None = None) -> None:
    """Record a rule's new version in the audit log with its whole content, so every version can be read back."""
    audit_record(
        action=action, actor=actor, organization_id=rule.organization_id, object_type="routing.routingrule",
        object_id=rule.pk, object_label=f"{rule.name} v{rule.version}"[:200],
        changes={"version": rule.version, "changed": changed or [], "rule": routing_rule_snapshot(rule)},
    )


def routing_rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "name": rule.name, "position": rule.position, "is_active": rule.is_active,
        "categories": sorted(rule.categories.values_list("pk", flat=True)) if rule.pk else [],
        "case_types": sorted(rule.case_types.values_list("pk", flat=True)) if rule.pk else [],
        "areas": sorted(rule.areas.values_list("pk", flat=True)) if rule.pk else [],
        "channels": rule.channels, "languages": rule.languages, "keywords": rule.keywords,
        "customer_types": rule.customer_types, "office_hours": rule.office_hours, "calendar": rule.calendar_id,
        "min_confidence": rule.min_confidence, "max_confidence": rule.max_confidence,
        "sender_check": rule.sender_check,
        "set_group": rule.set_group_id, "set_handler": rule.set_handler_id, "set_priority": rule.set_priority,
        "due_in_hours": rule.due_in_hours, "auto_reply_template": rule.auto_reply_template,
        "mark_special_categories": rule.mark_special_categories, "external_hook": rule.external_hook,
    }
