"""Settling custodial orders whose outcome is unknown (5XX, timeout, -1006/-1007, or left
"sending" by a dead worker) through the kit's sweep, and handing back orders a dead worker
claimed but never sent. The matching rule and its weakness: see ``custody.orders``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection
from custody.orders.models import CustodialOrder, OrderStatus
from custody.orders.sending import order_finish, order_found, push_after_commit
from desk.intents import FAILED, LookupFailed, State, Strategy, intents_requeue_unsent

# The order's time on the exchange may be this far from when we sent it (clocks, queueing).
MATCH_BEFORE = timedelta(seconds=120)
HISTORY_LIMIT = 500


class OrderStrategy(Strategy):
    kind = "custodial order"
    model = CustodialOrder
    sent_field = "sent_at"
    # Custodial orders share the custody area's two periods.
    grace_setting = "CUSTODY_RECONCILE_GRACE_SECONDS"
    stale_setting = "CUSTODY_STALE_SECONDS"

    def lookup(self, order: CustodialOrder, *, now: datetime):
        try:
            with client_for_connection(order.connection) as client:
                return order_record(client, order, now=now)
        except (crypto.CredentialsUnavailable, binanceus.BinanceUSError) as exc:
            raise LookupFailed(f"orders unavailable ({type(exc).__name__})") from exc

    def found(self, order: CustodialOrder, record: binanceus.CustodianOrder) -> None:
        order_found(order, record, message="Found in the exchange's custodial orders.")

    def absent(self, order: CustodialOrder, *, now: datetime) -> str:
        order_finish(
            order,
            State.FAILED,
            code=order.error_code,
            message="Not in the exchange's custodial orders after the grace period: nothing "
            "was placed. Place it again if you still want it.",
        )
        return FAILED

    def push(self, order: CustodialOrder) -> None:
        push_after_commit(order)


def order_record(
    client: binanceus.Client, order: CustodialOrder, *, now: datetime
) -> binanceus.CustodianOrder | None:
    """The exchange's order that is ours: open orders first (live), then the order history
    (it lags), of the symbol, matched by ``matches``."""
    offset = timedelta(milliseconds=client.sync_time())  # the exchange's clock minus ours
    sent = order.sent_at or order.created_at
    window = (sent - MATCH_BEFORE + offset, now + offset + MATCH_BEFORE)
    taken = _taken(order)
    candidates = list(client.custodian_open_orders(rail=order.rail, symbol=order.symbol))
    start = window[0]
    candidates += client.custodian_order_history(
        rail=order.rail, symbol=order.symbol, start_time=start, limit=HISTORY_LIMIT
    )
    return next((r for r in candidates if matches(r, order, window, taken)), None)


def _taken(order: CustodialOrder) -> set[int]:
    """Exchange orders another intent of ours already is."""
    rows = CustodialOrder.objects.filter(connection=order.connection, symbol=order.symbol)
    rows = rows.exclude(pk=order.pk).exclude(order_id=None)
    return set(rows.values_list("order_id", flat=True))


def matches(record, order: CustodialOrder, window: tuple[datetime, datetime], taken) -> bool:
    """Symbol, side, type, quantity (or quote amount), price and a time in ``window``."""
    if record.order_id in taken or str(record.symbol) != order.symbol:
        return False
    if (record.side, record.type) != (order.side, order.type):
        return False
    if order.quantity is not None and record.orig_qty != order.quantity:
        return False
    if order.quote_order_qty is not None and record.orig_quote_order_qty not in (
        None,
        order.quote_order_qty,
    ):
        return False
    if order.price is not None and record.price != order.price:
        return False
    when = record.time or record.transact_time
    return when is None or window[0] <= when <= window[1]


ORDERS = OrderStrategy()


def orders_requeue_unsent(now: datetime | None = None) -> int:
    from custody.tasks import send_custodial_order  # tasks import the worker side

    return intents_requeue_unsent(
        CustodialOrder,
        task=send_custodial_order,
        claimed=OrderStatus.CLAIMED,
        stale=ORDERS.stale(),
        now=now or timezone.now(),
    )
