"""Fixed-window rate limits that cost one Redis round trip per request.

django-ratelimit counts a request with three cache operations (`add`, then Django's `incr`, which
is EXISTS + INCRBY), each a round trip to Redis, on a cache backend Django builds anew for every
request under ASGI. Here the count is one server-side script (INCR, and EXPIRE when the window's
key is new) on the process's shared Redis client; without Redis (the embedded default, the tests)
the Django cache counts, as django-ratelimit did.

The windows are django-ratelimit's: fixed, `rate`'s period long, their edges shifted per key by a
stable jitter, so that the counters of all clients do not reset in the same second. A count is kept
per group, rate, key and window, the key being what is limited (a client's address,
`core.request_context.client_address_rate_key`; an API key's prefix).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_ratelimit.exceptions import Ratelimited

_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"(\d+)/(\d*)([smhd])?$")
# The counter outlives its window by this much, so that a slow request still finds it.
EXPIRY_MARGIN_SECONDS = 5
KEY_PREFIX = "rl1"

# INCR, and on a new key its expiry, in one round trip; the count comes back.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@functools.lru_cache(maxsize=64)
def rate_parse(rate: str) -> tuple[int, int]:
    """`"600/m"` → (600, 60); `"5/10m"` → (5, 600); a bare number of seconds: `"3/30"` → (3, 30)."""
    match = _RATE_RE.match(rate.strip())
    if match is None:
        raise ImproperlyConfigured(f"Not a rate: {rate!r} (write e.g. 600/m, 20/h or 5/10m).")
    count, multiplier, unit = match.groups()
    seconds = _PERIOD_SECONDS[(unit or "s").lower()] * int(multiplier or 1)
    if seconds <= 0:
        raise ImproperlyConfigured(f"Not a rate: {rate!r} (the period must be longer than 0).")
    return int(count), seconds


def _window_end(value: bytes, seconds: int, now: int) -> int:
    """The end of the window `now` falls in, as django-ratelimit computes it (`core._get_window`)."""
    if seconds == 1:
        return now
    end = now - (now % seconds) + (zlib.crc32(value) % seconds)
    return end + seconds if end < now else end


class _Counter:
    """Where this process counts: the cache's Redis through one shared client, or the Django cache."""

    def __init__(self) -> None:
        backend = caches["default"]
        self.redis: Any = None
        self.script: Any = None
        self.make_key = backend.make_key
        if isinstance(backend, RedisCache):
            # A ReusedClientRedisCache (core.redis_clients) hands out the process's shared client.
            self.redis = backend._cache.get_client(write=True)
            self.script = self.redis.register_script(_COUNT_SCRIPT)

    def count(self, key: str, ttl: int) -> int:
        if self.script is not None:
            return int(self.script(keys=[self.make_key(key)], args=[ttl], client=self.redis))
        cache = caches["default"]
        if cache.add(key, 1, ttl):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ttl)
            return 1


_counter: _Counter | None = None
_counter_lock = threading.Lock()


def _the_counter() -> _Counter:
    global _counter  # noqa: PLW0603 - one per process, built on first use
    counter = _counter
    if counter is None:
        with _counter_lock:
            if _counter is None:
                _counter = _Counter()
            counter = _counter
    return counter


@receiver(setting_changed)
def _forget_counter(*, setting: str, **kwargs: Any) -> None:
    global _counter  # noqa: PLW0603
    if setting == "CACHES":
        _counter = None


def rate_limit_exceeded(*, group: str, key: str, rate: str) -> bool:
    """Counts one request for `key` in `group` at `rate` ("600/m"); True when it is over the limit.

    Every call counts, refused ones too (as django-ratelimit's `increment=True`): a client that
    keeps trying stays refused until the window ends. One Redis round trip when the cache is Redis.
    """
    limit, seconds = rate_parse(rate)
    value = key.encode()
    now = int(time.time())
    end = _window_end(value, seconds, now)
    digest = hashlib.blake2b(value, digest_size=12).hexdigest()
    cache_key = f"{KEY_PREFIX}:{group}:{limit}/{seconds}:{end}:{digest}"
    return _the_counter().count(cache_key, max(end - now, 0) + EXPIRY_MARGIN_SECONDS) > limit


View = Callable[..., HttpResponse]


def rate_limit(*, group: str, key: Callable[[str, HttpRequest], str], rate: Callable[[str, HttpRequest], str],
               methods: tuple[str, ...] = ("POST",)) -> Callable[[View], View]:
    """A view decorator: requests of `methods` over the rate get RATELIMIT_VIEW's translated 429.

    Takes django-ratelimit's `key(group, request)` and `rate(group, request)` callables, so that
    `@ratelimit(key=k, rate=r, method="POST", block=True, group=g)` becomes
    `@rate_limit(group=g, key=k, rate=r)`. The refusal is django-ratelimit's `Ratelimited`, which
    its middleware turns into `settings.RATELIMIT_VIEW`.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods and rate_limit_exceeded(
                group=group, key=key(group, request), rate=rate(group, request)
            ):
                raise Ratelimited()
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

