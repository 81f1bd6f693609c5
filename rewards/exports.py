"""CSV exports of the stored referral rewards and partner rebates, audited when asked for (as
the desk's other exports are). Exact decimal text and ISO-8601 UTC times, rows streamed."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.money import plain
from rewards import selectors
from rewards.models import BizType
from trading.history.csv import utc_text

REFERRAL_COLUMNS = ["received_utc", "role", "user_id", "reward_amount", "reward_asset"]
REBATE_COLUMNS = ["date_utc", "partner_id", "qty", "asset"]
ROLES = {BizType.REFERRER: "referrer", BizType.REFEREE: "referee"}
CHUNK = 2000


def referrals_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="rewards.referrals.export", connection=connection, ip=ip)
    rows = selectors.referral_list(connection=connection).order_by("received", "pk")
    return REFERRAL_COLUMNS, (
        [
            utc_text(r.received),
            ROLES[BizType(r.biz_type)],
            str(r.user_id),
            plain(r.reward_amount),
            r.reward_type,
        ]
        for r in rows.iterator(chunk_size=CHUNK)
    )


def rebates_export(
    *, user, connection: ExchangeConnection, ip: str | None = None
) -> tuple[list[str], Iterator[list[str]]]:
    audit_record(user=user, action="rewards.rebates.export", connection=connection, ip=ip)
    rows = selectors.rebate_list(connection=connection).order_by("date", "pk")
    return REBATE_COLUMNS, (
        [utc_text(r.date), r.partner_id, plain(r.qty), r.asset]
        for r in rows.iterator(chunk_size=CHUNK)
    )
