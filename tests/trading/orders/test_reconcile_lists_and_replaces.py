"""Unknown outcomes of an OCO and of a cancel-replace, against the sandbox's faults: settled by
looking them up, never by sending them again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

import binanceus
from accounts.models import AuditRecord
from tests.support import exchange_client
from trading.models import Order, OrderList, OrderOrigin, OrderStatus
from trading.orders import reconcile, services
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db


def _exchange_client(ex) -> binanceus.Client:
    return exchange_client(ex.api_key, ex.secret, ex.base)


def _exchange_lists(ex) -> list:
    with _exchange_client(ex) as client:
        return client.all_order_lists()


def test_it_finds_an_oco_that_executed_without_an_answer(trader):
    conn, ex = trader
    ex.faults(oco={"mode": "execute_then_500", "count": 1})
    row = services.oco_place(
        user=conn.user, connection=conn, list_client_order_id="rec-oco-1", request=ex.oco()
    )
    assert (row.list_status_type, row.order_list_id) == ("UNKNOWN", None)
    assert AuditRecord.objects.get(action="oco.place", connection=conn).outcome == "unknown"
    assert ex.free("BTC") == Decimal("4.99")  # it did execute
    assert reconcile.order_list_reconcile(list_pk=row.pk) == reconcile.FOUND
    row.refresh_from_db()
    [on_exchange] = _exchange_lists(ex)  # looked up, never placed a second time
    assert (row.order_list_id, row.list_status_type, row.list_order_status) == (
        on_exchange.order_list_id,
        on_exchange.list_status_type,
        on_exchange.list_order_status,
    )
    legs = Order.objects.filter(connection=conn, order_list=row)
    assert sorted(legs.values_list("order_id", flat=True)) == sorted(
        leg.order_id for leg in on_exchange.orders
    )
    assert set(legs.values_list("status", flat=True)) == {OrderStatus.NEW}
    # Settled: asking again changes nothing and asks the exchange nothing.
    before = ex.requests()
    assert reconcile.order_list_reconcile(list_pk=row.pk) == reconcile.SETTLED
    assert ex.requests() == before


def test_it_declares_an_absent_oco_not_placed_only_after_the_grace_period(trader, settings):
    conn, ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    row = OrderList.objects.create(
        connection=conn,
        symbol="BTCUSD",
        list_client_order_id="rec-oco-lost",
        origin=OrderOrigin.DESK,
        list_status_type="SENDING",
    )
    OrderList.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(seconds=40))
    assert reconcile.order_list_reconcile(list_pk=row.pk) == reconcile.WAITING
    row.refresh_from_db()
    assert row.list_status_type == "UNKNOWN"
    later = timezone.now() + timedelta(seconds=30)
    assert reconcile.order_list_reconcile(list_pk=row.pk, now=later) == reconcile.FAILED
    row.refresh_from_db()
    assert row.list_status_type == "FAILED" and "not placed" in row.error_message
    assert _exchange_lists(ex) == []


def _resting(conn, ex, coid: str) -> Order:
    return services.order_place(
        user=conn.user,
        connection=conn,
        client_order_id=coid,
        request=OrderRequest(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.01"),
            price=ex.below(),
            time_in_force="GTC",
        ),
    )


def test_it_settles_a_cancel_replace_that_ended_unknown_both_sides(trader):
    conn, ex = trader
    old = _resting(conn, ex, "cr-old")
    ex.faults(cancelReplace={"mode": "execute_then_500", "count": 1})
    new_price = ex.below(percent=7)
    outcome = services.order_replace(
        user=conn.user,
        order=old,
        client_order_id="cr-new",
        price=new_price,
        quantity=Decimal("0.02"),
    )
    assert not outcome.canceled and outcome.new_order.status == OrderStatus.UNKNOWN
    assert "checking whether the replacement was placed" in outcome.message
    assert reconcile.order_reconcile(order_pk=outcome.new_order.pk) == reconcile.FOUND
    new = Order.objects.get(pk=outcome.new_order.pk)
    assert (new.status, new.price, new.orig_qty) == (OrderStatus.NEW, new_price, Decimal("0.02"))
    # The replaced order was canceled by the same request: the desk must not show it open.
    old.refresh_from_db()
    assert old.status == OrderStatus.CANCELED
    on_exchange = {o.client_order_id: o.status for o in ex.orders()}
    assert on_exchange == {"cr-old": "CANCELED", "cr-new": "NEW"}
    assert ex.free("USD") == Decimal("100000") - new_price * Decimal("0.02")


def test_it_fails_a_replacement_that_never_landed_and_shows_why_the_old_one_ended(trader):
    conn, ex = trader
    old = _resting(conn, ex, "cr-gone")
    with _exchange_client(ex) as client:  # canceled on Binance.US's own pages meanwhile
        client.cancel_order(symbol="BTCUSD", order_id=old.order_id)
    ex.faults(cancelReplace={"mode": "execute_then_500", "count": 1})
    outcome = services.order_replace(
        user=conn.user,
        order=old,
        client_order_id="cr-never",
        price=ex.below(percent=8),
        quantity=None,
    )
    never = outcome.new_order
    assert never.status == OrderStatus.UNKNOWN
    # STOP_ON_FAILURE: the cancel failed, so nothing new was placed; absence is only evidence
    # until the grace period has passed.
    assert reconcile.order_reconcile(order_pk=never.pk) == reconcile.WAITING
    later = timezone.now() + timedelta(seconds=120)
    assert reconcile.order_reconcile(order_pk=never.pk, now=later) == reconcile.FAILED
    never.refresh_from_db()
    old.refresh_from_db()
    assert (never.status, old.status) == (OrderStatus.FAILED, OrderStatus.CANCELED)
    assert [o.client_order_id for o in ex.orders()] == ["cr-gone"]
