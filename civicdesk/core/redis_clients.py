"""Redis clients that live as long as the process: the cache backend and the realtime publisher.

Django's `RedisCache` builds a new `redis.Redis` client for every cache operation (the connection
pool is shared, but each client copies ~170 response callbacks into a fresh dict); a rate-limited
request makes two to four such operations. The clients here are built once per pool and reused;
`redis.Redis` is safe to share between threads.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` per connection pool instead of one per operation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers (django/core/cache/backends/redis.py), which the stubs leave out.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class ReusedClientRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with reused clients (settings: CACHES)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


_publishers: dict[str, redis.Redis] = {}
_publishers_lock = threading.Lock()


def redis_publisher(address: str) -> redis.Redis:
    """A synchronous client for `address` (a redis:// URL), one per process, for PUBLISH."""
    client = _publishers.get(address)
    if client is None:
        with _publishers_lock:
            client = _publishers.get(address)
            if client is None:
                client = _publishers[address] = redis.Redis.from_url(
                    address, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
                )
    return client
