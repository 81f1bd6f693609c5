"""Placing, canceling and replacing orders and OCO lists — each an intent of the exactly-once
kit (``desk.intents``), sent at most once.

The life of a desk order::

    form ──commit intent (SENDING, client order id unique per connection)──▶ exchange
         answer ─────────────────────────────▶ its status (NEW, FILLED, …)
         4XX / refused before sending ───────▶ FAILED (code + message)
         5XX / timeout / -1006 / -1007 ──────▶ UNKNOWN ──look up by client order id──▶ found
                                                          └─ absent past the grace period ─▶ FAILED

The row exists before the request leaves, and the client order id travels with it: a double
submit of the same ticket finds the row and sends nothing; a crash mid-request leaves a
SENDING row the sweep settles (see ``trading.orders.reconcile``). Nothing is ever re-sent by
the desk: the client itself repeats a request after a 503 "Service Unavailable" (not executed),
which the client order id makes harmless.

An amended order or an OCO the desk can tell will fail (``trading.orders.checks``) raises
:class:`OrderNotSent` before any row is written or request sent.

An answer is stored and audited in one transaction (:func:`_recording`): the two rows commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any, NoReturn

from django.db import transaction

import binanceus
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome, ExchangeConnection
from desk.intents import (
    SEND_ERRORS,
    Outcome,
    State,
    Verdict,
    describe,
    intent_commit,
    intent_send,
    intent_settle,
    outcome_of,
    queue,
)
from desk.money import plain
from trading.models import Order, OrderList, OrderOrigin, OrderStatus
from trading.orders import records
from trading.orders.ids import oco_leg_ids
from trading.orders.transport import order_client

# In an intent's ``request``: the orderId its cancel-replace cancels (settled with it).
REPLACES_KEY = "cancelOrderId"


class OrderActionFailed(Exception):
    """An action on an existing order or list did not happen; ``message`` says why."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.message, self.code = message, code


class OrderNotSent(OrderActionFailed):
    """Refused by the desk's own checks: nothing was stored or sent. ``errors``: one message per
    form field (``__all__`` for the form as a whole)."""

    def __init__(self, message: str, *, errors: dict[str, list[str]]):
        super().__init__(message)
        self.errors = errors


# The amend form's fields, and the OCO form's: where a problem of each is shown.
REPLACE_FIELDS = ("price", "quantity")
OCO_FIELDS = ("side", "quantity", "price", "stop_price", "stop_limit_price")
NOTHING_TO_CHANGE = "Nothing to change: give a new price or a new quantity."


class _Params:
    """A request's parameters for the client, and as stored with its intent (exact text)."""

    def client_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def as_json(self) -> dict[str, Any]:
        return {
            k: plain(v) if isinstance(v, Decimal) else v for k, v in self.client_kwargs().items()
        }


@dataclass(frozen=True)
class OrderRequest(_Params):
    """What a ticket asks for, in the client's parameter names (Decimal money)."""

    symbol: str
    side: str
    type: str
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    time_in_force: str | None = None
    iceberg_qty: Decimal | None = None
    self_trade_prevention_mode: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderRequest:
        decimals = {"quantity", "quote_order_qty", "price", "stop_price", "iceberg_qty"}
        names = {f.name for f in fields(cls)}
        return cls(
            **{
                k: Decimal(v) if k in decimals and v is not None else v
                for k, v in data.items()
                if k in names
            }
        )


@dataclass(frozen=True)
class OcoRequest(_Params):
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    stop_limit_price: Decimal | None = None
    stop_limit_time_in_force: str | None = None


def _audit(
    user,
    connection: ExchangeConnection,
    action: str,
    params: dict,
    *,
    outcome: str = AuditOutcome.OK,
    code: int | None = None,
    message: str = "",
    ids: dict | None = None,
    ip: str | None = None,
) -> None:
    audit_record(
        user=user,
        action=action,
        outcome=outcome,
        connection=connection,
        params=params,
        error_code=code,
        error_message=message,
        exchange_ids=ids,
        ip=ip,
    )


