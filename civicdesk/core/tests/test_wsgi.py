"""The WSGI entry point production serves pages with (config/wsgi.py; ADR 0027)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """A WSGI handler closes stale database connections around each request (Django's signals); the
    test's connection holds the test's transaction, so keep it, as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _call(application: Any, path: str) -> tuple[str, dict[str, str], bytes]:
    environ = RequestFactory().get(path).environ  # the environ a WSGI server would pass
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return answered["status"], answered["headers"], body


def test_the_wsgi_application_serves_pages_through_the_whole_middleware_chain() -> None:
    from config.wsgi import application

    status, headers, _body = _call(application, "/healthz")
    assert status.startswith("200")
    # The same middleware as under ASGI (security headers among them).
    assert headers.get("X-Content-Type-Options") == "nosniff"
    status, headers, _body = _call(application, "/staff/")
    assert status.startswith("302")
    assert "/accounts/login/" in headers["Location"]
