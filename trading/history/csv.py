"""CSV rows of trades and orders for tax tools: one header, exact decimal text (no float, no
exponent), ISO-8601 UTC times with milliseconds. Rows are generated lazily from an iterator of
value tuples, so an export of any size never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import QuerySet

from desk.money import plain

# The columns are named for the tax tools; these are the names that differ from ours.
_COLUMN_NAMES = {
    "time": "date_utc",
    "is_buyer": "side",
    "commission": "fee",
    "commission_asset": "fee_asset",
    "is_maker": "maker",
    "exchange_created_at": "created_utc",
    "exchange_updated_at": "updated_utc",
    "cummulative_quote_qty": "quote_qty",
}
_TRADE_FIELDS = (
    "time",
    "symbol",
    "is_buyer",
    "price",
    "qty",
    "quote_qty",
    "commission",
    "commission_asset",
    "order_id",
    "trade_id",
    "is_maker",
)
_ORDER_FIELDS = (
    "exchange_created_at",
    "exchange_updated_at",
    "symbol",
    "side",
    "type",
    "status",
    "price",
    "stop_price",
    "orig_qty",
    "executed_qty",
    "cummulative_quote_qty",
    "time_in_force",
    "order_id",
    "client_order_id",
)
TRADE_COLUMNS = [_COLUMN_NAMES.get(name, name) for name in _TRADE_FIELDS]
ORDER_COLUMNS = [_COLUMN_NAMES.get(name, name) for name in _ORDER_FIELDS]
CHUNK = 2000


class _Echo:
    """csv.writer target that hands each formatted line back instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def utc_text(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _money(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


def _trade_row(r: tuple) -> list[str]:
    t, symbol, is_buyer, price, qty, quote, fee, fee_asset, order_id, trade_id, maker = r
    side = "BUY" if is_buyer else "SELL"
    return [
        utc_text(t),
        symbol,
        side,
        _money(price),
        _money(qty),
        _money(quote),
        _money(fee),
        fee_asset,
        str(order_id),
        str(trade_id),
        "true" if maker else "false",
    ]


def _order_row(r: tuple) -> list[str]:
    created, updated, *text, price, stop, orig, executed, quote, tif, order_id, coid = r
    return [
        utc_text(created),
        utc_text(updated),
        *text,
        _money(price),
        _money(stop),
        _money(orig),
        _money(executed),
        _money(quote),
        tif,
        str(order_id),
        coid,
    ]


def _lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def trades_csv_lines(trades: QuerySet) -> Iterator[str]:
    values = trades.values_list(*_TRADE_FIELDS).iterator(chunk_size=CHUNK)
    return _lines(TRADE_COLUMNS, (_trade_row(r) for r in values))


def orders_csv_lines(orders: QuerySet) -> Iterator[str]:
    values = orders.values_list(*_ORDER_FIELDS).iterator(chunk_size=CHUNK)
    return _lines(ORDER_COLUMNS, (_order_row(r) for r in values))
