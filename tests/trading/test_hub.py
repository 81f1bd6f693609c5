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
from tests.support import until_async
from trading.market import hub as hub_module
from trading.market import watchers
from trading.market.hub import MarketHub
from trading.market.keys import book_cache_key, cache_key, cached_keys, market_group
from trading.market.watchers import WATCHED_KEY, redis_client, watch_key

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


async def _forget_watchers(redis):
    for raw in await redis.smembers(WATCHED_KEY):
        await redis.delete(watch_key(raw.decode()))
    await redis.delete(WATCHED_KEY)


class _CountingHub(MarketHub):
    reconciles = 0

    async def reconcile(self) -> None:
        await super().reconcile()
        self.reconciles += 1


async def _reconciled_from_now(hub: _CountingHub) -> None:
    """Until a reconcile that began after this call has finished: one already under way may
    have read the watchers before the test changed them."""
    done = hub.reconciles
    await until_async(
        lambda: hub.reconciles >= done + 2, message="a reconcile of the watchers as they are now"
    )


@contextlib.asynccontextmanager
async def running_hub(symbols, precisions=None):
    redis = redis_client()
    await _forget_watchers(redis)
    for s in symbols:
        await watchers.watch(s, "test-page", redis=redis)
    client = market_client()
    hub = _CountingHub(
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


async def test_it_publishes_a_live_book_and_trades(use_sandbox):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]):
        book = await _receive(layer, channel, "book")
        trades = await _receive(layer, channel, "trades")
    assert 20 <= len(book["bids"]) <= settings.DESK_BOOK_DEPTH
    assert 20 <= len(book["asks"]) <= settings.DESK_BOOK_DEPTH
    bid_prices = [Decimal(p) for p, _ in book["bids"]]
    ask_prices = [Decimal(p) for p, _ in book["asks"]]
    assert bid_prices == sorted(bid_prices, reverse=True)
    assert ask_prices == sorted(ask_prices)
    assert bid_prices[0] < ask_prices[0]
    assert trades["trades"] and {"id", "price", "qty", "time"} <= trades["trades"][0].keys()
    cached = await redis_client().get(book_cache_key("BTCUSD"))
    assert orjson.loads(cached)["symbol"] == "BTCUSD"


