"""The exchange's sub-account transfer history, copied locally with a cursor.

Each sync asks only for rows from just before the newest stored time onwards: the overlap
catches rows the exchange lists late (its history lags the transfer), and the unique natural
key makes re-seen rows no-ops, so the stored history has every row exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.access import TRANSFER, connection_can, key_types_with
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection, SubAccount
from transfers.models import TransferHistoryCursor, TransferHistoryRecord

log = logging.getLogger(__name__)

PAGE_SIZE = 500  # the endpoint's maximum
MAX_PAGES = 100  # bounds one sync; the cursor lets the next one continue
OVERLAP = timedelta(minutes=5)


def transfer_history_sync(*, connection_id: int, now: datetime | None = None) -> int:
    """Fetch new history rows for every sub-account of the connection; returns how many were
    stored. On an error nothing moves the cursor, so the next sync retries the span; the error
    is kept on the cursor for the history page."""
    connection = ExchangeConnection.objects.get(pk=connection_id)
    cursor, _ = TransferHistoryCursor.objects.get_or_create(connection=connection)
    if not connection.is_active or not connection_can(connection, TRANSFER):
        return 0
    try:
        return _sync(connection, cursor, now=now or timezone.now())
    except Exception as exc:
        log.exception("connection %s: transfer history sync failed", connection_id)
        return _fail(cursor, f"Sync failed ({type(exc).__name__}); it will be tried again.")


def _sync(connection: ExchangeConnection, cursor: TransferHistoryCursor, *, now) -> int:
    emails = list(SubAccount.objects.filter(connection=connection).values_list("email", flat=True))
    start = cursor.newest_time - OVERLAP if cursor.newest_time else None
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        return _fail(cursor, "The connection's keys need replacing.")
    rows: list[binanceus.SubAccountTransferRecord] = []
    try:
        with client:
            for email in emails:
                rows += _fetch(client, email=email, start=start)
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: transfer history unavailable: %s", connection.pk, exc)
        return _fail(cursor, describe_error(exc))
    return _store(connection, cursor, rows, now=now)


def _fetch(client: binanceus.Client, *, email: str, start: datetime | None):
    out = []
    for page in range(1, MAX_PAGES + 1):
        batch = client.sub_account_transfer_history(
            email=email, start_time=start, page=page, limit=PAGE_SIZE
        )
        out += batch
        if len(batch) < PAGE_SIZE:
            break
    return out


def _store(connection, cursor, rows, *, now: datetime) -> int:
    # Master↔sub rows come back once per sub-account asked; the key dedups them here too.
    unique = {(r.from_email, r.to_email, r.asset, r.qty, r.time): r for r in rows}
    with transaction.atomic():
        before = TransferHistoryRecord.objects.filter(connection=connection).count()
        TransferHistoryRecord.objects.bulk_create(
            [
                TransferHistoryRecord(
                    connection=connection,
                    from_email=r.from_email,
                    to_email=r.to_email,
                    asset=r.asset,
                    qty=r.qty,
                    time=r.time,
                    txn_id=r.txn_id or "",
                )
                for r in unique.values()
            ],
            ignore_conflicts=True,
        )
        added = TransferHistoryRecord.objects.filter(connection=connection).count() - before
        if unique:
            newest = max(r.time for r in unique.values())
            if cursor.newest_time is None or newest > cursor.newest_time:
                cursor.newest_time = newest
        cursor.synced_at, cursor.last_error = now, ""
        cursor.save(update_fields=["newest_time", "synced_at", "last_error"])
    return added


def _fail(cursor: TransferHistoryCursor, message: str) -> int:
    cursor.last_error = message[:300]
    cursor.save(update_fields=["last_error"])
    return 0


def transfer_history_connections() -> list[int]:
    """Connections worth syncing: active exchange keys with listed sub-accounts."""
    return list(
        ExchangeConnection.objects.filter(
            is_active=True, key_type__in=key_types_with(TRANSFER), subaccounts__isnull=False
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def transfer_history_request_sync(*, connection: ExchangeConnection) -> None:
    from transfers.tasks import sync_transfer_history  # tasks import services

    transaction.on_commit(lambda: sync_transfer_history.delay(connection.pk))
