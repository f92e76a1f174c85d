"""Realtime events to browsers, published after the database transaction commits.

With Redis (production) the channel layer is channels_redis' pub/sub layer, and an event is one
synchronous PUBLISH per group, sent in one pipeline from the committing thread: no event loop, no
thread hand-off (`async_to_sync`) per event (ADR 0016). Other layers (the in-memory layer of the
embedded default and the tests) get `group_send` through one `async_to_sync` per event; the
in-memory layer is skipped when none of the groups has a member in this process.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import _consistent_hash, decode_hosts
from django.db import transaction

from civicdesk.core.redis_clients import redis_publisher

logger = logging.getLogger(__name__)


def organization_group_name(organization_id: int) -> str:
    return f"org-{organization_id}"


def service_group_channel_name(service_group_id: int) -> str:
    return f"service-group-{service_group_id}"


def user_channel_name(user_id: int) -> str:
    return f"user-{user_id}"


def _publish_to_pubsub_layer(layer: RedisPubSubChannelLayer, groups: list[str], message: dict[str, Any]) -> bool:
    """PUBLISH the message as the pub/sub layer's own `group_send` would; False if its hosts are not URLs."""
    hosts = decode_hosts(layer._kwargs.get("hosts"))
    if not all(set(host) == {"address"} for host in hosts):
        return False  # sentinels or connection options: leave those to the layer itself
    prefix = layer._kwargs.get("prefix", "asgi")
    payload = layer.serialize(message)
    by_host: dict[str, list[str]] = {}
    for group in groups:
        channel = f"{prefix}__group__{group}"  # RedisPubSubLoopLayer._get_group_channel_name
        address = hosts[_consistent_hash(channel, len(hosts))]["address"]
        by_host.setdefault(address, []).append(channel)
    for address, channels in by_host.items():
        pipeline = redis_publisher(address).pipeline(transaction=False)
        for channel in channels:
            pipeline.publish(channel, payload)
        pipeline.execute()
    return True


def publish_now(*, groups: list[str], event: str, payload: dict[str, Any]) -> None:
    """Send `event` to the websocket groups at once (best effort: failures are logged)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "live.event", "event": event, "payload": payload}
    if isinstance(layer, RedisPubSubChannelLayer):
        try:
            if _publish_to_pubsub_layer(layer, groups, message):
                return
        except Exception:  # the write already committed; a missed push only delays a refresh
            logger.exception("realtime publish to %s failed", groups)
            return
    if isinstance(layer, InMemoryChannelLayer) and not any(layer.groups.get(group) for group in groups):
        # Nobody listens in this process (a worker has no websockets): the send would do nothing, but
        # the hand-off to an event loop would still cost more than the rest of a small write.
        return
    async_to_sync(_group_send_each)(layer, groups, message)


async def _group_send_each(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    # One hand-off to the event loop per event, not one per group: each `async_to_sync` call costs a
    # thread switch, more than the in-memory layer's send itself.
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("realtime publish to %s failed", group)


def publish_after_commit(*, groups: list[str], event: str, payload: dict[str, Any]) -> None:
    """Send `event` to the websocket groups once the surrounding transaction has committed.

    Delivery is best effort: a failing channel layer is logged, never rolls back the write.
    """
    transaction.on_commit(lambda: publish_now(groups=groups, event=event, payload=payload))
