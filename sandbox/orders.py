"""POST/DELETE /api/v3/order: parameter rules per order type, filters, responses."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import errors, filters
from .accounts import Account
from .decimals import fmt8
from .engine import FOK, GTC, IOC, LIMIT, MARKET, OrderRequest, PlaceResult
from .params import Params
from .state import Exchange
from .symbols import ORDER_TYPES, STP_MODES, SYMBOLS

CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
RESP_TYPES = ("ACK", "RESULT", "FULL")
# Spec order types the sandbox's symbols don't enable, with the engine's -2010 message.
UNSUPPORTED_TYPES = {
    "STOP_LOSS": "Stop loss orders are not supported for this symbol",
    "STOP_LOSS_LIMIT": "Stop loss limit orders are not supported for this symbol",
    "TAKE_PROFIT": "Take profit orders are not supported for this symbol",
    "TAKE_PROFIT_LIMIT": "Take profit limit orders are not supported for this symbol",
}


def new_order(
    ex: Exchange, acct: Account, p: Params, count: Callable[[], None]
) -> tuple[PlaceResult, str]:
    req, resp_type = parse_order(p)
    spec = SYMBOLS[req.symbol]
    filters.check(spec, filters.order_check(ex.engine, acct, spec, req))
    result = ex.engine.place(acct, req)
    count()
    return result, resp_type


def parse_order(p: Params) -> tuple[OrderRequest, str]:
    symbol = p.req("symbol")
    if symbol not in SYMBOLS:
        raise errors.bad_symbol()
    side = p.enum("side", ("BUY", "SELL"), errors.invalid_side(), required=True)
    order_type = p.req("type")
    if order_type in UNSUPPORTED_TYPES:
        raise errors.new_order_rejected(UNSUPPORTED_TYPES[order_type])
    if order_type not in ORDER_TYPES:
        raise errors.invalid_order_type()
    req = OrderRequest(symbol, side or "", order_type)
    _type_params(p, req)
    req.client_order_id = _client_id(p)
    req.stp_mode = p.enum("selfTradePreventionMode", (*STP_MODES, "NONE")) or "EXPIRE_MAKER"
    default_resp = "FULL" if order_type in (LIMIT, MARKET) else "ACK"
    return req, p.enum("newOrderRespType", RESP_TYPES) or default_resp


def _type_params(p: Params, req: OrderRequest) -> None:
    """The spec's "additional mandatory parameters" table, for the enabled types."""
    if req.type == MARKET:
        for name in ("timeInForce", "price"):
            if p.get(name) is not None:
                raise errors.not_required(name)
        req.quantity, req.quote_qty = p.decimal("quantity"), p.decimal("quoteOrderQty")
        if req.quantity is None and req.quote_qty is None:
            raise errors.either("quantity", "quoteOrderQty")
        if req.quantity is not None and req.quote_qty is not None:
            raise errors.bad_combo()
        req.time_in_force = GTC
        return
    if p.get("quoteOrderQty") is not None:
        raise errors.not_required("quoteOrderQty")
    if req.type == LIMIT:
        tif = p.enum("timeInForce", (GTC, IOC, FOK), errors.invalid_tif(), required=True)
        req.time_in_force = tif or GTC
    else:  # LIMIT_MAKER rests or is rejected; it takes no timeInForce
        if p.get("timeInForce") is not None:
            raise errors.tif_not_required()
        req.time_in_force = GTC
    req.quantity = p.decimal("quantity", required=True)
    req.price = p.decimal("price", required=True)


def _client_id(p: Params) -> str | None:
    if p.has("newClientOrderId") and p.values["newClientOrderId"] == "":
        raise errors.ApiError(-1118, "New client order ID was empty.")
    cid = p.get("newClientOrderId")
    if cid is not None and not CLIENT_ID_RE.match(cid):
        raise errors.ApiError(
            -1100,
            "Illegal characters found in parameter 'newClientOrderId'; the legal range "
            f"is '{CLIENT_ID_RE.pattern}'.",
        )
    return cid


def order_fields(o) -> dict:
    """The fields every order shape of the spec shares, in the spec's order."""
    return {
        "price": fmt8(o.price),
        "origQty": fmt8(o.orig_qty),
        "executedQty": fmt8(o.executed_qty),
        "cummulativeQuoteQty": fmt8(o.cum_quote),
        "status": o.status,
        "timeInForce": o.time_in_force,
        "type": o.type,
        "side": o.side,
    }


def order_response(result: PlaceResult, resp_type: str) -> dict:
    o = result.order
    out: dict = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id,
        "transactTime": o.time,
    }
    if resp_type == "ACK":
        return out
    out.update(
        {
            **order_fields(o),
            "workingTime": o.working_time,
            "selfTradePreventionMode": o.stp_mode,
        }
    )
    if resp_type == "FULL":
        out["fills"] = [
            {
                "price": fmt8(f.trade.price),
                "qty": fmt8(f.trade.qty),
                "commission": fmt8(f.commission),
                "commissionAsset": f.commission_asset,
                "tradeId": f.trade.trade_id,
            }
            for f in result.fills
        ]
    return out


def cancel_order(ex: Exchange, acct: Account, p: Params) -> dict:
    symbol = p.req("symbol")
    if symbol not in SYMBOLS:
        raise errors.bad_symbol()
    order_id, client_id = p.integer("orderId"), p.get("origClientOrderId")
    if order_id is None and client_id is None:
        raise errors.either("orderId", "origClientOrderId")
    restriction = p.enum(
        "cancelRestrictions",
        ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"),
        errors.ApiError(-1145, "Invalid cancelRestrictions"),
    )
    order = ex.engine.find(acct, symbol, order_id, client_id)
    if (
        order is not None
        and restriction
        and order.is_open
        and order.status != ("NEW" if restriction == "ONLY_NEW" else "PARTIALLY_FILLED")
    ):
        raise errors.cancel_rejected("Order was not canceled due to cancel restrictions.")
    o = ex.engine.cancel(acct, symbol, order_id, client_id, _client_id(p))
    return {
        "symbol": o.symbol,
        "origClientOrderId": o.client_order_id,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.cancel_client_id,
        **order_fields(o),
        "selfTradePreventionMode": o.stp_mode,
    }
