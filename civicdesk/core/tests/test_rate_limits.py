"""core.rate_limits: fixed windows counted in one Redis round trip, or in the Django cache without Redis."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django_ratelimit.exceptions import Ratelimited

from civicdesk.core import rate_limits
from civicdesk.core.rate_limits import rate_limit, rate_limit_exceeded, rate_parse

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (CI's PostgreSQL and Redis pass)")


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    cache.clear()


def test_rates_are_read_as_django_ratelimit_reads_them() -> None:
    assert rate_parse("600/m") == (600, 60)
    assert rate_parse("20/h") == (20, 3600)
    assert rate_parse("10/15m") == (10, 900)
    assert rate_parse("3/s") == (3, 1)
    assert rate_parse("5/d") == (5, 86400)
    with pytest.raises(ImproperlyConfigured):
        rate_parse("many")


def test_the_request_over_the_limit_is_refused_and_others_are_counted_apart() -> None:
    seen = [rate_limit_exceeded(group="g", key="10.0.0.1", rate="3/m") for _ in range(5)]
    assert seen == [False, False, False, True, True]
    assert rate_limit_exceeded(group="g", key="10.0.0.2", rate="3/m") is False
    assert rate_limit_exceeded(group="other", key="10.0.0.1", rate="3/m") is False
    # Another rate is another counter (a changed setting starts afresh).
    assert rate_limit_exceeded(group="g", key="10.0.0.1", rate="4/m") is False


def test_a_new_window_starts_a_new_count(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(rate_limits.time, "time", lambda: now)
    assert [rate_limit_exceeded(group="g", key="k", rate="1/m") for _ in range(2)] == [False, True]
    monkeypatch.setattr(rate_limits.time, "time", lambda: now + 60)
    assert rate_limit_exceeded(group="g", key="k", rate="1/m") is False


def test_windows_end_where_django_ratelimit_ends_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_ratelimit import core

    monkeypatch.undo()  # the root conftest pins both windows for each test
    for now in (1_800_000_000, 1_800_000_059, 1_800_003_599):
        monkeypatch.setattr(core.time, "time", lambda now=now: float(now))
        for key in ("10.0.0.1", "2001:db8::1", "abc123"):
            for seconds in (1, 60, 3600):
                assert rate_limits._window_end(key.encode(), seconds, now) == core._get_window(key, seconds)


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_the_decorator_limits_only_the_methods_it_names() -> None:
    limited = rate_limit(group="form", key=lambda group, request: request.META["REMOTE_ADDR"],
                         rate=lambda group, request: "1/h")(_view)
    factory = RequestFactory()
    assert limited(factory.get("/")).status_code == 200
    assert limited(factory.get("/")).status_code == 200
    assert limited(factory.post("/")).status_code == 200
    with pytest.raises(Ratelimited):
        limited(factory.post("/"))


@needs_redis
def test_with_redis_one_round_trip_counts_and_sets_the_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    caches: dict[str, Any] = {"default": {"BACKEND": "civicdesk.core.redis_clients.ReusedClientRedisCache",
                                          "LOCATION": REDIS_URL, "KEY_PREFIX": "cd-test-rl"}}
    with override_settings(CACHES=caches):
        counter = rate_limits._the_counter()
        assert counter.redis is not None
        for stale in counter.redis.keys("cd-test-rl:*"):
            counter.redis.delete(stale)
        calls: list[str] = []
        original = counter.redis.execute_command

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(str(args[0]))
            return original(*args, **kwargs)

        monkeypatch.setattr(counter.redis, "execute_command", counted)
        key = f"test-{os.getpid()}"
        assert rate_limit_exceeded(group="g", key=key, rate="2/m") is False  # loads the script if need be
        calls.clear()
        assert [rate_limit_exceeded(group="g", key=key, rate="2/m") for _ in range(2)] == [False, True]
        assert calls == ["EVALSHA", "EVALSHA"]
        keys = counter.redis.keys("cd-test-rl:*rl1:g:*")
        assert len(keys) == 1
        assert 0 < counter.redis.ttl(keys[0]) <= 60 + rate_limits.EXPIRY_MARGIN_SECONDS
        counter.redis.delete(*keys)
    assert rate_limits._counter is None or rate_limits._counter.redis is None
