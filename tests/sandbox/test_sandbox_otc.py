"""OTC convert over real HTTP (spec "OTC Endpoints", L4990-5500): coin pairs, quotes priced
off the book's mid less the desk's spread, orders placed once with a quote and settled on the
sandbox clock (PROCESS -> ACCEPT_SUCCESS -> SUCCESS | FAIL, L5182), the order lists and the
admin-seeded OCBS list, and the otcOrder fault key.

The quiet book (--tick-ms 0) has fixed best bids and asks; nothing here trades on it."""

from __future__ import annotations

import asyncio
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
import requests
from websockets.asyncio.client import connect

from tests.sandbox.sandbox_support import admin, new_account, recv_until, signed, ws_url

INSUFFICIENT = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
BAD_QUOTE = {"code": -1130, "msg": "Data sent for parameter 'quoteId' is not valid."}
# The fields of the spec's examples, in their order.
PAIR = [
    "fromCoin",
    "toCoin",
    "fromCoinMinAmount",
    "fromCoinMaxAmount",
    "toCoinMinAmount",
    "toCoinMaxAmount",
]
QUOTE = ["symbol", "ratio", "inverseRatio", "validTimestamp", "toAmount", "fromAmount"]
PLACED = ["orderId", "createTime", "orderStatus"]
ORDER = [
    "quoteId",
    "orderId",
    "orderStatus",
    "fromCoin",
    "fromAmount",
    "toCoin",
    "toAmount",
    "ratio",
    "inverseRatio",
    "createTime",
]
OCBS = [
    "quoteId",
    "orderId",
    "orderStatus",
    "fromCoin",
    "fromAmount",
    "toCoin",
    "toAmount",
    "feeCoin",
    "feeAmount",
    "ratio",
    "createTime",
]
SETTLE_MS = 1_000
EIGHT = Decimal("0.00000001")


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def call(base: str, method: str, path: str, key: dict, **params: object) -> requests.Response:
    """A signed request stamped with the sandbox's own (possibly moved) clock."""
    return signed(
        base, method, path, key, params, in_body=method == "POST", timestamp=server_time(base)
    )


