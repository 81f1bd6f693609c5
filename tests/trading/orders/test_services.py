"""Placing, canceling and replacing against the real sandbox. The question is always "what
does the exchange hold, and how many requests reached it?"."""

from decimal import Decimal

import pytest
from django.db import connection as db

from accounts.models import AuditRecord
from trading.models import AccountTrade, Order, OrderStatus
from trading.orders import services
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db


def _limit(price: Decimal, *, side="BUY", qty="0.01", symbol="BTCUSD") -> OrderRequest:
    return OrderRequest(
        symbol=symbol,
        side=side,
        type="LIMIT",
        quantity=Decimal(qty),
        price=price,
        time_in_force="GTC",
    )


def _place(conn, request, coid):
    return services.order_place(
        user=conn.user, connection=conn, client_order_id=coid, request=request
    )


def test_it_places_a_limit_order_once_even_when_submitted_twice(trader):
    conn, ex = trader
    request = _limit(ex.below())
    order = _place(conn, request, "desk-twice-1")
    assert order.status == OrderStatus.NEW and order.order_id is not None
    before = ex.requests()
    again = _place(conn, request, "desk-twice-1")
    assert again.pk == order.pk
    assert ex.requests() == before  # the second submit reached nothing
    assert [o.order_id for o in ex.orders()] == [order.order_id]
    assert Order.objects.filter(connection=conn).count() == 1
    assert ex.free("USD") == Decimal("100000") - request.price * Decimal("0.01")
    record = AuditRecord.objects.get(action="order.place", connection=conn)
    assert record.outcome == "ok" and record.exchange_ids == {"orderId": order.order_id}


def test_it_records_the_exchanges_rejection_and_nothing_else(trader):
    conn, ex = trader
    order = _place(conn, _limit(ex.below(), qty="50"), "desk-too-big")  # 50 BTC > 100000 USD
    assert order.status == OrderStatus.FAILED and order.order_id is None
    assert order.error_code == -2010
    assert "insufficient balance" in order.error_message.lower()
    assert ex.free("USD") == Decimal("100000")
    record = AuditRecord.objects.get(action="order.place", connection=conn)
    assert record.outcome == "error" and record.error_code == -2010


def test_it_fills_a_market_order_and_keeps_its_fills(trader):
    conn, ex = trader
    order = _place(
        conn,
        OrderRequest(symbol="BTCUSD", side="SELL", type="MARKET", quantity=Decimal("0.01")),
        "desk-market-sell",
    )
    assert order.status == OrderStatus.FILLED and order.executed_qty == Decimal("0.01")
    trades = AccountTrade.objects.filter(connection=conn, order_id=order.order_id)
    assert trades.exists() and sum(t.qty for t in trades) == Decimal("0.01")
    assert ex.free("BTC") == Decimal("4.99")


def test_it_places_a_stop_limit_that_waits_for_its_trigger(trader):
    conn, ex = trader
    stop = ex.below(percent=3)
    order = _place(
        conn,
        OrderRequest(
            symbol="BTCUSD",
            side="SELL",
            type="STOP_LOSS_LIMIT",
            quantity=Decimal("0.01"),
            price=stop - Decimal("10"),
            stop_price=stop,
            time_in_force="GTC",
        ),
        "desk-stop-1",
    )
    assert order.status == OrderStatus.NEW and order.order_id is not None
    assert order.stop_price == stop and order.is_working is False


