"""The live-updates websocket: who may connect, and which events reach which browser.

The tests are synchronous and drive the websocket through `async_to_sync`, so that the
consumer's `database_sync_to_async` calls run on the test's own thread and database
connection, inside the test transaction. (A transactional test would have to flush the
database, which the append-only audit log's trigger refuses on SQLite.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from civicdesk.accounts.models import User
from civicdesk.cases.consumers import LiveUpdatesConsumer
from civicdesk.core.realtime import (
    organization_group_name,
    publish_after_commit,
    service_group_channel_name,
    user_channel_name,
)
from config.asgi import application

pytestmark = pytest.mark.django_db

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def _channel_layer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Around every database call the consumer closes "old" connections; inside the test
    # transaction that would close the connection holding the test's data on PostgreSQL.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    layer = get_channel_layer()
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    yield layer
    async_to_sync(layer.flush)()


def _consumer_socket(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(LiveUpdatesConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    return communicator


def _make_user(username: str) -> User:
    return User.objects.create_user(username=username, password="correct-horse-battery")


def _publish(groups: list[str], event: str = "case.created", payload: dict[str, Any] | None = None) -> None:
    publish_after_commit(groups=groups, event=event, payload=payload or {"case_id": 1})


def test_anonymous_user_is_rejected() -> None:
    async def scenario() -> tuple[bool, Any]:
        return await _consumer_socket(AnonymousUser()).connect()

    connected, code = async_to_sync(scenario)()

    assert connected is False
    assert code == 4401


def test_anonymous_browser_is_rejected_through_the_asgi_stack() -> None:
    async def scenario() -> tuple[bool, Any]:
        return await WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN]).connect()

    connected, _code = async_to_sync(scenario)()

    assert connected is False


def test_logged_in_user_receives_event_published_to_own_group(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    user = _make_user("aino")

    def publish_and_commit() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            _publish([user_channel_name(user.pk)], payload={"case_id": 42})

    async def scenario() -> dict[str, Any]:
        socket = _consumer_socket(user)
        connected, _ = await socket.connect()
        assert connected
        await sync_to_async(publish_and_commit)()
        message = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return message

    assert async_to_sync(scenario)() == {"event": "case.created", "payload": {"case_id": 42}}


def test_event_is_sent_only_after_the_transaction_commits(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    user = _make_user("aino")

    def publish_uncommitted() -> list[Callable[[], None]]:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _publish([user_channel_name(user.pk)])
        return callbacks

    async def scenario() -> tuple[bool, dict[str, Any]]:
        socket = _consumer_socket(user)
        await socket.connect()
        callbacks = await sync_to_async(publish_uncommitted)()
        nothing_before_commit = await socket.receive_nothing(timeout=0.2)
        for callback in callbacks:  # the commit
            await sync_to_async(callback)()
        message = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return nothing_before_commit, message

    nothing_before_commit, message = async_to_sync(scenario)()

    assert nothing_before_commit
    assert message["event"] == "case.created"


def test_event_for_one_user_does_not_reach_another(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    addressee, bystander = _make_user("aino"), _make_user("bertil")

    def publish_and_commit() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            _publish([user_channel_name(addressee.pk)])

    async def scenario() -> bool:
        socket = _consumer_socket(bystander)
        await socket.connect()
        await sync_to_async(publish_and_commit)()
        received_nothing = await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return received_nothing

    assert async_to_sync(scenario)()


def test_members_receive_their_service_group_and_advisors_their_organisation_events(city: Any) -> None:
    layer = get_channel_layer()
    expert, parks_expert, advisor = (city.fresh(name) for name in ("expert", "parks_expert", "advisor"))

    async def scenario() -> dict[str, Any]:
        sockets = {
            name: _consumer_socket(user)
            for name, user in {"expert": expert, "parks_expert": parks_expert, "advisor": advisor}.items()
        }
        for socket in sockets.values():
            connected, _ = await socket.connect()
            assert connected
        message = {"type": "live.event", "event": "case.changed", "payload": {"case_id": 7}}
        await layer.group_send(service_group_channel_name(city.streets.pk), message)
        await layer.group_send(organization_group_name(city.org.pk), {**message, "event": "case.created"})
        received = {
            "expert": await sockets["expert"].receive_json_from(timeout=2),
            "parks_expert_nothing": await sockets["parks_expert"].receive_nothing(timeout=0.3),
            "advisor": await sockets["advisor"].receive_json_from(timeout=2),
        }
        for socket in sockets.values():
            await socket.disconnect()
        return received

    received = async_to_sync(scenario)()

    assert received["expert"] == {"event": "case.changed", "payload": {"case_id": 7}}
    assert received["parks_expert_nothing"]
    assert received["advisor"]["event"] == "case.created"


def test_session_login_authenticates_the_socket_through_the_asgi_stack() -> None:
    user = _make_user("aino")
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    layer = get_channel_layer()

    async def scenario() -> dict[str, Any]:
        socket = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, (b"cookie", cookie.encode())])
        connected, _ = await socket.connect()
        assert connected
        await layer.group_send(
            user_channel_name(user.pk), {"type": "live.event", "event": "case.shared", "payload": {}}
        )
        message = await socket.receive_json_from(timeout=2)
        await socket.disconnect()
        return message

    assert async_to_sync(scenario)()["event"] == "case.shared"


def test_socket_from_a_foreign_origin_is_rejected() -> None:
    user = _make_user("aino")
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario() -> tuple[bool, Any]:
        headers = [(b"origin", b"https://evil.example"), (b"cookie", cookie.encode())]
        return await WebsocketCommunicator(application, "/ws/live/", headers=headers).connect()

    connected, _code = async_to_sync(scenario)()

    assert connected is False
