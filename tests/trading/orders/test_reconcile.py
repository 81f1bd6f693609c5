"""Unknown outcomes against the sandbox's faults: found by client order id, or declared not
placed only after the grace period — and never sent a second time."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from accounts.models import AuditRecord
from trading.models import Order, OrderOrigin, OrderStatus
from trading.orders import reconcile, services
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db


def _request(price: Decimal) -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=price,
        time_in_force="GTC",
    )


def _place(conn, request, coid):
    return services.order_place(
        user=conn.user, connection=conn, client_order_id=coid, request=request
    )


def test_it_marks_an_executed_but_unanswered_order_unknown_then_finds_it(trader):
    conn, ex = trader
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    order = _place(conn, _request(ex.below()), "desk-unknown-500")
    assert order.status == OrderStatus.UNKNOWN and order.order_id is None
    assert order.unknown_since is not None
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.FOUND
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW and order.order_id is not None
    assert [o.order_id for o in ex.orders()] == [order.order_id]  # looked up, never re-sent
    assert ex.free("USD") == Decimal("100000") - order.price * Decimal("0.01")
    outcomes = list(
        AuditRecord.objects.filter(connection=conn).order_by("pk").values_list("action", "outcome")
    )
    assert outcomes == [("order.place", "unknown"), ("order.reconcile", "ok")]


def test_it_times_out_into_unknown_never_into_a_resend(trader, settings):
    conn, ex = trader
    settings.EXCHANGE_TIMEOUT = 1
    ex.faults(order={"mode": "execute_then_timeout", "count": 1, "holdSeconds": 3})
    order = _place(conn, _request(ex.below()), "desk-unknown-timeout")
    assert order.status == OrderStatus.UNKNOWN
    settings.EXCHANGE_TIMEOUT = 10
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.FOUND
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    # A second submit of the same ticket finds the intent and sends nothing.
    before = ex.requests()
    assert _place(conn, _request(ex.below()), "desk-unknown-timeout").pk == order.pk
    assert ex.requests() == before
    assert [o.client_order_id for o in ex.orders()] == ["desk-unknown-timeout"]


def _lost_intent(conn, *, age_seconds: float, status=OrderStatus.UNKNOWN) -> Order:
    """An intent whose request never reached the exchange (a crash right after commit)."""
    order = Order.objects.create(
        connection=conn,
        symbol="BTCUSD",
        client_order_id=f"desk-lost-{age_seconds}-{status}",
        origin=OrderOrigin.DESK,
        side="BUY",
        type="LIMIT",
        status=status,
        unknown_since=timezone.now() - timedelta(seconds=age_seconds)
        if status == OrderStatus.UNKNOWN
        else None,
    )
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return order


def test_it_treats_absence_as_evidence_until_the_grace_period_has_passed(trader, settings):
    conn, ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    order = _lost_intent(conn, age_seconds=5)
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.WAITING
    order.refresh_from_db()
    assert order.status == OrderStatus.UNKNOWN and order.checked_at is not None
    later = timezone.now() + timedelta(seconds=61)
    assert reconcile.order_reconcile(order_pk=order.pk, now=later) == reconcile.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert "not placed" in order.error_message
    assert ex.orders() == []


def test_it_leaves_a_sending_order_alone_while_its_request_may_be_in_flight(trader, settings):
    conn, ex = trader
    settings.ORDER_STALE_SECONDS = 30
    fresh = _lost_intent(conn, age_seconds=2, status=OrderStatus.SENDING)
    stale = _lost_intent(conn, age_seconds=45, status=OrderStatus.SENDING)
    counts = reconcile.orders_reconcile()
    assert counts["waiting"] == 1
    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert fresh.status == OrderStatus.SENDING and fresh.checked_at is None
    assert stale.status == OrderStatus.UNKNOWN and stale.checked_at is not None
    assert ex.orders() == []  # only looked up, nothing placed
    # Past the grace period, counted from when it was committed, the sweep gives up on it.
    later = timezone.now() + timedelta(seconds=50)  # stale: 95 s old; fresh: 52 s
    assert reconcile.orders_reconcile(now=later) == {
        "waiting": 1,
        "found": 0,
        "failed": 1,
        "settled": 0,
        "error": 0,
    }
    stale.refresh_from_db()
    assert stale.status == OrderStatus.FAILED


def test_it_waits_out_the_exchanges_delayed_visibility_before_deciding(still_trader, settings):
    conn, ex = still_trader  # its exchange clock may be moved
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    ex.faults(
        order={"mode": "execute_then_500", "count": 1},
        orderVisibility={"lagSeconds": 2, "count": 1},
    )
    order = _place(conn, _request(ex.below()), "desk-unknown-lagging")
    assert order.status == OrderStatus.UNKNOWN
    # Placed, but "Order does not exist" for now: evidence, not proof.
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.WAITING
    order.refresh_from_db()
    assert order.status == OrderStatus.UNKNOWN
    # The lag runs on the exchange's clock: two seconds on, the order is visible.
    requests.post(
        f"{ex.base}/sandbox/v1/clock", json={"advanceMs": 2_000}, timeout=5
    ).raise_for_status()
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.FOUND
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    assert [o.client_order_id for o in ex.orders()] == ["desk-unknown-lagging"]
