"""Single-order endpoints: POST /api/v3/order (and /order/test), GET and DELETE /api/v3/order,
GET and DELETE /api/v3/openOrders: the parameter rules per order type, filters, responses."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import errors, filters
from .accounts import Account
from .ctx import Ctx
from .order_docs import canceled, order_response, order_status
from .params import Params
from .records import (
    FOK,
    GTC,
    IOC,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    STOP_LOSS,
    STOP_LOSS_LIMIT,
    TAKE_PROFIT,
    TAKE_PROFIT_LIMIT,
    Order,
    OrderRequest,
    PlaceResult,
)
from .routes import route
from .state import Exchange
from .symbols import ORDER_TYPES, STP_MODES, SYMBOLS, SymbolSpec

CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
RESP_TYPES = ("ACK", "RESULT", "FULL")
ARCHIVE_MS = 90 * 86_400_000  # canceled/expired orders with no fills are archived after this
ALL_TYPES = (LIMIT, MARKET, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT, LIMIT_MAKER)
# The engine's -2010 message for a spec order type a symbol does not enable.
UNSUPPORTED_TYPES = {
    MARKET: "Market orders are not supported for this symbol",
    STOP_LOSS: "Stop loss orders are not supported for this symbol",
    STOP_LOSS_LIMIT: "Stop loss limit orders are not supported for this symbol",
    TAKE_PROFIT: "Take profit orders are not supported for this symbol",
    TAKE_PROFIT_LIMIT: "Take profit limit orders are not supported for this symbol",
}
# The spec's "additional mandatory parameters" per type: (timeInForce, price, stop trigger);
# quantity is mandatory for all but MARKET (quantity or quoteOrderQty).
TYPE_RULES = {
    LIMIT: (True, True, False),
    LIMIT_MAKER: (False, True, False),
    MARKET: (False, False, False),
    STOP_LOSS: (False, False, True),
    TAKE_PROFIT: (False, False, True),
    STOP_LOSS_LIMIT: (True, True, True),
    TAKE_PROFIT_LIMIT: (True, True, True),
}
ICEBERG_TYPES = (LIMIT, LIMIT_MAKER, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT)


# ---- parsing --------------------------------------------------------------------------------


def parse_order(p: Params) -> tuple[OrderRequest, str]:
    """The new-order parameters (POST /order, /order/test, cancelReplace) as a request and
    its newOrderRespType; raises the spec's error for the first broken rule."""
    symbol = p.req("symbol")
    if symbol not in SYMBOLS:
        raise errors.bad_symbol()
    side = p.enum("side", ("BUY", "SELL"), errors.invalid_side(), required=True)
    order_type = p.req("type")
    if order_type not in ALL_TYPES:
        raise errors.invalid_order_type()
    if order_type not in ORDER_TYPES:
        raise errors.new_order_rejected(UNSUPPORTED_TYPES[order_type])
    req = OrderRequest(symbol, side or "", order_type)
    _type_params(p, req)
    _iceberg(p, req)
    req.client_order_id = client_id(p, "newClientOrderId")
    req.stp_mode = p.enum("selfTradePreventionMode", (*STP_MODES, "NONE")) or "EXPIRE_MAKER"
    default_resp = "FULL" if order_type in (LIMIT, MARKET) else "ACK"
    return req, p.enum("newOrderRespType", RESP_TYPES) or default_resp


def _type_params(p: Params, req: OrderRequest) -> None:
    if req.type == MARKET:
        _market_params(p, req)
        return
    needs_tif, needs_price, needs_stop = TYPE_RULES[req.type]
    if p.get("quoteOrderQty") is not None:
        raise errors.not_required("quoteOrderQty")
    if needs_tif:
        tif = p.enum("timeInForce", (GTC, IOC, FOK), errors.invalid_tif(), required=True)
        req.time_in_force = tif or GTC
    elif p.get("timeInForce") is not None:
        raise errors.tif_not_required()
    else:
        req.time_in_force = GTC
    req.quantity = p.decimal("quantity", required=True)
    if needs_price:
        req.price = p.decimal("price", required=True)
    elif p.get("price") is not None:
        raise errors.not_required("price")
    if needs_stop:
        req.stop_price = p.decimal("stopPrice")
        req.trailing_delta = p.integer("trailingDelta")
        if req.stop_price is None and req.trailing_delta is None:
            raise errors.either("stopPrice", "trailingDelta")
    else:
        _not_sent(p, "stopPrice", "trailingDelta")


def _market_params(p: Params, req: OrderRequest) -> None:
    _not_sent(p, "timeInForce", "price", "stopPrice", "trailingDelta")
    req.quantity, req.quote_qty = p.decimal("quantity"), p.decimal("quoteOrderQty")
    if req.quantity is None and req.quote_qty is None:
        raise errors.either("quantity", "quoteOrderQty")
    if req.quantity is not None and req.quote_qty is not None:
        raise errors.bad_combo()
    req.time_in_force = GTC


def _not_sent(p: Params, *names: str) -> None:
    for name in names:
        if p.get(name) is not None:
            raise errors.not_required(name)


def _iceberg(p: Params, req: OrderRequest) -> None:
    """icebergQty: LIMIT, LIMIT_MAKER and the stop-limit types only, GTC, below quantity."""
    qty = p.decimal("icebergQty")
    if qty is None:
        return
    if req.type not in ICEBERG_TYPES:
        raise errors.not_required("icebergQty")
    if req.time_in_force != GTC:
        raise errors.new_order_rejected("Unsupported order combination")
    if req.quantity is not None and qty >= req.quantity:
        raise errors.new_order_rejected("IcebergQty exceeds QTY")
    req.iceberg_qty = qty


