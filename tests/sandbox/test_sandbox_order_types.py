"""Order types over HTTP on a quiet sandbox of this module's own: the mandatory-parameter
table, stop-limit and trailing triggers, icebergs, LIMIT_MAKER, quoteOrderQty, response types,
order/test, self-trade prevention and the order endpoints' weights."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from sandbox.accounts import Account, Registry
from sandbox.clock import Clock
from sandbox.engine import Engine, OrderRequest
from sandbox.symbols import SYMBOLS
from tests.sandbox.order_support import (
    RICH,
    call,
    depth,
    get_order,
    limit,
    order,
    trade_at,
    used_weight,
)
from tests.sandbox.sandbox_support import balances, new_account, signed

MISSING_STOP = "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null."


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"type": "STOP_LOSS_LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "50000"},
            -1102,
            MISSING_STOP,
        ),
        (
            {"type": "TAKE_PROFIT_LIMIT", "quantity": "1", "price": "50000", "stopPrice": "1"},
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or was malformed.",
        ),
        (
            {"type": "STOP_LOSS_LIMIT", "timeInForce": "GTC", "stopPrice": "1", "price": "2"},
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or was malformed.",
        ),
        (
            {
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "50000",
                "stopPrice": "49000",
            },
            -1106,
            "Parameter 'stopPrice' sent when not required.",
        ),
        (
            {"type": "MARKET", "quantity": "0.01", "icebergQty": "0.001"},
            -1106,
            "Parameter 'icebergQty' sent when not required.",
        ),
        (
            {"type": "LIMIT_MAKER", "timeInForce": "GTC", "quantity": "1", "price": "50000"},
            -1114,
            "TimeInForce parameter sent when not required.",
        ),
        ({"type": "STOP_LOSS", "quantity": "1", "stopPrice": "50000"}, -2010, None),
        ({"type": "TAKE_PROFIT", "quantity": "1", "stopPrice": "70000"}, -2010, None),
        (
            {
                "type": "LIMIT",
                "timeInForce": "IOC",
                "quantity": "0.01",
                "price": "50000",
                "icebergQty": "0.002",
            },
            -2010,
            "Unsupported order combination",
        ),
        (
            {
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "50000",
                "icebergQty": "0.01",
            },
            -2010,
            "IcebergQty exceeds QTY",
        ),
        ({"type": "OCO", "quantity": "1"}, -1116, "Invalid orderType."),
    ],
)
def test_it_applies_the_mandatory_parameter_table(
    private_url: str, params: dict, code: int, msg: str | None
) -> None:
    resp = order(private_url, new_account(private_url), side="SELL", **params)
    assert (resp["http"], resp["code"]) == (400, code)
    expected = msg or (
        "Stop loss orders are not supported for this symbol"
        if params["type"] == "STOP_LOSS"
        else "Take profit orders are not supported for this symbol"
    )
    assert resp["msg"] == expected


def test_it_keeps_a_stop_limit_off_the_book_until_the_last_price_reaches_it(
    private_url: str,
) -> None:
    trade_at(private_url, "60000.50")
    acct = new_account(private_url)
    too_late = order(
        private_url,
        acct,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="60000.20",
        stopPrice="60000.70",
    )
    assert (too_late["code"], too_late["msg"]) == (-2010, "Order would trigger immediately.")
    placed = order(
        private_url,
        acct,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="60000.20",
        stopPrice="60000.30",
    )
    assert set(placed) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    waiting = get_order(private_url, acct, placed["orderId"])
    assert (waiting["status"], waiting["isWorking"], waiting["workingTime"]) == ("NEW", False, -1)
    assert (waiting["stopPrice"], waiting["type"]) == ("60000.30000000", "STOP_LOSS_LIMIT")
    assert balances(private_url, acct)["BTC"] == ("4.99000000", "0.01000000")
    assert "60000.20000000" not in depth(private_url)["asks"]
    trade_at(private_url, "60000.40")  # above the stop: still waiting
    assert get_order(private_url, acct, placed["orderId"])["isWorking"] is False
    trade_at(private_url, "60000.30")  # reaches the stop: a LIMIT SELL at 60000.20 works
    working = get_order(private_url, acct, placed["orderId"])
    assert (working["status"], working["isWorking"]) == ("NEW", True)
    assert working["workingTime"] >= working["time"]
    assert depth(private_url)["asks"]["60000.20000000"] == "0.01000000"
    call(private_url, "DELETE", "/api/v3/order", acct, symbol="BTCUSD", orderId=placed["orderId"])
    assert balances(private_url, acct)["BTC"] == ("5.00000000", "0.00000000")


def test_it_triggers_a_trailing_stop_after_the_delta_from_the_best_price(
    private_url: str,
) -> None:
    """ETHBTC, asks/bids every 0.00002 around 0.05. A SELL trailing 10 BIPS tracks the
    highest price since placing and triggers 0.1% below it."""
    trade_at(private_url, "0.05000", "ETHBTC", "0.01")
    acct, seller = new_account(private_url, RICH), new_account(private_url, RICH)
    placed = order(
        private_url,
        acct,
        symbol="ETHBTC",
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="IOC",
        quantity="0.01",
        price="0.04990",
        trailingDelta=10,
        newOrderRespType="RESULT",
    )
    assert (placed["trailingDelta"], placed["workingTime"]) == (10, -1)
    assert placed["trailingTime"] == placed["transactTime"]  # tracking from the last price
    trade_at(private_url, "0.05001", "ETHBTC", "0.01")  # new high: triggers at <= 0.04995999
    bids = depth(private_url, "ETHBTC")["bids"]
    down_to = sum(D(bids[p]) for p in ("0.04998000", "0.04996000"))
    sweep = order(
        private_url, seller, symbol="ETHBTC", side="SELL", type="MARKET", quantity=str(down_to)
    )
    assert sweep["fills"][-1]["price"] == "0.04996000"
    assert get_order(private_url, acct, placed["orderId"], "ETHBTC")["isWorking"] is False
    order(private_url, seller, symbol="ETHBTC", side="SELL", type="MARKET", quantity="0.01")
    done = get_order(private_url, acct, placed["orderId"], "ETHBTC")
    assert (done["status"], done["executedQty"], done["isWorking"]) == (
        "FILLED",
        "0.01000000",
        True,
    )
    # sold into the bids left from 0.04994 down, never below its 0.04990 limit
    assert D("0.00049900") <= D(done["cummulativeQuoteQty"]) <= D("0.00049940")


def test_it_shows_only_an_icebergs_slice_and_refills_it(private_url: str) -> None:
    seller, buyer = new_account(private_url), new_account(private_url)
    ice = limit(private_url, seller, "SELL", "0.01", "60000.60", icebergQty="0.002")
    assert ice["icebergQty"] == "0.00200000"
    assert depth(private_url)["asks"]["60000.60000000"] == "0.00200000"
    take = limit(private_url, buyer, "BUY", "0.003", "60000.60", timeInForce="IOC")
    assert [f["qty"] for f in take["fills"]] == ["0.00200000", "0.00100000"]
    assert depth(private_url)["asks"]["60000.60000000"] == "0.00100000"
    status = get_order(private_url, seller, ice["orderId"])
    assert (status["executedQty"], status["icebergQty"]) == ("0.00300000", "0.00200000")
    call(private_url, "DELETE", "/api/v3/order", seller, symbol="BTCUSD", orderId=ice["orderId"])
    assert "60000.60000000" not in depth(private_url)["asks"]


def test_it_rejects_a_limit_maker_that_would_take(private_url: str) -> None:
    acct = new_account(private_url)
    resp = order(private_url, acct, side="BUY", type="LIMIT_MAKER", quantity="0.01", price="60001")
    assert (resp["code"], resp["msg"]) == (-2010, "Order would immediately match and take.")
    maker = order(private_url, acct, side="BUY", type="LIMIT_MAKER", quantity="0.01", price="59000")
    assert set(maker) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")


def test_it_buys_by_quote_quantity_and_answers_each_response_type(private_url: str) -> None:
    acct = new_account(private_url)
    full = order(private_url, acct, side="BUY", type="MARKET", quoteOrderQty="100")
    qty = D(full["executedQty"])
    price = D(full["fills"][0]["price"])
    assert full["status"] == "FILLED" and full["origQty"] == full["executedQty"]
    assert price * qty <= 100 < price * (qty + D("0.00001"))  # as much as 100 USD buys
    result = order(
        private_url, acct, side="SELL", type="MARKET", quantity="0.001", newOrderRespType="RESULT"
    )
    assert "fills" not in result and result["status"] == "FILLED"
    ack = order(
        private_url, acct, side="SELL", type="MARKET", quantity="0.001", newOrderRespType="ACK"
    )
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}


def test_it_validates_a_test_order_without_placing_it(private_url: str) -> None:
    acct = new_account(private_url)
    before = balances(private_url, acct)
    ok = call(
        private_url,
        "POST",
        "/api/v3/order/test",
        acct,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price="50000",
    )
    assert ok == {}
    bad = call(
        private_url,
        "POST",
        "/api/v3/order/test",
        acct,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price="50000.001",
    )
    assert (bad["code"], bad["msg"]) == (-1013, "Filter failure: PRICE_FILTER")
    assert call(private_url, "GET", "/api/v3/openOrders", acct, symbol="BTCUSD") == []
    assert balances(private_url, acct) == before


@pytest.mark.parametrize(
    ("mode", "maker_status", "taker_status"),
    [
        ("EXPIRE_MAKER", "EXPIRED_IN_MATCH", "EXPIRED"),
        ("EXPIRE_TAKER", "NEW", "EXPIRED_IN_MATCH"),
        ("EXPIRE_BOTH", "EXPIRED_IN_MATCH", "EXPIRED_IN_MATCH"),
    ],
)
def test_it_prevents_self_trades_per_mode(
    private_url: str, mode: str, maker_status: str, taker_status: str
) -> None:
    acct = new_account(private_url)
    maker = limit(private_url, acct, "SELL", "0.01", "60000.80")
    taker = limit(
        private_url,
        acct,
        "BUY",
        "0.01",
        "60000.80",
        timeInForce="IOC",
        selfTradePreventionMode=mode,
    )
    assert taker["status"] == taker_status
    [match] = taker["preventedMatches"]
    assert (match["makerOrderId"], match["price"]) == (maker["orderId"], "60000.80000000")
    assert ("makerPreventedQuantity" in match) == (mode != "EXPIRE_TAKER")
    assert ("takerPreventedQuantity" in match) == (mode != "EXPIRE_MAKER")
    assert taker["fills"] == []
    made = get_order(private_url, acct, maker["orderId"])
    assert made["status"] == maker_status
    if maker_status == "EXPIRED_IN_MATCH":
        assert (made["preventedMatchId"], made["preventedQuantity"]) == (
            match["preventedMatchId"],
            "0.01000000",
        )
    else:
        assert "preventedMatchId" not in made
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")


def test_it_weighs_the_order_queries_as_the_spec_says(private_url: str) -> None:
    acct = new_account(private_url)
    placed = limit(private_url, acct, "BUY", "0.01", "50000")
    weights = []
    for method, path, params in (
        ("GET", "/api/v3/openOrders", {"symbol": "BTCUSD"}),
        ("GET", "/api/v3/openOrders", {}),
        ("GET", "/api/v3/order", {"symbol": "BTCUSD", "orderId": placed["orderId"]}),
    ):
        before = used_weight(signed(private_url, "GET", "/api/v3/time", acct))
        after = used_weight(signed(private_url, method, path, acct, params))
        weights.append(after - before)
    assert weights == [3, 40, 2]
    call(private_url, "DELETE", "/api/v3/openOrders", acct, symbol="BTCUSD")


# ---- the trailing stop FAQ's scenarios, driven through the engine directly --------------------


@pytest.fixture
def engine_world() -> tuple[Engine, Account, Account, Account]:
    reg = Registry(random.Random(1))
    engine = Engine([SYMBOLS["BTCUSD"]], Clock(), random.Random(2))
    funds = {"USD": D(10_000_000), "BTC": D(100)}
    a, b, c = (reg.create_account(f"{n}@x", dict(funds)) for n in "abc")
    return engine, a, b, c


def _walk(engine: Engine, seller: Account, buyer: Account, prices: list[str]) -> None:
    for price in prices:
        engine.place(seller, OrderRequest("BTCUSD", "SELL", "LIMIT", "GTC", D(1), None, D(price)))
        engine.place(buyer, OrderRequest("BTCUSD", "BUY", "LIMIT", "IOC", D(1), None, D(price)))


def _stop(side: str, kind: str, stop: str, delta: int, price: str) -> OrderRequest:
    return OrderRequest(
        "BTCUSD", side, kind, "GTC", D(1), None, D(price), stop_price=D(stop), trailing_delta=delta
    )


def test_it_follows_faq_scenario_b_trailing_stop_loss_sell(engine_world) -> None:
    engine, a, b, c = engine_world
    _walk(engine, a, b, ["40000"])
    o = engine.place(c, _stop("SELL", "STOP_LOSS_LIMIT", "39000", 1000, "38000")).order
    _walk(engine, a, b, ["41500", "39000", "37000"])  # tracks from 39000; -5.1%: waits
    assert (o.is_working, o.trailing_time >= 0, o.extreme) == (False, True, D("39000"))
    _walk(engine, a, b, ["41000", "36901"])  # new high 41000; 36900 is its -10%
    assert not o.is_working
    _walk(engine, a, b, ["36900"])
    assert (o.is_working, o.on_book, o.status) == (True, True, "NEW")


def test_it_follows_faq_scenario_c_trailing_take_profit_buy(engine_world) -> None:
    engine, a, b, c = engine_world
    _walk(engine, a, b, ["40000"])
    o = engine.place(c, _stop("BUY", "TAKE_PROFIT_LIMIT", "38000", 850, "38500")).order
    _walk(engine, a, b, ["42000"])
    assert o.trailing_time == -1  # not yet at the 38000 activation price
    _walk(engine, a, b, ["38000", "37000", "39000", "38000", "40144"])
    assert not o.is_working  # 40145 is 37000 + 8.5%
    _walk(engine, a, b, ["40145"])
    assert o.is_working and o.status in ("NEW", "PARTIALLY_FILLED", "FILLED")


def test_it_runs_market_stops_and_expires_one_it_cannot_fund(engine_world) -> None:
    """STOP_LOSS / TAKE_PROFIT work as MARKET once triggered (the engine supports them though
    the sandbox's symbols, like Binance.US's, do not enable them)."""
    engine, a, b, c = engine_world
    _walk(engine, a, b, ["100"])
    engine.place(a, OrderRequest("BTCUSD", "BUY", "LIMIT", "GTC", D(1), None, D(90)))
    engine.place(a, OrderRequest("BTCUSD", "SELL", "LIMIT", "GTC", D(1), None, D(200)))
    sell = OrderRequest("BTCUSD", "SELL", "STOP_LOSS", "GTC", D(1), None, stop_price=D(95))
    stop_sell = engine.place(c, sell).order
    assert (c.bal("BTC").locked, stop_sell.working_time) == (D(1), -1)
    poor = Registry(random.Random(3)).create_account("poor@x", {"USD": D(50)})
    buy = OrderRequest("BTCUSD", "BUY", "TAKE_PROFIT", "GTC", D(1), None, stop_price=D(95))
    stop_buy = engine.place(poor, buy).order
    assert poor.bal("USD").locked == 0  # a market BUY has no price to lock by
    engine.place(a, OrderRequest("BTCUSD", "SELL", "LIMIT", "GTC", D(1), None, D(95)))
    engine.place(b, OrderRequest("BTCUSD", "BUY", "LIMIT", "IOC", D(1), None, D(95)))
    assert (stop_sell.status, stop_sell.executed_qty, stop_sell.cum_quote) == (
        "FILLED",
        D(1),
        D(90),
    )
    assert (stop_buy.status, stop_buy.executed_qty) == ("EXPIRED", D(0))  # 200 > its 50 USD
    assert engine.books["BTCUSD"].asks.totals == {D(200): D(1)}


def test_it_sells_by_quote_quantity_and_expires_when_the_book_runs_out(engine_world) -> None:
    """Spec changelog: a reverse MARKET order that did not fully fill is EXPIRED."""
    engine, a, b, _ = engine_world
    engine.place(a, OrderRequest("BTCUSD", "BUY", "LIMIT", "GTC", D(1), None, D(100)))
    full = engine.place(b, OrderRequest("BTCUSD", "SELL", "MARKET", "GTC", None, D(50))).order
    assert (full.status, full.executed_qty, full.cum_quote) == ("FILLED", D("0.5"), D(50))
    short = engine.place(b, OrderRequest("BTCUSD", "SELL", "MARKET", "GTC", None, D(80))).order
    assert (short.status, short.executed_qty, short.cum_quote) == ("EXPIRED", D("0.5"), D(50))
    assert b.bal("BTC").locked == 0
