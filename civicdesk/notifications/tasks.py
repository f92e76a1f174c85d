"""Background work for notifications. Tasks take ids (or nothing), are idempotent and call services."""

from __future__ import annotations

from celery import shared_task

from civicdesk.notifications.services import notification_bundles_send, notifications_create_for_entry


@shared_task(acks_late=True)
def notifications_for_entry_task(entry_id: int) -> int:
    """Create the notifications for one timeline entry; safe to run twice (one per user and entry)."""
    return notifications_create_for_entry(entry_id=entry_id)


@shared_task
def notifications_email_bundles_task() -> dict[str, int]:
    """Beat, every few minutes: one bundled mail to each user who is away and has waited long enough."""
    return {"mailed": notification_bundles_send()}