async def test_it_resyncs_after_a_sequence_gap(use_sandbox):
    """Lose one real diff on the way in: the next one no longer continues the sequence."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]) as hub:
        await _receive(layer, channel, "book")
        feed = hub.feeds["BTCUSD"]
        real_handle, lost = hub.handle, []

        async def lossy_handle(feed, stream, data):
            if "@depth" in stream and not lost:
                lost.append(data["u"])
                return
            await real_handle(feed, stream, data)

        hub.handle = lossy_handle
        gaps_before = feed.book.gaps
        states = []
        async with asyncio.timeout(10):
            while not (states and states[-1] == "live" and "resyncing" in states):
                message = orjson.loads((await layer.receive(channel))["text"])
                if message["type"] == "book" and lost:
                    states.append(message["state"])
        assert feed.book.gaps == gaps_before + 1
        assert feed.book.book.last_update_id > lost[0]
        bids = [Decimal(p) for p, _ in message["bids"]]
        asks = [Decimal(p) for p, _ in message["asks"]]
        assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
        assert bids[0] < asks[0]


async def test_it_follows_watchers_up_and_down(use_sandbox):
    redis = redis_client()
    async with running_hub([]) as hub:
        await _reconciled_from_now(hub)
        assert hub.feeds == {}
        await watchers.watch("ETHUSDT", "page-1", redis=redis)
        await until_async(
            lambda: "ethusdt@depth@100ms" in hub.stream.subscriptions,
            message="the hub to subscribe to ETHUSDT",
        )
        assert set(hub.feeds) == {"ETHUSDT"}
        await watchers.unwatch("ETHUSDT", "page-1", redis=redis)
        # Feeds are dropped once the unsubscribe is answered.
        await until_async(lambda: hub.feeds == {}, message="the hub to drop ETHUSDT")
        assert "ethusdt@depth@100ms" not in hub.stream.subscriptions


async def test_it_ignores_symbols_the_exchange_does_not_list(use_sandbox):
    async with running_hub(
        ["NOPEUSD", "BTCUSD"], precisions={"BTCUSD": {"price": 2, "qty": 5}}
    ) as hub:
        # One reconcile subscribes every symbol it adds at once.
        await until_async(
            lambda: hub.stream is not None and "btcusd@depth@100ms" in hub.stream.subscriptions,
            message="the hub to subscribe to BTCUSD",
        )
        assert set(hub.feeds) == {"BTCUSD"}
        assert not any(s.startswith("nopeusd") for s in hub.stream.subscriptions)


async def test_it_drops_watchers_whose_entries_expired(use_sandbox):
    """A web process that died without disconnect handlers must not pin a subscription."""
    redis = redis_client()
    async with running_hub([]) as hub:
        await redis.zadd(watch_key("SOLUSD"), {"dead-page": time.time() - 1})
        await redis.sadd(WATCHED_KEY, "SOLUSD")
        await _reconciled_from_now(hub)
        assert hub.feeds == {}
        assert await redis.zcard(watch_key("SOLUSD")) == 0


async def test_it_publishes_the_24h_ticker_and_1m_klines(use_sandbox):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]):
        ticker = await _receive(layer, channel, "ticker")
        kline = await _receive(layer, channel, "kline")
    assert Decimal(ticker["lastPrice"]) > 0 and "priceChangePercent" in ticker
    assert kline["interval"] == "1m" and kline["t"] % 60_000 == 0
    assert Decimal(kline["l"]) <= Decimal(kline["c"]) <= Decimal(kline["h"])


async def test_it_feeds_the_overview_only_while_someone_watches_it(use_sandbox):
    from trading.market.keys import OVERVIEW_CACHE_KEY, OVERVIEW_GROUP, OVERVIEW_WATCH

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(OVERVIEW_GROUP, channel)
    async with running_hub([OVERVIEW_WATCH]) as hub:
        minis = await _receive(layer, channel, "miniTickers", timeout=15)
        assert "!miniTicker@arr" in hub.stream.subscriptions
        assert hub.feeds == {}  # the overview needs no books
        full = orjson.loads(await redis_client().get(OVERVIEW_CACHE_KEY))
    assert minis["tickers"] and {"symbol", "close", "open", "volume"} <= minis["tickers"][0].keys()
    assert full["reset"] is True and len(full["tickers"]) >= len(minis["tickers"])


async def test_it_reports_health(use_sandbox):
    from trading.market.keys import HEALTH_INDEX_KEY, health_key

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with running_hub(["BTCUSD"]) as hub:
        await _receive(layer, channel, "book")
        await hub.write_health()
        report = orjson.loads(await redis_client().get(health_key("local")))
        assert await redis_client().zscore(HEALTH_INDEX_KEY, "local") > time.time()
        # Gone within seconds once the process stops rewriting it (a SIGKILL).
        assert 0 < await redis_client().ttl(health_key("local")) <= 5
    assert report["upstream"][0]["connected"] is True
    assert report["upstream"][0]["subscriptions"] == 4
    assert report["streams"] == sorted(
        ["btcusd@depth@100ms", "btcusd@trade", "btcusd@ticker", "btcusd@kline_1m"]
    )
    [btc] = report["symbols"]
    assert btc["symbol"] == "BTCUSD" and btc["state"] == "live" and btc["snapshots"] >= 1


class _Clock:
    """The hub's clock, moved by the test: what is under test is the one-second window, not
    how fast a loaded machine gets through thirty sends."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


async def test_it_sends_at_most_ten_books_a_second_without_delaying_a_steady_feed(
    use_sandbox, monkeypatch
):
    import binanceus
    from trading.market.hub import SymbolFeed

    clock = _Clock()
    monkeypatch.setattr(hub_module, "time", clock)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("ETHBTC"), channel)
    hub = MarketHub(
        ws_url="ws://unused", fetch_snapshot=None, redis=redis_client(), channel_layer=layer
    )
    feed = SymbolFeed("ETHBTC", binanceus.LocalOrderBook("ETHBTC", None))

    # A burst of 30 updates in 0.3 s: ten go out, the rest wait for the window.
    for _ in range(30):
        feed.book_dirty = True
        await hub._send_book_if_due(feed)
        clock.now += 0.01
    assert len(feed.book_sends) == 10 and feed.book_dirty
    clock.now += 1.0
    # A steady 10/s feed with jitter (95 ms apart): every update goes out at once.
    feed.book_sends.clear()
    for _ in range(9):
        feed.book_dirty = True
        await hub._send_book_if_due(feed)
        assert feed.book_dirty is False
        clock.now += 0.095
    async with asyncio.timeout(10):
        for _ in range(19):
            await layer.receive(channel)
    # Every send above was awaited: a twentieth would be waiting already.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await layer.receive(channel)


