"""Copying the connection's custodial orders and fills, as part of the custody sync
(``custody.sync``), which holds the per-connection lock:

    open orders     GET custodian/openOrders     every symbol; weight 1
    order history   GET custodian/orderHistory   from ``OVERLAP`` before the newest order time
                                                 stored (the history lags); every symbol
    orders gone     GET custodian/order          a stored open order in neither answer (at
                                                 most ``GONE_READS`` a sync)
    fills           GET custodian/tradeHistory   the most recent ``TRADE_LIMIT``

Order ids are per symbol on the exchange, so the history is windowed by time, not by id; at
first there is no start and the exchange's own default window answers. Re-read rows are
upserts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import binanceus
from custody.orders.models import OPEN_STATUSES, ExchangeOrder
from custody.orders.records import exchange_order_upsert, trade_upsert

OVERLAP = timedelta(minutes=5)
HISTORY_LIMIT = 1000  # the order history's largest page
TRADE_LIMIT = 500
GONE_READS = 10


@dataclass
class OrdersRead:
    orders: list = field(default_factory=list)
    trades: list = field(default_factory=list)


def orders_read(client: binanceus.Client, *, connection, rail: str) -> OrdersRead:
    """Everything above, read (no writes: the caller stores it in its transaction)."""
    open_now = client.custodian_open_orders(rail=rail)
    newest = (
        ExchangeOrder.objects.filter(connection=connection)
        .exclude(time=None)
        .order_by("-time")
        .values_list("time", flat=True)
        .first()
    )
    window = {"start_time": newest - OVERLAP} if newest else {}
    history = client.custodian_order_history(rail=rail, limit=HISTORY_LIMIT, **window)
    seen = {(str(o.symbol), o.order_id) for o in (*open_now, *history)}
    gone = [
        client.custodian_order(rail=rail, symbol=row.symbol, order_id=row.order_id)
        for row in _stored_open(connection)
        if (row.symbol, row.order_id) not in seen
    ][:GONE_READS]
    trades = client.custodian_trade_history(rail=rail, limit=TRADE_LIMIT)
    return OrdersRead([*history, *open_now, *gone], trades)


def _stored_open(connection) -> list[ExchangeOrder]:
    rows = ExchangeOrder.objects.filter(connection=connection, status__in=OPEN_STATUSES)
    return list(rows.order_by("time")[:GONE_READS])


def orders_store(connection, read: OrdersRead) -> int:
    """Store what ``orders_read`` read; how many rows changed. The open orders come after the
    history in ``read.orders``: the live answer is the last word."""
    changed = sum(exchange_order_upsert(connection, o)[1] for o in read.orders)
    return changed + sum(trade_upsert(connection, t) for t in read.trades)
