"""The synthetic price history a sandbox opens with (--history-days): days of klines, and every
market-data view of them agreeing with the trades they are made of.

Expected figures come from the spec's definitions: a kline is the open, high, low, close and
summed quantities of the trades with open time <= time <= close time; an aggregate trade is
trades at one price, ids f..l; the 24 h ticker covers the trades in [openTime, closeTime].
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from sandbox.klines import INTERVALS, KlineStore
from sandbox.matching import SymbolBook
from sandbox.price_history import fill
from sandbox.symbols import SYMBOLS
from tests.sandbox.sandbox_support import new_account, start, stop

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
SEED = 5
EIGHT_DP = Decimal("0.00000001")
LIMIT = 1000  # the most rows a market-data request returns


def get(base: str, path: str, *, key: str | None = None, **params: object) -> object:
    headers = {"X-MBX-APIKEY": key} if key else None  # historicalTrades wants an API key
    resp = requests.get(base + path, params=params, headers=headers, timeout=5)
    resp.raise_for_status()
    return resp.json()


def api_key(base: str) -> str:
    return new_account(base)["apiKey"]


@pytest.fixture(scope="module")
def history() -> Iterator[tuple[str, int, int]]:
    """A quiet sandbox with three days of history: (base URL, ms before launch, ms when ready).
    No market flow, so what the history left is all there is."""
    launched = int(time.time() * 1000)
    proc, base = start("--tick-ms", "0", "--history-days", "3", seed=SEED)
    yield base, launched, int(time.time() * 1000)
    stop(proc)


def test_it_opens_with_three_days_of_klines_ending_at_the_starting_price(history) -> None:
    base, launched, ready = history
    first = get(base, "/api/v3/klines", symbol="ETHUSD", interval="1m", startTime=0, limit=1)[0]
    # Three days of whole minutes up to the minute the sandbox started in.
    assert launched - launched % MINUTE - 3 * DAY <= first[0] <= ready - 3 * DAY
    hours = get(base, "/api/v3/klines", symbol="ETHUSD", interval="1h", startTime=first[0])
    assert 72 <= len(hours) <= 73
    assert [b[0] for b in hours] == [hours[0][0] + i * HOUR for i in range(len(hours))]
    assert all(int(b[8]) > 0 and Decimal(b[5]) > 0 for b in hours)
    for symbol, spec in SYMBOLS.items():
        last = get(base, "/api/v3/klines", symbol=symbol, interval="1m", limit=1)[0]
        assert Decimal(last[4]) == spec.start_mid, symbol
        assert last[0] < ready  # nothing printed after the start: the market flow is off
        book = get(base, "/api/v3/depth", symbol=symbol, limit=1)
        # The makers' first quotes sit around the last price, so live trading carries on.
        mid = (Decimal(book["bids"][0][0]) + Decimal(book["asks"][0][0])) / 2
        assert mid == Decimal(last[4]), symbol


def test_it_moves_the_price_over_the_days(history) -> None:
    base, _, _ = history
    days = get(base, "/api/v3/klines", symbol="BTCUSD", interval="1d")
    start = SYMBOLS["BTCUSD"].start_mid
    highs = [Decimal(d[2]) for d in days]
    lows = [Decimal(d[3]) for d in days]
    # A walk, not a line: each day has a range, and the days are not all alike.
    assert all(h > low for h, low in zip(highs, lows, strict=True))
    assert len(set(highs)) == len(highs)
    # ...and it stays a plausible market around the starting price.
    assert start / 2 < min(lows) and max(highs) < start * 2


def _expected_bar(aggs: list[dict]) -> list:
    """A kline's fields from its aggregate trades: open, high, low, close, volume, quote
    volume, number of trades, taker buy base and quote volumes (m false: the buyer took)."""
    prices = [Decimal(a["p"]) for a in aggs]
    quote = [Decimal(a["p"]) * Decimal(a["q"]) for a in aggs]
    taker = [a for a in aggs if not a["m"]]
    return [
        prices[0],
        max(prices),
        min(prices),
        prices[-1],
        sum(Decimal(a["q"]) for a in aggs),
        sum(quote),
        sum(a["l"] - a["f"] + 1 for a in aggs),
        sum(Decimal(a["q"]) for a in taker),
        sum(Decimal(a["p"]) * Decimal(a["q"]) for a in taker),
    ]


def _bar_fields(row: list) -> list:
    return [*(Decimal(v) for v in row[1:6]), Decimal(row[7]), row[8], *map(Decimal, row[9:11])]


@pytest.mark.parametrize("interval", ["1m", "5m", "15m"])
def test_it_builds_each_kline_of_a_past_window_from_its_trades(history, interval) -> None:
    base, launched, _ = history
    # A 45-minute window of whole quarter hours a day and a half back.
    start = launched - 36 * HOUR
    start -= start % (15 * MINUTE)
    end = start + 45 * MINUTE - 1
    aggs = get(base, "/api/v3/aggTrades", symbol="SOLUSD", startTime=start, endTime=end, limit=1000)
    bars = get(base, "/api/v3/klines", symbol="SOLUSD", interval=interval, startTime=start)
    bars = [b for b in bars if b[0] <= end]
    size = {"1m": MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE}[interval]
    assert [b[0] for b in bars] == list(range(start, end, size))
    for bar in bars:
        assert bar[6] == bar[0] + size - 1
        inside = [a for a in aggs if bar[0] <= a["T"] <= bar[6]]
        assert _bar_fields(bar) == _expected_bar(inside)


def test_it_agrees_with_the_individual_trades_of_a_window(history) -> None:
    base, launched, _ = history
    start = launched - 50 * HOUR
    start -= start % HOUR
    aggs = get(base, "/api/v3/aggTrades", symbol="ETHBTC", startTime=start, endTime=start + HOUR)
    first, last = aggs[0]["f"], aggs[-1]["l"]
    trades = get(
        base,
        "/api/v3/historicalTrades",
        key=api_key(base),
        symbol="ETHBTC",
        fromId=first,
        limit=1000,
    )
    trades = [t for t in trades if t["id"] <= last]
    assert [t["id"] for t in trades] == list(range(first, last + 1))  # no trade missing
    assert [(t["price"], t["qty"], t["time"], t["isBuyerMaker"]) for t in trades] == [
        (a["p"], a["q"], a["T"], a["m"]) for a in aggs
    ]
    for t in trades:  # quoteQty is price times quantity, shown to 8 decimals
        assert abs(Decimal(t["quoteQty"]) - Decimal(t["price"]) * Decimal(t["qty"])) < EIGHT_DP
    hour = get(base, "/api/v3/klines", symbol="ETHBTC", interval="1h", startTime=start, limit=1)
    assert hour[0][8] == len([t for t in trades if t["time"] < start + HOUR])


def test_it_keeps_prices_and_quantities_on_the_symbol_filters(history) -> None:
    base, _, _ = history
    for symbol, spec in SYMBOLS.items():
        for t in get(base, "/api/v3/trades", symbol=symbol, limit=1000):
            price, qty = Decimal(t["price"]), Decimal(t["qty"])
            assert price % spec.tick == 0 and spec.min_price <= price <= spec.max_price, t
            assert qty % spec.step == 0 and qty >= spec.min_qty, t
            assert price * qty >= spec.min_notional, t


def test_it_reports_the_last_day_in_the_24_hour_ticker(history) -> None:
    base, _, _ = history
    ticker = get(base, "/api/v3/ticker/24hr", symbol="BTCUSDT")
    assert Decimal(ticker["lastPrice"]) == SYMBOLS["BTCUSDT"].start_mid
    assert ticker["closeTime"] - ticker["openTime"] == DAY
    newest = get(base, "/api/v3/trades", symbol="BTCUSDT", limit=1)[0]
    assert ticker["lastId"] == newest["id"]
    assert ticker["count"] == ticker["lastId"] - ticker["firstId"] + 1
    # The window starts at its first trade: the one before it is older than openTime.
    edge = get(
        base,
        "/api/v3/historicalTrades",
        key=api_key(base),
        symbol="BTCUSDT",
        fromId=ticker["firstId"] - 1,
    )
    assert edge[0]["time"] < ticker["openTime"] <= edge[1]["time"]
    assert Decimal(ticker["openPrice"]) == Decimal(edge[1]["price"])
    # The rolling day (whole minutes) is the sum of its 1-minute klines.
    rolling = get(base, "/api/v3/ticker", symbol="BTCUSDT", windowSize="1d")
    minutes = _klines_since(base, "BTCUSDT", rolling["openTime"])
    assert rolling["count"] == sum(m[8] for m in minutes)
    assert Decimal(rolling["volume"]) == sum(Decimal(m[5]) for m in minutes)
    assert Decimal(rolling["highPrice"]) == max(Decimal(m[2]) for m in minutes)
    assert Decimal(rolling["lowPrice"]) == min(Decimal(m[3]) for m in minutes)
    assert Decimal(rolling["openPrice"]) == Decimal(minutes[0][1])


def _klines_since(base: str, symbol: str, start: int) -> list[list]:
    rows: list[list] = []
    while True:
        page = get(
            base, "/api/v3/klines", symbol=symbol, interval="1m", startTime=start, limit=1000
        )
        rows += page
        if len(page) < LIMIT:
            return rows
        start = page[-1][0] + MINUTE


def _fingerprint(base: str) -> list[tuple]:
    """What a seed decides: each recent trade's id, price, quantity, side and millisecond in
    its minute, and the 1-minute klines' figures (their times follow the start minute)."""
    trades = get(base, "/api/v3/trades", symbol="SOLUSD", limit=1000)
    bars = get(base, "/api/v3/klines", symbol="ETHBTC", interval="1m", limit=1000)
    return [
        *((t["id"], t["price"], t["qty"], t["isBuyerMaker"], t["time"] % MINUTE) for t in trades),
        *(tuple(b[1:6]) + tuple(b[7:11]) for b in bars),
    ]


