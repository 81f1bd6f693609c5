"""OCO order lists over HTTP on a quiet sandbox of this module's own: placement and its price
rules, one leg ending the other, the list queries and cancels."""

from __future__ import annotations

from tests.sandbox.order_support import call, depth, get_order, limit, trade_at
from tests.sandbox.sandbox_support import balances, new_account, now_ms

BAD_PRICES = "The relationship of the prices for the orders is not correct."


def oco(base: str, acct: dict, side: str = "SELL", **params: object) -> dict:
    legs = (
        {"price": "60000.90", "stopPrice": "60000.10", "stopLimitPrice": "60000.00"}
        if side == "SELL"
        else {"price": "60000.10", "stopPrice": "60000.90", "stopLimitPrice": "60001.00"}
    )
    doc = {
        "symbol": "BTCUSD",
        "side": side,
        "quantity": "0.01",
        "stopLimitTimeInForce": "GTC",
        **legs,
        **params,
    }
    sent = {k: v for k, v in doc.items() if v is not None}  # None: leave the parameter out
    resp = call(base, "POST", "/api/v3/order/oco", acct, **sent)
    assert isinstance(resp, dict)
    return resp


def test_it_places_an_oco_with_one_lock_for_both_legs(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    placed = oco(private_url, acct, listClientOrderId="my-list", newOrderRespType="RESULT")
    assert (placed["contingencyType"], placed["listStatusType"], placed["listOrderStatus"]) == (
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
    )
    assert placed["listClientOrderId"] == "my-list"
    stop, lim = placed["orderReports"]
    assert (stop["type"], stop["stopPrice"], stop["workingTime"]) == (
        "STOP_LOSS_LIMIT",
        "60000.10000000",
        -1,
    )
    assert (lim["type"], lim["price"], lim["status"]) == ("LIMIT_MAKER", "60000.90000000", "NEW")
    assert [o["orderId"] for o in placed["orders"]] == [stop["orderId"], stop["orderId"] + 1]
    assert balances(private_url, acct)["BTC"] == ("4.99000000", "0.01000000")
    assert depth(private_url)["asks"]["60000.90000000"] == "0.01000000"
    by_id = call(private_url, "GET", "/api/v3/orderList", acct, orderListId=placed["orderListId"])
    by_cid = call(private_url, "GET", "/api/v3/orderList", acct, origClientOrderId="my-list")
    assert by_id == by_cid == {k: v for k, v in placed.items() if k != "orderReports"}
    opened = call(private_url, "GET", "/api/v3/openOrderList", acct)
    assert [x["orderListId"] for x in opened] == [placed["orderListId"]]
    legs = call(private_url, "GET", "/api/v3/openOrders", acct, symbol="BTCUSD")
    assert {o["orderListId"] for o in legs} == {placed["orderListId"]}
    assert [o["isWorking"] for o in legs] == [False, True]
    canceled = call(
        private_url,
        "DELETE",
        "/api/v3/orderList",
        acct,
        symbol="BTCUSD",
        listClientOrderId="my-list",
        newClientOrderId="undo-1",
    )
    assert (canceled["listStatusType"], canceled["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert canceled["listClientOrderId"] == "undo-1"
    assert [(r["status"], r["clientOrderId"]) for r in canceled["orderReports"]] == [
        ("CANCELED", "undo-1"),
        ("CANCELED", "undo-1"),
    ]
    assert balances(private_url, acct)["BTC"] == ("5.00000000", "0.00000000")
    assert call(private_url, "GET", "/api/v3/openOrderList", acct) == []


def test_it_enforces_the_price_rules_and_leg_types(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    below_last = oco(private_url, acct, price="60000.40")
    assert (below_last["code"], below_last["msg"]) == (-2010, BAD_PRICES)
    buy_above = oco(private_url, acct, "BUY", stopPrice="60000.20")
    assert (buy_above["code"], buy_above["msg"]) == (-2010, BAD_PRICES)
    no_limit_price = oco(private_url, acct, stopLimitPrice=None, stopLimitTimeInForce=None)
    assert (no_limit_price["code"], no_limit_price["msg"]) == (
        -2010,
        "Stop loss orders are not supported for this symbol",
    )
    no_tif = oco(private_url, acct, stopLimitTimeInForce=None)
    assert no_tif["code"] == -1102 and "stopLimitTimeInForce" in no_tif["msg"]
    assert call(private_url, "GET", "/api/v3/openOrderList", acct) == []


def test_it_expires_the_stop_leg_when_the_limit_leg_fills(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct, buyer = new_account(private_url), new_account(private_url)
    placed = oco(private_url, acct)
    stop_id, limit_id = (o["orderId"] for o in placed["orders"])
    take = limit(private_url, buyer, "BUY", "0.004", "60000.90", timeInForce="IOC")
    assert take["executedQty"] == "0.00400000"
    assert get_order(private_url, acct, stop_id)["status"] == "EXPIRED"
    assert get_order(private_url, acct, limit_id)["status"] == "PARTIALLY_FILLED"
    done = call(private_url, "GET", "/api/v3/orderList", acct, orderListId=placed["orderListId"])
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert call(private_url, "GET", "/api/v3/openOrderList", acct) == []
    rest = call(private_url, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=limit_id)
    assert (rest["status"], rest["orderListId"]) == ("CANCELED", placed["orderListId"])
    assert balances(private_url, acct)["BTC"] == ("4.99600000", "0.00000000")


def test_it_expires_the_limit_leg_when_the_stop_triggers(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    placed = oco(private_url, acct)
    stop_id, limit_id = (o["orderId"] for o in placed["orders"])
    trade_at(private_url, "60000.10")
    assert get_order(private_url, acct, limit_id)["status"] == "EXPIRED"
    stop = get_order(private_url, acct, stop_id)
    assert (stop["status"], stop["isWorking"]) == ("NEW", True)
    asks = depth(private_url)["asks"]
    assert "60000.90000000" not in asks and asks["60000.00000000"] == "0.01000000"
    assert balances(private_url, acct)["BTC"] == ("4.99000000", "0.01000000")  # lock moved
    [canceled] = call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")
    assert (canceled["orderId"], canceled["status"]) == (stop_id, "CANCELED")
    assert balances(private_url, acct)["BTC"] == ("5.00000000", "0.00000000")


def test_it_cancels_the_whole_list_through_one_leg(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    first, second = oco(private_url, acct), oco(private_url, acct, "BUY")
    assert balances(private_url, acct)["USD"] == ("99399.99000000", "600.01000000")
    leg = first["orders"][1]["orderId"]
    by_leg = call(private_url, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=leg)
    assert (by_leg["orderListId"], by_leg["listStatusType"]) == (first["orderListId"], "ALL_DONE")
    assert [r["status"] for r in by_leg["orderReports"]] == ["CANCELED", "CANCELED"]
    everything = call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")
    assert [x["orderListId"] for x in everything] == [second["orderListId"]]
    assert balances(private_url, acct)["USD"] == ("100000.00000000", "0.00000000")
    nothing = call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")
    assert (nothing["code"], nothing["msg"]) == (-2011, "Unknown order sent.")


def test_it_pages_the_list_history(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    ids = []
    for _ in range(3):
        placed = oco(private_url, acct)
        ids.append(placed["orderListId"])
        call(
            private_url,
            "DELETE",
            "/api/v3/orderList",
            acct,
            symbol="BTCUSD",
            orderListId=placed["orderListId"],
        )
    every = call(private_url, "GET", "/api/v3/allOrderList", acct)
    assert [x["orderListId"] for x in every] == ids
    assert [
        x["orderListId"]
        for x in call(private_url, "GET", "/api/v3/allOrderList", acct, fromId=ids[1], limit=1)
    ] == [ids[1]]
    recent = call(private_url, "GET", "/api/v3/allOrderList", acct, limit=2)
    assert [x["orderListId"] for x in recent] == ids[1:]
    later = call(private_url, "GET", "/api/v3/allOrderList", acct, startTime=now_ms() + 60_000)
    assert later == []
    clash = call(private_url, "GET", "/api/v3/allOrderList", acct, fromId=1, startTime=1)
    assert (clash["code"], clash["msg"]) == (-1128, "Combination of optional parameters invalid.")
    missing = call(private_url, "GET", "/api/v3/orderList", acct, orderListId=10**9)
    assert (missing["code"], missing["msg"]) == (-2013, "Order does not exist.")
