"""pollcrew.cache.PooledRedisCache: Django's Redis cache with one client per
connection pool. It must behave as Django's (get, set, add, incr across threads)
while making its client once. Needs Redis (as CI has); skipped without it."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache.backends.redis import RedisCache

from pollcrew.cache import PooledRedisCache


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")


@pytest.fixture
def cache():
    backend = PooledRedisCache("redis://127.0.0.1:6379/12", {"KEY_PREFIX": "pc-cache-test"})
    backend.clear()
    yield backend
    backend.clear()
    for pool in backend._cache._pools.values():
        pool.disconnect()


def test_it_is_djangos_redis_cache_with_one_client(cache):
    assert isinstance(cache, RedisCache)
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.set("a", {"b": 1}, 30)
    assert cache.get("a") == {"b": 1}
    assert cache.add("a", 2, 30) is False
    assert cache.incr(cache.add("n", 1, 30) and "n") == 2


def test_counting_from_many_threads_loses_nothing(cache):
    cache.set("n", 0, 60)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _i: [cache.incr("n") for _ in range(100)], range(8)))
    assert cache.get("n") == 800
