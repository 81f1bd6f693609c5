"""Storing what the exchange says of custodial orders and fills: one upsert each, shared by the
worker's answer, a cancel's answer, the reconcile sweep and the sync."""

from __future__ import annotations

import binanceus
from custody.orders.models import CustodialTrade, ExchangeOrder


def exchange_order_upsert(
    connection, order: binanceus.CustodianOrder
) -> tuple[ExchangeOrder, bool]:
    """The stored row of ``order``, created or brought up to date; whether anything changed.
    Fields an answer leaves out (a cancel's has no time) keep what was stored."""
    values = {
        "client_order_id": order.client_order_id or "",
        "side": order.side or "",
        "type": order.type or "",
        "status": order.status or "",
        "time_in_force": order.time_in_force or "",
        "price": order.price,
        "orig_qty": order.orig_qty,
        "executed_qty": order.executed_qty,
        "cummulative_quote_qty": order.cummulative_quote_qty,
        "stop_price": order.stop_price,
        "express_trade_flag": order.express_trade_flag,
        "time": order.time or order.transact_time,
        "update_time": order.update_time,
    }
    values = {k: v for k, v in values.items() if v not in (None, "")}
    row, created = ExchangeOrder.objects.get_or_create(
        connection=connection, symbol=str(order.symbol), order_id=order.order_id, defaults=values
    )
    if created:
        return row, True
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=changed)
    return row, bool(changed)


def trade_upsert(connection, trade: binanceus.CustodianTrade) -> bool:
    """Store a fill once; True when it is new."""
    _, created = CustodialTrade.objects.get_or_create(
        connection=connection,
        symbol=str(trade.symbol),
        order_id=trade.order_id,
        time=trade.time,
        price=trade.price,
        qty=trade.qty,
        defaults={
            "quote_qty": trade.quote_qty,
            "commission": trade.commission,
            "commission_asset": trade.commission_asset or "",
            "is_buyer": trade.is_buyer,
            "is_maker": trade.is_maker,
        },
    )
    return created
