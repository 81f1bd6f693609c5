"""The JSON shapes of orders and order lists, field for field in the spec's example order.

Optional fields follow the spec's notes: stopPrice / icebergQty "present only if set" in
placement and cancel responses but always present in status queries; trailingDelta and
trailingTime only for trailing stops; preventedMatchId / preventedQuantity only on an order
that expired because of self-trade prevention.
"""

from __future__ import annotations

from .decimals import fmt8
from .records import Order, OrderList, PlaceResult, PreventedMatch


def order_fields(o: Order) -> dict:
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


def _set_fields(o: Order) -> dict:
    """stopPrice, trailingDelta/trailingTime and icebergQty when the order uses them."""
    out: dict = {}
    if o.stop_price:
        out["stopPrice"] = fmt8(o.stop_price)
    if o.trailing_delta:
        out["trailingDelta"] = o.trailing_delta
        out["trailingTime"] = o.trailing_time
    if o.iceberg_qty:
        out["icebergQty"] = fmt8(o.iceberg_qty)
    return out


def _stp_fields(o: Order) -> dict:
    if o.status != "EXPIRED_IN_MATCH":
        return {}
    return {"preventedMatchId": o.prevented_match_id, "preventedQuantity": fmt8(o.prevented_qty)}


def order_status(o: Order) -> dict:
    """GET /api/v3/order, openOrders and allOrders rows."""
    out = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        **order_fields(o),
        "stopPrice": fmt8(o.stop_price),
    }
    if o.trailing_delta:
        out["trailingDelta"] = o.trailing_delta
        out["trailingTime"] = o.trailing_time
    out.update(
        {
            "icebergQty": fmt8(o.iceberg_qty),
            "time": o.time,
            "updateTime": o.update_time,
            "isWorking": o.is_working,
            "workingTime": o.working_time,
            "origQuoteOrderQty": fmt8(o.orig_quote_qty),
            "selfTradePreventionMode": o.stp_mode,
            **_stp_fields(o),
        }
    )
    return out


def prevented_doc(pm: PreventedMatch) -> dict:
    return {
        "preventedMatchId": pm.prevented_match_id,
        "makerOrderId": pm.maker_order_id,
        "price": fmt8(pm.price),
        **prevented_quantities(pm),
    }


def prevented_quantities(pm: PreventedMatch) -> dict:
    """What each side lost to the prevented match: only the sides that expired have one."""
    out: dict[str, str] = {}
    if pm.taker_prevented_qty is not None:
        out["takerPreventedQuantity"] = fmt8(pm.taker_prevented_qty)
    if pm.maker_prevented_qty is not None:
        out["makerPreventedQuantity"] = fmt8(pm.maker_prevented_qty)
    return out


def order_response(result: PlaceResult, resp_type: str, transact_time: int | None = None) -> dict:
    """A placement response: ACK, RESULT or FULL (RESULT plus fills)."""
    o = result.order
    out: dict = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        "transactTime": o.time if transact_time is None else transact_time,
    }
    if resp_type == "ACK":
        return out
    out.update(
        {
            **order_fields(o),
            **_set_fields(o),
            "workingTime": o.working_time,
            "selfTradePreventionMode": o.stp_mode,
        }
    )
    if o.prevented_qty:
        out["preventedQuantity"] = fmt8(o.prevented_qty)
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
    if result.prevented:
        out["preventedMatches"] = [prevented_doc(pm) for pm in result.prevented]
    return out


def cancel_doc(o: Order) -> dict:
    """A canceled order (DELETE /api/v3/order, openOrders, cancelReplace, OCO legs)."""
    return {
        "symbol": o.symbol,
        "origClientOrderId": o.client_order_id,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.cancel_client_id,
        **order_fields(o),
        **_set_fields(o),
        "selfTradePreventionMode": o.stp_mode,
    }


def list_doc(lst: OrderList, list_client_id: str | None = None) -> dict:
    """GET /api/v3/orderList, allOrderList and openOrderList rows."""
    return {
        "orderListId": lst.list_id,
        "contingencyType": "OCO",
        "listStatusType": lst.status_type,
        "listOrderStatus": lst.order_status,
        "listClientOrderId": list_client_id or lst.list_client_id,
        "transactionTime": lst.transaction_time,
        "symbol": lst.symbol,
        "orders": [
            {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id}
            for o in lst.orders
        ],
    }


def list_placed(lst: OrderList, results: list[PlaceResult], resp_type: str) -> dict:
    reports = [order_response(r, resp_type, lst.transaction_time) for r in results]
    return {**list_doc(lst), "orderReports": reports}


def list_canceled(lst: OrderList) -> dict:
    """A canceled list: its listClientOrderId and legs' clientOrderId are the cancel's id."""
    return {
        **list_doc(lst, lst.cancel_client_id),
        "orderReports": [cancel_doc(o) for o in lst.orders],
    }


def canceled(x: Order | OrderList) -> dict:
    return list_canceled(x) if isinstance(x, OrderList) else cancel_doc(x)
