"""desk.cache.RedisCache: one connection pool per process, whatever the context."""

import asyncio

import redis
from django.conf import settings
from django.core.cache import cache

from desk.cache import RedisCache


def _cache(prefix: str) -> RedisCache:
    location = settings.CACHES["default"]["LOCATION"]
    return RedisCache(location, {"KEY_PREFIX": prefix})


def test_caches_of_the_same_redis_share_connections_and_keep_their_own_keys():
    one, two = _cache("desk-cache-one"), _cache("desk-cache-two")
    one.set("k", "first", 30)
    two.set("k", "second", 30)
    assert (one.get("k"), two.get("k")) == ("first", "second")
    assert one._cache is two._cache  # a new cache object (a new request) connects no more


def test_commands_reuse_one_client_around_the_pool():
    """Django's client wraps the pool in a new redis.Redis for every command (0.1 ms each)."""
    one, two = _cache("desk-cache-one"), _cache("desk-cache-two")
    client = one._cache.get_client()
    assert one.get("absent") is None and two.get_many(["a", "b"]) == {}
    assert two._cache.get_client(write=True) is client
    assert client.connection_pool is one._cache._get_connection_pool(False)


def test_each_asgi_request_gets_the_same_pool():
    """Under ASGI each request has a context of its own, and with it a cache object of its own
    (Django keeps them per context): the pool is the process's."""

    async def one_request() -> int:
        return id(await asyncio.to_thread(lambda: cache._cache._get_connection_pool(False)))

    async def two_requests() -> set[int]:
        return set(await asyncio.gather(one_request(), one_request()))

    assert len(asyncio.run(two_requests())) == 1


def test_a_dropped_connection_is_replaced_not_an_error():
    mine = _cache("desk-cache-drop")
    mine.set("k", "kept", 30)
    pooled = mine._cache.get_client().client_id()  # the pool's idle connection, used again
    other = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    other.client_kill_filter(_id=pooled)  # as a Redis restart drops it
    assert mine.get("k") == "kept"
    assert mine._cache.get_client().client_id() != pooled
