"""CSV export of the desk's custodian transfers and undos, audited when asked for (as the
wallet's exports are). Exact decimal text and ISO-8601 UTC times, rows streamed."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from custody import selectors
from desk.money import plain
from trading.history.csv import utc_text

COLUMNS = [
    "created_utc",
    "kind",
    "rail",
    "asset",
    "amount",
    "status",
    "exchange_status",
    "client_order_id",
    "transfer_id",
    "origin_transfer_id",
    "error_code",
    "error_message",
]
CHUNK = 2000


def transfers_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="custody.transfers.export", connection=connection, ip=ip)
    rows = selectors.transfer_list(connection=connection).order_by("created_at", "pk")
    return COLUMNS, (
        [
            utc_text(t.created_at),
            t.kind,
            t.rail,
            t.asset,
            plain(t.amount),
            t.status,
            t.exchange_status,
            # An undo's key never left the desk: the exchange knows it by its origin.
            "" if t.kind == "undo" else t.client_order_id,
            t.transfer_id,
            t.origin_transfer_id,
            "" if t.error_code is None else str(t.error_code),
            t.error_message,
        ]
        for t in rows.iterator(chunk_size=CHUNK)
    )
