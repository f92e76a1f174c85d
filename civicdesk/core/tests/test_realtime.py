"""Realtime publishing through channels_redis' pub/sub layer, and the reused Redis cache clients (ADR 0016)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from civicdesk.core import realtime
from civicdesk.core.redis_clients import ReusedClientRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (CI's PostgreSQL and Redis pass)")


class _Pipeline:
    def __init__(self, sent: list[tuple[str, str, bytes]], address: str) -> None:
        self.sent, self.address = sent, address
        self.queued: list[tuple[str, str, bytes]] = []

    def publish(self, channel: str, payload: bytes) -> None:
        self.queued.append((self.address, channel, payload))

    def execute(self) -> None:
        self.sent.extend(self.queued)


class _Client:
    def __init__(self, sent: list[tuple[str, str, bytes]], address: str) -> None:
        self.sent, self.address = sent, address

    def pipeline(self, transaction: bool = True) -> _Pipeline:
        assert transaction is False
        return _Pipeline(self.sent, self.address)


def test_an_event_is_published_synchronously_where_the_pubsub_layer_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = RedisPubSubChannelLayer(hosts=["redis://redis.invalid:6379/0"], prefix="cd")
    sent: list[tuple[str, str, bytes]] = []
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "redis_publisher", lambda address: _Client(sent, address))
    monkeypatch.setattr(realtime, "async_to_sync", lambda *a: pytest.fail("no async hand-off expected"))

    realtime.publish_now(groups=["org-1", "service-group-2"], event="case.created", payload={"case_id": 7})

    assert [(address, channel) for address, channel, _ in sent] == [
        ("redis://redis.invalid:6379/0", "cd__group__org-1"),
        ("redis://redis.invalid:6379/0", "cd__group__service-group-2"),
    ]
    assert layer.deserialize(sent[0][2]) == {"type": "live.event", "event": "case.created", "payload": {"case_id": 7}}


def test_a_failing_redis_is_logged_and_never_raised(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    layer = RedisPubSubChannelLayer(hosts=["redis://redis.invalid:6379/0"])

    def broken(address: str) -> Any:
        raise ConnectionError("down")

    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "redis_publisher", broken)
    realtime.publish_now(groups=["org-1"], event="case.created", payload={})
    assert "realtime publish" in caplog.text


@needs_redis
async def test_a_published_event_reaches_a_consumer_of_the_pubsub_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = RedisPubSubChannelLayer(hosts=[REDIS_URL], prefix="cd-test")
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    channel = await layer.new_channel()
    await layer.group_add("org-42", channel)
    try:
        realtime.publish_now(groups=["org-42"], event="case.created", payload={"case_id": 1})
        message = await layer.receive(channel)
    finally:
        await layer.group_discard("org-42", channel)
        await layer.flush()
    assert message == {"type": "live.event", "event": "case.created", "payload": {"case_id": 1}}


@needs_redis
def test_the_cache_reuses_one_client_per_pool() -> None:
    cache = ReusedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "cd-test"})
    client = cache._cache
    assert client.get_client(write=True) is client.get_client(write=True)
    # Under ASGI Django builds a backend per request: they share the client and its pool.
    another = ReusedClientRedisCache(REDIS_URL, {"KEY_PREFIX": "cd-test"})
    assert another._cache.get_client(write=True) is client.get_client(write=True)
    cache.set("k", 1, 10)
    assert cache.incr("k") == 2
    assert cache.add("k", 5) is False
    cache.delete("k")


def test_the_in_memory_layer_is_skipped_when_nobody_in_this_process_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.layers import InMemoryChannelLayer

    layer = InMemoryChannelLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "async_to_sync", lambda *a: pytest.fail("no async hand-off expected"))

    realtime.publish_now(groups=["org-1", "service-group-2"], event="case.created", payload={"case_id": 7})


def test_the_in_memory_layer_gets_every_group_in_one_hand_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import InMemoryChannelLayer

    layer = InMemoryChannelLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("service-group-2", channel)
    hand_offs: list[Any] = []
    def counted(f: Any) -> Any:
        hand_offs.append(f)
        return async_to_sync(f)

    monkeypatch.setattr(realtime, "async_to_sync", counted)

    realtime.publish_now(groups=["org-1", "service-group-2"], event="case.created", payload={"case_id": 7})

    assert len(hand_offs) == 1
    assert async_to_sync(layer.receive)(channel) == {
        "type": "live.event", "event": "case.created", "payload": {"case_id": 7}}
