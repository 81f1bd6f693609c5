"""POST /api/v3/order/cancelReplace over HTTP: the spec's outcome table (200 / 400 -2022 /
409 -2021 with the combined body), cancelRestrictions, and parameter errors that stop both."""

from __future__ import annotations

from tests.sandbox.order_support import call, get_order, limit
from tests.sandbox.sandbox_support import balances, new_account, signed

UNKNOWN = {"code": -2011, "msg": "Unknown order sent."}
WOULD_TAKE = {"code": -2010, "msg": "Order would immediately match and take."}


def replace(base: str, acct: dict, mode: str, **params: object) -> tuple[int, dict]:
    doc = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.02",
        "price": "50100",
        "cancelReplaceMode": mode,
        **params,
    }
    sent = {k: v for k, v in doc.items() if v is not None}  # None: leave the parameter out
    resp = signed(base, "POST", "/api/v3/order/cancelReplace", acct, sent, in_body=True)
    return resp.status_code, resp.json()


def test_it_cancels_and_places_in_one_call(private_url: str) -> None:
    acct = new_account(private_url)
    old = limit(private_url, acct, "BUY", "0.01", "50000", newClientOrderId="bid")
    status, doc = replace(
        private_url,
        acct,
        "STOP_ON_FAILURE",
        cancelOrigClientOrderId="bid",
        cancelNewClientOrderId="bid-cancel",
        newClientOrderId="bid",  # the canceled order's id is free again
    )
    assert status == 200
    assert (doc["cancelResult"], doc["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    cancel, new = doc["cancelResponse"], doc["newOrderResponse"]
    assert (cancel["orderId"], cancel["status"], cancel["clientOrderId"]) == (
        old["orderId"],
        "CANCELED",
        "bid-cancel",
    )
    assert (new["clientOrderId"], new["price"], new["status"], new["fills"]) == (
        "bid",
        "50100.00000000",
        "NEW",
        [],
    )
    assert balances(private_url, acct)["USD"] == ("98998.00000000", "1002.00000000")
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")


def test_it_stops_on_a_failed_cancel(private_url: str) -> None:
    acct = new_account(private_url)
    status, doc = replace(private_url, acct, "STOP_ON_FAILURE", cancelOrderId=10**9)
    assert status == 400
    assert doc == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": UNKNOWN,
            "newOrderResponse": None,
        },
    }
    assert call(private_url, "GET", "/api/v3/openOrders", acct, symbol="BTCUSD") == []


def test_it_answers_409_when_one_side_fails(private_url: str) -> None:
    acct = new_account(private_url)
    status, doc = replace(private_url, acct, "ALLOW_FAILURE", cancelOrderId=10**9)
    assert (status, doc["code"], doc["msg"]) == (
        409,
        -2021,
        "Order cancel-replace partially failed.",
    )
    data = doc["data"]
    assert (data["cancelResult"], data["newOrderResult"], data["cancelResponse"]) == (
        "FAILURE",
        "SUCCESS",
        UNKNOWN,
    )
    placed = data["newOrderResponse"]["orderId"]
    old = limit(private_url, acct, "BUY", "0.01", "50000")
    status, doc = replace(
        private_url,
        acct,
        "STOP_ON_FAILURE",
        cancelOrderId=old["orderId"],
        type="LIMIT_MAKER",
        timeInForce=None,
        price="60001",
    )
    assert (status, doc["code"]) == (409, -2021)
    assert (doc["data"]["cancelResult"], doc["data"]["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert doc["data"]["newOrderResponse"] == WOULD_TAKE
    assert get_order(private_url, acct, old["orderId"])["status"] == "CANCELED"  # stays done
    call(private_url, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=placed)


def test_it_answers_400_when_both_fail(private_url: str) -> None:
    acct = new_account(private_url)
    status, doc = replace(
        private_url,
        acct,
        "ALLOW_FAILURE",
        cancelOrderId=10**9,
        type="LIMIT_MAKER",
        timeInForce=None,
        price="60001",
    )
    assert status == 400
    assert doc["code"] == -2022 and doc["data"]["newOrderResponse"] == WOULD_TAKE
    assert (doc["data"]["cancelResult"], doc["data"]["newOrderResult"]) == ("FAILURE", "FAILURE")


def test_it_applies_cancel_restrictions(private_url: str) -> None:
    acct = new_account(private_url)
    old = limit(private_url, acct, "BUY", "0.01", "50000")
    status, doc = replace(
        private_url,
        acct,
        "STOP_ON_FAILURE",
        cancelOrderId=old["orderId"],
        cancelRestrictions="ONLY_PARTIALLY_FILLED",
    )
    assert (status, doc["code"]) == (400, -2022)
    assert doc["data"]["cancelResponse"] == {
        "code": -2011,
        "msg": "Order was not canceled due to cancel restrictions.",
    }
    bad = replace(private_url, acct, "STOP_ON_FAILURE", cancelOrderId=1, cancelRestrictions="X")
    assert bad == (
        400,
        {
            "code": -1145,
            "msg": "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.",
        },
    )
    assert get_order(private_url, acct, old["orderId"])["status"] == "NEW"
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")


def test_it_checks_the_new_order_before_touching_anything(private_url: str) -> None:
    acct = new_account(private_url)
    old = limit(private_url, acct, "BUY", "0.01", "50000")
    status, doc = replace(
        private_url, acct, "ALLOW_FAILURE", cancelOrderId=old["orderId"], price="50100.001"
    )
    assert (status, doc) == (400, {"code": -1013, "msg": "Filter failure: PRICE_FILTER"})
    missing = replace(private_url, acct, "ALLOW_FAILURE")
    assert missing[1]["code"] == -1102 and "cancelOrderId" in missing[1]["msg"]
    assert get_order(private_url, acct, old["orderId"])["status"] == "NEW"
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")
