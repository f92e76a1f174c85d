"""core.asgi_handler: the middleware chain and the view in one thread hop, with Django's ASGI behaviour."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from civicdesk.core.asgi_handler import SyncChainASGIHandler

seen_threads: list[int] = []


def plain(request: HttpRequest) -> HttpResponse:
    seen_threads.append(threading.get_ident())
    return HttpResponse("hello")


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"a", b"b"]))


urlpatterns = [path("plain", plain), path("missing", missing), path("broken", broken), path("streamed", streamed)]


async def _get(app: Any, url: str) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": url, "raw_path": url.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}
    sent: list[dict[str, Any]] = []
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        if received == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
async def test_pages_errors_and_streams_answer_as_under_django_s_handler() -> None:
    app = SyncChainASGIHandler()
    assert not asyncio.iscoroutinefunction(app._middleware_chain)  # type: ignore[attr-defined]
    assert await _get(app, "/plain") == (200, b"hello")
    assert (await _get(app, "/missing"))[0] == 404
    assert (await _get(app, "/broken"))[0] == 500
    assert await _get(app, "/streamed") == (200, b"ab")


@override_settings(ROOT_URLCONF=__name__)
async def test_a_request_crosses_to_its_thread_three_times_not_nine(monkeypatch: pytest.MonkeyPatch) -> None:
    app = SyncChainASGIHandler()
    crossings: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        crossings.append(getattr(self.func, "__name__", "?"))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    seen_threads.clear()
    assert await _get(app, "/plain") == (200, b"hello")
    # request_started's receivers, the middleware chain with the view, and closing the response.
    assert len(crossings) <= 3, crossings
    assert seen_threads
    assert seen_threads[0] != threading.get_ident()
