"""Trading methods against the real sandbox exchange over loopback (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import binanceus as bu

from .test_sandbox_accounts_integration import requests_by
from .test_sandbox_integration import ws_url

QTY = Decimal("0.01")


def far_bid(client: bu.Client) -> Decimal:
    """A buy price well under the book (rests without filling), on the tick."""
    bid = client.depth("BTCUSD", limit=5).bids[0][0]
    return client.symbol_rules("BTCUSD").round_price(bid * Decimal("0.8"))


def rest_buy(client: bu.Client, price: Decimal, **kw) -> bu.Order:
    return client.new_order(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=QTY,
        price=price,
        **kw,
    )


def test_it_rejects_locally_what_the_sandbox_rejects_too(trader, sandbox_url, sandbox_account):
    rules = trader.symbol_rules("BTCUSD")
    price = far_bid(trader) + rules.tick_size / 2
    sent = requests_by(sandbox_url, sandbox_account["apiKey"])
    with pytest.raises(bu.OrderRejectedLocally) as local:
        rest_buy(trader, price)
    assert [(p.field, p.filter_type) for p in local.value.problems] == [("price", "PRICE_FILTER")]
    assert requests_by(sandbox_url, sandbox_account["apiKey"]) == sent  # nothing sent
    with pytest.raises(bu.ClientError) as remote:
        rest_buy(trader, price, validate=False)
    assert remote.value.code == -1013  # the exchange's filter failure
    assert trader.open_orders(symbol="BTCUSD") == []


def test_it_places_limit_maker_and_market_orders(trader):
    price = far_bid(trader)
    maker = trader.new_order(
        symbol="BTCUSD", side="BUY", type="LIMIT_MAKER", quantity=QTY, price=price
    )
    assert maker.type == "LIMIT_MAKER" and maker.status == "NEW" and maker.is_working is not False
    ask = trader.depth("BTCUSD", limit=5).asks[0][0]
    with pytest.raises(bu.ClientError) as crossing:
        trader.new_order(symbol="BTCUSD", side="BUY", type="LIMIT_MAKER", quantity=QTY, price=ask)
    assert crossing.value.code == -2010
    market = trader.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=QTY)
    assert market.status == "FILLED" and market.executed_qty == QTY
    assert market.fills and sum(f.qty for f in market.fills) == QTY
    assert all(type(f.price) is Decimal and type(f.commission) is Decimal for f in market.fills)
    assert market.transact_time is not None and market.transact_time.tzinfo is not None
    canceled = trader.cancel_order(symbol="BTCUSD", order_id=maker.order_id)
    assert canceled.status == "CANCELED"


def test_it_reads_the_commission_rates_of_the_account(trader):
    rates = trader.account().commission_rates
    assert rates is not None
    assert type(rates.maker) is Decimal and type(rates.taker) is Decimal
    assert 0 <= rates.maker < 1 and 0 <= rates.taker < 1


@pytest.mark.asyncio
async def test_it_types_the_sandbox_user_stream_events(sandbox_url, trader):
    key = trader.create_listen_key()
    async with bu.UserStream(ws_url(sandbox_url), key) as events:
        # The sandbox subscribes a socket in the same step as it answers the handshake: no wait.
        order = await asyncio.to_thread(rest_buy, trader, far_bid(trader))
        seen: dict[type, object] = {}
        while bu.ExecutionReport not in seen or bu.AccountPosition not in seen:
            msg = await asyncio.wait_for(events.__anext__(), 10)
            if isinstance(msg, dict):
                event = bu.parse_user_event(msg)
                seen.setdefault(type(event), event)
    report = seen[bu.ExecutionReport]
    assert isinstance(report, bu.ExecutionReport)
    assert (report.order_id, report.client_order_id) == (order.order_id, order.client_order_id)
    assert (report.execution_type, report.order_status, report.side) == ("NEW", "NEW", "BUY")
    assert report.price == order.price and report.quantity == QTY and report.trade_id is None
    position = seen[bu.AccountPosition]
    assert isinstance(position, bu.AccountPosition)
    assert any(b.asset == "USD" and b.locked >= order.price * QTY for b in position.balances)
    trader.close_listen_key(key)


def test_it_tests_an_order_without_placing_it(trader):
    assert (
        trader.test_new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=far_bid(trader),
        )
        == bu.OrderTestResult()
    )
    assert trader.open_orders(symbol="BTCUSD") == []
    with pytest.raises(bu.ClientError):
        trader.test_new_order(symbol="BTCUSD", side="BUY", type="LIMIT", quantity=QTY)


def test_it_cancels_every_open_order_of_a_symbol(trader):
    price = far_bid(trader)
    placed = {rest_buy(trader, price).order_id, rest_buy(trader, price).order_id}
    canceled = trader.cancel_open_orders(symbol="BTCUSD")
    assert {o.order_id for o in canceled if isinstance(o, bu.Order)} == placed
    assert all(o.status == "CANCELED" for o in canceled if isinstance(o, bu.Order))
    assert trader.open_orders(symbol="BTCUSD") == []


def test_it_reads_all_orders_and_my_trades(trader):
    resting = rest_buy(trader, far_bid(trader))
    filled = trader.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=QTY)
    orders = trader.all_orders(symbol="BTCUSD")
    assert {resting.order_id, filled.order_id} <= {o.order_id for o in orders}
    since = datetime.now(UTC) - timedelta(hours=1)
    trades = trader.my_trades(symbol="BTCUSD", start_time=since)
    mine = [t for t in trades if t.order_id == filled.order_id]
    assert mine and sum(t.qty for t in mine) == QTY
    assert all(t.is_buyer and type(t.commission) is Decimal for t in mine)
    by_order = trader.my_trades(symbol="BTCUSD", order_id=filled.order_id)
    assert {t.id for t in by_order} == {t.id for t in mine}


def test_it_reports_the_order_rate_limit_usage(trader):
    rest_buy(trader, far_bid(trader))
    usage = {u.window: u for u in trader.order_rate_limit()}
    assert usage["10S"].count >= 1 and usage["10S"].limit == 100
    assert usage["1D"].limit == 200000


def test_it_cancel_replaces_an_order(trader):
    price = far_bid(trader)
    old = rest_buy(trader, price)
    tick = trader.symbol_rules("BTCUSD").tick_size
    result = trader.cancel_replace(
        symbol="BTCUSD",
        cancel_replace_mode="STOP_ON_FAILURE",
        side="BUY",
        type="LIMIT",
        cancel_order_id=old.order_id,
        time_in_force="GTC",
        quantity=QTY,
        price=price - tick,
        new_client_order_id="itest-replaced",
    )
    assert result.canceled and result.placed
    assert result.cancel_response is not None and result.cancel_response.order_id == old.order_id
    assert result.new_order_response is not None
    assert result.new_order_response.client_order_id == "itest-replaced"
    assert [o.price for o in trader.open_orders(symbol="BTCUSD")] == [price - tick]
    with pytest.raises(bu.CancelReplaceRejected) as nothing:
        trader.cancel_replace(
            symbol="BTCUSD",
            cancel_replace_mode="STOP_ON_FAILURE",
            side="BUY",
            type="LIMIT",
            cancel_order_id=old.order_id,  # already canceled
            time_in_force="GTC",
            quantity=QTY,
            price=price,
        )
    assert nothing.value.result.new_order_result == "NOT_ATTEMPTED"
    with pytest.raises(bu.CancelReplaceFailed) as half:
        trader.cancel_replace(
            symbol="BTCUSD",
            cancel_replace_mode="ALLOW_FAILURE",
            side="BUY",
            type="LIMIT",
            cancel_order_id=old.order_id,
            time_in_force="GTC",
            quantity=QTY,
            price=price,
        )
    assert half.value.status == 409 and half.value.result.placed
    assert len(trader.open_orders(symbol="BTCUSD")) == 2


def test_it_places_queries_and_cancels_an_oco(trader):
    bid = trader.depth("BTCUSD", limit=5).bids[0][0]
    rules = trader.symbol_rules("BTCUSD")
    oco = trader.new_oco(
        symbol="BTCUSD",
        side="SELL",
        quantity=QTY,
        price=rules.round_price(bid * Decimal("1.5")),
        stop_price=rules.round_price(bid * Decimal("0.6")),
        stop_limit_price=rules.round_price(bid * Decimal("0.59")),
        stop_limit_time_in_force="GTC",
        list_client_order_id="itest-oco",
    )
    assert oco.contingency_type == "OCO" and oco.list_client_order_id == "itest-oco"
    assert len(oco.orders) == 2 and oco.is_open
    got = trader.get_order_list(order_list_id=oco.order_list_id)
    assert {o.order_id for o in got.orders} == {o.order_id for o in oco.orders}
    assert [x.order_list_id for x in trader.open_order_lists()] == [oco.order_list_id]
    done = trader.cancel_order_list(symbol="BTCUSD", list_client_order_id="itest-oco")
    assert done.list_order_status == "ALL_DONE"
    assert all(r.status == "CANCELED" for r in done.order_reports)
    assert trader.open_order_lists() == []
    assert oco.order_list_id in {x.order_list_id for x in trader.all_order_lists()}
