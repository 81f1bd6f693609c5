"""CSV exports of stored history. Every export is audited when it is asked for: account
history leaving the desk is something the account's owner may have to answer for."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from trading.history import csv, selectors
from trading.models import HistoryKind

# The kinds of history a CSV is made of, and how each is written.
LINES = {
    HistoryKind.TRADES: csv.trades_csv_lines,
    HistoryKind.ORDERS: csv.orders_csv_lines,
}


def history_export(
    *,
    user,
    connection: ExchangeConnection,
    kind: str,
    filters: selectors.HistoryFilters,
    ip: str | None = None,
) -> Iterator[str]:
    """The CSV lines of ``kind`` history that ``filters`` select, recorded in the audit log
    (who, which connection, which filters) before a line is written."""
    rows = selectors.HISTORY_ROWS[kind](connection=connection, filters=filters)
    audit_record(
        user=user,
        action="history.export",
        connection=connection,
        params={
            "kind": kind,
            "symbol": filters.symbol,
            "since": filters.since.isoformat() if filters.since else "",
            "until": filters.until.isoformat() if filters.until else "",
            "side": filters.side,
        },
        ip=ip,
    )
    return LINES[kind](rows)
