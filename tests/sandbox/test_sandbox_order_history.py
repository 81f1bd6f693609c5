"""Account history over HTTP: allOrders, myTrades, myPreventedMatches (parameter combinations,
windows, weights), the 90-day archive of empty canceled orders, and bulk history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.order_support import call, limit, order, used_weight
from tests.sandbox.sandbox_support import admin, new_account, now_ms, signed, start, stop

DAY = 86_400_000


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """A quiet sandbox of this module's own: the archive test moves its clock."""
    proc, url = start("--tick-ms", "0", seed=13)
    yield url
    stop(proc)


def test_it_lists_every_order_and_trade_of_the_account(base: str) -> None:
    acct, seller = new_account(base), new_account(base)
    canceled = limit(base, acct, "BUY", "0.01", "50000")
    call(base, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=canceled["orderId"])
    rest = limit(base, seller, "SELL", "0.02", "60000.50")
    bought = order(base, acct, side="BUY", type="MARKET", quantity="0.025")
    orders = call(base, "GET", "/api/v3/allOrders", acct, symbol="BTCUSD")
    assert [(o["orderId"], o["status"]) for o in orders] == [
        (canceled["orderId"], "CANCELED"),
        (bought["orderId"], "FILLED"),
    ]
    from_second = call(
        base, "GET", "/api/v3/allOrders", acct, symbol="BTCUSD", orderId=bought["orderId"]
    )
    assert [o["orderId"] for o in from_second] == [bought["orderId"]]
    assert call(base, "GET", "/api/v3/allOrders", acct, symbol="BTCUSD", limit=1) == from_second
    trades = call(base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD")
    assert [(t["price"], t["qty"], t["isBuyer"], t["isMaker"]) for t in trades] == [
        ("60000.50000000", "0.02000000", True, False),
        ("60001.00000000", "0.00500000", True, False),
    ]
    assert trades[0]["orderId"] == bought["orderId"]
    assert trades[0]["commission"] == "0.00002000" and trades[0]["commissionAsset"] == "BTC"
    maker_side = call(base, "GET", "/api/v3/myTrades", seller, symbol="BTCUSD")
    assert [(t["id"], t["isBuyer"], t["isMaker"], t["orderId"]) for t in maker_side] == [
        (trades[0]["id"], False, True, rest["orderId"])
    ]
    from_id = call(base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", fromId=trades[1]["id"])
    assert from_id == trades[1:]
    of_order = call(
        base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", orderId=bought["orderId"], limit=1
    )
    assert of_order == trades[:1]


def test_it_keeps_to_the_trade_windows_and_combinations(base: str) -> None:
    acct = new_account(base)
    order(base, acct, side="SELL", type="MARKET", quantity="0.001")
    now = now_ms()
    ok = call(base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", startTime=now - DAY)
    assert len(ok) == 1
    assert call(base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", endTime=now - DAY) == []
    too_long = call(
        base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", startTime=1, endTime=2 + DAY
    )
    assert (too_long["code"], too_long["msg"]) == (
        -1127,
        "More than 24 hours between startTime and endTime.",
    )
    combo = call(base, "GET", "/api/v3/myTrades", acct, symbol="BTCUSD", fromId=1, startTime=1)
    assert combo["code"] == -1128
    before = used_weight(signed(base, "GET", "/api/v3/time", acct))
    after = used_weight(signed(base, "GET", "/api/v3/myTrades", acct, {"symbol": "BTCUSD"}))
    assert after - before == 10


def test_it_serves_prevented_matches_by_id_and_order(base: str) -> None:
    acct = new_account(base)
    makers = [limit(base, acct, "SELL", "0.01", p) for p in ("60000.10", "60000.20")]
    taker = limit(base, acct, "BUY", "0.02", "60000.20", timeInForce="IOC")
    ids = [m["preventedMatchId"] for m in taker["preventedMatches"]]
    assert len(ids) == 2
    by_order = call(
        base, "GET", "/api/v3/myPreventedMatches", acct, symbol="BTCUSD", orderId=taker["orderId"]
    )
    assert [(m["preventedMatchId"], m["makerOrderId"]) for m in by_order] == [
        (ids[0], makers[0]["orderId"]),
        (ids[1], makers[1]["orderId"]),
    ]
    first = by_order[0]
    assert (first["takerOrderId"], first["selfTradePreventionMode"]) == (
        taker["orderId"],
        "EXPIRE_MAKER",
    )
    assert first["makerPreventedQuantity"] == "0.01000000" and "takerPreventedQuantity" not in first
    one = call(
        base, "GET", "/api/v3/myPreventedMatches", acct, symbol="BTCUSD", preventedMatchId=ids[1]
    )
    assert one == by_order[1:]
    paged = call(
        base,
        "GET",
        "/api/v3/myPreventedMatches",
        acct,
        symbol="BTCUSD",
        orderId=makers[1]["orderId"],
        fromPreventedMatchId=ids[1],
        limit=5,
    )
    assert paged == by_order[1:]
    bad = call(
        base,
        "GET",
        "/api/v3/myPreventedMatches",
        acct,
        symbol="BTCUSD",
        preventedMatchId=ids[0],
        orderId=1,
    )
    assert bad["code"] == -1128
    neither = call(base, "GET", "/api/v3/myPreventedMatches", acct, symbol="BTCUSD")
    assert neither["code"] == -1102


@pytest.mark.parametrize(
    ("params", "weight"),
    [
        ({"symbol": "NOPE", "orderId": 1}, 1),
        ({"symbol": "BTCUSD", "preventedMatchId": 1}, 1),
        ({"symbol": "BTCUSD", "orderId": 1}, 10),
    ],
)
def test_it_weighs_prevented_match_queries_per_case(base: str, params: dict, weight: int) -> None:
    acct = new_account(base)
    before = used_weight(signed(base, "GET", "/api/v3/time", acct))
    after = used_weight(signed(base, "GET", "/api/v3/myPreventedMatches", acct, params))
    assert after - before == weight


def test_it_archives_empty_canceled_orders_after_90_days(base: str) -> None:
    acct = new_account(base)
    empty = limit(base, acct, "BUY", "0.01", "50000")
    call(base, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=empty["orderId"])
    filled = order(base, acct, side="SELL", type="MARKET", quantity="0.001")
    admin(base, "POST", "/clock", {"offsetMs": 91 * DAY}).raise_for_status()
    try:
        stamp = now_ms() + 91 * DAY
        old = signed(
            base,
            "GET",
            "/api/v3/order",
            acct,
            {"symbol": "BTCUSD", "orderId": empty["orderId"]},
            timestamp=stamp,
        ).json()
        kept = signed(
            base,
            "GET",
            "/api/v3/order",
            acct,
            {"symbol": "BTCUSD", "orderId": filled["orderId"]},
            timestamp=stamp,
        ).json()
    finally:
        admin(base, "POST", "/clock", {"offsetMs": 0}).raise_for_status()
    assert old == {
        "code": -2026,
        "msg": "Order was canceled or expired with no executed qty over 90 days ago and has "
        "been archived.",
    }
    assert kept["status"] == "FILLED"
    recent = call(base, "GET", "/api/v3/order", acct, symbol="BTCUSD", orderId=empty["orderId"])
    assert recent["status"] == "CANCELED"


def test_it_generates_a_large_history_quickly(base: str) -> None:
    acct = new_account(base)
    end = now_ms()
    resp = requests.post(
        f"{base}/sandbox/v1/accounts/{acct['email']}/history",
        json={"symbol": "ETHUSD", "orders": 100_000, "start": end - 30 * DAY, "end": end},
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    made = resp.json()
    assert made["orders"] == 100_000 and made["lastOrderId"] - made["firstOrderId"] == 99_999
    newest = call(base, "GET", "/api/v3/allOrders", acct, symbol="ETHUSD", limit=1000)
    assert len(newest) == 1000 and newest[-1]["orderId"] == made["lastOrderId"]
    assert newest[-1]["time"] == end and newest[-1]["status"] == "FILLED"
    page = call(base, "GET", "/api/v3/myTrades", acct, symbol="ETHUSD", fromId=made["firstTradeId"])
    assert len(page) == 500 and page[0]["id"] == made["firstTradeId"]
    assert page[0]["time"] == end - 30 * DAY
    bad = requests.post(
        f"{base}/sandbox/v1/accounts/{acct['email']}/history",
        json={"symbol": "NOPE", "orders": 1, "start": 0, "end": 1},
        timeout=5,
    )
    assert bad.status_code == 400 and "symbol" in bad.json()["error"]
