"""User data stream events for every order feature, read over a real WebSocket: stop orders
waiting and triggering, trailing stops, icebergs, self-trade prevention, OCO list statuses,
fills with commissions, and balance updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from tests.sandbox.order_support import call, limit, order, trade_at
from tests.sandbox.sandbox_support import new_account, recv_until, signed, ws_url


class Stream:
    """An account and its user data stream."""

    def __init__(self, base: str, acct: dict, ws: ClientConnection) -> None:
        self.base, self.acct, self.ws = base, acct, ws

    async def do(self, fn: Callable[..., object], *args: object, **kwargs: object) -> Any:
        return await asyncio.to_thread(fn, self.base, *args, **kwargs)

    async def report(self, **want: object) -> dict:
        """The next executionReport whose fields match `want`."""

        def match(m: dict) -> bool:
            return m["e"] == "executionReport" and all(m.get(k) == v for k, v in want.items())

        return await recv_until(self.ws, match)

    async def event(self, kind: str) -> dict:
        return await recv_until(self.ws, lambda m: m["e"] == kind)


@pytest_asyncio.fixture
async def stream(private_url: str) -> AsyncIterator[Stream]:
    acct = new_account(private_url)
    key = signed(private_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]
    async with connect(ws_url(private_url, f"/ws/{key}")) as ws:
        yield Stream(private_url, acct, ws)


@pytest.mark.asyncio
async def test_it_reports_a_stop_waiting_then_triggering(stream: Stream) -> None:
    await asyncio.to_thread(trade_at, stream.base, "60000.50")
    placed = await stream.do(
        order,
        stream.acct,
        side="BUY",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="60000.60",
        stopPrice="60000.70",
        icebergQty="0.004",
        newClientOrderId="stop-1",
    )
    new = await stream.report(i=placed["orderId"], x="NEW")
    assert (new["o"], new["P"], new["F"], new["p"], new["w"], new["g"]) == (
        "STOP_LOSS_LIMIT",
        "60000.70000000",
        "0.00400000",
        "60000.60000000",
        False,
        -1,
    )
    assert "W" not in new and "d" not in new and "v" not in new
    position = await stream.event("outboundAccountPosition")
    assert {"a": "USD", "f": "99399.99400000", "l": "600.00600000"} in position["B"]
    await asyncio.to_thread(trade_at, stream.base, "60000.70")
    fired = await stream.report(i=placed["orderId"], x="NEW", w=True)
    assert fired["W"] >= fired["O"] and fired["X"] == "NEW"
    await stream.do(
        call, "DELETE", "/api/v3/order", stream.acct, symbol="BTCUSD", origClientOrderId="stop-1"
    )
    canceled = await stream.report(i=placed["orderId"], x="CANCELED")
    assert (canceled["C"], canceled["X"]) == ("stop-1", "CANCELED")


@pytest.mark.asyncio
async def test_it_reports_trailing_fields(stream: Stream) -> None:
    await asyncio.to_thread(trade_at, stream.base, "60000.50")
    placed = await stream.do(
        order,
        stream.acct,
        side="SELL",
        type="TAKE_PROFIT_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="59000",
        stopPrice="70000",
        trailingDelta=100,
    )
    new = await stream.report(i=placed["orderId"], x="NEW")
    assert new["d"] == 100 and "D" not in new  # tracking starts at the 70000 activation price
    await stream.do(call, "DELETE", "/api/v3/openOrders", stream.acct, symbol="BTCUSD")
    await stream.report(i=placed["orderId"], x="CANCELED")
    tracking = await stream.do(
        order,
        stream.acct,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="59000",
        trailingDelta=100,
    )
    event = await stream.report(i=tracking["orderId"], x="NEW")
    assert (event["d"], event["D"]) == (100, event["O"])
    await stream.do(call, "DELETE", "/api/v3/openOrders", stream.acct, symbol="BTCUSD")


@pytest.mark.asyncio
async def test_it_reports_fills_with_commission(stream: Stream) -> None:
    seller = new_account(stream.base)
    rest = await stream.do(limit, seller, "SELL", "0.02", "60000.40")
    bought = await stream.do(
        order, stream.acct, side="BUY", type="MARKET", quantity="0.02", newClientOrderId="mkt"
    )
    trade = await stream.report(i=bought["orderId"], x="TRADE")
    assert (trade["X"], trade["l"], trade["L"], trade["z"]) == (
        "FILLED",
        "0.02000000",
        "60000.40000000",
        "0.02000000",
    )
    assert (trade["n"], trade["N"], trade["m"], trade["Y"], trade["Z"]) == (
        "0.00002000",
        "BTC",
        False,
        "1200.00800000",
        "1200.00800000",
    )
    assert trade["t"] == bought["fills"][0]["tradeId"] and trade["c"] == "mkt"
    assert rest["orderId"] != trade["i"]
    position = await stream.event("outboundAccountPosition")
    assert {"a": "BTC", "f": "5.01998000", "l": "0.00000000"} in position["B"]


@pytest.mark.asyncio
async def test_it_reports_prevented_matches(stream: Stream) -> None:
    maker = await stream.do(limit, stream.acct, "SELL", "0.01", "60000.30")
    taker = await stream.do(
        limit,
        stream.acct,
        "BUY",
        "0.01",
        "60000.30",
        timeInForce="IOC",
        selfTradePreventionMode="EXPIRE_BOTH",
    )
    [match] = taker["preventedMatches"]
    expired = await stream.report(i=maker["orderId"], x="TRADE_PREVENTION")
    assert (expired["X"], expired["v"], expired["U"], expired["A"], expired["B"]) == (
        "EXPIRED_IN_MATCH",
        match["preventedMatchId"],
        taker["orderId"],
        "0.01000000",
        "0.01000000",
    )
    assert "u" not in expired  # no tradeGroupId: the account is in no trade group
    own = await stream.report(i=taker["orderId"], x="TRADE_PREVENTION")
    assert (own["U"], own["A"]) == (maker["orderId"], "0.01000000")


@pytest.mark.asyncio
async def test_it_reports_oco_list_statuses(stream: Stream) -> None:
    await asyncio.to_thread(trade_at, stream.base, "60000.50")
    placed = await stream.do(
        call,
        "POST",
        "/api/v3/order/oco",
        stream.acct,
        symbol="BTCUSD",
        side="SELL",
        quantity="0.01",
        price="60000.90",
        stopPrice="60000.10",
        stopLimitPrice="60000.00",
        stopLimitTimeInForce="GTC",
        listClientOrderId="list-1",
    )
    leg = await stream.report(i=placed["orders"][1]["orderId"], x="NEW")
    assert (leg["g"], leg["o"]) == (placed["orderListId"], "LIMIT_MAKER")
    started = await stream.event("listStatus")
    assert (started["g"], started["c"], started["l"], started["L"], started["C"]) == (
        placed["orderListId"],
        "OCO",
        "EXEC_STARTED",
        "EXECUTING",
        "list-1",
    )
    assert [o["i"] for o in started["O"]] == [o["orderId"] for o in placed["orders"]]
    await asyncio.to_thread(trade_at, stream.base, "60000.10")
    expired = await stream.report(i=placed["orders"][1]["orderId"], x="EXPIRED")
    assert expired["X"] == "EXPIRED"
    done = await stream.event("listStatus")
    assert (done["l"], done["L"]) == ("ALL_DONE", "ALL_DONE")
    await stream.do(call, "DELETE", "/api/v3/openOrders", stream.acct, symbol="BTCUSD")
