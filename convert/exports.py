"""CSV exports of the desk's OTC and dust conversions, audited when asked for (as the other
exports are). Exact decimal text and ISO-8601 UTC times, rows streamed."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from convert import selectors
from desk.money import plain
from trading.history.csv import utc_text

OTC_COLUMNS = [
    "created_utc",
    "from_coin",
    "from_amount",
    "to_coin",
    "to_amount",
    "ratio",
    "status",
    "order_status",
    "quote_id",
    "order_id",
    "error_code",
    "error_message",
]
DUST_COLUMNS = [
    "created_utc",
    "from_assets",
    "to_asset",
    "status",
    "total_transferred",
    "total_service_charge",
    "error_code",
    "error_message",
]
CHUNK = 2000


def _text(value) -> str:
    return "" if value is None else plain(value)


def otc_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="convert.otc.export", connection=connection, ip=ip)
    rows = selectors.conversion_list(connection=connection).order_by("created_at", "pk")
    return OTC_COLUMNS, (
        [
            utc_text(c.created_at),
            c.from_coin,
            plain(c.from_amount),
            c.to_coin,
            plain(c.to_amount),
            plain(c.ratio),
            c.status,
            c.order_status,
            c.quote_id,
            c.order_id,
            "" if c.error_code is None else str(c.error_code),
            c.error_message,
        ]
        for c in rows.iterator(chunk_size=CHUNK)
    )


def dust_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="convert.dust.export", connection=connection, ip=ip)
    rows = selectors.dust_list(connection=connection).order_by("created_at", "pk")
    return DUST_COLUMNS, (
        [
            utc_text(d.created_at),
            " ".join(d.from_assets),
            d.to_asset,
            d.status,
            _text(d.total_transferred),
            _text(d.total_service_charge),
            "" if d.error_code is None else str(d.error_code),
            d.error_message,
        ]
        for d in rows.iterator(chunk_size=CHUNK)
    )
