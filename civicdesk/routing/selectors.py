"""Reads for routing: training data, corrections, active models, rules, and the explanation for staff."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Prefetch

from civicdesk.cases.models import Case, CaseCategory, EntryKind, Resolution, Status, TimelineEntry
from civicdesk.cases.permissions import cases_visible_to
from civicdesk.core.config_generation import ConfigCache
from civicdesk.core.process_cache import ProcessCache
from civicdesk.organizations.calendars import CalendarSnapshot
from civicdesk.organizations.models import Organization, ServiceGroup, WorkingCalendar
from civicdesk.routing.classifier import Example, ModelIntegrityError, TrainedClassifier, classifier_load
from civicdesk.routing.models import ClassifierModel, RoutingDecision, RoutingRule, RoutingSettings, Target
from civicdesk.routing.rules import RuleSpec

logger = logging.getLogger(__name__)

# Handled cases: closed with an answer or without one needed. Cases closed as unnecessary or merged
# say nothing about where a contact belongs.
HANDLED_RESOLUTIONS = (Resolution.ANSWERED, Resolution.NO_ANSWER_NEEDED)
# A case a person corrected (reclassified or forwarded) counts this many times in training.
CORRECTION_WEIGHT = 2.0


_settings_rows: ConfigCache[RoutingSettings | None] = ConfigCache()
_rule_specs: ConfigCache[list[RuleSpec]] = ConfigCache()


def routing_settings_for(organization: Organization) -> RoutingSettings:
    """The organisation's routing settings, or the defaults (unsaved) when it has none.

    Kept per process until the configuration changes (`config_generation`): only read it."""
    # At most one row (one-to-one): no ordering to build, unlike `first()`.
    found = _settings_rows.get(organization.pk, lambda: next(
        iter(RoutingSettings.objects.filter(organization_id=organization.pk)[:1]), None))
    return found if found is not None else RoutingSettings(organization=organization)


def corrections_for(*, organization: Organization, case_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """The training signal of staff corrections: per case, the kinds of correction a person made.

    Every reclassification (`case_reclassify`) and forward (`case_forward`, `case_assign` to another
    group) writes a timeline entry with its actor; those entries are the record of corrections, so
    no copy is kept. Entries written by routing itself have no actor and do not count.
    """
    entries = TimelineEntry.objects.filter(
        case__organization=organization, kind__in=(EntryKind.CLASSIFICATION_CHANGE, EntryKind.FORWARD),
        actor__isnull=False,
    )
    if case_ids is not None:
        entries = entries.filter(case_id__in=case_ids)
    found: dict[int, list[str]] = {}
    for case_id, kind in entries.values_list("case_id", "kind"):
        found.setdefault(case_id, []).append(kind)
    return found


def training_examples(*, organization: Organization, target: str) -> list[Example]:
    """The organisation's handled cases as examples for one target, oldest first, in 3 queries.

    Labels are the final state after staff corrections: every category (primary first), the case
    type or the owning group, as primary keys. Corrected cases weigh `CORRECTION_WEIGHT`.
    """
    cases = list(
        Case.objects.filter(organization=organization, status=Status.CLOSED, resolution__in=HANDLED_RESOLUTIONS,
                            merged_into__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", "title", "description", "created_at", "case_type_id", "owner_group_id")
    )
    corrected = corrections_for(organization=organization)
    categories: dict[int, list[int]] = {}
    if target == Target.CATEGORY:
        rows = CaseCategory.objects.filter(case__organization=organization, case__status=Status.CLOSED).order_by(
            "case_id", "-is_primary", "id").values_list("case_id", "category_id")
        for case_id, category_id in rows:
            categories.setdefault(case_id, []).append(category_id)
    examples = []
    for case_id, title, description, created_at, case_type_id, group_id in cases:
        if target == Target.CATEGORY:
            labels = tuple(str(c) for c in categories.get(case_id, []))
        elif target == Target.CASE_TYPE:
            labels = (str(case_type_id),)
        else:
            labels = (str(group_id),) if group_id else ()
        if not labels:
            continue
        examples.append(Example(text=case_text(title, description), labels=labels, at=created_at,
                                weight=CORRECTION_WEIGHT if case_id in corrected else 1.0, case_id=case_id))
    return examples


def case_text(title: str, description: str) -> str:
    return f"{title}\n{description}".strip()


def active_model_row(*, organization: Organization | int, target: str) -> ClassifierModel | None:
    organization_id = organization if isinstance(organization, int) else organization.pk
    return (ClassifierModel.objects.filter(organization_id=organization_id, target=target, is_active=True)
            .defer("artifact").first())


_cache_lock = threading.Lock()
_loaded: dict[tuple[int, str], tuple[str, TrainedClassifier]] = {}


_active: ProcessCache[list[ClassifierModel]] = ProcessCache()


def _active_rows(organization_id: int) -> list[ClassifierModel]:
    """The active versions' rows, read again after CLASSIFIER_ACTIVE_CACHE_SECONDS (a new version is
    picked up within that time); only what picking the model needs (the metrics are long JSON)."""
    return _active.get(organization_id, seconds=settings.CLASSIFIER_ACTIVE_CACHE_SECONDS, load=lambda: list(
        ClassifierModel.objects.filter(organization_id=organization_id, is_active=True)
        .only("id", "organization_id", "target", "version", "sha256")))


def active_classifiers(*, organization: Organization | int) -> dict[str, tuple[ClassifierModel, TrainedClassifier]]:
    """The organisation's active model per target, loaded once per process and version (1 query when cached).

    A model whose bytes fail their checksum is skipped (and logged): routing goes on without it.
    """
    organization_id = organization if isinstance(organization, int) else organization.pk
    rows = _active_rows(organization_id)
    out: dict[str, tuple[ClassifierModel, TrainedClassifier]] = {}
    for row in rows:
        key = (row.pk, row.target)
        with _cache_lock:
            cached = _loaded.get(key)
        if cached is None or cached[0] != row.sha256:
            data = ClassifierModel.objects.filter(pk=row.pk).values_list("artifact", flat=True).first()
            try:
                model = classifier_load(bytes(data or b""), sha256=row.sha256)
            except ModelIntegrityError:
                logger.exception("classifier model %s failed its integrity check; not used", row.pk)
                continue
            with _cache_lock:
                _loaded[key] = (row.sha256, model)
            cached = (row.sha256, model)
        out[row.target] = (row, cached[1])
    return out


def rule_specs_for(*, organization: Organization) -> list[RuleSpec]:
    """The organisation's active rules in order, with relations and calendars.

    Kept per process until the configuration changes (`config_generation`; one small query when
    kept): only read them. Read anew in 4–7 queries (1 without rules)."""
    return _rule_specs.get(organization.pk, lambda: _rule_specs_read(organization))


def _rule_specs_read(organization: Organization) -> list[RuleSpec]:
    # Only rules that look at office hours need a calendar, so calendars are read for those alone
    # (one query), not joined to every rule.
    rules = list(
        RoutingRule.objects.filter(organization=organization, is_active=True)
        .prefetch_related(Prefetch("categories"), Prefetch("case_types"), Prefetch("areas"))
        .order_by("position", "id")
    )
    calendar_ids = {r.calendar_id for r in rules if r.office_hours and r.calendar_id is not None}
    calendars = (WorkingCalendar.objects.select_related("organization").in_bulk(calendar_ids)
                 if calendar_ids else {})
    default_calendar = None
    if any(r.office_hours and r.calendar_id is None for r in rules):
        intake = (ServiceGroup.objects.filter(organization=organization, is_intake=True, is_active=True)
                  .select_related("calendar__organization").first())
        if intake is not None and intake.calendar is not None:
            default_calendar = CalendarSnapshot.load(intake.calendar)
    return [rule_spec(rule, default_calendar=default_calendar, calendar=calendars.get(rule.calendar_id or 0))
            for rule in rules]


def rule_spec(rule: RoutingRule, *, default_calendar: CalendarSnapshot | None = None,
              calendar: WorkingCalendar | None = None) -> RuleSpec:
    """The rule as `rules_evaluate` reads it; `calendar` is its calendar when the caller has read it."""
    snapshot = None
    if rule.office_hours:
        snapshot = (default_calendar if rule.calendar_id is None
                    else CalendarSnapshot.load(calendar or rule.calendar))  # type: ignore[arg-type]
    return RuleSpec(
        id=rule.pk, name=rule.name, version=rule.version,
        category_ids=frozenset(c.pk for c in rule.categories.all()),
        case_type_ids=frozenset(t.pk for t in rule.case_types.all()),
        channels=frozenset(rule.channels or ()), area_ids=frozenset(a.pk for a in rule.areas.all()),
        languages=frozenset(rule.languages or ()), keywords=tuple(rule.keyword_list()),
        customer_types=frozenset(rule.customer_types or ()), office_hours=rule.office_hours, calendar=snapshot,
        min_confidence=rule.min_confidence, max_confidence=rule.max_confidence, sender_check=rule.sender_check,
        actions={
            "set_group": rule.set_group_id, "set_handler": rule.set_handler_id, "set_priority": rule.set_priority,
            "due_in_hours": rule.due_in_hours, "auto_reply_template": rule.auto_reply_template,
            "mark_special_categories": rule.mark_special_categories, "external_hook": rule.external_hook,
        },
    )


# --- explanation for staff --------------------------------------------------------------------

SIMILAR_POOL = 2000


def similar_cases(*, user: Any, case: Case, model: TrainedClassifier, limit: int = 5) -> list[tuple[Case, float]]:
    """The handled cases most like this one in the model's features (cosine), among those the user may see.

    Looks at the organisation's `SIMILAR_POOL` most recent handled cases: 2 queries and one
    vectorisation of at most that many texts (about 0.2–0.5 s; for a page, load it on demand).
    """
    pool = list(
        cases_visible_to(user).filter(organization_id=case.organization_id, status=Status.CLOSED)
        .exclude(pk=case.pk).order_by("-created_at").only("id", "reference", "title", "description", "owner_group_id",
                                                           "created_at")[:SIMILAR_POOL]
    )
    if not pool:
        return []
    features = model.pipeline.named_steps["features"]
    matrix = features.transform([case_text(c.title, c.description) for c in pool])
    vector = features.transform([case_text(case.title, case.description)])
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()) * max(
        float(np.sqrt(vector.multiply(vector).sum())), 1e-12)
    scores = np.asarray((matrix @ vector.T).todense()).ravel() / np.maximum(norms, 1e-12)
    order = np.argsort(-scores)[:limit]
    return [(pool[i], round(float(scores[i]), 3)) for i in order if scores[i] > 0]


def routing_explanation(*, user: Any, case: Case, similar: bool = True) -> dict[str, Any] | None:
    """Why the case was routed as it was, for its page: the last decision, the top features behind each
    suggestion, and the most similar past cases. None when routing never looked at the case or the
    user may not see it (the caller checks the case's visibility first; this checks again)."""
    if not cases_visible_to(user).filter(pk=case.pk).exists():
        return None
    decision = RoutingDecision.objects.filter(case=case).select_related("rule").first()
    if decision is None:
        return None
    models = active_classifiers(organization=case.organization_id)
    text = case_text(case.title, case.description)
    features: dict[str, list[tuple[str, float]]] = {}
    for target, suggestion in (decision.predictions or {}).items():
        ranked = suggestion.get("ranked") or []
        if target in models and ranked:
            features[target] = models[target][1].explain(text, str(ranked[0][0]))
    explanation: dict[str, Any] = {"decision": decision, "features": features, "similar": []}
    if similar and models:
        model = models.get(Target.GROUP, models.get(Target.CATEGORY, next(iter(models.values()))))[1]
        explanation["similar"] = similar_cases(user=user, case=case, model=model)
    return explanation


def suggestion_label_names(*, target: str, labels: list[str], organization_id: int) -> dict[str, str]:
    """The names of a classifier's labels (row ids of the target's model) within the organisation."""
    from civicdesk.cases.models import CaseType, Category
    from civicdesk.organizations.models import ServiceGroup

    models: dict[str, Any] = {Target.GROUP: ServiceGroup, Target.CATEGORY: Category, Target.CASE_TYPE: CaseType}
    model = models.get(target)
    ids = [int(label) for label in labels if str(label).isdigit()]
    if model is None or not ids:
        return {}
    return {str(row.pk): str(row) for row in model.objects.filter(pk__in=ids, organization_id=organization_id)}
