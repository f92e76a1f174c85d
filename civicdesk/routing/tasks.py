"""Background training: on a schedule (beat) and on demand (admin action, `classifier_train`)."""

from __future__ import annotations

import logging

from celery import shared_task

from civicdesk.organizations.models import Organization
from civicdesk.routing.services import classifier_train, classifiers_retrain

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def classifier_retrain_task(*, organization_id: int, target: str | None = None) -> list[dict[str, object]]:
    """Train new versions for one organisation (every target, or one); idempotent apart from the version row."""
    organization = Organization.objects.filter(pk=organization_id, is_active=True).first()
    if organization is None:
        return []
    results = (classifiers_retrain(organization=organization) if target is None
               else [classifier_train(organization=organization, target=target)])
    for result in results:
        logger.info("classifier %s/%s: %s", organization.slug, result.target, result.message)
    return [{"target": r.target, "activated": r.activated, "version": r.model.version if r.model else None,
             "message": str(r.message)} for r in results]


@shared_task
def classifiers_retrain_all_task() -> int:
    """The weekly run: queue one training per active organisation, so each runs on its own worker."""
    ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for organization_id in ids:
        classifier_retrain_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(acks_late=True)
def route_case_task(*, case_id: int) -> str | None:
    """Classify and route one new case (queued by intake after its commit); routing a case twice is refused."""
    from civicdesk.routing.services import route_new_case

    return route_new_case(case_id=case_id)


@shared_task
def service_levels_check_task() -> dict[str, int]:
    """Beat: note first answers, pause while waiting, warn before and escalate after a breach of a service level."""
    from civicdesk.routing.service_levels import service_levels_check

    return service_levels_check()


@shared_task
def workflows_tick_task() -> dict[str, int]:
    """Beat: workflow reminders to customers, automatic moves (e.g. closing) and escalations that are due."""
    from civicdesk.routing.workflows import workflows_tick

    return workflows_tick()
