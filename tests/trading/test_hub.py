"""The stream process's hub against the real sandbox, real Redis and the real channel layer."""

import asyncio
import contextlib
import time
from decimal import Decimal

import orjson
import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from accounts.exchange import market_client, market_ws_url
from trading.market import watchers
from trading.market.hub import MarketHub
from trading.market.keys import book_cache_key, market_group
from trading.market.watchers import WATCHED_KEY, redis_client, watch_key

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


async def _forget_watchers(redis):
    for raw in await redis.smembers(WATCHED_KEY):
        await redis.delete(watch_key(raw.decode()))
    await redis.delete(WATCHED_KEY)


@contextlib.asynccontextmanager
async def running_hub(symbols, precisions=None):
    redis = redis_client()
    await _forget_watchers(redis)
    for s in symbols:
        await watchers.watch(s, "test-page", redis=redis)
    client = market_client()
    hub = MarketHub(
        ws_url=market_ws_url(),
        fetch_snapshot=lambda s: asyncio.to_thread(client.depth, s, limit=1000),
        redis=redis,
        channel_layer=get_channel_layer(),
        precisions=precisions,
        depth=settings.DESK_BOOK_DEPTH,
    )
    task = asyncio.create_task(hub.run())
    try:
        yield hub
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await _forget_watchers(redis)


async def _receive(layer, channel, kind, timeout=10):
    async with asyncio.timeout(timeout):
        while True:
            event = await layer.receive(channel)
            message = orjson.loads(event["text"])
            if message["type"] == kind and (kind != "book" or message["state"] == "live"):
                return message


async def test_it_publishes_a_live_top_20_book_and_trades(use_sandbox):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]):
        book = await _receive(layer, channel, "book")
        trades = await _receive(layer, channel, "trades")
    assert len(book["bids"]) == 20 and len(book["asks"]) == 20
    bid_prices = [Decimal(p) for p, _ in book["bids"]]
    ask_prices = [Decimal(p) for p, _ in book["asks"]]
    assert bid_prices == sorted(bid_prices, reverse=True)
    assert ask_prices == sorted(ask_prices)
    assert bid_prices[0] < ask_prices[0]
    assert trades["trades"] and {"id", "price", "qty", "time"} <= trades["trades"][0].keys()
    cached = await redis_client().get(book_cache_key("BTCUSD"))
    assert orjson.loads(cached)["symbol"] == "BTCUSD"


async def test_it_resyncs_after_a_sequence_gap(use_sandbox):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]) as hub:
        await _receive(layer, channel, "book")
        feed = hub.feeds["BTCUSD"]
        last = feed.book.book.last_update_id
        gap = {
            "e": "depthUpdate",
            "E": 0,
            "s": "BTCUSD",
            "U": last + 5,
            "u": last + 6,
            "b": [["1", "1"]],
            "a": [],
        }
        await hub.handle(feed, "btcusd@depth@100ms", gap)
        assert feed.book.state == "resyncing"
        states = []
        async with asyncio.timeout(10):
            while not states or states[-1] != "live":
                event = await layer.receive(channel)
                message = orjson.loads(event["text"])
                if message["type"] == "book":
                    states.append(message["state"])
                    if message["state"] == "live":
                        # The bogus level from the gapped event must not survive the resync.
                        assert ["1", "1"] not in message["bids"]
    assert "resyncing" in states


async def test_it_follows_watchers_up_and_down(use_sandbox):
    redis = redis_client()
    async with running_hub([]) as hub:
        await asyncio.sleep(0.7)
        assert hub.feeds == {}
        await watchers.watch("ETHUSDT", "page-1", redis=redis)
        await asyncio.sleep(1.2)
        assert set(hub.feeds) == {"ETHUSDT"}
        assert "ethusdt@depth@100ms" in hub.stream.subscriptions
        await watchers.unwatch("ETHUSDT", "page-1", redis=redis)
        await asyncio.sleep(1.2)
        assert hub.feeds == {}
        assert "ethusdt@depth@100ms" not in hub.stream.subscriptions


async def test_it_ignores_symbols_the_exchange_does_not_list(use_sandbox):
    async with running_hub(
        ["NOPEUSD", "BTCUSD"], precisions={"BTCUSD": {"price": 2, "qty": 5}}
    ) as hub:
        await asyncio.sleep(1.0)
        assert set(hub.feeds) == {"BTCUSD"}
        assert not any(s.startswith("nopeusd") for s in hub.stream.subscriptions)


async def test_it_drops_watchers_whose_entries_expired(use_sandbox):
    """A web process that died without disconnect handlers must not pin a subscription."""
    redis = redis_client()
    async with running_hub([]) as hub:
        await redis.zadd(watch_key("SOLUSD"), {"dead-page": time.time() - 1})
        await redis.sadd(WATCHED_KEY, "SOLUSD")
        await asyncio.sleep(1.2)
        assert hub.feeds == {}
        assert not await redis.sismember(WATCHED_KEY, "SOLUSD")
