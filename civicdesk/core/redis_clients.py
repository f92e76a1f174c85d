"""Redis clients that live as long as the process: the cache backend and the realtime publisher.

Django's `RedisCache` builds a new `redis.Redis` client for every cache operation (each copies ~170
response callbacks into a fresh dict), and under ASGI a new backend, with a new connection pool, for
every request; a rate-limited request makes two to four operations. The clients here are built once
per server and process and reused; `redis.Redis` and its pool are safe to share between threads.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# Shared by every cache backend instance of the process: under ASGI Django builds the backend anew
# for each request (its connections are context-local), and with it a new connection pool, which
# would mean a new TCP connection to Redis per request.
_cache_clients: dict[tuple[Any, ...], Any] = {}
_cache_clients_lock = threading.Lock()


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one `redis.Redis` (with its pool) per server and process, not one per operation."""

    def __init__(self, servers: Any, **options: Any) -> None:
        super().__init__(servers, **options)
        self._key = (tuple(servers), repr(sorted(options.items())))

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers (django/core/cache/backends/redis.py), which the stubs leave out.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = _cache_clients.get((*self._key, index))
        if client is None:
            with _cache_clients_lock:
                client = _cache_clients.get((*self._key, index))
                if client is None:
                    pool = self._get_connection_pool(index)  # type: ignore[attr-defined]
                    client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
                    _cache_clients[(*self._key, index)] = client
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
