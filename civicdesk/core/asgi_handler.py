"""Django's ASGI handler, with a request's synchronous work done in one trip to its thread.

Every middleware CivicDesk runs is synchronous, and so is every view. Django's `ASGIHandler` still
builds its request path for async: it runs the middleware in the request's thread, comes back to the
event loop for the inner handler (`async_to_sync`), and from there goes to the thread again for each
`process_view` hook and for the view (`sync_to_async`): nine crossings between the loop and the
thread for a plain page, ~2 ms of CPU per request on the bench machine, most of what a hello-world
view costs over HTTP (docs/benchmarks.md, Open311). This handler loads the middleware as Django's
WSGI handler does and runs the whole chain, view included, in one `sync_to_async` call; what
happens inside it is exactly what `./manage.py runserver` and the test client run.

Unchanged: the request's own thread (Django's `ThreadSensitiveContext`, so database connections stay
per request), the request and response signals, streaming and file responses, disconnects.
An async view would still work (Django calls it through `async_to_sync`), but loses its benefit.
"""

from __future__ import annotations

from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    """`ASGIHandler` whose middleware chain and view run synchronously in one thread hop per request."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response


def get_asgi_application() -> Any:
    """Like `django.core.asgi.get_asgi_application`, with `SyncChainASGIHandler`."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
