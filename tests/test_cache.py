"""pollcrew.cache.PooledRedisCache: Django's Redis cache with one client per
connection pool. It must behave as Django's (get, set, add, incr across threads)
while making its client once. Needs Redis (as CI has)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache.backends.redis import RedisCache

from pollcrew.cache import PooledRedisCache
from tests.fakes.worker_process import redis_url_or_skip

KEYS = ("a", "n")


@pytest.fixture
def cache():
    # The keys of this test's own prefix only: the database may be CI's broker's.
    backend = PooledRedisCache(redis_url_or_skip(), {"KEY_PREFIX": "pc-cache-test"})
    backend.delete_many(KEYS)
    yield backend
    backend.delete_many(KEYS)
    for pool in backend._cache._pools.values():
        pool.disconnect()


def test_it_is_djangos_redis_cache_with_one_client(cache):
    assert isinstance(cache, RedisCache)
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.set("a", {"b": 1}, 30)
    assert cache.get("a") == {"b": 1}
    assert cache.add("a", 2, 30) is False
    assert cache.add("n", 1, 30) is True
    assert cache.incr("n") == 2


def test_counting_from_many_threads_loses_nothing(cache):
    cache.set("n", 0, 60)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _i: [cache.incr("n") for _ in range(100)], range(8)))
    assert cache.get("n") == 800