def _recording():
    """One transaction for an answer's rows and its audit record. Apart, the audit's INSERT
    ran under autocommit, where SQLite's own busy handler waits for a write lock in steps of 1,
    2, 5 ms: with the stream process storing the order's executionReport at that moment, the
    view's answer waited 1.6 ms (p50, bench/order_latency.py) for a second lock and commit."""
    return transaction.atomic()


# --- placing ------------------------------------------------------------------------------------
def _intent_create(
    *,
    connection: ExchangeConnection,
    client_order_id: str,
    request: OrderRequest,
    order_list: OrderList | None = None,
    replaces: Order | None = None,
) -> tuple[Order, bool]:
    """The committed intent, or the existing one for this client order id (created False).
    ``replaces``: the order a cancel-replace cancels, kept with the intent so settling an
    unknown outcome also looks at that order."""
    sent = request.as_json()
    if replaces is not None:
        sent[REPLACES_KEY] = replaces.order_id
    key = {"connection": connection, "client_order_id": client_order_id, "origin": OrderOrigin.DESK}
    return intent_commit(
        Order,
        key=key,
        fields={
            "order_list": order_list,
            "symbol": request.symbol,
            "side": request.side,
            "type": request.type,
            "time_in_force": request.time_in_force or "",
            "price": request.price,
            "stop_price": request.stop_price,
            "trailing_delta": request.trailing_delta,
            "iceberg_qty": request.iceberg_qty,
            "orig_qty": request.quantity,
            "orig_quote_order_qty": request.quote_order_qty,
            "self_trade_prevention_mode": request.self_trade_prevention_mode or "",
            # Committed as sending: the request leaves right after (nothing to plan).
            "status": OrderStatus.SENDING,
            "attempts": 1,
            "request": sent,
        },
    )


def order_place(
    *,
    user,
    connection: ExchangeConnection,
    client_order_id: str,
    request: OrderRequest,
    ip: str | None = None,
) -> Order:
    """Commit the intent, send it once, record the answer. A repeat of ``client_order_id``
    returns the stored order and sends nothing."""
    order, created = _intent_create(
        connection=connection, client_order_id=client_order_id, request=request
    )
    if not created:
        return order
    outcome = _send(connection, "new_order", request, new_client_order_id=client_order_id)
    if outcome.verdict is not Verdict.EXECUTED:
        return _order_settled(user, order, outcome, ip=ip)
    with _recording():
        stored = records.order_store(connection=connection, order=outcome.answer, row=order)
        params = {**order.request, "clientOrderId": client_order_id, "status": stored.status}
        _audit(user, connection, "order.place", params, ids={"orderId": stored.order_id}, ip=ip)
    return stored


def _send(connection: ExchangeConnection, method: str, request, **ids) -> Outcome:
    """One placing call (FULL answer: else ACK for all but LIMIT/MARKET, with no state). The
    client already retries a 503 "Service Unavailable" here, so the kit adds no backoff."""

    def send():
        with order_client(connection) as client:
            call = getattr(client, method)
            try:
                return call(**request.client_kwargs(), **ids, new_order_resp_type="FULL")
            except binanceus.CancelReplaceFailed as exc:  # its answer says which half happened
                return exc.result

    return intent_send(send, backoff=())


def _order_settled(user, order: Order, outcome: Outcome, *, ip: str | None) -> Order:
    params = {**order.request, "clientOrderId": order.client_order_id}
    return _settled(user, order, outcome, action="order.place", params=params, ip=ip)


def _settled(user, intent: Order | OrderList, outcome: Outcome, *, action, params, ip):
    """An intent the exchange refused (FAILED) or did not answer (UNKNOWN: queued for a check)."""
    from trading.tasks import reconcile_order, reconcile_order_list  # tasks import services

    unknown = outcome.verdict is Verdict.UNKNOWN
    is_order = isinstance(intent, Order)
    check = reconcile_order if is_order else reconcile_order_list

    def audit(row) -> None:
        _audit_failed(user, row.connection, action, params, outcome, ip=ip)

    return intent_settle(
        intent,
        State.UNKNOWN if unknown else State.FAILED,
        code=outcome.code,
        message=outcome.message,
        audit=audit,
        push=records.push_order if is_order else records.push_order_list,
        then=[lambda: queue(check, intent.pk, countdown=1)] if unknown else [],
    )


