"""Realtime events to browsers, published after the database transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def organization_group_name(organization_id: int) -> str:
    return f"org-{organization_id}"


def service_group_channel_name(service_group_id: int) -> str:
    return f"service-group-{service_group_id}"


def user_channel_name(user_id: int) -> str:
    return f"user-{user_id}"


def publish_after_commit(*, groups: list[str], event: str, payload: dict[str, Any]) -> None:
    """Send `event` to the websocket groups once the surrounding transaction has committed.

    Delivery is best effort: a failing channel layer is logged, never rolls back the write.
    """

    def _send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = {"type": "live.event", "event": event, "payload": payload}
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, message)
            except Exception:  # the write already committed; a missed push only delays a refresh
                logger.exception("realtime publish to %s failed", group)

    transaction.on_commit(_send)
