"""Django's Redis cache with one connection pool per process.

Django keeps its cache objects per context, and under ASGI every request runs in a context of
its own: each request made a new ``RedisCache``, so a new connection pool, and the first cache
read of every page or order paid for a TCP connect and redis-py's handshake (two more round
trips) before its own command (py-spy on daphne: most of the time of cache reads went to
connecting). Here the client, and so its pools, is shared
by every cache object of the same servers and options; redis-py's pool is thread-safe, checks
a pooled connection before handing it out (a restarted Redis is reconnected, not an error),
and starts afresh in a forked child.

Django's client also builds a new ``redis.Redis`` around the pool for every command, and
redis-py's constructor fills its table of ~80 reply callbacks each time: about 0.1 ms per cache
read (cProfile of the order ticket's form, whose symbol check reads the cache). A ``redis.Redis``
over a pool keeps no state of its own between commands and is thread-safe, so one per pool is
kept.
"""

from __future__ import annotations

import threading

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_lock = threading.Lock()


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._redis_by_pool: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False) -> redis.Redis:
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            client = self._redis_by_pool[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # The key prefix, version and timeout are the cache object's own, not the client's:
        # caches differing only in those share connections.
        key = repr((self._servers, sorted(self._options.items(), key=lambda kv: kv[0])))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
