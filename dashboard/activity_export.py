"""The activity feed as CSV. The export is audited when it is asked for (account history
leaving the desk is something the owner may have to answer for); rows are read a page at a
time and streamed, so memory stays flat however long the history is."""

from __future__ import annotations

from collections.abc import Iterator

from accounts.audit import audit_record
from dashboard.activity import Entry, activity_all
from desk.money import plain
from trading.history.csv import utc_text

CSV_COLUMNS = ["date_utc", "kind", "connection", "asset", "amount", "detail"]


def activity_export(*, user, form, ip: str | None = None) -> Iterator[Entry]:
    """The entries ``form``'s filters select, recorded in the audit log (who, which
    filters) before a row is read."""
    filters = form.filters()
    audit_record(
        user=user,
        action="activity.export",
        params={
            "kind": filters.kind,
            "connections": ",".join(str(pk) for pk in filters.connection_ids),
            "asset": filters.asset,
            "since": filters.since.isoformat() if filters.since else "",
            "until": filters.until.isoformat() if filters.until else "",
        },
        ip=ip,
    )
    return activity_all(filters=filters)


def csv_row(entry: Entry, labels: dict) -> list[str]:
    return [
        utc_text(entry.at),
        entry.kind,
        labels.get(entry.connection_id, ""),
        entry.asset,
        plain(entry.amount),
        entry.detail,
    ]
