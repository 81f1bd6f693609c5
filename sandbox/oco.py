"""OCO order lists: POST /api/v3/order/oco, GET /api/v3/orderList, allOrderList,
openOrderList and DELETE /api/v3/orderList.

An OCO is a LIMIT_MAKER leg and a stop leg (STOP_LOSS_LIMIT when stopLimitPrice is sent,
else STOP_LOSS) of the same quantity; the spec's price rules relate them to the last price:
SELL: limit price > last price > stop price, BUY: limit price < last price < stop price.
"""

from __future__ import annotations

from decimal import Decimal

from . import errors
from .ctx import Ctx
from .history import window
from .order_docs import list_canceled, list_doc, list_placed
from .orders import (
    ORDER_TYPES,
    RESP_TYPES,
    UNSUPPORTED_TYPES,
    check_filters,
    client_id,
    count_orders,
    symbol_of,
)
from .params import Params
from .records import GTC, LIMIT_MAKER, STOP_LOSS, STOP_LOSS_LIMIT, OrderList, OrderRequest
from .routes import route
from .symbols import STP_MODES

BAD_PRICES = "The relationship of the prices for the orders is not correct."


def parse_oco(p: Params) -> tuple[OrderRequest, OrderRequest, str | None, str]:
    """(stop leg, limit leg, listClientOrderId, newOrderRespType)."""
    spec = symbol_of(p)
    side = p.enum("side", ("BUY", "SELL"), errors.invalid_side(), required=True) or ""
    qty = p.decimal("quantity", required=True)
    stp = p.enum("selfTradePreventionMode", (*STP_MODES, "NONE")) or "EXPIRE_MAKER"
    limit = OrderRequest(spec.symbol, side, LIMIT_MAKER, GTC, qty, None, stp_mode=stp)
    limit.price = p.decimal("price", required=True)
    limit.client_order_id = client_id(p, "limitClientOrderId")
    limit.iceberg_qty = _iceberg(p, "limitIcebergQty", qty, GTC)
    stop = OrderRequest(spec.symbol, side, STOP_LOSS, "", qty, None, stp_mode=stp)
    stop.stop_price = p.decimal("stopPrice", required=True)
    stop.trailing_delta = p.integer("trailingDelta")
    stop.client_order_id = client_id(p, "stopClientOrderId")
    stop.price = p.decimal("stopLimitPrice")
    tif = p.enum("stopLimitTimeInForce", ("GTC", "FOK", "IOC"), errors.invalid_tif())
    if stop.price is not None:
        if tif is None:
            raise errors.mandatory("stopLimitTimeInForce")
        stop.type, stop.time_in_force = STOP_LOSS_LIMIT, tif
    elif tif is not None:
        raise errors.not_required("stopLimitTimeInForce")
    else:
        stop.time_in_force = GTC
    if stop.type not in ORDER_TYPES:
        raise errors.new_order_rejected(UNSUPPORTED_TYPES[stop.type])
    stop.iceberg_qty = _iceberg(p, "stopIcebergQty", qty, tif)
    resp_type = p.enum("newOrderRespType", RESP_TYPES) or "FULL"
    return stop, limit, client_id(p, "listClientOrderId"), resp_type


def _iceberg(p: Params, name: str, qty: Decimal | None, tif: str | None) -> Decimal | None:
    iceberg = p.decimal(name)
    if iceberg is None:
        return None
    if tif != GTC:
        raise errors.new_order_rejected("Unsupported order combination")
    if qty is not None and iceberg >= qty:
        raise errors.new_order_rejected("IcebergQty exceeds QTY")
    return iceberg


def check_prices(stop: OrderRequest, limit: OrderRequest, last: Decimal | None) -> None:
    buy = stop.side == "BUY"
    lo, hi = (limit.price, stop.stop_price) if buy else (stop.stop_price, limit.price)
    assert lo is not None and hi is not None
    ok = lo < last < hi if last is not None else lo < hi
    if not ok:
        raise errors.new_order_rejected(BAD_PRICES)


@route("POST", "/api/v3/order/oco")
def post_oco(ctx: Ctx) -> object:
    acct = ctx.account
    ctx.ex.limits.check_orders(acct.account_id)
    stop, limit, list_cid, resp_type = parse_oco(ctx.params)
    check_filters(ctx.ex, acct, stop)
    check_filters(ctx.ex, acct, limit)
    check_prices(stop, limit, ctx.ex.engine.last_price(stop.symbol))
    lst, results = ctx.ex.engine.place_oco(acct, stop, limit, list_cid)
    count_orders(ctx, 2)  # "OCO counts as 2 orders against the order rate limit"
    return list_placed(lst, results, resp_type)


def _find(ctx: Ctx, cid_name: str) -> OrderList | None:
    p = ctx.params
    list_id, cid = p.integer("orderListId"), p.get(cid_name)
    if list_id is None and cid is None:
        raise errors.either("orderListId", cid_name)
    return ctx.ex.engine.find_list(ctx.account, list_id, None if list_id is not None else cid)


@route("GET", "/api/v3/orderList")
def get_order_list(ctx: Ctx) -> object:
    lst = _find(ctx, "origClientOrderId")
    if lst is None:
        raise errors.no_such_order()
    return list_doc(lst)


@route("DELETE", "/api/v3/orderList")
def delete_order_list(ctx: Ctx) -> object:
    spec = symbol_of(ctx.params)
    cancel_cid = client_id(ctx.params, "newClientOrderId")
    lst = _find(ctx, "listClientOrderId")
    if lst is None or lst.symbol != spec.symbol or not lst.is_open:
        raise errors.cancel_rejected("Unknown order sent.")
    return list_canceled(ctx.ex.engine.cancel_list(ctx.account, lst, cancel_cid))


@route("GET", "/api/v3/allOrderList")
def all_order_lists(ctx: Ctx) -> object:
    """fromId (list id >= fromId) or a startTime/endTime window on transactionTime, not both;
    neither: the most recent ones. Oldest first, as all the exchange's lists are."""
    p = ctx.params
    from_id, start, end = p.integer("fromId"), p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 500, 1000)
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combo()
    rows = ctx.ex.engine.history.lists_of(ctx.account)
    if from_id is not None:
        picked = rows.from_id(from_id)[:limit]
    else:
        picked = window(rows.rows, lambda x: x.transaction_time, start, end, limit)
    return [list_doc(x) for x in picked]


@route("GET", "/api/v3/openOrderList")
def open_order_lists(ctx: Ctx) -> object:
    return [list_doc(x) for x in ctx.ex.engine.open_lists(ctx.account)]
