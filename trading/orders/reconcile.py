"""Settling desk intents whose outcome is unknown, by asking the exchange about their client
order id — never by sending them again.

"Order does not exist" (-2013) right after an unknown outcome is evidence, not proof: an
order the matching engine accepted may take a moment to be visible to queries. Only once the
grace period (``ORDER_RECONCILE_GRACE_SECONDS``) has passed since the request went out does
absence mean "not placed". A SENDING row is left alone while its own request may still be in
flight (``ORDER_STALE_SECONDS``, longer than the request timeout)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from trading.models import Order, OrderList, OrderStatus
from trading.orders import records
from trading.orders.services import REPLACES_KEY
from trading.periodic import ERROR as ROW_ERROR
from trading.periodic import each_row

log = logging.getLogger(__name__)

WAITING, FOUND, FAILED, SETTLED = "waiting", "found", "failed", "settled"
# "Order (list) does not exist" as GET order / GET orderList answer it.
ABSENT_CODES = (-2013, -2011)


def _absent(exc: binanceus.APIError) -> bool:
    return isinstance(exc, binanceus.OrderNotFound) or exc.code in ABSENT_CODES


def _grace() -> timedelta:
    return timedelta(seconds=settings.ORDER_RECONCILE_GRACE_SECONDS)


def _stale() -> timedelta:
    return timedelta(seconds=settings.ORDER_STALE_SECONDS)


def order_reconcile(*, order_pk: int, now: datetime | None = None) -> str:
    """Look one unsettled intent up by client order id; its status afterwards, in one word."""
    now = now or timezone.now()
    order = (
        Order.objects.select_related("connection", "connection__user").filter(pk=order_pk).first()
    )
    if order is None or not order.is_unsettled:  # gone with its connection, or settled
        return SETTLED
    if order.status == OrderStatus.SENDING and now - order.created_at < _stale():
        return WAITING
    try:
        with client_for_connection(order.connection) as client:
            found = client.get_order(
                symbol=order.symbol, orig_client_order_id=order.client_order_id
            )
    except binanceus.APIError as exc:
        if not _absent(exc):
            return _still_waiting(order, now, reason=type(exc).__name__)
        found = None
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        return _still_waiting(order, now, reason=type(exc).__name__)
    if found is not None:
        stored = records.order_store(connection=order.connection, order=found)
        _audit(order, AuditOutcome.OK, f"Found on the exchange: {stored.status}.", stored.order_id)
        _replaced_refresh(order)
        return FOUND
    since = order.unknown_since or order.created_at
    if now - since > _grace():
        order.status = OrderStatus.FAILED
        order.error_message = (
            f"Not on the exchange {settings.ORDER_RECONCILE_GRACE_SECONDS} s after it was sent: "
            "it was not placed. Place it again if you still want it."
        )
        order.checked_at = now
        order.save(update_fields=["status", "error_message", "checked_at", "updated_at"])
        records.push_order(order)
        _audit(order, AuditOutcome.ERROR, order.error_message, None)
        _replaced_refresh(order)
        return FAILED
    return _still_waiting(order, now, reason="not visible yet")


def _replaced_refresh(order: Order) -> None:
    """A cancel-replace whose answer was lost may have canceled the order it replaces whatever
    became of the new one: once the new one is settled, store that order's state too."""
    order_id = order.request.get(REPLACES_KEY)
    if order_id is None:
        return
    try:
        with client_for_connection(order.connection) as client:
            replaced = client.get_order(symbol=order.symbol, order_id=order_id)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        # The stream or the next resync will tell; the new order is settled either way.
        log.info("order %s: replaced order not refreshed (%s)", order.pk, type(exc).__name__)
        return
    records.order_store(connection=order.connection, order=replaced)


def _still_waiting(order: Order, now: datetime, *, reason: str) -> str:
    log.info("order %s: outcome still unknown (%s)", order.pk, reason)
    changed = ["checked_at", "updated_at"]
    order.checked_at = now
    if order.status == OrderStatus.SENDING:
        order.status, order.unknown_since = OrderStatus.UNKNOWN, order.created_at
        changed += ["status", "unknown_since"]
    order.save(update_fields=changed)
    if "status" in changed:
        records.push_order(order)
    return WAITING


def _audit(order: Order, outcome: str, message: str, order_id: int | None) -> None:
    audit_record(
        user=order.connection.user,
        action="order.reconcile",
        outcome=outcome,
        connection=order.connection,
        params={"symbol": order.symbol, "clientOrderId": order.client_order_id},
        error_message="" if outcome == AuditOutcome.OK else message,
        exchange_ids={"orderId": order_id} if order_id else None,
    )


def order_list_reconcile(*, list_pk: int, now: datetime | None = None) -> str:
    """The same for an OCO intent, by its list client order id."""
    now = now or timezone.now()
    row = (
        OrderList.objects.select_related("connection", "connection__user")
        .filter(pk=list_pk)
        .first()
    )
    if row is None or row.list_status_type not in ("SENDING", "UNKNOWN"):
        return SETTLED
    if row.list_status_type == "SENDING" and now - row.created_at < _stale():
        return WAITING
    try:
        with client_for_connection(row.connection) as client:
            found = client.get_order_list(orig_client_order_id=row.list_client_order_id)
            legs = _legs(client, found)
    except binanceus.APIError as exc:
        if not _absent(exc):
            return WAITING
        found = None
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable):
        return WAITING
    if found is not None:
        row = records.order_list_store(connection=row.connection, order_list=found, row=row)
        for leg in legs:
            records.order_store(connection=row.connection, order=leg, order_list=row)
        return FOUND
    if now - row.created_at > _grace():
        row.list_status_type = "FAILED"
        row.error_message = "Not on the exchange after the grace period: it was not placed."
        row.save(update_fields=["list_status_type", "error_message", "updated_at"])
        records.push_order_list(row)
        return FAILED
    if row.list_status_type == "SENDING":
        row.list_status_type = "UNKNOWN"
        row.save(update_fields=["list_status_type", "updated_at"])
    return WAITING


def _legs(client: binanceus.Client, found: binanceus.OrderList) -> list[binanceus.Order]:
    """GET orderList names its legs only: their states, as far as the exchange shows them."""
    legs = []
    for leg in found.orders:
        try:
            legs.append(client.get_order(symbol=leg.symbol, order_id=leg.order_id))
        except binanceus.APIError:  # not visible yet: the stream or the next resync brings it
            continue
    return legs


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep: every unknown intent, and every SENDING one a dead worker left behind; how
    many ended how (``ROW_ERROR``: the look-up itself failed, logged; tried again next sweep)."""
    now = now or timezone.now()
    stale = now - _stale()
    orders = (
        Order.objects.filter(
            Q(status=OrderStatus.UNKNOWN) | Q(status=OrderStatus.SENDING, created_at__lt=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    lists = (
        OrderList.objects.filter(
            Q(list_status_type="UNKNOWN") | Q(list_status_type="SENDING", created_at__lt=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # One row that cannot be looked up (unusable keys, a bug) never holds up the others.
    results = [
        *each_row(
            "reconcile order", list(orders), lambda pk: order_reconcile(order_pk=pk, now=now)
        ),
        *each_row(
            "reconcile order list",
            list(lists),
            lambda pk: order_list_reconcile(list_pk=pk, now=now),
        ),
    ]
    return {kind: results.count(kind) for kind in (WAITING, FOUND, FAILED, SETTLED, ROW_ERROR)}
