"""Django's Redis cache, with one Redis client per connection pool instead of a
new one for every cache call.

Django's ``RedisCacheClient.get_client`` makes a fresh ``redis.Redis`` for each
operation; building one (its table of response callbacks) costs about as much
as the round trip to Redis, and every volunteer page makes a few (the per-sender
limits). A ``redis.Redis`` is thread-safe and holds no connection of its own
(it borrows one from the pool per command), so one per pool serves every thread
of a process. Settings use it when CACHE_URL is a Redis URL.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