def client_id(p: Params, name: str) -> str | None:
    if p.has(name) and p.values[name] == "":
        raise errors.ApiError(-1118, "New client order ID was empty.")
    return p.matched(name, CLIENT_ID_RE)


def check_filters(ex: Exchange, acct: Account, req: OrderRequest) -> None:
    spec = SYMBOLS[req.symbol]
    filters.check(spec, filters.order_check(ex.engine, acct, spec, req))


def symbol_of(p: Params) -> SymbolSpec:
    spec = SYMBOLS.get(p.req("symbol"))
    if spec is None:
        raise errors.bad_symbol()
    return spec


# ---- placing --------------------------------------------------------------------------------


def count_orders(ctx: Ctx, n: int = 1) -> None:
    """Count `n` orders against the ORDERS limits and report the counts in the headers."""
    ten_s, day = ctx.ex.limits.add_order(ctx.account.account_id, n)
    ctx.headers["X-MBX-ORDER-COUNT-10S"] = str(ten_s)
    ctx.headers["X-MBX-ORDER-COUNT-1D"] = str(day)


def new_order(
    ex: Exchange, acct: Account, p: Params, count: Callable[[], None]
) -> tuple[PlaceResult, str]:
    req, resp_type = parse_order(p)
    check_filters(ex, acct, req)
    result = ex.engine.place(acct, req)
    count()
    return result, resp_type


@route("POST", "/api/v3/order")
def post_order(ctx: Ctx) -> object:
    ctx.ex.limits.check_orders(ctx.account.account_id)
    result, resp_type = new_order(ctx.ex, ctx.account, ctx.params, lambda: count_orders(ctx))
    return order_response(result, resp_type)


@route("POST", "/api/v3/order/test")
def post_order_test(ctx: Ctx) -> object:
    """Validates like POST /order (parameters, symbol rules, filters); nothing is placed."""
    req, _ = parse_order(ctx.params)
    check_filters(ctx.ex, ctx.account, req)
    return {}


# ---- querying -------------------------------------------------------------------------------


def lookup(ctx: Ctx, id_name: str = "orderId", cid_name: str = "origClientOrderId") -> Order | None:
    """The account's order by id or client id (the id wins when both are sent)."""
    p = ctx.params
    spec = symbol_of(p)
    order_id, cid = p.integer(id_name), p.get(cid_name)
    if order_id is None and cid is None:
        raise errors.either(id_name, cid_name)
    order = ctx.ex.engine.find(ctx.account, spec.symbol, order_id, None if order_id else cid)
    if order is not None and ctx.ex.faults.is_hidden(
        ctx.account.account_id, order.symbol, order.order_id, ctx.now()
    ):
        return None  # the orderVisibility fault: not visible yet
    return order


def is_archived(o: Order, now: int) -> bool:
    closed_empty = o.status in ("CANCELED", "EXPIRED", "EXPIRED_IN_MATCH") and not o.executed_qty
    return closed_empty and o.update_time < now - ARCHIVE_MS


@route("GET", "/api/v3/order")
def get_order(ctx: Ctx) -> object:
    order = lookup(ctx)
    if order is None:
        raise errors.no_such_order()
    if is_archived(order, ctx.now()):
        raise errors.ApiError(
            -2026,
            "Order was canceled or expired with no executed qty over 90 days ago and has "
            "been archived.",
        )
    return order_status(order)


@route("GET", "/api/v3/openOrders")
def open_orders(ctx: Ctx) -> object:
    symbol = ctx.params.get("symbol")
    if symbol is not None and symbol not in SYMBOLS:
        raise errors.bad_symbol()
    return [order_status(o) for o in ctx.ex.engine.open_orders(ctx.account, symbol)]


# ---- cancelling -----------------------------------------------------------------------------


def cancel_restrictions(p: Params) -> str | None:
    return p.enum(
        "cancelRestrictions",
        ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"),
        errors.invalid_cancel_restrictions(),
    )


def cancel_one(
    ex: Exchange, acct: Account, order: Order | None, restriction: str | None, cid: str | None
) -> dict:
    """Cancel a found order (an OCO leg cancels its list); the cancel response."""
    if order is None or not order.is_open:
        raise errors.cancel_rejected("Unknown order sent.")
    wanted = {"ONLY_NEW": "NEW", "ONLY_PARTIALLY_FILLED": "PARTIALLY_FILLED"}.get(restriction or "")
    if wanted is not None and order.status != wanted:
        raise errors.cancel_rejected("Order was not canceled due to cancel restrictions.")
    return canceled(ex.engine.cancel(acct, order.symbol, order.order_id, None, cid))


@route("DELETE", "/api/v3/order")
def delete_order(ctx: Ctx) -> object:
    restriction = cancel_restrictions(ctx.params)
    cid = client_id(ctx.params, "newClientOrderId")
    return cancel_one(ctx.ex, ctx.account, lookup(ctx), restriction, cid)


@route("DELETE", "/api/v3/openOrders")
def delete_open_orders(ctx: Ctx) -> object:
    """Cancel every open order on the symbol, OCOs included (each as its list)."""
    spec = symbol_of(ctx.params)
    return [canceled(x) for x in ctx.ex.engine.cancel_all(ctx.account, spec.symbol)]
