"""Orders over HTTP against a sandbox without market flow, so every fill is predictable.

Book at start (seed 7, --tick-ms 0): BTCUSD makers quote every 1 USD, best bid 59999, best ask
60001. Each test trades at its own prices inside that spread and leaves nothing resting.
"""

from __future__ import annotations

import pytest

from tests.sandbox.sandbox_support import balances, new_account, signed


def order(base: str, acct: dict, **params) -> dict:
    resp = signed(base, "POST", "/api/v3/order", acct, params, in_body=True)
    return {"http": resp.status_code, **resp.json()}


@pytest.mark.parametrize(
    ("params", "filter_type"),
    [
        (
            {"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "60000.005"},
            "PRICE_FILTER",
        ),
        (
            {"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.000015", "price": "59000"},
            "LOT_SIZE",
        ),
        (
            {"type": "LIMIT", "timeInForce": "GTC", "quantity": "0.00001", "price": "50000"},
            "MIN_NOTIONAL",
        ),
        ({"type": "MARKET", "quantity": "150"}, "MARKET_LOT_SIZE"),
    ],
)
def test_it_rejects_orders_breaking_filters(quiet_url: str, params: dict, filter_type: str) -> None:
    acct = new_account(quiet_url)
    resp = order(quiet_url, acct, symbol="BTCUSD", side="BUY", **params)
    assert resp == {"http": 400, "code": -1013, "msg": f"Filter failure: {filter_type}"}


def test_it_rejects_orders_without_funds_or_symbol(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    poor = order(
        quiet_url,
        acct,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="2",
        price="59000",
    )
    assert poor == {
        "http": 400,
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }
    assert (
        order(quiet_url, acct, symbol="NOPE", side="BUY", type="MARKET", quantity="1")["code"]
        == -1121
    )
    missing = order(
        quiet_url, acct, symbol="BTCUSD", side="BUY", type="LIMIT", quantity="1", price="59000"
    )
    assert missing["code"] == -1102 and "timeInForce" in missing["msg"]


def test_it_fills_a_resting_limit_with_a_market_order(quiet_url: str) -> None:
    seller, buyer = new_account(quiet_url), new_account(quiet_url)
    rest = order(
        quiet_url,
        seller,
        symbol="BTCUSD",
        side="SELL",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.1",
        price="60000.50",
        newOrderRespType="RESULT",
    )
    assert (rest["http"], rest["status"], rest["executedQty"]) == (200, "NEW", "0.00000000")
    assert balances(quiet_url, seller)["BTC"] == ("4.90000000", "0.10000000")
    take = order(quiet_url, buyer, symbol="BTCUSD", side="BUY", type="MARKET", quantity="0.1")
    assert take["executedQty"] == "0.10000000"
    assert take["cummulativeQuoteQty"] == "6000.05000000"
    assert [
        (f["price"], f["qty"], f["commission"], f["commissionAsset"]) for f in take["fills"]
    ] == [("60000.50000000", "0.10000000", "0.00010000", "BTC")]
    sold = balances(quiet_url, seller)
    bought = balances(quiet_url, buyer)
    assert sold["BTC"] == ("4.90000000", "0.00000000")
    assert sold["USD"] == ("105994.04995000", "0.00000000")  # 6000.05 less 0.1% maker fee
    assert bought["BTC"] == ("5.09990000", "0.00000000")
    assert bought["USD"] == ("93999.95000000", "0.00000000")
    filled = signed(
        quiet_url, "GET", "/api/v3/order", seller, {"symbol": "BTCUSD", "orderId": rest["orderId"]}
    ).json()
    assert (filled["status"], filled["executedQty"]) == ("FILLED", "0.10000000")


def test_it_cancels_by_client_order_id_and_releases_funds(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    placed = order(
        quiet_url,
        acct,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price="50000",
        newClientOrderId="my-bid-1",
    )
    assert placed["clientOrderId"] == "my-bid-1" and placed["status"] == "NEW"
    assert balances(quiet_url, acct)["USD"] == ("50000.00000000", "50000.00000000")
    found = signed(
        quiet_url,
        "GET",
        "/api/v3/order",
        acct,
        {"symbol": "BTCUSD", "origClientOrderId": "my-bid-1"},
    ).json()
    assert (found["orderId"], found["status"], found["price"]) == (
        placed["orderId"],
        "NEW",
        "50000.00000000",
    )
    listed = signed(quiet_url, "GET", "/api/v3/openOrders", acct, {"symbol": "BTCUSD"}).json()
    assert [o["clientOrderId"] for o in listed] == ["my-bid-1"]
    canceled = signed(
        quiet_url,
        "DELETE",
        "/api/v3/order",
        acct,
        {"symbol": "BTCUSD", "origClientOrderId": "my-bid-1"},
    ).json()
    assert (canceled["status"], canceled["origClientOrderId"]) == ("CANCELED", "my-bid-1")
    assert balances(quiet_url, acct)["USD"] == ("100000.00000000", "0.00000000")
    assert signed(quiet_url, "GET", "/api/v3/openOrders", acct).json() == []
    again = signed(
        quiet_url,
        "DELETE",
        "/api/v3/order",
        acct,
        {"symbol": "BTCUSD", "orderId": placed["orderId"]},
    )
    assert again.json() == {"code": -2011, "msg": "Unknown order sent."}


def test_it_answers_2013_for_unknown_orders(quiet_url: str) -> None:
    acct, other = new_account(quiet_url), new_account(quiet_url)
    placed = order(
        quiet_url,
        other,
        symbol="ETHUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="IOC",
        quantity="0.1",
        price="2000",
    )
    assert placed["status"] == "EXPIRED"
    for params in (
        {"orderId": 999999},
        {"origClientOrderId": "nope"},
        {"orderId": placed["orderId"]},
    ):  # someone else's order
        resp = signed(quiet_url, "GET", "/api/v3/order", acct, {"symbol": "ETHUSD", **params})
        assert (resp.status_code, resp.json()) == (
            400,
            {"code": -2013, "msg": "Order does not exist."},
        )


def test_it_reports_order_counts(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    resp = signed(
        quiet_url,
        "POST",
        "/api/v3/order",
        acct,
        {
            "symbol": "SOLUSD",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "IOC",
            "quantity": "1",
            "price": "100",
        },
    )
    assert resp.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert resp.headers["X-MBX-ORDER-COUNT-1D"] == "1"
