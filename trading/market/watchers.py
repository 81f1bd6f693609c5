"""Reference counts of the symbols browsers watch, kept in Redis.

Consumers (in daphne) count up on connect and down on disconnect; the stream process reads the
counts and keeps exactly one upstream subscription per watched symbol. Redis rather than process
memory, so a restart of either side does not lose the other's state.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from django.conf import settings

from trading.market.keys import WATCHERS_KEY, book_cache_key, trades_cache_key

_clients: dict[int, aioredis.Redis] = {}


def redis_client() -> aioredis.Redis:
    """One client per event loop: redis.asyncio connections are bound to the loop that made them."""
    loop_id = id(asyncio.get_running_loop())
    client = _clients.get(loop_id)
    if client is None:
        client = _clients[loop_id] = aioredis.Redis.from_url(settings.REDIS_URL)
    return client


async def watch(symbol: str) -> None:
    await redis_client().hincrby(WATCHERS_KEY, symbol, 1)


async def unwatch(symbol: str) -> None:
    r = redis_client()
    if await r.hincrby(WATCHERS_KEY, symbol, -1) <= 0:
        await r.hdel(WATCHERS_KEY, symbol)


async def cached_messages(symbol: str) -> list[str]:
    """The last published book and trades, so a new page shows data before the next update."""
    book, trades = await redis_client().mget(book_cache_key(symbol), trades_cache_key(symbol))
    return [m.decode() for m in (book, trades) if m]
