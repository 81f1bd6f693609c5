"""Custodial trading and the custody's life on the sandbox clock, over real HTTP: the nine
custodial order endpoints (L8159-9110) trading the custodial sub-account's balance with the
market, express trades from the partner (L8179), custodianTransfer processed after a delay,
undoTransfer of a partner transfer (L7849, L8039), settlement at nextTriggerTime (L9261-9274),
the history lag and the custody fault keys.

The quiet book (--tick-ms 0) has BTCUSD bids from 59999 down and asks from 60001 up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, new_key, signed

RAIL = "ANCHORAGE"
C = "/sapi/v1/custodian"
HOUR = 3_600_000
REJECTED = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
INSUFFICIENT = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
# The fields of the spec's examples, in their order.
PLACED = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "expressTradeFlag",
]
STATUS = [
    *PLACED[:-1],
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "origQuoteOrderQty",
    "expressTradeFlag",
]
CANCELED = ["symbol", "origClientOrderId", "orderId", *PLACED[2:-1]]
TRADE = [
    "symbol",
    "price",
    "qty",
    "quoteQty",
    "time",
    "isBuyer",
    "isMaker",
    "isBestMatch",
    "orderId",
    "orderListId",
    "commission",
    "commissionAsset",
]
LIST = [
    "orderListId",
    "contingencyType",
    "listStatusType",
    "listOrderStatus",
    "listClientOrderId",
    "transactionTime",
    "symbol",
]
TRANSFER_ROW = [
    "transferId",
    "clientOrderId",
    "asset",
    "amount",
    "status",
    "expressTrade",
    "createTime",
    "updateTime",
]


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def call(base: str, method: str, path: str, key: dict, **params: object) -> requests.Response:
    """A signed request stamped with the sandbox's own (possibly moved) clock."""
    return signed(
        base, method, path, key, params, in_body=method == "POST", timestamp=server_time(base)
    )


def cust(base: str, method: str, path: str, key: dict, **params: object) -> requests.Response:
    return call(base, method, C + path, key, rail=RAIL, **params)


