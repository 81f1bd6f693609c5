"""Django's Redis cache with one connection pool per process.

Django keeps its cache objects per context, and under ASGI every request runs in a context of
its own: each request made a new ``RedisCache``, so a new connection pool, and the first cache
read of every page or order paid for a TCP connect and redis-py's handshake (two more round
trips) before its own command (py-spy on daphne: most of the time of cache reads went to
connecting). Here the client, and so its pools, is shared
by every cache object of the same servers and options; redis-py's pool is thread-safe, checks
a pooled connection before handing it out (a restarted Redis is reconnected, not an error),
and starts afresh in a forked child.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
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
