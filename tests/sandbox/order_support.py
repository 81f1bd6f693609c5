"""Helpers for the order tests: placing, querying and setting the last trade price over HTTP.

The quiet sandboxes (--tick-ms 0) start with the market makers' book only: on BTCUSD bids
every 1 USD from 59999 down, asks every 1 USD from 60001 up; inside that spread every trade is
between test accounts, so its price is exactly what the test chose.
"""

from __future__ import annotations

import requests

from tests.sandbox.sandbox_support import new_account, signed

RICH = {"USD": "1000000", "USDT": "1000000", "BTC": "100", "ETH": "500"}


def call(base: str, method: str, path: str, acct: dict, **params: object) -> dict | list:
    """A signed call; the JSON answer with the HTTP status as "http" on error objects."""
    resp = signed(base, method, path, acct, params, in_body=method != "GET")
    doc = resp.json()
    if isinstance(doc, dict) and resp.status_code != 200:
        return {"http": resp.status_code, **doc}
    return doc


def order(base: str, acct: dict, **params: object) -> dict:
    params.setdefault("symbol", "BTCUSD")
    doc = call(base, "POST", "/api/v3/order", acct, **params)
    assert isinstance(doc, dict)
    return doc


def limit(base: str, acct: dict, side: str, qty: str, price: str, **extra: object) -> dict:
    extra.setdefault("timeInForce", "GTC")
    return order(base, acct, side=side, type="LIMIT", quantity=qty, price=price, **extra)


def get_order(base: str, acct: dict, order_id: int, symbol: str = "BTCUSD") -> dict:
    doc = call(base, "GET", "/api/v3/order", acct, symbol=symbol, orderId=order_id)
    assert isinstance(doc, dict)
    return doc


def trade_at(base: str, price: str, symbol: str = "BTCUSD", qty: str = "0.001") -> None:
    """One trade at `price` between two fresh accounts (inside the spread: nothing else
    trades), which makes it the symbol's last price."""
    seller, buyer = new_account(base, RICH), new_account(base, RICH)
    rest = limit(base, seller, "SELL", qty, price, symbol=symbol)
    assert rest["status"] == "NEW", rest
    take = limit(base, buyer, "BUY", qty, price, symbol=symbol, timeInForce="IOC")
    assert take["status"] == "FILLED", take


def depth(base: str, symbol: str = "BTCUSD") -> dict:
    doc = requests.get(f"{base}/api/v3/depth", params={"symbol": symbol}, timeout=5).json()
    return {
        "bids": {p: q for p, q in doc["bids"]},
        "asks": {p: q for p, q in doc["asks"]},
    }


def used_weight(resp: requests.Response) -> int:
    return int(resp.headers["X-MBX-USED-WEIGHT-1M"])
