"""Asking for a custodial order and canceling one.

An order is checked (``checks``: filters and the custodial balance), committed under the form's
request key, and queued for the worker (``tasks.send_custodial_order`` → ``sending``), which
sends it once. A refusal writes nothing and sends nothing; a double submit finds the row its
first submit made. A connection has one custodial order per symbol in flight (a database
constraint, see ``custody.orders``): another order of that symbol waits until it settles.

A cancel is sent at once (``DELETE /sapi/v1/custodian/order``) and needs no intent: sending it
twice cannot do harm. -2011 "Unknown order sent." after a cancel means the order is not open
any more (canceled by an earlier try, filled, or expired): the order is read again
(``GET /sapi/v1/custodian/order``) and stored as the exchange says it is now.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome, ExchangeConnection
from custody import reads
from custody.orders import checks
from custody.orders.models import CustodialOrder, ExchangeOrder
from custody.orders.records import exchange_order_upsert
from desk.intents import describe, intent_commit, queue
from desk.problems import refuse
from trading.orders.services import OrderRequest

UNKNOWN_ORDER = -2011


class OrderRefused(Exception):
    """An order or cancel the desk will not send (or that the exchange refused); the message is
    for the person asking."""


def order_request(
    *,
    connection: ExchangeConnection,
    user,
    request_key: str,
    request: OrderRequest,
    allow_express_trade: bool = False,
    ip: str | None = None,
) -> CustodialOrder:
    """The order, committed before it is sent, or the one this form's first submit made."""
    existing = _existing(connection, request_key)
    if existing is not None:
        return existing
    checks.order_refusal(connection=connection, request=request, express=allow_express_trade)
    fields = {
        "rail": reads.rail_of(connection),
        "symbol": request.symbol,
        "side": request.side,
        "type": request.type,
        "time_in_force": (request.time_in_force or "GTC") if request.type == "LIMIT" else "",
        "quantity": request.quantity,
        "quote_order_qty": request.quote_order_qty,
        "price": request.price,
        "allow_express_trade": allow_express_trade,
    }
    try:
        with transaction.atomic():
            order, created = intent_commit(
                CustodialOrder,
                key={"connection": connection, "request_key": request_key},
                fields=fields,
            )
            if created:
                _audit_request(order, user=user, ip=ip)
                _queue(order.pk)
    except (CustodialOrder.DoesNotExist, IntegrityError):  # the one-in-flight constraint
        raise refuse(
            "symbol",
            f"A custodial {request.symbol} order of yours is still being placed; wait until it "
            "settles. Nothing was sent.",
        ) from None
    return order


def _existing(connection, key: str) -> CustodialOrder | None:
    return CustodialOrder.objects.filter(connection=connection, request_key=key).first()


def _audit_request(order: CustodialOrder, *, user, ip) -> None:
    audit_record(
        user=user,
        action="custody.order.request",
        connection=order.connection,
        params=order.audit_params(),
        ip=ip,
    )


def _queue(order_id: int) -> None:
    from custody.tasks import send_custodial_order  # tasks import the worker side

    transaction.on_commit(lambda: queue(send_custodial_order, order_id))


def order_cancel(*, user, row: ExchangeOrder, ip: str | None = None) -> ExchangeOrder:
    """Cancel one open custodial order (``row``: our copy of it, the connection's own)."""
    connection, rail = row.connection, reads.rail_of(row.connection)
    try:
        with client_for_connection(connection) as client:
            answer = _cancel(client, rail, row)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        code, message = describe(exc)
        _audit_cancel(user, row, ip, AuditOutcome.ERROR, code=code, message=message)
        raise OrderRefused(f"Not canceled: {message}") from exc
    stored, _ = exchange_order_upsert(connection, answer)
    _audit_cancel(user, stored, ip, AuditOutcome.OK)
    from custody.orders.sending import push_custody  # the worker side's push

    transaction.on_commit(lambda: push_custody(connection.pk, {"order": stored.order_id}))
    return stored


def _cancel(client: binanceus.Client, rail: str, row: ExchangeOrder):
    try:
        return client.custodian_order_cancel(rail=rail, symbol=row.symbol, order_id=row.order_id)
    except binanceus.ClientError as exc:
        if getattr(exc, "code", None) != UNKNOWN_ORDER:
            raise
    # Gone already: its status now, as the exchange tells it.
    return client.custodian_order(rail=rail, symbol=row.symbol, order_id=row.order_id)


def _audit_cancel(user, row, ip, outcome, *, code=None, message="") -> None:
    audit_record(
        user=user,
        action="custody.order.cancel",
        outcome=outcome,
        connection=row.connection,
        params={"symbol": row.symbol, "orderId": row.order_id, "status": row.status},
        error_code=code,
        error_message=message,
        exchange_ids={"orderId": str(row.order_id)},
        ip=ip,
    )
