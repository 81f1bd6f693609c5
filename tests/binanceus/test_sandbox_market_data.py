"""Market-data REST methods, stream event models and stream rollover against the sandbox."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, timedelta
from decimal import Decimal

import pytest

import binanceus as bu
from tests.support import exchange_client, start_sandbox, terminate


def ws_url(http_url: str) -> str:
    return "ws://" + http_url.split("://", 1)[1]


def trade_a_little(client: bu.Client, symbol: str = "BTCUSD", n: int = 2) -> None:
    for _ in range(n):
        client.new_order(symbol=symbol, side="BUY", type="MARKET", quantity=Decimal("0.001"))


def test_it_reads_historical_and_aggregate_trades(sandbox_url, trader):
    trade_a_little(trader, n=3)
    with pytest.raises(ValueError, match="api_key"):
        exchange_client(base_url=sandbox_url).historical_trades("BTCUSD")
    recent = trader.historical_trades("BTCUSD", limit=5)
    assert 1 <= len(recent) <= 5
    assert all(type(t.price) is Decimal and t.time.tzinfo is UTC for t in recent)
    first = recent[0].id
    page = trader.historical_trades("BTCUSD", from_id=first, limit=2)
    assert [t.id for t in page] == [first, first + 1][: len(page)]

    with exchange_client(base_url=sandbox_url) as public:  # aggTrades needs no key
        aggs = public.agg_trades("BTCUSD", limit=5)
        assert aggs and all(isinstance(a, bu.AggTrade) for a in aggs)
        a = aggs[-1]
        assert type(a.price) is Decimal and a.qty > 0 and a.time.tzinfo is UTC
        assert a.first_trade_id <= a.last_trade_id
        assert public.agg_trades("BTCUSD", from_id=a.id, limit=1)[0].id == a.id
        window = public.agg_trades(
            "BTCUSD", start_time=a.time - timedelta(seconds=1), end_time=a.time, limit=1000
        )
        assert a.id in {x.id for x in window}
        assert all(x.time <= a.time for x in window)
        with pytest.raises(ValueError):
            public.agg_trades("BTCUSD", from_id=1, start_time=a.time)


def test_it_reads_avg_price_book_ticker_and_tickers(sandbox_url, trader):
    trade_a_little(trader)
    with exchange_client(base_url=sandbox_url) as c:
        avg = c.avg_price("BTCUSD")
        assert isinstance(avg, bu.AvgPrice) and avg.mins == 5 and avg.price > 0

        one = c.book_ticker(symbol="BTCUSD")
        assert isinstance(one, bu.BookTicker) and one.symbol == "BTCUSD"
        assert type(one.bid_price) is Decimal and one.bid_price < one.ask_price
        two = c.book_ticker(symbols=["BTCUSD", "ETHUSD"])
        assert [t.symbol for t in two] == ["BTCUSD", "ETHUSD"]
        assert {t.symbol for t in c.book_ticker()} >= {"BTCUSD", "ETHUSD"}

        full = c.ticker_24hr(symbol="BTCUSD")
        assert isinstance(full, bu.Ticker24h) and full.count >= 2
        assert full.open_time < full.close_time and full.close_time.tzinfo is UTC
        assert type(full.last_price) is Decimal and full.bid_price is not None
        assert full.price_change_percent is not None and full.prev_close_price is not None
        assert full.close_time - full.open_time == timedelta(hours=24)
        mini = c.ticker_24hr(symbols=["BTCUSD", "ETHUSD"], type="MINI")
        assert [t.symbol for t in mini] == ["BTCUSD", "ETHUSD"]
        assert mini[0].bid_price is None and mini[0].price_change_percent is None
        assert {t.symbol for t in c.ticker_24hr()} >= {"BTCUSD", "ETHUSD"}

        rolling = c.ticker(symbol="BTCUSD", window_size="1h")
        assert isinstance(rolling, bu.Ticker24h) and rolling.symbol == "BTCUSD"
        assert rolling.open_time.second == 0 and rolling.open_time.microsecond == 0
        span = rolling.close_time - rolling.open_time
        assert timedelta(hours=1) <= span < timedelta(hours=1, minutes=1)
        assert rolling.count >= 2 and rolling.weighted_avg_price is not None
        many = c.ticker(symbols=["BTCUSD", "ETHUSD"], window_size="7d", type="MINI")
        assert [t.symbol for t in many] == ["BTCUSD", "ETHUSD"]
        assert many[0].weighted_avg_price is None
        with pytest.raises(ValueError):
            c.ticker()
        with pytest.raises(bu.ClientError):
            c.ticker(symbol="BTCUSD", window_size="1d2h")


def test_klines_honour_start_end_and_limit(sandbox_url, trader):
    trade_a_little(trader)
    with exchange_client(base_url=sandbox_url) as c:
        bars = c.klines("BTCUSD", "1m", limit=3)
        assert 1 <= len(bars) <= 3
        last = bars[-1]
        assert last.open_time.tzinfo is UTC and last.trades >= 1
        same = c.klines("BTCUSD", "1m", start_time=last.open_time, end_time=last.close_time)
        assert [b.open_time for b in same] == [last.open_time]
        later = c.klines("BTCUSD", "1m", start_time=last.close_time + timedelta(minutes=5))
        assert later == []


@pytest.mark.asyncio
async def test_stream_event_models_parse_sandbox_kline_ticker_and_mini_ticker_events(
    sandbox_url, trader
):
    names = ["btcusd@kline_1m", "btcusd@ticker", "btcusd@miniTicker", "btcusd@aggTrade"]
    seen: dict[str, dict] = {}
    async with bu.MarketStream(ws_url(sandbox_url), streams=names) as stream:
        # The sandbox subscribes a socket in the same step as it answers the handshake: no wait.
        await asyncio.to_thread(trade_a_little, trader)
        deadline = time.monotonic() + 10
        while len(seen) < len(names) and time.monotonic() < deadline:
            msg = await asyncio.wait_for(stream.__anext__(), 10)
            if isinstance(msg, bu.StreamMessage):
                seen.setdefault(msg.stream, msg.data)
    assert seen.keys() == set(names)
    kline = bu.Kline.from_stream(seen["btcusd@kline_1m"])
    assert kline.symbol == "BTCUSD" and kline.interval == "1m" and kline.is_closed is not None
    assert type(kline.close) is Decimal and kline.open_time < kline.close_time
    ticker = bu.Ticker24h.from_stream(seen["btcusd@ticker"])
    assert ticker.symbol == "BTCUSD" and ticker.event_time.tzinfo is UTC
    assert type(ticker.last_price) is Decimal and ticker.count >= 1
    mini = bu.MiniTicker.from_stream(seen["btcusd@miniTicker"])
    assert mini.symbol == "BTCUSD" and type(mini.close) is Decimal
    agg = bu.AggTrade.from_stream(seen["btcusd@aggTrade"])
    assert agg.symbol == "BTCUSD" and agg.qty > 0


@pytest.fixture(scope="module")
def short_lived_sandbox():
    """A sandbox that closes every WebSocket connection 2 s after it opened."""
    proc, base = start_sandbox("--ws-max-age-s", "2")
    yield base
    terminate(proc)


def make_trades_forever(base: str, account: dict, stop: asyncio.Event):
    async def run() -> None:
        with exchange_client(
            account["apiKey"], account["secretKey"], base_url=base, timeout=5
        ) as c:
            while not stop.is_set():
                await asyncio.to_thread(trade_a_little, c, "BTCUSD", 1)
                await asyncio.sleep(0.05)

    return asyncio.create_task(run())


def fresh_account(base: str) -> dict:
    import requests

    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": f"roll-{time.monotonic_ns()}@example.test", "balances": {"USD": "100000"}},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


async def collect(stream, seconds: float) -> list:
    out, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(await asyncio.wait_for(stream.__anext__(), left))
        except TimeoutError:
            break
    return out


@pytest.mark.asyncio
async def test_it_rolls_over_before_the_sandbox_closes_the_connection(short_lived_sandbox):
    base = short_lived_sandbox
    stop = asyncio.Event()
    feeder = make_trades_forever(base, fresh_account(base), stop)
    try:
        async with bu.MarketStream(
            ws_url(base), streams=["btcusd@trade"], rollover_after=1.0, overlap_timeout=0.8
        ) as stream:
            items = await collect(stream, 4.5)
            stats = stream.stats()
    finally:
        stop.set()
        await feeder
    assert not [i for i in items if isinstance(i, bu.Reconnected)]
    ids = [i.data["t"] for i in items]
    assert len(ids) > 10 and ids == list(range(ids[0], ids[0] + len(ids)))  # no gap, no dup
    assert stats.rollovers >= 3 and stats.reconnects == 0


@pytest.mark.asyncio
async def test_without_rollover_the_sandbox_close_yields_reconnected(short_lived_sandbox):
    async with bu.MarketStream(
        ws_url(short_lived_sandbox),
        streams=["btcusd@trade"],
        rollover_after=None,
        min_backoff=0.05,
        max_backoff=0.1,
    ) as stream:
        items = await collect(stream, 2.8)
        assert any(isinstance(i, bu.Reconnected) for i in items)
        assert stream.stats().reconnects >= 1 and stream.connected