def order_test(*, user, connection: ExchangeConnection, request: OrderRequest) -> dict[str, Any]:
    """POST /api/v3/order/test: the exchange's verdict on the order, nothing placed."""
    try:
        with client_for_connection(connection) as client:
            # The exchange's own verdict: the ticket's check already showed the local one.
            client.test_new_order(**request.client_kwargs(), validate=False)
    except binanceus.APIError as exc:
        return {"ok": False, "code": exc.code, "message": exc.msg}
    except SEND_ERRORS as exc:
        code, message = describe(exc)
        return {"ok": False, "code": code, "message": message}
    return {"ok": True, "code": None, "message": "The exchange would accept this order."}


# --- canceling and replacing ------------------------------------------------------------------
def _exchange_order(order: Order) -> None:
    if order.order_id is None:
        raise OrderActionFailed(
            "This order has no exchange id yet (its outcome is still being checked)."
        )


def order_cancel(*, user, order: Order, ip: str | None = None) -> Order:
    """DELETE /api/v3/order for one of the connection's orders."""
    _exchange_order(order)
    connection = order.connection
    params = {"symbol": order.symbol, "orderId": order.order_id}
    with _asking(user, connection, "order.cancel", params, ip=ip) as client:
        answer = client.cancel_order(symbol=order.symbol, order_id=order.order_id)
    with _recording():
        stored = records.order_store(connection=connection, order=answer, row=order)
        _audit(user, connection, "order.cancel", params, ids={"orderId": order.order_id}, ip=ip)
    return stored


@contextmanager
def _asking(user, connection, action: str, params: dict, *, ip) -> Iterator[binanceus.Client]:
    """A client for one request on orders already at the exchange. Its failure is audited and
    raised as :class:`OrderActionFailed`; nothing is repeated, as it may have happened."""
    try:
        with order_client(connection) as client:
            yield client
    except SEND_ERRORS as exc:
        _action_failed(user, connection, action, params, outcome_of(exc), ip=ip)


def _audit_failed(user, connection, action: str, params: dict, outcome: Outcome, *, ip) -> None:
    """A refusal (ERROR) or no answer at all (UNKNOWN), with the exchange's code and message."""
    unknown = outcome.verdict is Verdict.UNKNOWN
    _audit(
        user,
        connection,
        action,
        params,
        outcome=AuditOutcome.UNKNOWN if unknown else AuditOutcome.ERROR,
        code=outcome.code,
        message=outcome.message,
        ip=ip,
    )


def _action_failed(
    user, connection, action: str, params: dict, outcome: Outcome, *, ip
) -> NoReturn:
    _audit_failed(user, connection, action, params, outcome, ip=ip)
    message = outcome.message
    if outcome.verdict is Verdict.UNKNOWN:
        message = "No answer from the exchange: it may have happened; the order list updates live."
    raise OrderActionFailed(message, code=outcome.code)


def orders_cancel_all(
    *, user, connection: ExchangeConnection, symbol: str, ip: str | None = None
) -> int:
    """DELETE /api/v3/openOrders for one symbol; how many orders (and lists) were canceled."""
    params = {"symbol": symbol}
    with _asking(user, connection, "order.cancel_all", params, ip=ip) as client:
        answers = client.cancel_open_orders(symbol=symbol)
    with _recording():
        for answer in answers:
            if isinstance(answer, binanceus.OrderList):
                records.order_list_store(connection=connection, order_list=answer)
            else:
                records.order_store(connection=connection, order=answer)
        canceled = {**params, "canceled": len(answers)}
        _audit(user, connection, "order.cancel_all", canceled, ip=ip)
    return len(answers)


@dataclass(frozen=True)
class ReplaceOutcome:
    canceled: bool
    new_order: Order
    message: str
    # The exchange canceled the order and refused its replacement: the order is gone.
    original_lost: bool = False

    @property
    def replaced(self) -> bool:
        """Both halves happened: the order canceled and its amended copy placed."""
        return self.canceled and self.new_order.status != OrderStatus.FAILED


