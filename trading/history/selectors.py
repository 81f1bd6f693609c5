"""Reads of stored account history. Callers pass a connection already ownership-checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from accounts.models import ExchangeConnection
from trading.models import AccountTrade, HistoryKind, HistorySync, Order, OrderList, PreventedMatch

KIND_ORDER = {
    HistoryKind.ORDERS: 0,
    HistoryKind.TRADES: 1,
    HistoryKind.ORDER_LISTS: 2,
    HistoryKind.PREVENTED: 3,
}


@dataclass(frozen=True)
class HistoryFilters:
    """Symbol, UTC calendar days ``since``..``until`` (both included) and side."""

    symbol: str = ""
    since: date | None = None
    until: date | None = None
    side: str = ""

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        start = datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None
        end = (
            datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)
            if self.until
            else None
        )
        return start, end


def _in_range(qs: QuerySet, field: str, filters: HistoryFilters) -> QuerySet:
    # Ranges, not __date lookups, so the time indexes are used.
    start, end = filters.time_range()
    if start:
        qs = qs.filter(**{f"{field}__gte": start})
    if end:
        qs = qs.filter(**{f"{field}__lt": end})
    return qs


def history_trades(*, connection: ExchangeConnection, filters: HistoryFilters):
    qs = AccountTrade.objects.filter(connection=connection)
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.side:
        qs = qs.filter(is_buyer=filters.side == "BUY")
    return _in_range(qs, "time", filters).order_by("-time", "-trade_id")


def history_orders(*, connection: ExchangeConnection, filters: HistoryFilters):
    qs = Order.objects.filter(connection=connection, order_id__isnull=False)
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.side:
        qs = qs.filter(side=filters.side)
    return _in_range(qs, "exchange_created_at", filters).order_by(
        "-exchange_created_at", "-order_id"
    )


def history_order_lists(*, connection: ExchangeConnection, filters: HistoryFilters):
    """OCO lists; a side filter keeps lists with a leg on that side."""
    qs = OrderList.objects.filter(connection=connection, order_list_id__isnull=False)
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.side:
        qs = qs.filter(orders__side=filters.side).distinct()
    return (
        _in_range(qs, "transaction_time", filters)
        .prefetch_related("orders")
        .order_by("-transaction_time", "-order_list_id")
    )


def history_prevented(*, connection: ExchangeConnection, filters: HistoryFilters):
    """Prevented matches; a side filter keeps those whose taker order was on that side."""
    qs = PreventedMatch.objects.filter(connection=connection)
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.side:
        takers = Order.objects.filter(
            connection=connection, side=filters.side, order_id__isnull=False
        ).values("order_id")
        qs = qs.filter(taker_order_id__in=takers)
    return _in_range(qs, "transact_time", filters).order_by("-transact_time", "-prevented_match_id")


HISTORY_ROWS = {
    HistoryKind.ORDERS: history_orders,
    HistoryKind.TRADES: history_trades,
    HistoryKind.ORDER_LISTS: history_order_lists,
    HistoryKind.PREVENTED: history_prevented,
}


def history_symbols(*, connection: ExchangeConnection) -> list[str]:
    """Every symbol the connection follows or has rows for (for the filter's choices)."""
    symbols = set(
        HistorySync.objects.filter(connection=connection)
        .exclude(symbol="")
        .values_list("symbol", flat=True)
    )
    # order_by(): the models' default ordering would join DISTINCT, one row per row.
    for model in (AccountTrade, Order):
        rows = model.objects.filter(connection=connection).order_by()
        symbols |= set(rows.values_list("symbol", flat=True).distinct())
    return sorted(symbols)


def history_syncs(*, connection: ExchangeConnection) -> list[HistorySync]:
    rows = HistorySync.objects.filter(connection=connection)
    return sorted(rows, key=lambda s: (s.symbol or "~", KIND_ORDER.get(s.kind, 9)))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def history_progress_payload(*, connection: ExchangeConnection) -> dict:
    """What the progress bars poll: one entry per kind and symbol (percent as an int)."""
    return {
        "connection": connection.pk,
        "syncs": [
            {
                "id": s.pk,
                "kind": s.kind,
                "kind_label": s.get_kind_display(),
                "symbol": s.symbol,
                "percent": int(s.progress * 100) if s.synced_at else 0,
                "rows": s.rows,
                "done": s.done,
                "started": s.synced_at is not None,
                "backfilled_to": _iso(s.backfilled_to) if s.synced_at else None,
                "backfill_from": _iso(s.backfill_from) if s.synced_at else None,
                "synced_at": _iso(s.synced_at),
                "next_run_at": _iso(s.next_run_at),
                "last_error": s.last_error,
            }
            for s in history_syncs(connection=connection)
        ],
    }
