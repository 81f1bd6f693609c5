"""Every one of the WebSocket API's 33 methods answers in the shape of the spec's example for it
(field names and order), on a quiet sandbox of this module's own: the BTCUSD book has bids
from 59999 down and asks from 60001 up, so what trades inside the spread is the tests' own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sandbox.order_support import trade_at
from tests.sandbox.sandbox_support import new_account
from tests.sandbox.test_sandbox_ws_api import Api, open_api

ROOT = Path(__file__).resolve().parents[2]
# Field orders of the spec's WebSocket API examples (L10663-13945), copied here.
TRADE = ["id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"]
AGG_TRADE = ["a", "p", "q", "f", "l", "T", "m", "M"]
EXCHANGE_INFO = ["timezone", "serverTime", "rateLimits", "exchangeFilters", "symbols"]
SYMBOL_INFO = [
    "symbol",
    "status",
    "baseAsset",
    "baseAssetPrecision",
    "quoteAsset",
    "quotePrecision",
    "quoteAssetPrecision",
    "baseCommissionPrecision",
    "quoteCommissionPrecision",
    "orderTypes",
    "icebergAllowed",
    "ocoAllowed",
    "quoteOrderQtyMarketAllowed",
    "allowTrailingStop",
    "cancelReplaceAllowed",
    "isSpotTradingAllowed",
    "isMarginTradingAllowed",
    "filters",
    "permissions",
]
WINDOW_TAIL = ["volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count"]
MINI = ["symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", *WINDOW_TAIL]
CHANGE = ["symbol", "priceChange", "priceChangePercent", "weightedAvgPrice"]
BEST = ["bidPrice", "bidQty", "askPrice", "askQty"]
FULL_24HR = [
    *CHANGE,
    "prevClosePrice",
    "lastPrice",
    "lastQty",
    *BEST,
    "openPrice",
    "highPrice",
    "lowPrice",
    *WINDOW_TAIL,
]
FULL_ROLLING = [*CHANGE, *MINI[1:]]
ACK = ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
CORE = [
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
]
RESULT = [*ACK, *CORE, "workingTime", "selfTradePreventionMode"]
FULL = [*ACK, *CORE, "workingTime", "fills", "selfTradePreventionMode"]
FILL = ["price", "qty", "commission", "commissionAsset", "tradeId"]
STATUS = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    *CORE,
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
]
CANCELED = [
    "symbol",
    "origClientOrderId",
    "orderId",
    "orderListId",
    "clientOrderId",
    *CORE,
    "selfTradePreventionMode",
]
LIST = [
    "orderListId",
    "contingencyType",
    "listStatusType",
    "listOrderStatus",
    "listClientOrderId",
    "transactionTime",
    "symbol",
    "orders",
]
LIST_LEG = ["symbol", "orderId", "clientOrderId"]
STOP_REPORT = [*ACK, *CORE, "stopPrice", "workingTime", "selfTradePreventionMode"]
LIMIT_REPORT = RESULT
CANCELED_STOP_LEG = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    *CORE,
    "stopPrice",
    "selfTradePreventionMode",
]
CANCELED_LIMIT_LEG = [x for x in CANCELED_STOP_LEG if x != "stopPrice"]
REPLACE = ["cancelResult", "newOrderResult", "cancelResponse", "newOrderResponse"]
ACCOUNT = [
    "makerCommission",
    "takerCommission",
    "buyerCommission",
    "sellerCommission",
    "canTrade",
    "canWithdraw",
    "canDeposit",
    "commissionRates",
    "brokered",
    "requireSelfTradePrevention",
    "updateTime",
    "accountType",
    "balances",
    "permissions",
]
RATE_LIMIT = ["rateLimitType", "interval", "intervalNum", "limit", "count"]
MY_TRADE = [
    "symbol",
    "id",
    "orderId",
    "orderListId",
    "price",
    "qty",
    "quoteQty",
    "commission",
    "commissionAsset",
    "time",
    "isBuyer",
    "isMaker",
    "isBestMatch",
]
PREVENTED = [
    "symbol",
    "preventedMatchId",
    "takerOrderId",
    "makerOrderId",
    "tradeGroupId",
    "selfTradePreventionMode",
    "price",
    "makerPreventedQuantity",
    "transactTime",
]
LIMIT_BUY = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


def keys(doc: object) -> list[str]:
    assert isinstance(doc, dict), doc
    return list(doc)


def limit_buy(price: str = "30000", qty: str = "0.001", **extra: object) -> dict:
    return {**LIMIT_BUY, "price": price, "quantity": qty, **extra}


def test_the_method_table_is_the_specs() -> None:
    from sandbox.routes import ROUTES
    from sandbox.ws_api_methods import METHODS

    doc = json.loads((ROOT / "binanceus" / "endpoints.json").read_text())
    assert sorted(METHODS) == sorted(doc["websocket_api_methods"])
    assert len(METHODS) == 33
    import sandbox.app  # noqa: F401  (fills ROUTES)

    assert all(route in ROUTES for route in METHODS.values())


@pytest.mark.asyncio
async def test_the_market_data_methods(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        await api.ok(
            "order.place", acct, symbol="BTCUSD", side="BUY", type="MARKET", quantity="0.002"
        )
        assert await api.ok("ping") == {}
        assert keys(await api.ok("time")) == ["serverTime"]
        info = await api.ok("exchangeInfo", symbols=["BTCUSD"])
        assert keys(info)[:5] == EXCHANGE_INFO
        assert keys(info["symbols"][0])[: len(SYMBOL_INFO)] == SYMBOL_INFO
        assert keys(await api.ok("exchangeInfo", permissions=["SPOT"]))[:5] == EXCHANGE_INFO
        book = await api.ok("depth", symbol="BTCUSD", limit=5)
        assert keys(book) == ["lastUpdateId", "bids", "asks"] and len(book["bids"]) == 5
        [recent] = await api.ok("trades.recent", symbol="BTCUSD", limit=1)
        assert keys(recent) == TRADE
        await _historical(api, acct, recent["id"])
        [agg] = await api.ok("trades.aggregate", symbol="BTCUSD", limit=1)
        assert keys(agg) == AGG_TRADE
        [bar] = await api.ok("klines", symbol="BTCUSD", interval="1h", limit=1)
        assert len(bar) == 12 and bar[-1] == "0"
        assert keys(await api.ok("avgPrice", symbol="BTCUSD")) == ["mins", "price"]
        await _tickers(api)


async def _historical(api: Api, acct: dict, trade_id: int) -> None:
    """trades.historical is MARKET_DATA: apiKey, no signature."""
    doc = await api.call("trades.historical", {"symbol": "BTCUSD", "limit": 1})
    assert doc["error"]["code"] == -1102
    doc = await api.keyed("trades.historical", acct, symbol="BTCUSD", fromId=trade_id, limit=1)
    assert [keys(t) for t in doc["result"]] == [TRADE] and doc["result"][0]["id"] == trade_id


async def _tickers(api: Api) -> None:
    assert keys(await api.ok("ticker.24hr", symbol="BTCUSD")) == FULL_24HR
    assert keys(await api.ok("ticker.24hr", symbol="BTCUSD", type="MINI")) == MINI
    rows = await api.ok("ticker.24hr", symbols=["BTCUSD", "ETHUSD"])
    assert [keys(r) for r in rows] == [FULL_24HR, FULL_24HR]
    assert keys(await api.ok("ticker", symbol="BTCUSD", windowSize="7d")) == FULL_ROLLING
    assert keys(await api.ok("ticker", symbol="BTCUSD", type="MINI")) == MINI
    rows = await api.ok("ticker", symbols=["BTCUSD", "ETHUSD"])
    assert [keys(r) for r in rows] == [FULL_ROLLING, FULL_ROLLING]
    assert keys(await api.ok("ticker.price", symbol="BTCUSD")) == ["symbol", "price"]
    assert len(await api.ok("ticker.price")) == 6
    assert keys(await api.ok("ticker.book", symbol="BTCUSD")) == ["symbol", *BEST]
    rows = await api.ok("ticker.book", symbols=["BTCUSD", "ETHUSD"])
    assert [r["symbol"] for r in rows] == ["BTCUSD", "ETHUSD"]


@pytest.mark.asyncio
async def test_order_place_answers_ack_result_and_full(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        ack = await api.ok("order.place", acct, **limit_buy(newOrderRespType="ACK"))
        assert keys(ack) == ACK and ack["orderListId"] == -1
        assert keys(await api.ok("order.place", acct, **limit_buy(newOrderRespType="RESULT"))) == (
            RESULT
        )
        full = await api.ok("order.place", acct, **limit_buy("60002"))  # LIMIT: FULL by default
        assert keys(full) == FULL and full["status"] == "FILLED"
        assert [keys(f) for f in full["fills"]] == [FILL]
        assert await api.ok("order.test", acct, **limit_buy()) == {}
        doc = await api.signed("order.test", acct, **limit_buy(price="-1"))
        assert doc["status"] == 400


@pytest.mark.asyncio
async def test_order_status_cancel_and_open_orders(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        placed = await api.ok("order.place", acct, **limit_buy(newClientOrderId="ws-1"))
        found = await api.ok("order.status", acct, symbol="BTCUSD", orderId=placed["orderId"])
        assert keys(found) == STATUS and found["clientOrderId"] == "ws-1"
        by_cid = await api.ok("order.status", acct, symbol="BTCUSD", origClientOrderId="ws-1")
        assert by_cid == found
        assert [keys(o) for o in await api.ok("openOrders.status", acct, symbol="BTCUSD")] == [
            STATUS
        ]
        assert len(await api.ok("openOrders.status", acct)) == 1
        canceled = await api.ok(
            "order.cancel", acct, symbol="BTCUSD", origClientOrderId="ws-1", newClientOrderId="c-1"
        )
        assert keys(canceled) == CANCELED
        assert (canceled["origClientOrderId"], canceled["clientOrderId"]) == ("ws-1", "c-1")
        doc = await api.signed("order.cancel", acct, symbol="BTCUSD", orderId=placed["orderId"])
        assert (doc["status"], doc["error"]) == (400, {"code": -2011, "msg": "Unknown order sent."})
        doc = await api.signed("order.status", acct, symbol="BTCUSD", orderId=10**12)
        assert doc["error"] == {"code": -2013, "msg": "Order does not exist."}


@pytest.mark.asyncio
async def test_cancel_replace_answers_200_400_and_409(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        old = await api.ok("order.place", acct, **limit_buy(newClientOrderId="cr-1"))
        new = limit_buy("30001", cancelReplaceMode="STOP_ON_FAILURE")
        done = await api.signed("order.cancelReplace", acct, cancelOrigClientOrderId="cr-1", **new)
        assert done["status"] == 200 and keys(done["result"]) == REPLACE
        assert keys(done["result"]["cancelResponse"]) == CANCELED
        assert keys(done["result"]["newOrderResponse"]) == FULL
        assert [r["rateLimitType"] for r in done["rateLimits"]] == [
            "ORDERS",
            "ORDERS",
            "REQUEST_WEIGHT",
        ]
        stopped = await api.signed("order.cancelReplace", acct, cancelOrderId=old["orderId"], **new)
        assert stopped["status"] == 400
        assert stopped["error"] == {
            "code": -2022,
            "msg": "Order cancel-replace failed.",
            "data": {
                "cancelResult": "FAILURE",
                "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
                "newOrderResponse": None,
            },
        }
        new["cancelReplaceMode"] = "ALLOW_FAILURE"
        half = await api.signed("order.cancelReplace", acct, cancelOrderId=old["orderId"], **new)
        assert half["status"] == 409 and keys(half["error"]) == ["code", "msg", "data"]
        assert half["error"]["code"] == -2021
        assert half["error"]["msg"] == "Order cancel-replace partially failed."
        data = half["error"]["data"]
        assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
        assert keys(data["newOrderResponse"]) == FULL


@pytest.mark.asyncio
async def test_order_lists(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    oco = {"symbol": "BTCUSD", "side": "SELL", "quantity": "0.01", "price": "60000.90"}
    oco |= {"stopPrice": "60000.10", "stopLimitPrice": "60000.00", "stopLimitTimeInForce": "GTC"}
    async with open_api(private_url) as api:
        placed = await api.signed(
            "orderList.place", acct, listClientOrderId="l-1", newOrderRespType="RESULT", **oco
        )
        assert placed["status"] == 200 and keys(placed["result"]) == [*LIST, "orderReports"]
        assert [r["rateLimitType"] for r in placed["rateLimits"]][:2] == ["ORDERS", "ORDERS"]
        assert placed["rateLimits"][0]["count"] == 2  # an OCO counts as 2 orders
        lst = placed["result"]
        assert [keys(r) for r in lst["orderReports"]] == [STOP_REPORT, LIMIT_REPORT]
        assert [keys(o) for o in lst["orders"]] == [LIST_LEG, LIST_LEG]
        # origClientOrderId wins over orderListId (a wrong one here)
        status = await api.ok("orderList.status", acct, origClientOrderId="l-1", orderListId=10**9)
        assert keys(status) == LIST and status["orderListId"] == lst["orderListId"]
        assert [x["orderListId"] for x in await api.ok("openOrderLists.status", acct)] == [
            lst["orderListId"]
        ]
        canceled = await api.ok(
            "orderList.cancel", acct, symbol="BTCUSD", orderListId=lst["orderListId"]
        )
        assert keys(canceled) == [*LIST, "orderReports"]
        assert [keys(r) for r in canceled["orderReports"]] == [
            CANCELED_STOP_LEG,
            CANCELED_LIMIT_LEG,
        ]
        legs = [o["clientOrderId"] for o in lst["orders"]]
        assert [r["clientOrderId"] for r in canceled["orderReports"]] == legs
        assert {r["transactTime"] for r in canceled["orderReports"]} == {
            canceled["transactionTime"]
        }
        history = await api.ok(
            "allOrderLists", acct, fromId=10**9, startTime=lst["transactionTime"]
        )
        assert [keys(x) for x in history] == [LIST]  # fromId ignored with a time window


@pytest.mark.asyncio
async def test_cancel_all_cancels_orders_and_lists(private_url: str) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    oco = {"symbol": "BTCUSD", "side": "SELL", "quantity": "0.01", "price": "60000.90"}
    oco |= {"stopPrice": "60000.10", "stopLimitPrice": "60000.00", "stopLimitTimeInForce": "GTC"}
    async with open_api(private_url) as api:
        await api.ok("order.place", acct, **limit_buy())
        await api.ok("orderList.place", acct, **oco)
        rows = await api.ok("openOrders.cancelAll", acct, symbol="BTCUSD")
        assert [keys(r) for r in rows] == [CANCELED, [*LIST, "orderReports"]]
        assert await api.ok("openOrders.status", acct) == []


@pytest.mark.asyncio
async def test_account_methods(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        account = await api.ok("account.status", acct)
        assert keys(account) == ACCOUNT
        assert keys(account["commissionRates"]) == ["maker", "taker", "buyer", "seller"]
        limits = await api.ok("account.rateLimits.orders", acct)
        assert [keys(r) for r in limits] == [RATE_LIMIT, RATE_LIMIT]
        assert [(r["interval"], r["intervalNum"]) for r in limits] == [("SECOND", 10), ("DAY", 1)]
        bought = await api.ok(
            "order.place", acct, symbol="BTCUSD", side="BUY", type="MARKET", quantity="0.001"
        )
        [order] = await api.ok("allOrders", acct, symbol="BTCUSD", limit=5)
        assert keys(order) == STATUS and order["orderId"] == bought["orderId"]
        [trade] = await api.ok("myTrades", acct, symbol="BTCUSD")
        assert keys(trade) == MY_TRADE and trade["orderId"] == bought["orderId"]
        assert await api.ok("allOrderLists", acct) == []


@pytest.mark.asyncio
async def test_my_prevented_matches(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        maker = await api.ok("order.place", acct, **limit_buy("60000.40", side="SELL"))
        await api.ok("order.place", acct, **limit_buy("60000.40", timeInForce="IOC"))
        [row] = await api.ok("myPreventedMatches", acct, symbol="BTCUSD", orderId=maker["orderId"])
        assert keys(row) == PREVENTED and row["makerOrderId"] == maker["orderId"]
        by_id = await api.signed(
            "myPreventedMatches", acct, symbol="BTCUSD", preventedMatchId=row["preventedMatchId"]
        )
        assert by_id["result"] == [row]
        unsigned = await api.call("myPreventedMatches", {"symbol": "BTCUSD", "orderId": 1})
        assert unsigned["error"]["code"] == -1102  # apiKey/signature required as USER_DATA


@pytest.mark.asyncio
async def test_user_data_stream_methods(private_url: str) -> None:
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        started = await api.keyed("userDataStream.start", acct)
        assert keys(started["result"]) == ["listenKey"]
        key = started["result"]["listenKey"]
        for method in ("userDataStream.ping", "userDataStream.stop"):
            doc = await api.keyed(method, acct, listenKey=key)
            assert keys(doc) == ["id", "status", "result", "rateLimits"] and doc["result"] == {}