def _amended(order: Order, price: Decimal | None, quantity: Decimal | None) -> OrderRequest:
    """``order`` with a new price and/or quantity: None keeps the order's own. Zero or less is a
    value like any other (refused by the checks), never "keep"."""
    if (price is None and quantity is None) or (
        (price is None or price == order.price) and (quantity is None or quantity == order.orig_qty)
    ):
        raise OrderNotSent(NOTHING_TO_CHANGE, errors={"__all__": [NOTHING_TO_CHANGE]})
    return OrderRequest(
        symbol=order.symbol,
        side=order.side,
        type=order.type,
        quantity=order.orig_qty if quantity is None else quantity,
        price=order.price if price is None else price,
        stop_price=order.stop_price,
        trailing_delta=order.trailing_delta,
        # The exchange reports GTC for a LIMIT_MAKER but refuses it in a request (-1114).
        time_in_force=None if order.type == "LIMIT_MAKER" else order.time_in_force or None,
        iceberg_qty=order.iceberg_qty,
        self_trade_prevention_mode=order.self_trade_prevention_mode or None,
    )


def _refused_here(problems: list[binanceus.FilterProblem], fields, what: str) -> OrderNotSent:
    from trading.orders.checks import problem_errors  # checks import services

    errors = problem_errors(problems, fields)
    first = next(iter(errors.values()))[0]
    return OrderNotSent(f"{what}, nothing was sent: {first}", errors=errors)


def order_replace(
    *,
    user,
    order: Order,
    client_order_id: str,
    price: Decimal | None,
    quantity: Decimal | None,
    ip: str | None = None,
) -> ReplaceOutcome:
    """Cancel ``order`` and place its amended copy in one request (STOP_ON_FAILURE: if the
    cancel fails nothing new is placed). The new order is an intent like any other.

    Checked first like a ticket (filters; free balance plus what the cancel releases): an
    amendment that changes nothing, or that the exchange would refuse after canceling the
    order, raises :class:`OrderNotSent` and the order stays as it is."""
    from trading.orders.checks import replace_check  # checks import services

    _exchange_order(order)
    sent = Order.objects.filter(
        connection=order.connection, client_order_id=client_order_id, origin=OrderOrigin.DESK
    ).first()
    if sent is not None:  # a repeat of this very form: its outcome, nothing sent again
        return ReplaceOutcome(canceled=False, new_order=sent, message="Already sent.")
    request = _amended(order, price, quantity)
    problems = replace_check(order=order, request=request)
    if problems:
        raise _refused_here(problems, REPLACE_FIELDS, "Not replaced")
    new, created = _intent_create(
        connection=order.connection,
        client_order_id=client_order_id,
        request=request,
        replaces=order,
    )
    if not created:
        return ReplaceOutcome(canceled=False, new_order=new, message="Already sent.")
    params = {"orderId": order.order_id, **request.as_json(), "clientOrderId": client_order_id}
    outcome = _send(
        order.connection,
        "cancel_replace",
        request,
        cancel_replace_mode="STOP_ON_FAILURE",
        cancel_order_id=order.order_id,
        new_client_order_id=client_order_id,
    )
    if outcome.verdict is Verdict.UNKNOWN:
        return ReplaceOutcome(
            canceled=False,
            new_order=_order_settled(user, new, outcome, ip=ip),
            message="No answer from the exchange: checking whether the replacement was placed.",
        )
    if outcome.not_executed:
        _order_settled(user, new, outcome, ip=ip)
        _action_failed(user, order.connection, "order.replace", params, outcome, ip=ip)
    return _replace_recorded(user, order, new, outcome.answer, params, ip=ip)


def _part(what: str, result: str, error) -> str:
    text = f"{what} {result.lower().replace('_', ' ')}"
    return f"{text} ({error.code}: {error.msg})" if error else text


