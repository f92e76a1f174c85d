"""Who is asking, from where: set once per request, read by the audit log.

Services do not take an IP argument; the request middleware (or a task, a command, a channel
consumer) sets this context, so every write that ends up in the audit log knows its source.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    source_ip: str | None = None
    channel: str = "system"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: ContextVar[RequestContext | None] = ContextVar("civicdesk_request_context", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or RequestContext()


@contextlib.contextmanager
def request_context(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip_from_meta(meta: dict[str, str], trusted_proxy_count: int) -> str | None:
    """The client's address, trusting X-Forwarded-For only as deep as there are proxies.

    A forwarded value that is not an IP address (a client can write anything there if it reaches
    the app directly) is ignored rather than written to the audit log's address column.
    """
    if trusted_proxy_count > 0:
        forwarded = [p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= trusted_proxy_count and _is_ip_address(forwarded[-trusted_proxy_count]):
            return forwarded[-trusted_proxy_count]
    return meta.get("REMOTE_ADDR") or None


def client_address_rate_key(group: str, request: Any) -> str:
    """django-ratelimit key: the client address as the audit log records it.

    Behind a reverse proxy REMOTE_ADDR is the proxy's, and a limit on it would limit every
    client together.
    """
    from django.conf import settings

    return client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT) or ""
