"""Account endpoints: commission rates (account, trading-fee, admin-set per symbol and charged
on trades), 30-day trading volume from the account's own trades, order rate limits, and the
account/API trading status shapes. A private quiet sandbox, so fills are predictable (seed 11:
BTCUSD makers every 1 USD around 60000, best ask 60001)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.sandbox.sandbox_support import admin, new_account, signed

DAY_MS = 86_400_000
FEE = "/sapi/v1/asset/query/trading-fee"
VOLUME = "/sapi/v1/asset/query/trading-volume"


@pytest.fixture(autouse=True)
def host_clock(private_url: str) -> Iterator[None]:
    admin(private_url, "POST", "/clock", {"offsetMs": 0})
    yield
    admin(private_url, "POST", "/clock", {"offsetMs": 0})


def market_buy(base: str, acct: dict, symbol: str, quote: str) -> dict:
    resp = signed(
        base,
        "POST",
        "/api/v3/order",
        acct,
        {"symbol": symbol, "side": "BUY", "type": "MARKET", "quoteOrderQty": quote},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_it_shows_default_and_admin_set_commission_rates(private_url: str) -> None:
    acct = new_account(private_url)
    account = signed(private_url, "GET", "/api/v3/account", acct).json()
    assert (account["makerCommission"], account["takerCommission"]) == (10, 10)
    assert account["commissionRates"] == {
        "maker": "0.00100000",
        "taker": "0.00100000",
        "buyer": "0.00000000",
        "seller": "0.00000000",
    }
    fees = signed(private_url, "GET", FEE, acct).json()
    assert {"symbol": "ETHBTC", "makerCommission": "0.001", "takerCommission": "0.001"} in fees
    assert len(fees) == 6
    set_ = admin(
        private_url,
        "POST",
        f"/accounts/{acct['email']}/fees",
        {
            "maker": "0.0015",
            "taker": "0.0025",
            "symbols": {"BTCUSD": {"maker": "0", "taker": "0.004"}},
        },
    )
    assert set_.json() == {
        "email": acct["email"],
        "maker": "0.00150000",
        "taker": "0.00250000",
        "symbols": {"BTCUSD": {"maker": "0.00000000", "taker": "0.00400000"}},
    }
    account = signed(private_url, "GET", "/api/v3/account", acct).json()
    assert (account["makerCommission"], account["takerCommission"]) == (15, 25)
    assert signed(private_url, "GET", FEE, acct, {"symbol": "BTCUSD"}).json() == [
        {"symbol": "BTCUSD", "makerCommission": "0", "takerCommission": "0.004"}
    ]
    assert signed(private_url, "GET", FEE, acct, {"symbol": "ETHUSD"}).json() == [
        {"symbol": "ETHUSD", "makerCommission": "0.0015", "takerCommission": "0.0025"}
    ]
    bad = signed(private_url, "GET", FEE, acct, {"symbol": "NOPE"})
    assert bad.json() == {"code": -1121, "msg": "Invalid symbol."}


def test_it_charges_the_symbol_rate_on_trades(private_url: str) -> None:
    acct = new_account(private_url)
    admin(
        private_url,
        "POST",
        f"/accounts/{acct['email']}/fees",
        {"symbols": {"BTCUSD": {"maker": "0.001", "taker": "0.004"}}},
    )
    fills = market_buy(private_url, acct, "BTCUSD", "60.01")["fills"]
    assert fills and all(f["commissionAsset"] == "BTC" for f in fills)
    for f in fills:
        assert Decimal(f["commission"]) == (Decimal(f["qty"]) * Decimal("0.004")).quantize(
            Decimal("0.00000001")
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"maker": "-0.1"},
        {"maker": "1"},
        {"taker": "x"},
        {"symbols": {"NOPE": {"maker": "0", "taker": "0"}}},
        {"symbols": {"BTCUSD": {"maker": "0"}}},
        {"rebate": "0.1"},
    ],
)
def test_it_refuses_bad_fee_settings(private_url: str, bad: dict) -> None:
    acct = new_account(private_url)
    resp = admin(private_url, "POST", f"/accounts/{acct['email']}/fees", bad)
    assert resp.status_code == 400 and resp.json()["error"]


def volume(base: str, acct: dict) -> Decimal:
    # Signed with the sandbox's time: tests move its clock days ahead of the host's.
    server_time = admin(base, "GET", "/state").json()["clock"]["serverTime"]
    resp = signed(base, "GET", VOLUME, acct, timestamp=server_time)
    assert resp.status_code == 200, resp.text
    # A JSON number, as in the spec's example; read exactly.
    return json.loads(resp.text, parse_float=Decimal)["past30DaysTradingVolume"]


def quote_volume(order: dict) -> Decimal:
    return sum((Decimal(f["price"]) * Decimal(f["qty"]) for f in order["fills"]), Decimal(0))


def test_it_reports_30_day_volume_from_whole_utc_days(private_url: str) -> None:
    acct = new_account(private_url)
    assert volume(private_url, acct) == 0
    btc = market_buy(private_url, acct, "BTCUSD", "120.5")
    usdt = market_buy(private_url, acct, "ETHUSDT", "30")
    traded = quote_volume(btc) + quote_volume(usdt)
    assert traded > 100
    # Today's trades count from the next 0:00 UTC on, for 30 days.
    assert volume(private_url, acct) == 0
    now = admin(private_url, "GET", "/state").json()["clock"]["serverTime"]
    tomorrow = (now // DAY_MS + 1) * DAY_MS + 1000
    admin(private_url, "POST", "/clock", {"serverTime": tomorrow})
    assert volume(private_url, acct) == traded
    assert volume(private_url, new_account(private_url)) == 0
    admin(private_url, "POST", "/clock", {"serverTime": tomorrow + 30 * DAY_MS})
    assert volume(private_url, acct) == 0


def test_it_reports_order_rate_limits_with_the_account_counts(private_url: str) -> None:
    acct = new_account(private_url)
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "50000",
    }
    placed = [signed(private_url, "POST", "/api/v3/order", acct, order) for _ in range(3)]
    assert [r.headers["X-MBX-ORDER-COUNT-10S"] for r in placed] == ["1", "2", "3"]
    resp = signed(private_url, "GET", "/api/v3/rateLimit/order", acct)
    assert resp.json() == [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": 100,
            "count": 3,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": 200000,
            "count": 3,
        },
    ]
    other = signed(private_url, "GET", "/api/v3/rateLimit/order", new_account(private_url))
    assert [r["count"] for r in other.json()] == [0, 0]


def test_it_answers_the_status_endpoints_in_the_spec_shapes(private_url: str) -> None:
    acct = new_account(private_url)
    assert signed(private_url, "GET", "/sapi/v3/accountStatus", acct).json() == {
        "msg": "Normal",
        "success": True,
    }
    status = signed(private_url, "GET", "/sapi/v3/apiTradingStatus", acct).json()
    assert status["success"] is True
    assert list(status["status"]) == [
        "isLocked",
        "plannedRecoverTime",
        "triggerCondition",
        "indicators",
        "updateTime",
    ]
    assert status["status"]["triggerCondition"] == {"GCR": 150, "IFER": 150, "UFR": 300}


def test_it_refuses_orders_and_cancels_while_api_trading_is_locked(private_url: str) -> None:
    acct = new_account(private_url)
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "50000",
    }
    order_id = signed(private_url, "POST", "/api/v3/order", acct, order).json()["orderId"]
    status = f"/accounts/{acct['email']}/trading-status"
    admin(private_url, "POST", status, {"isLocked": True})
    locked = "This account may not place or cancel orders."
    placed = signed(private_url, "POST", "/api/v3/order", acct, order)
    assert (placed.status_code, placed.json()) == (400, {"code": -2010, "msg": locked})
    cancel = {"symbol": "BTCUSD", "orderId": order_id}
    canceled = signed(private_url, "DELETE", "/api/v3/order", acct, cancel)
    assert canceled.json() == {"code": -2011, "msg": locked}
    # Reading still works; unlocking lets trading resume.
    assert signed(private_url, "GET", "/api/v3/order", acct, cancel).json()["status"] == "NEW"
    admin(private_url, "POST", status, {"isLocked": False})
    assert signed(private_url, "DELETE", "/api/v3/order", acct, cancel).status_code == 200
