"""Public market data endpoints and the error body for unknown paths."""

from __future__ import annotations

from decimal import Decimal

import requests


def get(base: str, path: str, **params) -> requests.Response:
    return requests.get(base + path, params=params, timeout=5)


def test_it_lists_symbols_with_filters(sandbox_url: str) -> None:
    info = get(sandbox_url, "/api/v3/exchangeInfo").json()
    symbols = {s["symbol"]: s for s in info["symbols"]}
    assert {"BTCUSD", "ETHUSD", "SOLUSD", "BTCUSDT", "ETHUSDT"} <= set(symbols)
    filters = {f["filterType"]: f for f in symbols["BTCUSD"]["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert {"MIN_NOTIONAL", "MARKET_LOT_SIZE"} <= set(filters)
    assert info["rateLimits"][0] == {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 1200,
    }
    one = get(sandbox_url, "/api/v3/exchangeInfo", symbol="ETHUSD").json()
    assert [s["symbol"] for s in one["symbols"]] == ["ETHUSD"]
    two = get(sandbox_url, "/api/v3/exchangeInfo", symbols='["BTCUSD","SOLUSD"]').json()
    assert [s["symbol"] for s in two["symbols"]] == ["BTCUSD", "SOLUSD"]
    bad = get(sandbox_url, "/api/v3/exchangeInfo", symbol="DOGEUSD")
    assert (bad.status_code, bad.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})


def test_it_serves_depth_trades_klines_and_prices(sandbox_url: str) -> None:
    depth = get(sandbox_url, "/api/v3/depth", symbol="BTCUSD", limit=20).json()
    assert len(depth["bids"]) == len(depth["asks"]) == 20
    assert Decimal(depth["bids"][0][0]) < Decimal(depth["asks"][0][0])
    trades = get(sandbox_url, "/api/v3/trades", symbol="BTCUSD", limit=50).json()
    assert trades, "the market flow should have traded by now"
    ids = [t["id"] for t in trades]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    klines = get(sandbox_url, "/api/v3/klines", symbol="BTCUSD", interval="1m").json()
    all_trades = get(sandbox_url, "/api/v3/trades", symbol="BTCUSD", limit=1000).json()
    last = klines[-1]
    in_bar = [t for t in all_trades if last[0] <= t["time"] <= last[6]]
    if len(all_trades) < 1000 and in_bar and in_bar[-1]["id"] == all_trades[-1]["id"]:
        assert Decimal(last[2]) >= max(Decimal(t["price"]) for t in in_bar)
    assert get(sandbox_url, "/api/v3/klines", symbol="BTCUSD", interval="7m").json() == {
        "code": -1120,
        "msg": "Invalid interval.",
    }
    price = get(sandbox_url, "/api/v3/ticker/price", symbol="BTCUSD").json()
    assert price["symbol"] == "BTCUSD" and Decimal(price["price"]) > 0
    assert len(get(sandbox_url, "/api/v3/ticker/price").json()) >= 5
    both = get(sandbox_url, "/api/v3/ticker/price", symbol="BTCUSD", symbols='["ETHUSD"]')
    assert both.json()["code"] == -1128


def test_it_answers_unknown_paths_with_an_error_body(sandbox_url: str) -> None:
    for path in ("/api/v3/nothing", "/elsewhere"):
        resp = requests.get(sandbox_url + path, timeout=5)
        assert resp.status_code == 404
        assert resp.json() == {"code": -1020, "msg": "This operation is not supported."}
