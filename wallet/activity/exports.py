"""CSV export of the stored deposits and withdrawals. Every export is audited when it is asked
for: account history leaving the desk is something the account's owner may have to answer for.
Exact decimal text (no float, no exponent) and ISO-8601 UTC times, rows streamed lazily."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.money import plain
from trading.history.csv import utc_text
from wallet.activity import selectors
from wallet.activity.services import status_text

COLUMNS = [
    "date_utc",
    "type",
    "coin",
    "network",
    "amount",
    "fee",
    "status",
    "status_code",
    "address",
    "memo",
    "tx_id",
    "exchange_id",
]
CHUNK = 2000


def _line(r) -> list[str]:
    return [
        utc_text(r.time),
        r.kind,
        r.coin,
        r.network,
        plain(r.amount),
        plain(r.fee),
        status_text(r.kind, r.status),
        r.status,
        r.address,
        r.address_tag,
        r.tx_id,
        r.exchange_id,
    ]


def activity_export(
    *,
    user,
    connection: ExchangeConnection,
    filters: selectors.ActivityFilters,
    ip: str | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """(columns, rows) of the deposits and withdrawals ``filters`` select, recorded in the
    audit log (who, which connection, which filters) before a row is read."""
    audit_record(
        user=user,
        action="wallet.activity.export",
        connection=connection,
        params={
            "coin": filters.coin,
            "state": filters.state,
            "since": filters.since.isoformat() if filters.since else "",
            "until": filters.until.isoformat() if filters.until else "",
        },
        ip=ip,
    )
    rows = selectors.activity_rows(connection=connection, filters=filters)
    return COLUMNS, (_line(r) for r in rows.iterator(chunk_size=CHUNK))
