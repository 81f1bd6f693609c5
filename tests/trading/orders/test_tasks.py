"""The Celery tasks of trading, run as the worker runs them (``.apply()``), against the
sandbox and the session's Redis broker: each settles what it is given, and queues a
recheck only while the outcome is still open."""

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.utils import timezone

from tests.support import broker_clear, broker_messages
from trading import tasks
from trading.models import Order, OrderList, OrderOrigin, OrderStatus
from trading.orders import services, userdata
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    """The Celery queue in the session's Redis, emptied before and after."""
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def queued(r) -> list[tuple[str, list, str | None]]:
    """(task name, args, eta) of every message waiting in the queue."""
    out = []
    for raw in broker_messages(r):
        msg = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(msg["body"]))
        out.append((msg["headers"]["task"], args, msg["headers"].get("eta")))
    return out


def _limit(ex) -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=ex.below(),
        time_in_force="GTC",
    )


def _lost(conn, coid: str, *, age_seconds: float) -> Order:
    """An intent whose request never reached the exchange (a crash right after commit)."""
    order = Order.objects.create(
        connection=conn,
        symbol="BTCUSD",
        client_order_id=coid,
        origin=OrderOrigin.DESK,
        side="BUY",
        type="LIMIT",
        status=OrderStatus.UNKNOWN,
        unknown_since=timezone.now() - timedelta(seconds=age_seconds),
    )
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return order


def test_it_settles_an_unknown_order_and_queues_nothing_more(trader, queue):
    conn, ex = trader
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    order = services.order_place(
        user=conn.user, connection=conn, client_order_id="task-found", request=_limit(ex)
    )
    assert order.status == OrderStatus.UNKNOWN
    tasks.reconcile_order.apply(args=(order.pk,)).get()
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW and order.order_id is not None
    assert queued(queue) == []
    assert len(ex.orders(client_order_id="task-found")) == 1


def test_it_queues_the_next_look_while_an_order_is_still_unknown(trader, queue, settings):
    conn, ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    order = _lost(conn, "task-waiting", age_seconds=2)
    tasks.reconcile_order.apply(args=(order.pk, 3)).get()
    [(name, args, eta)] = queued(queue)
    assert (name, args) == ("trading.tasks.reconcile_order", [order.pk, 4])
    assert eta is not None  # a countdown, not at once
    order.refresh_from_db()
    assert order.status == OrderStatus.UNKNOWN and order.checked_at is not None
    assert ex.orders() == []


def test_it_stops_rechecking_past_the_grace_period_and_leaves_it_to_the_sweep(
    trader, queue, settings
):
    conn, _ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 6
    order = _lost(conn, "task-last-look", age_seconds=1)
    last = (6 + 2 * tasks.RECHECK_SECONDS) // tasks.RECHECK_SECONDS
    tasks.reconcile_order.apply(args=(order.pk, last)).get()
    assert [a for _, a, _ in queued(queue)] == [[order.pk, last + 1]]
    broker_clear(queue)
    tasks.reconcile_order.apply(args=(order.pk, last + 1)).get()
    assert queued(queue) == []


def test_it_does_nothing_for_an_order_that_already_settled(trader, queue):
    conn, ex = trader
    order = services.order_place(
        user=conn.user, connection=conn, client_order_id="task-settled", request=_limit(ex)
    )
    before = ex.requests()
    tasks.reconcile_order.apply(args=(order.pk,)).get()
    assert ex.requests() == before and queued(queue) == []


def test_it_settles_an_unknown_oco_through_its_task(trader, queue):
    conn, ex = trader
    ex.faults(oco={"mode": "execute_then_500", "count": 1})
    row = services.oco_place(
        user=conn.user,
        connection=conn,
        list_client_order_id="task-oco",
        request=ex.oco(),
    )
    assert row.list_status_type == "UNKNOWN" and row.order_list_id is None
    tasks.reconcile_order_list.apply(args=(row.pk,)).get()
    row.refresh_from_db()
    assert row.list_status_type == "EXEC_STARTED" and row.order_list_id is not None
    assert queued(queue) == []


def test_it_queues_the_next_look_at_an_oco_not_visible_yet(trader, queue, settings):
    conn, _ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    row = OrderList.objects.create(
        connection=conn,
        symbol="BTCUSD",
        list_client_order_id="task-oco-lost",
        origin=OrderOrigin.DESK,
        list_status_type="UNKNOWN",
    )
    tasks.reconcile_order_list.apply(args=(row.pk,)).get()
    assert [(n, a) for n, a, _ in queued(queue)] == [
        ("trading.tasks.reconcile_order_list", [row.pk, 2])
    ]
    row.refresh_from_db()
    assert row.list_status_type == "UNKNOWN"


def test_it_sweeps_every_unsettled_intent_from_the_beat(trader, queue, settings):
    conn, ex = trader
    settings.ORDER_RECONCILE_GRACE_SECONDS = 10
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    found = services.order_place(
        user=conn.user, connection=conn, client_order_id="sweep-found", request=_limit(ex)
    )
    gone = _lost(conn, "sweep-gone", age_seconds=30)
    tasks.reconcile_orders.apply().get()
    found.refresh_from_db()
    gone.refresh_from_db()
    assert (found.status, gone.status) == (OrderStatus.NEW, OrderStatus.FAILED)
    assert queued(queue) == []  # the sweep itself queues nothing


def test_it_keeps_every_streamable_connections_listen_key(trader):
    conn, _ex = trader
    assert userdata.listen_key_get(connection_id=conn.pk) is None
    tasks.keep_listen_keys_alive.apply().get()
    key = userdata.listen_key_get(connection_id=conn.pk)
    assert key
    tasks.keep_listen_keys_alive.apply().get()  # again: the same key, kept alive
    assert userdata.listen_key_get(connection_id=conn.pk) == key
    conn.is_active = False
    conn.save(update_fields=["is_active"])
    userdata.listen_key_forget(connection_id=conn.pk)
    tasks.keep_listen_keys_alive.apply().get()
    assert userdata.listen_key_get(connection_id=conn.pk) is None


def test_it_lets_a_recheck_of_a_deleted_connections_order_end_quietly(trader, queue):
    conn, ex = trader
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    order = services.order_place(
        user=conn.user, connection=conn, client_order_id="task-deleted", request=_limit(ex)
    )
    row = OrderList.objects.create(
        connection=conn,
        symbol="BTCUSD",
        list_client_order_id="task-deleted-list",
        origin=OrderOrigin.DESK,
        list_status_type="UNKNOWN",
    )
    conn.delete()  # the user removed the connection while a recheck was queued
    before = ex.requests()
    tasks.reconcile_order.apply(args=(order.pk,)).get()
    tasks.reconcile_order_list.apply(args=(row.pk,)).get()
    assert queued(queue) == [] and ex.requests() == before