# --- pages opening and closing while the hub publishes -------------------------------------------
# The hub's tasks share its dicts and take turns at every await. These tests run the exact
# interleaving the stream process met (issue 17, item 12): another task's work lands while
# `publish` awaits a send, driven through the hub's own API instead of left to timing.

TICKER_EVENT = {
    "e": "24hrTicker",
    "E": 1_700_000_000_000,
    "c": "101.5",
    "p": "1.5",
    "P": "1.5",
    "o": "100",
    "h": "102",
    "l": "99",
    "v": "12",
    "q": "1218",
}
KLINE_EVENT = {
    "e": "kline",
    "E": 1_700_000_000_000,
    "k": {
        "i": "1m",
        "t": 1_699_999_980_000,
        "o": "100",
        "h": "102",
        "l": "99",
        "c": "101.5",
        "v": "12",
        "x": False,
    },
}


class _LayerWithATurnBetween:
    """The real channel layer, except that the first send of ``event_type`` to ``group``
    first lets ``meanwhile`` run: what the hub's other tasks may do whenever ``publish``
    awaits a send."""

    def __init__(self, layer, *, group, event_type, meanwhile):
        self.layer, self.group, self.event_type = layer, group, event_type
        self.meanwhile = meanwhile

    async def group_send(self, group, message):
        if (group, message["type"]) == (self.group, self.event_type) and self.meanwhile:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        await self.layer.group_send(group, message)


@contextlib.asynccontextmanager
async def watched_hub(pages: dict[str, str]):
    """A hub whose watchers ({symbol: page}) and upstream subscriptions are real, with nothing
    consuming the upstream: the test feeds it events through ``dispatch`` and publishes."""
    import binanceus

    redis = redis_client()
    await _forget_watchers(redis)
    for symbol, page in pages.items():
        await watchers.watch(symbol, page, redis=redis)
    hub = MarketHub(
        ws_url=market_ws_url(), fetch_snapshot=None, redis=redis, channel_layer=get_channel_layer()
    )
    try:
        async with binanceus.MarketStreamPool(market_ws_url()) as pool:
            hub.stream = pool
            await hub.reconcile()
            yield hub, redis
    finally:
        await _forget_watchers(redis)


async def _receive_types(layer, channel, n: int) -> list[str]:
    async with asyncio.timeout(10):
        return [orjson.loads((await layer.receive(channel))["text"])["type"] for _ in range(n)]


async def test_it_publishes_while_a_just_opened_feed_gets_its_first_kline(use_sandbox):
    """A page has just opened: its ticker is pending, and the first kline arrives while
    publish is sending that ticker. That grew the dict publish was iterating."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    async with watched_hub({"BTCUSD": "page-1"}) as (hub, _redis):
        await hub.dispatch("btcusd@ticker", TICKER_EVENT)

        async def kline_arrives():
            await hub.dispatch("btcusd@kline_1m", KLINE_EVENT)

        hub.layer = _LayerWithATurnBetween(
            layer, group=market_group("BTCUSD"), event_type="market.ticker", meanwhile=kline_arrives
        )
        await hub.publish()  # was: RuntimeError: dictionary changed size during iteration
        await hub.publish()
        sent = await _receive_types(layer, channel, 3)
    assert sorted(sent) == ["book", "kline", "ticker"]  # the kline is not lost either


@pytest.mark.parametrize("closing", ["the-next-feed", "the-feed-being-sent"])
async def test_it_leaves_no_cache_for_a_page_closed_while_publishing(use_sandbox, closing):
    """Two pages are open; one closes while publish is sending the first feed's book (the
    next feed in the loop, or that very feed). The closed symbol's cache stays empty: a page
    opening later must not be shown its last messages as live."""
    layer = get_channel_layer()
    pages = {"BTCUSD": "page-1", "ETHUSD": "page-2"}
    async with watched_hub(pages) as (hub, redis):
        first, second = list(hub.feeds)
        for symbol in (first, second):
            await hub.dispatch(f"{symbol.lower()}@ticker", TICKER_EVENT)
        closed, kept = (second, first) if closing == "the-next-feed" else (first, second)

        async def page_closes():
            await watchers.unwatch(closed, pages[closed], redis=redis)
            await hub.reconcile()

        hub.layer = _LayerWithATurnBetween(
            layer, group=market_group(first), event_type="market.book", meanwhile=page_closes
        )
        await hub.publish()
        assert set(hub.feeds) == {kept}
        assert await redis.exists(*cached_keys(closed)) == 0
        assert await redis.exists(cache_key(kept, "ticker")) == 1