def test_it_cancels_one_order_and_explains_a_second_cancel(trader):
    conn, ex = trader
    order = _place(conn, _limit(ex.below()), "desk-cancel-1")
    canceled = services.order_cancel(user=conn.user, order=order)
    assert canceled.pk == order.pk and canceled.status == OrderStatus.CANCELED
    assert ex.free("USD") == Decimal("100000")
    with pytest.raises(services.OrderActionFailed) as failed:
        services.order_cancel(user=conn.user, order=canceled)
    assert failed.value.code == -2011
    outcomes = list(
        AuditRecord.objects.filter(action="order.cancel")
        .order_by("pk")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["ok", "error"]


def test_an_answer_and_its_audit_record_are_written_in_one_transaction(trader):
    conn, ex = trader
    order, placing = _writes(lambda: _place(conn, _limit(ex.below()), "desk-one-tx"))
    _, canceling = _writes(lambda: services.order_cancel(user=conn.user, order=order))
    oco = ex.oco()
    place_oco = lambda: services.oco_place(  # noqa: E731
        user=conn.user, connection=conn, list_client_order_id="desk-one-tx-oco", request=oco
    )
    row, oco_placing = _writes(place_oco)
    _, oco_canceling = _writes(lambda: services.oco_cancel(user=conn.user, order_list=row))
    for writes, answer in (
        (placing, "UPDATE trading_order"),
        (canceling, "UPDATE trading_order"),
        (oco_placing, "UPDATE trading_orderlist"),
        (oco_canceling, "UPDATE trading_orderlist"),
    ):
        stored = {block for what, block in writes if what == answer}
        audited = [block for what, block in writes if what == "INSERT accounts_auditrecord"]
        assert len(audited) == 1 and audited[0] is not None, writes
        assert audited[0] in stored, writes  # the answer's and the audit's transaction


def _writes(call):
    """What ``call`` returns, and each write it made (its verb and table) with the
    transaction it ran in: the outermost atomic block opened by the code (None: autocommit)."""
    base = len(db.atomic_blocks)  # the test's own (a django_db test runs in one)
    writes = []

    def note(execute, sql, params, many, context):
        words = sql.replace('"', "").split()
        if words[0] in ("INSERT", "UPDATE"):
            table = words[2] if words[0] == "INSERT" else words[1]
            opened = context["connection"].atomic_blocks[base : base + 1]
            writes.append((f"{words[0]} {table}", opened[0] if opened else None))
        return execute(sql, params, many, context)

    with db.execute_wrapper(note):
        return call(), writes


def test_it_cancels_every_open_order_of_a_symbol(trader):
    conn, ex = trader
    for n in range(3):
        _place(conn, _limit(ex.below(percent=5 + n)), f"desk-all-{n}")
    other = _place(conn, _limit(ex.below("ETHUSD"), qty="0.1", symbol="ETHUSD"), "desk-eth")
    count = services.orders_cancel_all(user=conn.user, connection=conn, symbol="BTCUSD")
    assert count == 3
    statuses = set(
        Order.objects.filter(connection=conn, symbol="BTCUSD").values_list("status", flat=True)
    )
    assert statuses == {OrderStatus.CANCELED}
    other.refresh_from_db()
    assert other.status == OrderStatus.NEW


def test_it_replaces_price_and_quantity_in_one_request(trader):
    conn, ex = trader
    order = _place(conn, _limit(ex.below()), "desk-replace-old")
    new_price = ex.below(percent=6)
    outcome = services.order_replace(
        user=conn.user,
        order=order,
        client_order_id="desk-replace-new",
        price=new_price,
        quantity=Decimal("0.02"),
    )
    assert outcome.canceled
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    new = outcome.new_order
    assert new.status == OrderStatus.NEW and new.client_order_id == "desk-replace-new"
    assert (new.price, new.orig_qty) == (new_price, Decimal("0.02"))
    assert ex.free("USD") == Decimal("100000") - new_price * Decimal("0.02")


def test_it_shows_why_a_replace_of_a_finished_order_did_nothing(trader):
    conn, ex = trader
    order = _place(conn, _limit(ex.below()), "desk-replace-gone")
    services.order_cancel(user=conn.user, order=order)
    order.refresh_from_db()
    outcome = services.order_replace(
        user=conn.user,
        order=order,
        client_order_id="desk-replace-none",
        price=None,
        quantity=Decimal("0.03"),
    )
    assert not outcome.canceled
    assert outcome.new_order.status == OrderStatus.FAILED
    assert "cancel failure" in outcome.message and "-2011" in outcome.message
    assert "new order not attempted" in outcome.message
    assert ex.free("USD") == Decimal("100000")


def test_it_places_and_cancels_an_oco(trader):
    conn, ex = trader
    request = ex.oco()
    row = services.oco_place(
        user=conn.user, connection=conn, list_client_order_id="desk-oco-1", request=request
    )
    assert row.list_status_type == "EXEC_STARTED" and row.order_list_id is not None
    legs = Order.objects.filter(connection=conn, order_list=row)
    assert sorted(legs.values_list("type", flat=True)) == ["LIMIT_MAKER", "STOP_LOSS_LIMIT"]
    assert ex.free("BTC") == Decimal("4.99")
    again = services.oco_place(
        user=conn.user, connection=conn, list_client_order_id="desk-oco-1", request=request
    )
    assert again.pk == row.pk
    done = services.oco_cancel(user=conn.user, order_list=row)
    assert done.list_status_type == "ALL_DONE"
    assert set(legs.values_list("status", flat=True)) == {OrderStatus.CANCELED}
    assert ex.free("BTC") == Decimal("5")


def test_with_a_partner_id_both_legs_of_an_oco_carry_its_prefix(trader):
    from rewards.models import RewardsProfile

    conn, ex = trader
    RewardsProfile.objects.create(connection=conn, partner_id="ABCD1234")
    request = ex.oco()
    row = services.oco_place(
        user=conn.user, connection=conn, list_client_order_id="desk-oco-2", request=request
    )
    legs = [o for o in ex.orders() if o.order_list_id == row.order_list_id]
    assert len(legs) == 2
    assert all(o.client_order_id.startswith("ABCD1234-") for o in legs)
    assert all(len(o.client_order_id) <= 36 for o in legs)


def test_it_asks_the_exchange_to_test_an_order_without_placing_it(trader):
    conn, ex = trader
    verdict = services.order_test(user=conn.user, connection=conn, request=_limit(ex.below()))
    assert verdict["ok"] is True
    off_tick = services.order_test(
        user=conn.user, connection=conn, request=_limit(ex.below() + Decimal("0.001"))
    )
    assert off_tick["ok"] is False and off_tick["code"] == -1013
    assert off_tick["message"] == "Filter failure: PRICE_FILTER"
    assert ex.orders() == []
    assert not Order.objects.filter(connection=conn).exists()
