"""CSV export of the stored staking rewards, audited when asked for (as the wallet's and the
trade history's exports are). Exact decimal text and ISO-8601 UTC times, rows streamed."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.money import plain
from trading.history.csv import utc_text
from wallet.staking import selectors

COLUMNS = ["date_utc", "asset", "amount", "usd_value", "auto_restaked", "tran_id"]
CHUNK = 2000


def rewards_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="staking.rewards.export", connection=connection, ip=ip)
    rows = selectors.reward_rows(connection=connection).order_by("time", "tran_id")
    return COLUMNS, (
        [
            utc_text(r.time),
            r.asset,
            plain(r.amount),
            "" if r.usd_value is None else plain(r.usd_value),
            "true" if r.auto_restaked else "false",
            str(r.tran_id),
        ]
        for r in rows.iterator(chunk_size=CHUNK)
    )