@_recording()  # the halves' rows and the audit record together
def _replace_recorded(user, old: Order, new: Order, result, params: dict, *, ip) -> ReplaceOutcome:
    connection = old.connection
    if result.cancel_response is not None:
        records.order_store(connection=connection, order=result.cancel_response)
    if result.new_order_response is not None:
        new = records.order_store(connection=connection, order=result.new_order_response)
    canceled = result.cancel_result == "SUCCESS"
    placed = result.new_order_result == "SUCCESS"
    message = "; ".join(
        [
            _part("cancel", result.cancel_result, result.cancel_error),
            _part("new order", result.new_order_result, result.new_order_error),
        ]
    )
    if not placed:
        error = result.new_order_error or result.cancel_error
        new.status = OrderStatus.FAILED
        new.error_code = error.code if error else None
        new.error_message = message[:300]
        new.save(update_fields=["status", "error_code", "error_message", "updated_at"])
        records.push_order(new)
    _audit(
        user,
        connection,
        "order.replace",
        params,
        outcome=AuditOutcome.OK if canceled and placed else AuditOutcome.ERROR,
        code=None if placed else new.error_code,
        message="" if canceled and placed else message,
        ids={"canceledOrderId": old.order_id, "orderId": new.order_id},
        ip=ip,
    )
    lost = canceled and not placed
    if lost:
        error = result.new_order_error
        why = f" ({error.code}: {error.msg})" if error else ""
        message = (
            f"The original order was canceled and not replaced: the exchange refused the new "
            f"order{why}. You can place the original order again as it was."
        )
    return ReplaceOutcome(canceled=canceled, new_order=new, message=message, original_lost=lost)


# --- OCO ------------------------------------------------------------------------------------
def oco_place(
    *,
    user,
    connection: ExchangeConnection,
    list_client_order_id: str,
    request: OcoRequest,
    ip: str | None = None,
) -> OrderList:
    """Check it (both legs' filters, the price order), commit the OCO intent, send it once
    (POST /api/v3/order/oco), record the answer. :class:`OrderNotSent` if the check fails."""
    from trading.orders.checks import oco_check  # checks import services

    problems = oco_check(connection=connection, request=request)
    if problems:
        raise _refused_here(problems, OCO_FIELDS, "OCO not placed")
    row, created = intent_commit(
        OrderList,
        key={
            "connection": connection,
            "list_client_order_id": list_client_order_id,
            "origin": OrderOrigin.DESK,
        },
        fields={
            "symbol": request.symbol,
            "list_status_type": OrderList.STATES[State.SENDING],
            "attempts": 1,
            "request": request.as_json(),
        },
    )
    if not created:
        return row
    legs = oco_leg_ids(connection)
    params = {**request.as_json(), "listClientOrderId": list_client_order_id}
    params |= {"limitClientOrderId": legs.get("limit_client_order_id")} if legs else {}
    params |= {"stopClientOrderId": legs.get("stop_client_order_id")} if legs else {}
    outcome = _send(
        connection, "new_oco", request, list_client_order_id=list_client_order_id, **legs
    )
    if outcome.verdict is not Verdict.EXECUTED:
        return _settled(user, row, outcome, action="oco.place", params=params, ip=ip)
    with _recording():
        stored = records.order_list_store(connection=connection, order_list=outcome.answer, row=row)
        ids = {"orderListId": stored.order_list_id}
        _audit(user, connection, "oco.place", params, ids=ids, ip=ip)
    return stored


def oco_cancel(*, user, order_list: OrderList, ip: str | None = None) -> OrderList:
    """DELETE /api/v3/orderList: cancels both legs."""
    if order_list.order_list_id is None:
        raise OrderActionFailed("This list has no exchange id yet (still being checked).")
    connection = order_list.connection
    params = {"symbol": order_list.symbol, "orderListId": order_list.order_list_id}
    with _asking(user, connection, "oco.cancel", params, ip=ip) as client:
        answer = client.cancel_order_list(
            symbol=order_list.symbol, order_list_id=order_list.order_list_id
        )
    with _recording():
        stored = records.order_list_store(connection=connection, order_list=answer, row=order_list)
        ids = {"orderListId": order_list.order_list_id}
        _audit(user, connection, "oco.cancel", params, ids=ids, ip=ip)
    return stored
