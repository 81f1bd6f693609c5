"""Which symbols browsers are watching, kept in Redis with expiring entries.

Each open market socket holds an entry (its channel name) in a sorted set per symbol, scored by
when it expires; the consumer refreshes it as updates flow (the hub sends at least a heartbeat
every few seconds). The stream process keeps exactly one upstream subscription per symbol with
a live entry. Expiry rather than plain counters, so a web process that dies without running its
disconnect handlers cannot pin a subscription forever.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis
from django.conf import settings

from trading.market import keys

WATCHED_KEY = "desk:market:watched"  # set of symbols that may have watchers
WATCH_TTL_SECONDS = 90
REFRESH_EVERY_SECONDS = 30

_clients: dict[int, aioredis.Redis] = {}


def watch_key(symbol: str) -> str:
    return f"desk:market:watch:{symbol}"


def redis_client() -> aioredis.Redis:
    """One client per event loop: redis.asyncio connections are bound to the loop that made them."""
    loop_id = id(asyncio.get_running_loop())
    client = _clients.get(loop_id)
    if client is None:
        client = _clients[loop_id] = aioredis.Redis.from_url(settings.REDIS_URL)
    return client


async def watch(symbol: str, watcher: str, *, redis: aioredis.Redis | None = None) -> None:
    """Add or refresh ``watcher``'s entry for ``symbol``."""
    await watch_many(symbol, [watcher], redis=redis)


async def watch_many(
    symbol: str, watcher_ids: list[str], *, redis: aioredis.Redis | None = None
) -> None:
    r = redis or redis_client()
    expires = time.time() + WATCH_TTL_SECONDS
    async with r.pipeline(transaction=True) as pipe:
        pipe.zadd(watch_key(symbol), dict.fromkeys(watcher_ids, expires))
        pipe.sadd(WATCHED_KEY, symbol)
        await pipe.execute()


async def unwatch(symbol: str, watcher: str, *, redis: aioredis.Redis | None = None) -> None:
    await (redis or redis_client()).zrem(watch_key(symbol), watcher)


async def watched_symbols(redis: aioredis.Redis) -> set[str]:
    """Symbols with at least one unexpired watcher; expired entries are dropped on the way.

    Symbols stay in the WATCHED set once added (it is bounded by the symbols the exchange lists):
    removing an empty one would race a socket that registers at the same moment.
    """
    now = time.time()
    symbols = sorted(raw.decode() for raw in await redis.smembers(WATCHED_KEY))
    async with redis.pipeline(transaction=False) as pipe:
        for symbol in symbols:
            pipe.zremrangebyscore(watch_key(symbol), "-inf", now)
            pipe.zcard(watch_key(symbol))
        results = await pipe.execute()
    return {symbol for symbol, count in zip(symbols, results[1::2], strict=True) if count}


async def cached_messages(symbol: str, *, redis: aioredis.Redis | None = None) -> list[str]:
    """The last published book, trades, ticker and kline, so a new page shows data at once."""
    names = [keys.OVERVIEW_CACHE_KEY] if symbol == keys.OVERVIEW_WATCH else keys.cached_keys(symbol)
    values = await (redis or redis_client()).mget(names)
    return [m.decode() for m in values if m]
