"""CSV exports of the custodial order and trade histories as synced, audited when asked for.
Exact decimal text and ISO-8601 UTC times, rows streamed."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from custody.orders import selectors
from desk.money import plain
from trading.history.csv import utc_text

ORDER_COLUMNS = [
    "time_utc",
    "symbol",
    "order_id",
    "side",
    "type",
    "status",
    "price",
    "orig_qty",
    "executed_qty",
    "cummulative_quote_qty",
    "time_in_force",
    "express_trade",
]
TRADE_COLUMNS = [
    "time_utc",
    "symbol",
    "order_id",
    "side",
    "price",
    "qty",
    "quote_qty",
    "commission",
    "commission_asset",
    "maker",
]
CHUNK = 2000


def _text(value) -> str:
    return "" if value is None else plain(value)


def _flag(value) -> str:
    return "" if value is None else str(bool(value)).lower()


def orders_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="custody.orders.export", connection=connection, ip=ip)
    rows = selectors.order_history(connection=connection).order_by("time", "pk")
    return ORDER_COLUMNS, (
        [
            utc_text(o.time) if o.time else "",
            o.symbol,
            str(o.order_id),
            o.side,
            o.type,
            o.status,
            _text(o.price),
            _text(o.orig_qty),
            _text(o.executed_qty),
            _text(o.cummulative_quote_qty),
            o.time_in_force,
            _flag(o.express_trade_flag),
        ]
        for o in rows.iterator(chunk_size=CHUNK)
    )


def trades_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="custody.trades.export", connection=connection, ip=ip)
    rows = selectors.trade_history(connection=connection).order_by("time", "pk")
    return TRADE_COLUMNS, (
        [
            utc_text(t.time),
            t.symbol,
            str(t.order_id),
            "BUY" if t.is_buyer else "SELL",
            plain(t.price),
            plain(t.qty),
            plain(t.quote_qty),
            plain(t.commission),
            t.commission_asset,
            _flag(t.is_maker),
        ]
        for t in rows.iterator(chunk_size=CHUNK)
    )
