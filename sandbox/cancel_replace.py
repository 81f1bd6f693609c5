"""POST /api/v3/order/cancelReplace: cancel an order and place a new one on the same symbol.

Parameters and filters of the new order are checked (and the order counted) before anything
happens; then the cancel runs, then, unless STOP_ON_FAILURE stops it, the placement. Not
transactional: what succeeded stays done. The outcome table of the spec:

    cancel   new order      HTTP  body
    SUCCESS  SUCCESS        200   {cancelResult, newOrderResult, cancelResponse, ...}
    FAILURE  NOT_ATTEMPTED  400   -2022 with data (STOP_ON_FAILURE)
    FAILURE  FAILURE        400   -2022 with data (ALLOW_FAILURE)
    one of the two failed   409   -2021 with data
"""

from __future__ import annotations

from collections.abc import Callable

from . import errors
from .ctx import Ctx
from .order_docs import order_response
from .orders import (
    cancel_one,
    cancel_restrictions,
    check_filters,
    client_id,
    count_orders,
    parse_order,
)
from .routes import route

MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")


class ReplaceError(errors.ApiError):
    """An error object carrying the spec's "data" member."""

    def __init__(self, code: int, msg: str, status: int, data: dict) -> None:
        super().__init__(code, msg, status)
        self.data = data

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg, "data": self.data}


@route("POST", "/api/v3/order/cancelReplace")
def post_cancel_replace(ctx: Ctx) -> object:
    p, acct, engine = ctx.params, ctx.account, ctx.ex.engine
    ctx.ex.limits.check_orders(acct.account_id)
    mode = p.enum("cancelReplaceMode", MODES, required=True)
    req, resp_type = parse_order(p)
    restriction = cancel_restrictions(p)
    cancel_cid = client_id(p, "cancelNewClientOrderId")
    order_id, orig_cid = p.integer("cancelOrderId"), p.get("cancelOrigClientOrderId")
    if order_id is None and orig_cid is None:
        raise errors.either("cancelOrderId", "cancelOrigClientOrderId")
    check_filters(ctx.ex, acct, req)
    count_orders(ctx)  # counted even when the new order is not attempted
    order = engine.find(acct, req.symbol, order_id, None if order_id is not None else orig_cid)
    cancel_ok, cancel_doc = _attempt(
        lambda: cancel_one(ctx.ex, acct, order, restriction, cancel_cid)
    )
    if not cancel_ok and mode == "STOP_ON_FAILURE":
        data = _data("FAILURE", "NOT_ATTEMPTED", cancel_doc, None)
        raise ReplaceError(-2022, "Order cancel-replace failed.", 400, data)
    new_ok, new_doc = _attempt(lambda: order_response(engine.place(acct, req), resp_type))
    if cancel_ok and new_ok:
        return _data("SUCCESS", "SUCCESS", cancel_doc, new_doc)
    data = _data(_result(cancel_ok), _result(new_ok), cancel_doc, new_doc)
    if cancel_ok or new_ok:
        raise ReplaceError(-2021, "Order cancel-replace partially failed.", 409, data)
    raise ReplaceError(-2022, "Order cancel-replace failed.", 400, data)


def _attempt(action: Callable[[], dict]) -> tuple[bool, dict]:
    try:
        return True, action()
    except errors.ApiError as exc:
        return False, exc.body()


def _result(ok: bool) -> str:
    return "SUCCESS" if ok else "FAILURE"


def _data(cancel: str, new: str, cancel_doc: dict, new_doc: dict | None) -> dict:
    return {
        "cancelResult": cancel,
        "newOrderResult": new,
        "cancelResponse": cancel_doc,
        "newOrderResponse": new_doc,
    }