def ok(resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def error(resp: requests.Response) -> dict:
    assert resp.status_code == 400, resp.text
    return resp.json()


def advance(base: str, ms: int) -> None:
    admin(base, "POST", "/clock", {"advanceMs": ms}).raise_for_status()


def book_mid(base: str, symbol: str) -> Decimal:
    depth = requests.get(f"{base}/api/v3/depth", params={"symbol": symbol}, timeout=5).json()
    return (Decimal(depth["bids"][0][0]) + Decimal(depth["asks"][0][0])) / 2


def quote(base: str, key: dict, pair: str = "USD/BTC", coin: str = "BTC", amount: str = "0.001"):
    from_coin, to_coin = pair.split("/")
    return call(
        base,
        "POST",
        "/sapi/v1/otc/quotes",
        key,
        fromCoin=from_coin,
        toCoin=to_coin,
        requestCoin=coin,
        requestAmount=amount,
    )


def place(base: str, key: dict, quote_id: str) -> requests.Response:
    return call(base, "POST", "/sapi/v1/otc/orders", key, quoteId=quote_id)


def order(base: str, key: dict, order_id: str) -> dict:
    return ok(call(base, "GET", f"/sapi/v1/otc/orders/{order_id}", key))


def held(base: str, key: dict, asset: str) -> tuple[Decimal, Decimal]:
    rows = ok(call(base, "GET", "/api/v3/account", key))["balances"]
    row = next((r for r in rows if r["asset"] == asset), {"free": "0", "locked": "0"})
    return Decimal(row["free"]), Decimal(row["locked"])


@pytest.fixture
def base(private_url: str) -> str:
    admin(private_url, "DELETE", "/faults").raise_for_status()
    settings = {
        "pairs": None,
        "spread": "0.002",
        "quoteValidityMs": 10_000,
        "acceptDelayMs": 0,
        "settleDelayMs": SETTLE_MS,
        "failNextOrders": 0,
    }
    admin(private_url, "POST", "/otc", settings).raise_for_status()
    return private_url


# ---- pairs and quotes -------------------------------------------------------------------------


def test_it_lists_coin_pairs_both_ways_with_bounds_per_side(base: str) -> None:
    key = new_account(base)
    pairs = ok(call(base, "GET", "/sapi/v1/otc/coinPairs", key))
    assert all(list(p) == PAIR for p in pairs)
    by_pair = {(p["fromCoin"], p["toCoin"]): p for p in pairs}
    assert {("BTC", "USD"), ("USD", "BTC"), ("ETH", "USDT"), ("USDT", "ETH")} <= set(by_pair)
    for p in pairs:
        assert 0 < p["fromCoinMinAmount"] < p["fromCoinMaxAmount"]
        assert 0 < p["toCoinMinAmount"] < p["toCoinMaxAmount"]
    there, back = by_pair["BTC", "USD"], by_pair["USD", "BTC"]
    assert (there["fromCoinMinAmount"], there["toCoinMaxAmount"]) == (
        back["toCoinMinAmount"],
        back["fromCoinMaxAmount"],
    )

    only_btc = ok(call(base, "GET", "/sapi/v1/otc/coinPairs", key, fromCoin="BTC"))
    assert only_btc and {p["fromCoin"] for p in only_btc} == {"BTC"}
    one = ok(call(base, "GET", "/sapi/v1/otc/coinPairs", key, fromCoin="BTC", toCoin="USD"))
    assert one == [there]


def test_it_quotes_within_the_spread_of_the_book_mid(base: str) -> None:
    admin(base, "POST", "/otc", {"spread": "0.01", "quoteValidityMs": 10_000})
    key = new_account(base)
    mid = book_mid(base, "BTCUSD")
    before = server_time(base)
    sell = ok(quote(base, key, "BTC/USD", "BTC", "0.1"))
    after = server_time(base)
    assert list(sell) == [*QUOTE, "quoteId"]
    assert sell["symbol"] == "BTCUSD" and len(sell["quoteId"]) == 32
    ratio = Decimal(str(sell["ratio"]))
    assert mid * Decimal("0.99") - EIGHT <= ratio <= mid * Decimal("0.99")
    assert Decimal(str(sell["fromAmount"])) == Decimal("0.1")
    assert Decimal(str(sell["toAmount"])) == (Decimal("0.1") * ratio).quantize(EIGHT, ROUND_DOWN)
    assert abs(Decimal(str(sell["inverseRatio"])) - 1 / ratio) <= EIGHT
    # Seconds, like the spec's example (1641806714).
    assert (before + 10_000) // 1000 - 1 <= sell["validTimestamp"] <= (after + 10_000) // 1000

    buy = ok(quote(base, key, "USD/BTC", "BTC", "0.1"))  # asks for the to side
    assert buy["symbol"] == "USDBTC" and Decimal(str(buy["toAmount"])) == Decimal("0.1")
    paid, fair_cost = Decimal(str(buy["fromAmount"])), mid * Decimal("0.1") / Decimal("0.99")
    assert fair_cost <= paid <= fair_cost + EIGHT
    assert buy["quoteId"] != sell["quoteId"]


def test_it_refuses_quotes_off_the_pairs_and_their_bounds(base: str) -> None:
    key = new_account(base)
    bad = "Data sent for parameter '{}' is not valid."
    assert error(quote(base, key, "XRP/USD", "XRP", "1")) == {
        "code": -1130,
        "msg": bad.format("fromCoin"),
    }
    assert error(quote(base, key, "BTC/SOL", "BTC", "1"))["msg"] == bad.format("toCoin")
    assert error(quote(base, key, "BTC/USD", "ETH", "1"))["msg"] == bad.format("requestCoin")
    assert error(quote(base, key, "BTC/USD", "BTC", "0"))["msg"] == bad.format("requestAmount")
    assert error(quote(base, key, "BTC/USD", "BTC", "0.00000001"))["msg"] == bad.format(
        "requestAmount"
    )
    missing = call(base, "POST", "/sapi/v1/otc/quotes", key, fromCoin="BTC", toCoin="USD")
    assert error(missing)["code"] == -1102

    pair = {
        "fromCoin": "BTC",
        "toCoin": "USD",
        "fromCoinMinAmount": "0.01",
        "fromCoinMaxAmount": "1",
        "toCoinMinAmount": "100",
        "toCoinMaxAmount": "1000",
    }
    assert admin(base, "POST", "/otc", {"pairs": [pair]}).status_code == 200
    listed = {"fromCoinMinAmount": 0.01, "fromCoinMaxAmount": 1, "toCoinMinAmount": 100}
    assert ok(call(base, "GET", "/sapi/v1/otc/coinPairs", key)) == [
        {**pair, **listed, "toCoinMaxAmount": 1000}
    ]
    # 0.5 BTC is within the BTC bounds, but its USD side is above 1000.
    assert error(quote(base, key, "BTC/USD", "BTC", "0.5"))["msg"] == bad.format("requestAmount")
    assert error(quote(base, key, "USD/BTC", "USD", "200"))["msg"] == bad.format("fromCoin")
    assert ok(quote(base, key, "BTC/USD", "BTC", "0.01"))["symbol"] == "BTCUSD"
    unpriced = {**pair, "fromCoin": "XRP"}
    assert admin(base, "POST", "/otc", {"pairs": [unpriced]}).status_code == 400


# ---- orders -----------------------------------------------------------------------------------


def test_it_settles_an_order_on_the_sandbox_clock(base: str) -> None:
    key = new_account(base, {"USD": "1000"})
    q = ok(quote(base, key, "USD/BTC", "BTC", "0.001"))
    cost = Decimal(str(q["fromAmount"]))
    before = server_time(base)
    placed = ok(place(base, key, q["quoteId"]))
    assert list(placed) == PLACED and placed["orderStatus"] == "PROCESS"
    assert before // 1000 <= placed["createTime"] <= server_time(base) // 1000
    assert held(base, key, "USD") == (1000 - cost, cost)  # locked while it runs

    accepted = order(base, key, placed["orderId"])
    assert list(accepted) == ORDER
    assert accepted["orderStatus"] == "ACCEPT_SUCCESS"  # acceptDelayMs 0
    assert (accepted["quoteId"], accepted["fromCoin"], accepted["toCoin"]) == (
        q["quoteId"],
        "USD",
        "BTC",
    )
    assert (accepted["fromAmount"], accepted["toAmount"]) == (q["fromAmount"], q["toAmount"])
    assert held(base, key, "BTC") == (0, 0)

    advance(base, SETTLE_MS)
    done = order(base, key, placed["orderId"])
    assert done["orderStatus"] == "SUCCESS"
    assert held(base, key, "USD") == (1000 - cost, 0)
    assert held(base, key, "BTC") == (Decimal("0.001"), 0)


def test_an_order_settles_when_due_without_its_account_asking(base: str) -> None:
    key = new_account(base, {"USD": "1000"})
    q = ok(quote(base, key, "USD/BTC", "BTC", "0.001"))
    ok(place(base, key, q["quoteId"]))
    advance(base, SETTLE_MS)
    # Only the account's balances are read: no OTC request brings the order up to date.
    assert held(base, key, "BTC") == (Decimal("0.001"), 0)
    assert held(base, key, "USD") == (1000 - Decimal(str(q["fromAmount"])), 0)


def test_it_moves_through_the_statuses_at_the_set_delays(base: str) -> None:
    admin(base, "POST", "/otc", {"acceptDelayMs": 5_000, "settleDelayMs": 10_000})
    key = new_account(base, {"USD": "1000"})
    placed = ok(place(base, key, ok(quote(base, key))["quoteId"]))
    assert order(base, key, placed["orderId"])["orderStatus"] == "PROCESS"
    advance(base, 5_000)
    assert order(base, key, placed["orderId"])["orderStatus"] == "ACCEPT_SUCCESS"
    listed = ok(call(base, "GET", "/sapi/v1/otc/orders", key))["rows"]
    assert [r["orderStatus"] for r in listed] == ["ACCEPT_SUCCESS"]
    advance(base, 5_000)
    listed = ok(call(base, "GET", "/sapi/v1/otc/orders", key))["rows"]  # the list catches up too
    assert [r["orderStatus"] for r in listed] == ["SUCCESS"]


@pytest.mark.asyncio
async def test_it_pushes_the_balance_moves_on_the_user_data_stream(base: str) -> None:
    key = new_account(base, {"USD": "1000"})
    listen = signed(base, "POST", "/api/v3/userDataStream", key).json()["listenKey"]
    async with connect(ws_url(base, f"/ws/{listen}")) as ws:
        q = await asyncio.to_thread(lambda: ok(quote(base, key)))
        placed = await asyncio.to_thread(lambda: ok(place(base, key, q["quoteId"])))
        cost = Decimal(str(q["fromAmount"]))
        locked = await recv_until(ws, lambda m: m["e"] == "outboundAccountPosition")
        assert [(b["a"], Decimal(b["f"]), Decimal(b["l"])) for b in locked["B"]] == [
            ("USD", 1000 - cost, cost)
        ]
        await asyncio.to_thread(advance, base, SETTLE_MS)
        await asyncio.to_thread(order, base, key, placed["orderId"])
        moved = await recv_until(ws, lambda m: m["e"] == "outboundAccountPosition")
        assert {b["a"]: (Decimal(b["f"]), Decimal(b["l"])) for b in moved["B"]} == {
            "BTC": (Decimal("0.001"), 0),
            "USD": (1000 - cost, 0),
        }


def test_it_refuses_unknown_used_and_expired_quotes(base: str) -> None:
    admin(base, "POST", "/otc", {"quoteValidityMs": 3_000})
    key = new_account(base)
    assert error(place(base, key, "4e5446f2cc6f44ab86ab02abf19a2fd2")) == BAD_QUOTE

    used = ok(quote(base, key))
    ok(place(base, key, used["quoteId"]))
    assert error(place(base, key, used["quoteId"])) == BAD_QUOTE

    stranger = new_account(base)
    mine = ok(quote(base, key))
    assert error(place(base, stranger, mine["quoteId"])) == BAD_QUOTE

    stale = ok(quote(base, key))
    advance(base, 3_000)
    assert error(place(base, key, stale["quoteId"])) == BAD_QUOTE
    assert server_time(base) >= stale["validTimestamp"] * 1000
    assert error(place(base, key, mine["quoteId"])) == BAD_QUOTE


def test_it_fails_an_order_and_unlocks_the_funds(base: str) -> None:
    admin(base, "POST", "/otc", {"failNextOrders": 1})
    key = new_account(base, {"BTC": "1"})
    q = ok(quote(base, key, "BTC/USDT", "BTC", "0.5"))
    placed = ok(place(base, key, q["quoteId"]))
    assert held(base, key, "BTC") == (Decimal("0.5"), Decimal("0.5"))
    advance(base, SETTLE_MS)
    assert order(base, key, placed["orderId"])["orderStatus"] == "FAIL"
    assert held(base, key, "BTC") == (1, 0)
    assert held(base, key, "USDT") == (0, 0)
    # Only the next order failed.
    again = ok(place(base, key, ok(quote(base, key, "BTC/USDT", "BTC", "0.5"))["quoteId"]))
    advance(base, SETTLE_MS)
    assert order(base, key, again["orderId"])["orderStatus"] == "SUCCESS"


def test_it_refuses_an_order_without_the_funds(base: str) -> None:
    key = new_account(base, {"USD": "20"})
    q = ok(quote(base, key, "USD/BTC", "BTC", "0.001"))  # about 60 USD
    assert error(place(base, key, q["quoteId"])) == INSUFFICIENT
    assert held(base, key, "USD") == (20, 0)
    assert ok(call(base, "GET", "/sapi/v1/otc/orders", key)) == {"total": 0, "rows": []}
    assert error(call(base, "GET", "/sapi/v1/otc/orders/10002349", key))["code"] == -2013


def test_it_executes_the_order_then_answers_500_under_the_fault(base: str) -> None:
    key = new_account(base, {"USD": "1000"})
    q = ok(quote(base, key))
    admin(base, "POST", "/faults", {"otcOrder": {"mode": "execute_then_500", "count": 1}})
    lost = place(base, key, q["quoteId"])
    assert lost.status_code == 500 and lost.json()["code"] == -1007
    # The spec's 5XX: unknown outcome. The order list tells, by quoteId; the quote is spent.
    rows = ok(call(base, "GET", "/sapi/v1/otc/orders", key))["rows"]
    assert [r["quoteId"] for r in rows] == [q["quoteId"]]
    assert error(place(base, key, q["quoteId"])) == BAD_QUOTE
    assert len(ok(call(base, "GET", "/sapi/v1/otc/orders", key))["rows"]) == 1

    admin(base, "POST", "/faults", {"otcOrder": {"mode": "unavailable_503", "count": 1}})
    other = ok(quote(base, key))
    busy = place(base, key, other["quoteId"])
    assert busy.status_code == 503
    assert ok(call(base, "GET", "/sapi/v1/otc/orders", key))["total"] == 1  # not executed
    assert ok(place(base, key, other["quoteId"]))["orderStatus"] == "PROCESS"


def test_it_pages_and_filters_the_order_list(base: str) -> None:
    key = new_account(base, {"USD": "1000", "ETH": "1"})
    ids = []
    for pair, coin, amount in (
        ("USD/BTC", "BTC", "0.001"),
        ("ETH/USD", "ETH", "0.1"),
        ("USD/BTC", "BTC", "0.001"),
    ):
        ids.append(ok(place(base, key, ok(quote(base, key, pair, coin, amount))["quoteId"])))
        advance(base, 1_000)
    order_ids = [p["orderId"] for p in ids]
    everything = ok(call(base, "GET", "/sapi/v1/otc/orders", key))
    assert everything["total"] == 3
    assert [r["orderId"] for r in everything["rows"]] == order_ids  # oldest first, as L5343
    assert all(list(r) == ORDER for r in everything["rows"])

    first = ok(call(base, "GET", "/sapi/v1/otc/orders", key, limit=2, page=1))
    second = ok(call(base, "GET", "/sapi/v1/otc/orders", key, limit=2, page=2))
    assert (first["total"], second["total"]) == (3, 3)
    assert [r["orderId"] for r in first["rows"] + second["rows"]] == order_ids
    by_coin = ok(call(base, "GET", "/sapi/v1/otc/orders", key, fromCoin="ETH"))
    assert [r["orderId"] for r in by_coin["rows"]] == [order_ids[1]]
    by_id = ok(call(base, "GET", "/sapi/v1/otc/orders", key, orderId=order_ids[2]))
    assert by_id["total"] == 1
    since = (ids[1]["createTime"]) * 1000
    later = ok(call(base, "GET", "/sapi/v1/otc/orders", key, startTime=since))
    assert [r["orderId"] for r in later["rows"]] == order_ids[1:]
    beyond = ok(call(base, "GET", "/sapi/v1/otc/orders", key, limit=2, page=3))
    assert beyond == {"total": 3, "rows": []}


def test_it_lists_the_admin_seeded_ocbs_orders(base: str) -> None:
    key = new_account(base)
    seeded = [
        {
            "quoteId": "4e5446f2cc6f44ab86ab02abf19a7654",
            "orderId": "10090821212",
            "fromCoin": "BTC",
            "fromAmount": "1",
            "toCoin": "USD",
            "toAmount": "50550.26",
            "feeCoin": "USD",
            "feeAmount": "0.26",
            "ratio": "50550.26",
            "createTime": 1641806714,
        },
        {
            "orderId": "1000238000",
            "orderStatus": "FAIL",
            "fromCoin": "USD",
            "fromAmount": "1000.5",
            "toCoin": "ETH",
            "toAmount": "0.5",
            "feeAmount": "0.5",
            "createTime": 1641916714,
        },
    ]
    resp = admin(base, "POST", "/otc/ocbs", {"email": key["email"], "orders": seeded})
    assert resp.status_code == 200, resp.text
    listed = ok(call(base, "GET", "/sapi/v1/ocbs/orders", key))
    assert listed["total"] == 2
    first, second = listed["dataList"]
    assert list(first) == OCBS and list(second) == OCBS
    assert first["toAmount"] == 50550.26 and first["orderStatus"] == "SUCCESS"
    assert (second["orderStatus"], second["ratio"], second["feeCoin"]) == (
        "FAIL",
        0.00049975,
        "USD",
    )
    one = ok(call(base, "GET", "/sapi/v1/ocbs/orders", key, orderId="1000238000"))
    assert one["dataList"] == [second]
    paged = ok(call(base, "GET", "/sapi/v1/ocbs/orders", key, limit=1, page=2))
    assert paged == {"total": 2, "dataList": [second]}
    window = ok(call(base, "GET", "/sapi/v1/ocbs/orders", key, endTime=1641900000000))
    assert window["dataList"] == [first]
    stranger = new_account(base)
    assert ok(call(base, "GET", "/sapi/v1/ocbs/orders", stranger)) == {"total": 0, "dataList": []}
    bad = admin(base, "POST", "/otc/ocbs", {"email": key["email"], "orders": [{"fromCoin": "BTC"}]})
    assert bad.status_code == 400
