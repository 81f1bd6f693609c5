"""Settling desk orders and OCO lists whose outcome is unknown, by asking the exchange about
their client order id — never by sending them again — through the kit's one sweep
(``desk.intents.intents_reconcile``).

"Order does not exist" (-2013) right after an unknown outcome is evidence, not proof: an
order the matching engine accepted may take a moment to be visible to queries. Only once the
grace period (``ORDER_RECONCILE_GRACE_SECONDS``) has passed since the request went out does
absence mean "not placed". A SENDING row is left alone while its own request may still be in
flight (``ORDER_STALE_SECONDS``, longer than the request timeout)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from desk.intents import ERROR as ROW_ERROR
from desk.intents import (
    FAILED,
    FOUND,
    SEND_ERRORS,
    SETTLED,
    WAITING,
    LookupFailed,
    State,
    Strategy,
    intent_reconcile,
    intent_settle,
    intents_reconcile,
)
from trading.models import Order, OrderList
from trading.orders import records
from trading.orders.services import REPLACES_KEY

log = logging.getLogger(__name__)

# "Order (list) does not exist" as GET order / GET orderList answer it.
ABSENT_CODES = (-2013, -2011)


def _absent(exc: binanceus.APIError) -> bool:
    return isinstance(exc, binanceus.OrderNotFound) or exc.code in ABSENT_CODES


def _ask(intent, question):
    """``question(client)``, or None where the exchange says it has no such order (list)."""
    try:
        with client_for_connection(intent.connection) as client:
            return question(client)
    except binanceus.APIError as exc:
        if not _absent(exc):
            raise LookupFailed(type(exc).__name__) from exc
        return None
    except SEND_ERRORS as exc:
        raise LookupFailed(type(exc).__name__) from exc


class _DeskStrategy(Strategy):
    def grace(self) -> timedelta:
        return timedelta(seconds=settings.ORDER_RECONCILE_GRACE_SECONDS)

    def stale(self) -> timedelta:
        return timedelta(seconds=settings.ORDER_STALE_SECONDS)

    def _not_placed(self, intent, action: str, *, now: datetime, push) -> str:
        message = (
            f"Not on the exchange {settings.ORDER_RECONCILE_GRACE_SECONDS} s after it was sent: "
            "it was not placed. Place it again if you still want it."
        )
        intent_settle(
            intent,
            State.FAILED,
            code=intent.error_code,
            message=message,
            fields={"checked_at": now},
            audit=lambda row: _audit(row, action, AuditOutcome.ERROR, message, None),
            push=push,
        )
        return FAILED


class OrderStrategy(_DeskStrategy):
    kind = "order"
    model = Order

    def lookup(self, order: Order, *, now: datetime) -> binanceus.Order | None:
        return _ask(
            order,
            lambda c: c.get_order(symbol=order.symbol, orig_client_order_id=order.client_order_id),
        )

    def found(self, order: Order, record: binanceus.Order) -> None:
        with transaction.atomic():
            _claim(order)
            stored = records.order_store(connection=order.connection, order=record)
            message = f"Found on the exchange: {stored.status}."
            ids = {"orderId": stored.order_id}
            _audit(order, "order.reconcile", AuditOutcome.OK, message, ids)
        _replaced_refresh(order)

    def absent(self, order: Order, *, now: datetime) -> str:
        settled = self._not_placed(order, "order.reconcile", now=now, push=records.push_order)
        _replaced_refresh(order)
        return settled

    def push(self, order: Order) -> None:
        records.push_order(order)


class OrderListStrategy(_DeskStrategy):
    kind = "order list"
    model = OrderList

    def lookup(self, row: OrderList, *, now: datetime):
        def question(client):
            found = client.get_order_list(orig_client_order_id=row.list_client_order_id)
            return found, _legs(client, found)

        return _ask(row, question)

    def found(self, row: OrderList, record) -> None:
        found, legs = record
        with transaction.atomic():
            _claim(row)
            row = records.order_list_store(connection=row.connection, order_list=found, row=row)
            for leg in legs:
                records.order_store(connection=row.connection, order=leg, order_list=row)
            ids = {"orderListId": row.order_list_id}
            _audit(row, "oco.reconcile", AuditOutcome.OK, "", ids)

    def absent(self, row: OrderList, *, now: datetime) -> str:
        return self._not_placed(row, "oco.reconcile", now=now, push=records.push_order_list)

    def push(self, row: OrderList) -> None:
        records.push_order_list(row)


def _claim(intent) -> None:
    """Written first, over the state the sweep read: of two sweeps (two beats, or the sweep and
    an order's own recheck) that found the same intent, the later one waits for the first to
    commit and then stops here (``IntentMoved``) instead of storing and auditing it again."""
    intent.checked_at = timezone.now()
    intent.intent_write(["checked_at"])


def _replaced_refresh(order: Order) -> None:
    """A cancel-replace whose answer was lost may have canceled the order it replaces whatever
    became of the new one: once the new one is settled, store that order's state too."""
    order_id = order.request.get(REPLACES_KEY)
    if order_id is None:
        return
    try:
        with client_for_connection(order.connection) as client:
            replaced = client.get_order(symbol=order.symbol, order_id=order_id)
    except SEND_ERRORS as exc:
        # The stream or the next resync will tell; the new order is settled either way.
        log.info("order %s: replaced order not refreshed (%s)", order.pk, type(exc).__name__)
        return
    records.order_store(connection=order.connection, order=replaced)


def _legs(client: binanceus.Client, found: binanceus.OrderList) -> list[binanceus.Order]:
    """GET orderList names its legs only: their states, as far as the exchange shows them."""
    legs = []
    for leg in found.orders:
        try:
            legs.append(client.get_order(symbol=leg.symbol, order_id=leg.order_id))
        except binanceus.APIError:  # not visible yet: the stream or the next resync brings it
            continue
    return legs


def _audit(intent, action: str, outcome: str, message: str, ids: dict | None) -> None:
    key = "listClientOrderId" if isinstance(intent, OrderList) else "clientOrderId"
    audit_record(
        user=intent.connection.user,
        action=action,
        outcome=outcome,
        connection=intent.connection,
        params={"symbol": intent.symbol, key: intent.intent_key},
        error_message="" if outcome == AuditOutcome.OK else message,
        exchange_ids=ids,
    )


def order_reconcile(*, order_pk: int, now: datetime | None = None) -> str:
    """Look one unsettled desk order up by client order id; its status afterwards, in one word."""
    return intent_reconcile(strategy=OrderStrategy(), pk=order_pk, now=now)


def order_list_reconcile(*, list_pk: int, now: datetime | None = None) -> str:
    """The same for an OCO intent, by its list client order id."""
    return intent_reconcile(strategy=OrderListStrategy(), pk=list_pk, now=now)


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep: every unknown order and list, and every SENDING one a dead worker left behind;
    how many ended how (``ROW_ERROR``: the look-up itself failed, logged; tried next sweep)."""
    counts = intents_reconcile(OrderStrategy(), OrderListStrategy(), now=now)
    return {kind: counts[kind] for kind in (WAITING, FOUND, FAILED, SETTLED, ROW_ERROR)}
