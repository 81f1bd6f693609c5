"""The worker side of custodial orders: sending one exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either an order that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the exchange's open orders and order history decide, ``custody.orders.reconcile``;
never a blind resend). A 503 was not executed: ``intent_send`` sends it again after a bounded
backoff (the client itself never re-sends a custody call).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from accounts.realtime import custody_push
from custody import reads
from custody.orders.models import CustodialOrder, OrderStatus
from custody.orders.records import exchange_order_upsert
from desk.intents import (
    Outcome,
    State,
    Verdict,
    intent_mark_sending,
    intent_release,
    intent_send,
    intent_settle,
)
from desk.money import plain


def order_send(*, order_id: int, sleep=time.sleep) -> CustodialOrder | None:
    """Claim the order and send it once. None if another worker has it."""
    claimed = CustodialOrder.objects.filter(pk=order_id, status=OrderStatus.PLANNED).update(
        status=OrderStatus.CLAIMED, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    order = CustodialOrder.objects.select_related("connection", "connection__user").get(pk=order_id)
    try:
        client = client_for_connection(order.connection)
    except crypto.CredentialsUnavailable:
        return order_finish(order, State.FAILED, message="The connection's keys need replacing.")
    with client:
        if not intent_mark_sending(order, sent_at=timezone.now()):
            return None  # the sweep handed the claim to another worker
        outcome = intent_send(lambda: _send(client, order), sleep=sleep)
    return _settled(order, outcome)


def _send(client: binanceus.Client, o: CustodialOrder) -> binanceus.CustodianOrder:
    params = {"side": o.side, "type": o.type}
    for name in ("time_in_force", "quantity", "quote_order_qty", "price"):
        if getattr(o, name) not in (None, ""):
            params[name] = getattr(o, name)
    if o.allow_express_trade:
        params["allow_express_trade"] = True
    # Checked by the service already; the exchange has the last word.
    return client.custodian_order_new(rail=o.rail, symbol=o.symbol, validate=False, **params)


def _settled(order: CustodialOrder, outcome: Outcome) -> CustodialOrder:
    if outcome.verdict is Verdict.LATER:
        from custody.tasks import send_custodial_order  # tasks import the worker side

        return intent_release(order, outcome, task=send_custodial_order)
    if outcome.verdict is Verdict.EXECUTED:
        return order_found(order, outcome.answer)
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return order_finish(order, state, code=outcome.code, message=outcome.message)


def order_found(
    order: CustodialOrder, answer: binanceus.CustodianOrder, *, message: str = ""
) -> CustodialOrder:
    """The exchange has the order (its answer, or a record found later): settled as placed,
    and the exchange's own row of it stored for the open-orders table."""
    with transaction.atomic():
        exchange_order_upsert(order.connection, answer)
        fields = {
            "order_id": answer.order_id,
            "exchange_status": (answer.status or "")[:20],
            "express_trade_flag": answer.express_trade_flag,
        }
        return order_finish(order, State.EXECUTED, message=message, fields=fields)


def order_finish(
    order: CustodialOrder,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: dict | None = None,
) -> CustodialOrder:
    """Settle the order: saved, audited and pushed in one transaction; once placed, the
    balances are read again after commit."""
    final = state in (State.EXECUTED, State.FAILED)
    then = [lambda: push_custody(order.connection_id, {"custodialOrder": order_payload(order)})]
    if state is State.EXECUTED:
        then.append(lambda: _refresh(order))
    return intent_settle(
        order,
        state,
        code=code,
        message=message,
        fields={"finished_at": timezone.now() if final else None, **(fields or {})},
        audit=_audit,
        then=then,
    )


def order_payload(order: CustodialOrder) -> dict:
    return {
        "id": order.pk,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "quantity": plain(order.quantity) if order.quantity is not None else None,
        "price": plain(order.price) if order.price is not None else None,
        "status": order.status,
        "status_label": order.get_status_display(),
        "order_id": order.order_id,
        "exchange_status": order.exchange_status,
        "error_code": order.error_code,
        "error_message": order.error_message,
    }


def push_custody(connection_id: int, payload: dict) -> None:
    custody_push(connection_id=connection_id, payload=payload)


def push_after_commit(order: CustodialOrder) -> None:
    payload = {"custodialOrder": order_payload(order)}
    transaction.on_commit(lambda: push_custody(order.connection_id, payload))


def _refresh(order: CustodialOrder) -> None:
    reads.balances_forget(connection=order.connection)


_OUTCOMES = {OrderStatus.DONE: AuditOutcome.OK, OrderStatus.UNKNOWN: AuditOutcome.UNKNOWN}


def _audit(order: CustodialOrder) -> None:
    audit_record(
        user=order.connection.user,
        action="custody.order",
        outcome=_OUTCOMES.get(order.status, AuditOutcome.ERROR),
        connection=order.connection,
        params={**order.audit_params(), "status": order.status},
        error_code=order.error_code,
        error_message=order.error_message,
        exchange_ids={"orderId": str(order.order_id)} if order.order_id else {},
    )
