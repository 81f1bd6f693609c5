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

import binanceus
from accounts.realtime import custody_push
from custody import reads
from custody.orders.models import CustodialOrder, OrderStatus
from custody.orders.records import exchange_order_upsert
from desk.intents import Outcome, State, Verdict
from desk.intents.worker import Sender
from desk.money import plain


class CustodialOrderSender(Sender):
    model = CustodialOrder
    claimed = OrderStatus.CLAIMED
    audit_action = "custody.order"

    def call(self, client: binanceus.Client, o: CustodialOrder) -> binanceus.CustodianOrder:
        params = {"side": o.side, "type": o.type}
        for name in ("time_in_force", "quantity", "quote_order_qty", "price"):
            if getattr(o, name) not in (None, ""):
                params[name] = getattr(o, name)
        if o.allow_express_trade:
            params["allow_express_trade"] = True
        # Checked by the service already; the exchange has the last word.
        return client.custodian_order_new(rail=o.rail, symbol=o.symbol, validate=False, **params)

    def settled(self, order: CustodialOrder, outcome: Outcome) -> CustodialOrder:
        if outcome.verdict is Verdict.EXECUTED:
            return order_found(order, outcome.answer)
        return super().settled(order, outcome)

    def exchange_ids(self, order: CustodialOrder) -> dict:
        return {"orderId": str(order.order_id) if order.order_id else ""}

    def push(self, order: CustodialOrder) -> None:
        push_custody(order.connection_id, {"custodialOrder": order_payload(order)})

    def after_executed(self, order: CustodialOrder) -> None:
        """Placed: the custodial balances moved (locked), read them again."""
        reads.balances_forget(connection=order.connection)

    def task(self):
        from custody.tasks import send_custodial_order  # tasks import the worker side

        return send_custodial_order


SENDER = CustodialOrderSender()
order_finish = SENDER.finish
push_after_commit = SENDER.push_after_commit


def order_send(*, order_id: int, sleep=time.sleep) -> CustodialOrder | None:
    """Claim the order and send it once. None if another worker has it."""
    return SENDER.send(order_id, sleep=sleep)


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
