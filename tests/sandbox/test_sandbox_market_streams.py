"""Kline, ticker and mini-ticker streams and the market-data REST endpoints that share their
trades: payload fields as in the spec, and the same numbers over both."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.sandbox.sandbox_support import (
    admin,
    new_account,
    recv_json,
    recv_until,
    signed,
    ws_url,
)

KLINE_FIELDS = ["t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"]
TICKER_FIELDS = [
    *("e", "E", "s", "p", "P", "w", "x", "c", "Q", "b", "B", "a", "A"),
    *("o", "h", "l", "v", "q", "O", "C", "F", "L", "n"),
]
WINDOW_FIELDS = [
    *("e", "E", "s", "p", "P", "o", "h", "l", "c", "w", "v", "q"),
    *("O", "C", "F", "L", "n"),
]
MINI_FIELDS = ["e", "E", "s", "c", "o", "h", "l", "v", "q"]
FULL_24HR = [
    *("symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice"),
    *("lastPrice", "lastQty", "bidPrice", "bidQty", "askPrice", "askQty", "openPrice"),
    *("highPrice", "lowPrice", "volume", "quoteVolume", "openTime", "closeTime"),
    *("firstId", "lastId", "count"),
]
MINI_REST = [
    *("symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume"),
    *("openTime", "closeTime", "firstId", "lastId", "count"),
]
FULL_ROLLING = [
    *("symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice"),
    *("highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime", "closeTime"),
    *("firstId", "lastId", "count"),
]


def get(base: str, path: str, **params) -> requests.Response:
    return requests.get(base + path, params=params, timeout=5)


async def aget(base: str, path: str, **params) -> requests.Response:
    return await asyncio.to_thread(get, base, path, **params)


def market_buy(base: str, acct: dict, symbol: str, qty: str) -> dict:
    # Signed at the exchange's time, as a client synced to it would: a test may move its clock.
    server_ms = get(base, "/api/v3/time").json()["serverTime"]
    resp = signed(
        base,
        "POST",
        "/api/v3/order",
        acct,
        {"symbol": symbol, "side": "BUY", "type": "MARKET", "quantity": qty},
        timestamp=server_ms,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def all_trades(base: str, acct: dict, symbol: str) -> list[dict]:
    headers = {"X-MBX-APIKEY": acct["apiKey"]}
    out: list[dict] = []
    while True:
        page = requests.get(
            f"{base}/api/v3/historicalTrades",
            params={"symbol": symbol, "fromId": out[-1]["id"] + 1 if out else 0, "limit": 1000},
            headers=headers,
            timeout=5,
        ).json()
        out += page
        if len(page) < 1000:
            return out


@pytest.mark.asyncio
async def test_it_streams_klines_that_match_rest_klines(quiet_url: str) -> None:
    """Trades of our own in a quiet market; the open bar over the stream, then (with the clock
    moved to just before the minute's end) the closed bar, equal to GET /api/v3/klines."""
    acct = new_account(quiet_url)
    try:
        # Trade early in a minute, so there is time left to move the clock to just before its
        # end: late in one, move the clock into the next instead of waiting for it.
        server_ms = (await aget(quiet_url, "/api/v3/time")).json()["serverTime"]
        if server_ms % 60_000 > 50_000:
            into_next = 60_000 - server_ms % 60_000 + 100
            await asyncio.to_thread(admin, quiet_url, "POST", "/clock", {"advanceMs": into_next})
        async with connect(ws_url(quiet_url, "/ws/solusd@kline_1m")) as ws:
            for qty in ("1", "2.5"):
                await asyncio.to_thread(market_buy, quiet_url, acct, "SOLUSD", qty)
            event = await recv_until(ws, lambda m: m["k"]["n"] >= 2, timeout=4)
            assert list(event) == ["e", "E", "s", "k"] and list(event["k"]) == KLINE_FIELDS
            k = event["k"]
            assert (event["e"], event["s"], k["s"], k["i"], k["x"]) == (
                "kline",
                "SOLUSD",
                "SOLUSD",
                "1m",
                False,
            )
            assert k["T"] == k["t"] + 59_999 and k["L"] - k["f"] + 1 == k["n"]
            assert Decimal(k["v"]) == Decimal("3.5") and k["V"] == k["v"]
            rows = (await aget(quiet_url, "/api/v3/klines", symbol="SOLUSD", interval="1m")).json()
            row = next(r for r in rows if r[0] == k["t"])
            as_row = [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"]]
            assert row[:9] == as_row and row[9:11] == [k["V"], k["Q"]]
            # Move the exchange clock to 1.2 s before this bar's end: the next events close it.
            now = (await aget(quiet_url, "/api/v3/time")).json()["serverTime"]
            ahead = k["T"] - 1200 - now
            assert ahead > 0, "the bar closed before the test could close it"
            await asyncio.to_thread(admin, quiet_url, "POST", "/clock", {"advanceMs": ahead})
            closed = await recv_until(ws, lambda m: m["k"]["x"], timeout=5)
            assert {**closed["k"], "x": False} == {**k, "x": False}
            after = await recv_until(ws, lambda m: not m["k"]["x"], timeout=3)
            assert after["k"]["t"] == k["t"] + 60_000 and after["k"]["n"] == 0
            assert after["k"]["o"] == after["k"]["c"] == k["c"]
    finally:
        await asyncio.to_thread(admin, quiet_url, "POST", "/clock", {"offsetMs": 0})


@pytest.mark.asyncio
async def test_it_streams_every_ticker_with_the_spec_fields(sandbox_url: str) -> None:
    names = {
        "btcusd@ticker",
        "btcusd@ticker_1h",
        "btcusd@ticker_4h",
        "btcusd@miniTicker",
        "!ticker@arr",
        "!ticker_1h@arr",
        "!ticker_4h@arr",
        "!miniTicker@arr",
        "ethusd@kline_1M",
        "ethusd@kline_1w",
    }
    seen: dict[str, object] = {}
    async with connect(ws_url(sandbox_url, "/stream?streams=" + "/".join(names))) as ws:
        deadline = time.monotonic() + 6
        while set(seen) != names and time.monotonic() < deadline:
            msg = await recv_json(ws)
            seen.setdefault(msg["stream"], msg["data"])
    assert set(seen) == names
    ticker = seen["btcusd@ticker"]
    assert isinstance(ticker, dict) and list(ticker) == TICKER_FIELDS
    assert ticker["e"] == "24hrTicker" and ticker["s"] == "BTCUSD"
    assert ticker["n"] == ticker["L"] - ticker["F"] + 1 > 0
    assert Decimal(ticker["l"]) <= Decimal(ticker["c"]) <= Decimal(ticker["h"])
    assert Decimal(ticker["b"]) < Decimal(ticker["a"])
    assert ticker["C"] - ticker["O"] == 86_400_000
    for window in ("1h", "4h"):
        rolling = seen[f"btcusd@ticker_{window}"]
        assert isinstance(rolling, dict) and list(rolling) == WINDOW_FIELDS
        assert rolling["e"] == f"{window}Ticker" and rolling["O"] % 60_000 == 0
        arr = seen[f"!ticker_{window}@arr"]
        assert isinstance(arr, list) and arr and all(list(r) == WINDOW_FIELDS for r in arr)
    mini = seen["btcusd@miniTicker"]
    assert isinstance(mini, dict) and list(mini) == MINI_FIELDS and mini["e"] == "24hrMiniTicker"
    for name, fields in (("!ticker@arr", TICKER_FIELDS), ("!miniTicker@arr", MINI_FIELDS)):
        arr = seen[name]
        assert isinstance(arr, list) and arr and all(list(r) == fields for r in arr)
        assert len({r["s"] for r in arr}) == len(arr)
    for name, interval in (("ethusd@kline_1M", "1M"), ("ethusd@kline_1w", "1w")):
        k = seen[name]["k"]  # type: ignore[index]
        assert k["i"] == interval and k["s"] == "ETHUSD" and k["T"] > k["t"]


@pytest.mark.asyncio
async def test_it_refuses_unknown_market_stream_names(sandbox_url: str) -> None:
    for name in ("btcusd@kline_7m", "btcusd@ticker_2h", "!ticker_2h@arr", "!trade@arr"):
        with pytest.raises(InvalidStatus):
            async with connect(ws_url(sandbox_url, f"/ws/{name}")):
                pass


def test_it_computes_the_24hr_ticker_from_the_same_trades(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    market_buy(quiet_url, acct, "ETHUSDT", "0.5")
    trades = all_trades(quiet_url, acct, "ETHUSDT")
    ticker = get(quiet_url, "/api/v3/ticker/24hr", symbol="ETHUSDT").json()
    assert list(ticker) == FULL_24HR
    prices = [Decimal(t["price"]) for t in trades]
    assert (ticker["firstId"], ticker["lastId"], ticker["count"]) == (
        trades[0]["id"],
        trades[-1]["id"],
        len(trades),
    )
    assert Decimal(ticker["openPrice"]) == prices[0]
    assert Decimal(ticker["lastPrice"]) == prices[-1]
    assert Decimal(ticker["lastQty"]) == Decimal(trades[-1]["qty"])
    assert (Decimal(ticker["highPrice"]), Decimal(ticker["lowPrice"])) == (max(prices), min(prices))
    assert Decimal(ticker["volume"]) == sum(Decimal(t["qty"]) for t in trades)
    assert Decimal(ticker["quoteVolume"]) == sum(Decimal(t["quoteQty"]) for t in trades)
    assert ticker["closeTime"] - ticker["openTime"] == 86_400_000
    book = get(quiet_url, "/api/v3/ticker/bookTicker", symbol="ETHUSDT").json()
    assert (ticker["bidPrice"], ticker["askPrice"]) == (book["bidPrice"], book["askPrice"])
    mini = get(quiet_url, "/api/v3/ticker/24hr", symbol="ETHUSDT", type="MINI").json()
    assert list(mini) == MINI_REST and mini["count"] == len(trades)
    many = get(quiet_url, "/api/v3/ticker/24hr", symbols='["ETHUSDT","BTCUSD"]').json()
    assert [r["symbol"] for r in many] == ["ETHUSDT", "BTCUSD"]
    assert len(get(quiet_url, "/api/v3/ticker/24hr").json()) >= 5
    rolling = get(quiet_url, "/api/v3/ticker", symbol="ETHUSDT", windowSize="1d").json()
    assert list(rolling) == FULL_ROLLING and rolling["openTime"] % 60_000 == 0
    assert rolling["count"] == len(trades) and rolling["volume"] == ticker["volume"]
    pair = get(quiet_url, "/api/v3/ticker", symbols='["ETHUSDT","SOLUSD"]', type="MINI").json()
    assert [list(r) for r in pair] == [MINI_REST, MINI_REST]
    for params, code in (
        ({"symbol": "ETHUSDT", "windowSize": "24h"}, -1130),
        ({"symbol": "ETHUSDT", "windowSize": "1d2h"}, -1130),
        ({"symbol": "ETHUSDT", "type": "TINY"}, -1130),
        ({}, -1102),
    ):
        assert get(quiet_url, "/api/v3/ticker", **params).json()["code"] == code


def test_it_weighs_ticker_requests_by_symbol_count(quiet_url: str) -> None:
    def weight(path: str, **params) -> int:
        before = int(get(quiet_url, "/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
        after = int(get(quiet_url, path, **params).headers["X-MBX-USED-WEIGHT-1M"])
        return after - before

    symbols = '["BTCUSD","ETHUSD","SOLUSD"]'
    cases = [
        (1, "/api/v3/ticker/24hr", {"symbol": "BTCUSD"}),
        (1, "/api/v3/ticker/24hr", {"symbols": symbols}),
        (40, "/api/v3/ticker/24hr", {}),
        (2, "/api/v3/ticker", {"symbol": "BTCUSD"}),
        (6, "/api/v3/ticker", {"symbols": symbols}),
        (1, "/api/v3/ticker/bookTicker", {"symbol": "BTCUSD"}),
        (2, "/api/v3/ticker/bookTicker", {}),
        (5, "/api/v3/historicalTrades", {"symbol": "BTCUSD"}),
        (1, "/api/v3/aggTrades", {"symbol": "BTCUSD"}),
        (5, "/api/v3/depth", {"symbol": "BTCUSD", "limit": 500}),
        (10, "/api/v3/depth", {"symbol": "BTCUSD", "limit": 1000}),
    ]
    for expected, path, params in cases:
        for _ in range(3):  # a minute boundary between the two calls resets the count
            got = weight(path, **params)
            if got >= 0:
                break
        assert got == expected, (path, params)


@pytest.mark.asyncio
async def test_it_serves_trade_and_agg_trade_history_with_the_stream_ids(
    sandbox_url: str, sandbox_account: dict
) -> None:
    trades: list[dict] = []
    aggs: list[dict] = []
    names = "btcusd@trade/btcusd@aggTrade"
    async with connect(ws_url(sandbox_url, f"/stream?streams={names}")) as ws:
        while len(trades) < 4 or len(aggs) < 3:
            msg = await recv_json(ws)
            (trades if msg["stream"] == "btcusd@trade" else aggs).append(msg["data"])
    headers = {"X-MBX-APIKEY": sandbox_account["apiKey"]}
    hist_url = f"{sandbox_url}/api/v3/historicalTrades"
    hist = requests.get(
        hist_url,
        params={"symbol": "BTCUSD", "fromId": trades[0]["t"], "limit": len(trades)},
        headers=headers,
        timeout=5,
    ).json()
    assert [(h["id"], h["price"], h["qty"], h["time"], h["isBuyerMaker"]) for h in hist] == [
        (t["t"], t["p"], t["q"], t["T"], t["m"]) for t in trades
    ]
    no_key = requests.get(hist_url, params={"symbol": "BTCUSD"}, timeout=5)
    assert no_key.status_code in (400, 401) and no_key.json()["code"] == -2014
    recent = get(sandbox_url, "/api/v3/trades", symbol="BTCUSD", limit=1000).json()
    assert {t["t"] for t in trades} <= {r["id"] for r in recent}
    by_id = get(
        sandbox_url, "/api/v3/aggTrades", symbol="BTCUSD", fromId=aggs[0]["a"], limit=len(aggs)
    ).json()
    fields = ("a", "p", "q", "f", "l", "T", "m", "M")
    assert [tuple(r[f] for f in fields) for r in by_id] == [
        tuple(a[f] for f in fields) for a in aggs
    ]
    assert all(list(r) == list(fields) for r in by_id)
    by_time = get(
        sandbox_url,
        "/api/v3/aggTrades",
        symbol="BTCUSD",
        startTime=aggs[0]["T"],
        endTime=aggs[-1]["T"],
    ).json()
    assert {a["a"] for a in aggs} <= {r["a"] for r in by_time}
    assert all(aggs[0]["T"] <= r["T"] <= aggs[-1]["T"] for r in by_time)
    covered = {i for a in aggs for i in range(a["f"], a["l"] + 1)}
    assert {t["t"] for t in trades if t["t"] <= aggs[-1]["l"]} - covered <= set()
    combo = get(sandbox_url, "/api/v3/aggTrades", symbol="BTCUSD", fromId=1, startTime=1)
    assert combo.json()["code"] == -1128


def test_it_answers_avg_price_and_book_ticker_from_the_book(quiet_url: str) -> None:
    depth = get(quiet_url, "/api/v3/depth", symbol="BTCUSD", limit=5).json()
    book = get(quiet_url, "/api/v3/ticker/bookTicker", symbol="BTCUSD").json()
    assert book == {
        "symbol": "BTCUSD",
        "bidPrice": depth["bids"][0][0],
        "bidQty": depth["bids"][0][1],
        "askPrice": depth["asks"][0][0],
        "askQty": depth["asks"][0][1],
    }
    rows = get(quiet_url, "/api/v3/ticker/bookTicker", symbols='["BTCUSD","ETHUSD"]').json()
    assert [r["symbol"] for r in rows] == ["BTCUSD", "ETHUSD"]
    assert all(Decimal(r["bidPrice"]) < Decimal(r["askPrice"]) for r in rows)
    acct = new_account(quiet_url)
    market_buy(quiet_url, acct, "BTCUSD", "0.01")
    avg = get(quiet_url, "/api/v3/avgPrice", symbol="BTCUSD").json()
    assert list(avg) == ["mins", "price"] and avg["mins"] == 5
    recent = get(quiet_url, "/api/v3/trades", symbol="BTCUSD", limit=1000).json()
    prices = [Decimal(t["price"]) for t in recent]
    assert min(prices) <= Decimal(avg["price"]) <= max(prices)