def ok(resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def code(resp: requests.Response) -> int:
    assert resp.status_code >= 400, resp.text
    return resp.json()["code"]


def advance(base: str, ms: int) -> None:
    admin(base, "POST", "/clock", {"advanceMs": ms}).raise_for_status()


def custodial(base: str, **doc: object) -> dict:
    """A custodial key of a fresh account set up for custody with partner RAIL; the exchange
    key is its "exchange" entry."""
    acct = new_account(base)
    resp = admin(base, "POST", f"/accounts/{acct['email']}/custody", {"rail": RAIL, **doc})
    assert resp.status_code == 200, resp.text
    return {**new_key(base, acct, "custodial"), "exchange": acct}


def custody_state(base: str, key: dict) -> dict:
    """The admin's view (an empty update answers the custody as it is)."""
    return admin(base, "POST", f"/accounts/{key['email']}/custody", {}).json()


def held(base: str, key: dict) -> dict[str, tuple[Decimal, Decimal]]:
    rows = ok(cust(base, "GET", "/balance", key))["custodialAcctBalance"]
    return {r["asset"]: (Decimal(r["free"]), Decimal(r["locked"])) for r in rows}


def spot(base: str, key: dict) -> dict[str, str]:
    rows = ok(call(base, "GET", "/api/v3/account", key["exchange"]))["balances"]
    return {b["asset"]: b["free"] for b in rows}


def limit(base: str, key: dict, side: str, qty: str, price: str, **extra: object) -> Any:
    return cust(
        base,
        "POST",
        "/order",
        key,
        symbol="BTCUSD",
        side=side,
        type="LIMIT",
        timeInForce="GTC",
        quantity=qty,
        price=price,
        **extra,
    )


def transfers(base: str, key: dict, **params: object) -> list[dict]:
    return ok(cust(base, "GET", "/custodianTransferHistory", key, **params))["data"]


@pytest.fixture
def base(private_url: str) -> str:
    admin(private_url, "DELETE", "/faults").raise_for_status()
    return private_url


# ---- trading ----------------------------------------------------------------------------------


def test_it_rests_lists_and_cancels_a_custodial_limit_order(base: str) -> None:
    key = custodial(base, balances={"USD": "1000"})
    spot_before = spot(base, key)
    placed = limit(base, key, "BUY", "0.002", "50000")
    doc = ok(placed)
    assert list(doc) == PLACED
    assert (doc["status"], doc["expressTradeFlag"], doc["orderListId"]) == ("NEW", False, -1)
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert held(base, key)["USD"] == (Decimal(900), Decimal(100))
    assert spot(base, key) == spot_before  # the account's own balance is not the custody's

    (row,) = ok(cust(base, "GET", "/openOrders", key, symbol="BTCUSD"))
    assert list(row) == STATUS and row["orderId"] == doc["orderId"]
    assert ok(cust(base, "GET", "/openOrders", key)) == [row]  # every symbol
    one = ok(cust(base, "GET", "/order", key, symbol="BTCUSD", orderId=doc["orderId"]))
    assert one == row
    assert code(cust(base, "GET", "/order", key, symbol="BTCUSD", orderId=999_999)) == -2013
    # The order is the custodial sub-account's: the spot endpoints do not know it.
    spot_open = ok(call(base, "GET", "/api/v3/openOrders", key["exchange"], symbol="BTCUSD"))
    assert spot_open == []

    gone = ok(cust(base, "DELETE", "/cancelOrder", key, symbol="BTCUSD", orderId=doc["orderId"]))
    assert list(gone) == CANCELED
    assert (gone["status"], gone["origClientOrderId"]) == ("CANCELED", doc["clientOrderId"])
    assert held(base, key)["USD"] == (Decimal(1000), Decimal(0))
    assert ok(cust(base, "GET", "/openOrders", key)) == []
    again = cust(base, "DELETE", "/cancelOrder", key, symbol="BTCUSD", orderId=doc["orderId"])
    assert code(again) == -2011
    (past,) = ok(cust(base, "GET", "/orderHistory", key, symbol="BTCUSD"))
    assert list(past) == STATUS and past["status"] == "CANCELED"


def test_it_fills_with_the_market_and_moves_the_custodial_balances(base: str) -> None:
    key = custodial(base, balances={"USD": "1000"})
    spot_before = spot(base, key)
    bought = ok(limit(base, key, "BUY", "0.002", "61000"))
    assert bought["status"] == "FILLED"
    paid = Decimal(bought["cummulativeQuoteQty"])
    assert 120 < paid < 122  # at the asks from 60001 up, not at the limit price
    commission = Decimal("0.002") * Decimal("0.001")
    assert held(base, key)["USD"] == (1000 - paid, Decimal(0))
    assert held(base, key)["BTC"] == (Decimal("0.002") - commission, Decimal(0))
    assert spot(base, key) == spot_before

    sold = ok(
        cust(
            base,
            "POST",
            "/order",
            key,
            symbol="BTCUSD",
            side="SELL",
            type="MARKET",
            quantity="0.001",
        )
    )
    assert sold["status"] == "FILLED"
    got = Decimal(sold["cummulativeQuoteQty"])
    usd = 1000 - paid + got - (got * Decimal("0.001")).quantize(Decimal("0.00000001"))
    assert held(base, key)["USD"] == (usd, Decimal(0))

    rows = ok(cust(base, "GET", "/tradeHistory", key, symbol="BTCUSD"))
    assert all(list(r) == TRADE for r in rows)
    assert {r["orderId"] for r in rows} == {bought["orderId"], sold["orderId"]}
    assert {r["isBuyer"] for r in rows} == {True, False}
    from_sell = ok(cust(base, "GET", "/tradeHistory", key, fromId=sold["orderId"]))
    assert {r["orderId"] for r in from_sell} == {sold["orderId"]}
    only_buy = ok(cust(base, "GET", "/tradeHistory", key, orderId=bought["orderId"]))
    assert {r["orderId"] for r in only_buy} == {bought["orderId"]}
    history = ok(cust(base, "GET", "/orderHistory", key))
    assert [o["orderId"] for o in history] == [bought["orderId"], sold["orderId"]]
    later = ok(cust(base, "GET", "/orderHistory", key, fromId=sold["orderId"]))
    assert [o["orderId"] for o in later] == [sold["orderId"]]


def test_it_refuses_a_short_balance_and_pulls_it_from_the_partner_on_express(base: str) -> None:
    key = custodial(base, balances={"USD": "50"}, partnerBalances={"USD": "10000"})
    short = limit(base, key, "BUY", "0.002", "50000")
    assert (short.status_code, short.json()) == (400, INSUFFICIENT)
    wrong_asset = limit(base, key, "BUY", "0.002", "50000", allowExpressTrade="true", asset="BTC")
    assert code(wrong_asset) == -1130
    doc = ok(limit(base, key, "BUY", "0.002", "50000", allowExpressTrade="true", asset="USD"))
    assert (doc["status"], doc["expressTradeFlag"]) == ("NEW", True)
    # The full order amount (0.002 x 50000) came over, not only the 50 missing.
    assert held(base, key)["USD"] == (Decimal(50), Decimal(100))
    assert custody_state(base, key)["partnerBalances"] == {"USD": "9900"}

    (express,) = transfers(base, key, expressTradeTransfer="true")
    assert list(express) == TRANSFER_ROW
    assert (express["asset"], express["amount"], express["status"]) == ("USD", 100, "SUCCESS")
    assert express["expressTrade"] is True
    assert express["clientOrderId"] == doc["clientOrderId"]
    assert transfers(base, key) == []  # expressTradeTransfer defaults to FALSE
    (row,) = ok(cust(base, "GET", "/openOrders", key))
    assert row["expressTradeFlag"] is True

    # Enough in custody now: no pull, and a partner too short refuses the order.
    assert (
        ok(limit(base, key, "BUY", "0.001", "50000", allowExpressTrade="true"))["expressTradeFlag"]
        is False
    )
    broke = limit(base, key, "BUY", "1", "50000", allowExpressTrade="true")
    assert (broke.status_code, broke.json()) == (400, INSUFFICIENT)
    assert len(transfers(base, key, expressTradeTransfer="true")) == 1


def test_it_places_lists_and_cancels_a_custodial_oco(base: str) -> None:
    key = custodial(base, balances={"BTC": "1"})
    oco = cust(
        base,
        "POST",
        "/ocoOrder",
        key,
        symbol="BTCUSD",
        side="SELL",
        quantity="0.01",
        price="61000",
        stopPrice="59000",
        stopLimitPrice="58900",
        stopLimitTimeInForce="GTC",
        limitClientOrderId="leg-limit",
        stopClientOrderId="leg-stop",
    )
    doc = ok(oco)
    assert oco.headers["X-MBX-ORDER-COUNT-10S"] == "2"  # an OCO counts as 2 orders (L8361)
    assert list(doc) == [*LIST, "expressTradeFlag", "orders", "orderReports"]
    assert [o["clientOrderId"] for o in doc["orders"]] == ["leg-stop", "leg-limit"]
    stop, limit_leg = doc["orderReports"]
    assert list(stop) == [*PLACED[:4], "transactTime", *PLACED[4:-1], "stopPrice"]
    assert list(limit_leg) == [*PLACED[:4], "transactTime", *PLACED[4:-1]]
    assert (stop["type"], limit_leg["type"]) == ("STOP_LOSS_LIMIT", "LIMIT_MAKER")
    assert held(base, key)["BTC"] == (Decimal("0.99"), Decimal("0.01"))
    legs = ok(cust(base, "GET", "/openOrders", key, symbol="BTCUSD"))
    assert {o["orderListId"] for o in legs} == {doc["orderListId"]} and len(legs) == 2

    gone = ok(
        cust(
            base,
            "DELETE",
            "/cancelOcoOrder",
            key,
            symbol="BTCUSD",
            orderListId=doc["orderListId"],
        )
    )
    assert list(gone) == [*LIST, "orders", "orderReports"]
    assert gone["listStatusType"] == "ALL_DONE"
    assert [list(r) for r in gone["orderReports"]] == [[*CANCELED, "stopPrice"], CANCELED]
    assert held(base, key)["BTC"] == (Decimal(1), Decimal(0))
    again = cust(
        base, "DELETE", "/cancelOcoOrder", key, symbol="BTCUSD", orderListId=doc["orderListId"]
    )
    assert code(again) == -2011


def test_it_cancels_every_order_of_a_symbol_ocos_included(base: str) -> None:
    key = custodial(base, balances={"BTC": "1", "USD": "1000"})
    ok(
        cust(
            base,
            "POST",
            "/ocoOrder",
            key,
            symbol="BTCUSD",
            side="SELL",
            quantity="0.01",
            price="61000",
            stopPrice="59000",
            stopLimitPrice="58900",
            stopLimitTimeInForce="GTC",
        )
    )
    single = ok(limit(base, key, "BUY", "0.002", "50000"))
    done = ok(cust(base, "DELETE", "/cancelOrdersBySymbol", key, symbol="BTCUSD"))
    assert len(done) == 2
    lists = [d for d in done if "orderReports" in d]
    orders = [d for d in done if "orderReports" not in d]
    assert len(lists) == 1 and lists[0]["listStatusType"] == "ALL_DONE"
    assert [o["orderId"] for o in orders] == [single["orderId"]]
    assert list(orders[0]) == CANCELED
    assert ok(cust(base, "GET", "/openOrders", key)) == []
    assert held(base, key)["BTC"] == (Decimal(1), Decimal(0))
    nothing = cust(base, "DELETE", "/cancelOrdersBySymbol", key, symbol="BTCUSD")
    assert code(nothing) == -2011


def test_it_gates_the_order_endpoints_by_key_type_and_trade_permission(base: str) -> None:
    key = custodial(base, balances={"USD": "1000"})
    order = {
        "rail": RAIL,
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.002",
        "price": "50000",
    }
    refused = call(base, "POST", f"{C}/order", key["exchange"], **order)
    assert (refused.status_code, refused.json()) == (401, REJECTED)
    read_only = new_key(base, key["exchange"], "custodial", permissions={"trade": False})
    assert call(base, "POST", f"{C}/order", read_only, **order).json() == REJECTED
    cancel = call(
        base, "DELETE", f"{C}/cancelOrdersBySymbol", read_only, rail=RAIL, symbol="BTCUSD"
    )
    assert cancel.json() == REJECTED
    assert ok(call(base, "GET", f"{C}/openOrders", read_only, rail=RAIL)) == []
    # openOrders weighs 1 even without a symbol (L8453).
    ts = server_time(base)
    first = signed(base, "GET", f"{C}/openOrders", key, {"rail": RAIL}, timestamp=ts)
    second = signed(base, "GET", f"{C}/openOrders", key, {"rail": RAIL}, timestamp=ts)
    used = [int(r.headers["X-MBX-USED-WEIGHT-1M"]) for r in (first, second)]
    assert used[1] - used[0] == 1


# ---- transfers on the clock -------------------------------------------------------------------


def test_it_processes_a_custodian_transfer_a_while_after_receiving_it(base: str) -> None:
    key = custodial(base, balances={"BTC": "1"}, partnerBalances={"BTC": "10"})
    doc = ok(cust(base, "POST", "/custodianTransfer", key, asset="BTC", amount="2"))
    assert doc["status"] == "Transfer request received "
    (row,) = transfers(base, key)
    assert (row["transferId"], row["status"]) == (doc["transferId"], "PROCESS")
    assert held(base, key)["BTC"] == (Decimal(1), Decimal(0))
    assert custody_state(base, key)["processingDelayMs"] == 5000
    advance(base, 5000)
    (row,) = transfers(base, key)
    assert row["status"] == "SUCCESS"
    assert row["updateTime"] == row["createTime"] + 5000
    assert held(base, key)["BTC"] == (Decimal(3), Decimal(0))
    assert custody_state(base, key)["partnerBalances"] == {"BTC": "8"}

    # The partner's funds gone by processing time: the transfer fails and nothing moves.
    cust(base, "POST", "/custodianTransfer", key, asset="BTC", amount="8", clientOrderId="all")
    admin(base, "POST", f"/accounts/{key['email']}/custody", {"partnerBalances": {"BTC": "1"}})
    advance(base, 5000)
    (failed,) = transfers(base, key, clientOrderId="all")
    assert failed["status"] == "FAILURE"
    assert held(base, key)["BTC"] == (Decimal(3), Decimal(0))


def test_it_undoes_a_custodian_transfer_with_an_undo_row(base: str) -> None:
    key = custodial(base, partnerBalances={"ETH": "10"}, processingDelayMs=1000)
    wallet = ok(cust(base, "POST", "/walletTransfer", key, asset="ETH", amount="1"))
    incoming = ok(cust(base, "POST", "/custodianTransfer", key, asset="ETH", amount="4"))
    pending = cust(base, "POST", "/undoTransfer", key, originTransferId=incoming["transferId"])
    assert code(pending) == -1130  # not processed yet: nothing to reverse
    advance(base, 1000)
    not_partner = cust(base, "POST", "/undoTransfer", key, originTransferId=wallet["transferId"])
    assert code(not_partner) == -1130
    undo = ok(cust(base, "POST", "/undoTransfer", key, originTransferId=incoming["transferId"]))
    assert list(undo) == ["transferId", "asset", "amount"]
    assert (undo["asset"], undo["amount"]) == ("ETH", 4)
    assert held(base, key)["ETH"] == (Decimal(1), Decimal(0))  # the walletTransfer's 1 stays
    assert custody_state(base, key)["partnerBalances"] == {"ETH": "10"}

    newest, origin = transfers(base, key)
    assert newest["transferId"] == undo["transferId"] != origin["transferId"]
    assert newest["clientOrderId"] == f"undo-{incoming['transferId']}"
    assert (newest["status"], newest["expressTrade"], newest["amount"]) == ("SUCCESS", False, 4)
    twice = cust(base, "POST", "/undoTransfer", key, originTransferId=incoming["transferId"])
    assert code(twice) == -1130


def test_it_settles_at_the_next_trigger_time(base: str) -> None:
    start = server_time(base)
    key = custodial(
        base,
        balances={"BTC": "2", "ETH": "3", "USD": "7"},
        settlementEligible=["BTC"],
        settlementSetting={"frequencyInHours": 24, "nextTriggerTime": start + HOUR},
    )
    assert ok(cust(base, "GET", "/settlementHistory", key)) == {"records": [], "total": 0}
    advance(base, HOUR)
    rows = ok(cust(base, "GET", "/balance", key))["custodialAcctBalance"]
    btc = next(r for r in rows if r["asset"] == "BTC")
    assert (btc["free"], btc["inSettlement"]) == ("0", "2")
    assert {r["asset"]: r["free"] for r in rows}["ETH"] == "3"  # not settlement-eligible
    (record,) = ok(cust(base, "GET", "/settlementHistory", key))["records"]
    assert (record["status"], record["triggerTime"]) == ("PROCESS", start + HOUR)
    assert record["settlementAssets"] == [
        {"asset": "BTC", "settleTo": f"{RAIL}-{key['accountId']}", "network": "BTC", "amount": "2"}
    ]
    setting = ok(cust(base, "GET", "/settlementSetting", key))
    assert setting["nextTriggerTime"] == start + HOUR + 24 * HOUR
    advance(base, 5000)
    (record,) = ok(cust(base, "GET", "/settlementHistory", key))["records"]
    assert record["status"] == "SUCCESS"
    assert "inSettlement" not in next(
        r
        for r in ok(cust(base, "GET", "/balance", key))["custodialAcctBalance"]
        if r["asset"] == "BTC"
    )
    assert custody_state(base, key)["partnerBalances"] == {"BTC": "2"}

    # A run holding a failing asset ends in FAILURE and gives the funds back.
    admin(
        base,
        "POST",
        f"/accounts/{key['email']}/custody",
        {"settlementEligible": ["ETH"], "failingSettlementAssets": ["ETH"]},
    )
    advance(base, 24 * HOUR - 5000)  # to the next trigger
    assert ok(cust(base, "GET", "/settlementHistory", key))["records"][0]["status"] == "PROCESS"
    advance(base, 5000)
    failed, done = ok(cust(base, "GET", "/settlementHistory", key))["records"]
    assert (failed["status"], failed["settlementAssets"], done["status"]) == (
        "FAILURE",
        [],
        "SUCCESS",
    )
    assert held(base, key)["ETH"] == (Decimal(3), Decimal(0))


def test_it_hides_new_custodial_history_rows_during_the_history_lag(base: str) -> None:
    key = custodial(base, balances={"USD": "1000"}, partnerBalances={"BTC": "1"})
    admin(base, "POST", "/faults", {"historyLagSeconds": 10}).raise_for_status()
    bought = ok(limit(base, key, "BUY", "0.002", "61000"))
    cust(base, "POST", "/custodianTransfer", key, asset="BTC", amount="1")
    assert ok(cust(base, "GET", "/orderHistory", key)) == []
    assert ok(cust(base, "GET", "/tradeHistory", key)) == []
    assert transfers(base, key) == []
    advance(base, 10_000)
    assert [o["orderId"] for o in ok(cust(base, "GET", "/orderHistory", key))] == [
        bought["orderId"]
    ]
    assert ok(cust(base, "GET", "/tradeHistory", key))
    assert len(transfers(base, key)) == 1


# ---- faults -----------------------------------------------------------------------------------


def test_it_applies_the_custody_fault_keys(base: str) -> None:
    key = custodial(base, balances={"USD": "1000"}, partnerBalances={"BTC": "5"})
    admin(base, "POST", "/faults", {"custodyOrder": {"mode": "execute_then_500", "count": 1}})
    lost = limit(base, key, "BUY", "0.002", "50000")
    assert lost.status_code == 500 and lost.json()["code"] == -1007
    (placed,) = ok(cust(base, "GET", "/openOrders", key))  # it ran

    admin(base, "POST", "/faults", {"custodyCancel": {"mode": "unavailable_503", "count": 1}})
    busy = cust(base, "DELETE", "/cancelOrder", key, symbol="BTCUSD", orderId=placed["orderId"])
    assert busy.status_code == 503 and busy.json()["msg"] == "Service Unavailable."
    assert len(ok(cust(base, "GET", "/openOrders", key))) == 1  # it did not

    admin(base, "POST", "/faults", {"custodianTransfer": {"mode": "unavailable_503", "count": 1}})
    refused = cust(base, "POST", "/custodianTransfer", key, asset="BTC", amount="1")
    assert refused.status_code == 503
    assert transfers(base, key) == []
    incoming = ok(cust(base, "POST", "/custodianTransfer", key, asset="BTC", amount="1"))
    advance(base, 5000)

    admin(
        base,
        "POST",
        "/faults",
        {"custodianUndo": {"mode": "execute_then_timeout", "count": 1, "holdSeconds": 0.3}},
    )
    held_back = cust(base, "POST", "/undoTransfer", key, originTransferId=incoming["transferId"])
    assert held_back.status_code == 500 and held_back.json()["code"] == -1007
    assert custody_state(base, key)["partnerBalances"] == {"BTC": "5"}  # the undo ran