def test_it_draws_the_same_history_from_the_same_seed(history) -> None:
    base, _, _ = history
    again, again_base = start("--tick-ms", "0", "--history-days", "3", seed=SEED)
    other, other_base = start("--tick-ms", "0", "--history-days", "3", seed=SEED + 1)
    try:
        assert _fingerprint(again_base) == _fingerprint(base)
        assert _fingerprint(other_base) != _fingerprint(base)
    finally:
        stop(again)
        stop(other)


def test_it_opens_with_an_empty_tape_without_the_option(private_url: str) -> None:
    # A quiet sandbox of this module's own that no test trades on: no history, no trades.
    assert get(private_url, "/api/v3/klines", symbol="ETHUSD", interval="1m", startTime=0) == []
    assert get(private_url, "/api/v3/trades", symbol="ETHUSD") == []
    ticker = get(private_url, "/api/v3/ticker/24hr", symbol="ETHUSD")
    assert (ticker["count"], Decimal(ticker["volume"])) == (0, 0)


def test_it_leaves_the_open_bars_as_adding_trade_by_trade_would() -> None:
    """The history adds its trades without keeping every interval's open bar (the kline
    streams read those), then rebuilds them: they must match the trade-by-trade result."""
    book = SymbolBook(SYMBOLS["ETHUSD"])
    # Ending 2024-03-04 00:30 UTC: the history crosses a month and a week boundary.
    fill([book], SEED, 1_709_512_200_000, 10)
    live = KlineStore()
    for t in book.tape.trades:
        live.add(t.time, t.price, t.qty, t.quote_qty, not t.buyer_is_maker, t.trade_id)
    for interval in INTERVALS:
        for got, want in ((book.klines.live, live.live), (book.klines.closed, live.closed)):
            bar, close = got[interval]
            want_bar, want_close = want[interval]
            assert bar.row(close) == want_bar.row(want_close), interval
            assert (bar.first_id, bar.last_id) == (want_bar.first_id, want_bar.last_id)
