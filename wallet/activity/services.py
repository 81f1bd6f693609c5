"""Deposit and withdrawal histories copied from the exchange with a cursor per kind.

One sync (``activity_sync``) reads, for one connection, the four histories in turn:

    crypto deposits      GET capital/deposit/hisrec        per coin, from the cursor
    crypto withdrawals   GET capital/withdraw/history      per coin, from the cursor
    USD deposits         GET fiatpayment/query/deposit/history    default window (90 days)
    USD withdrawals      GET fiatpayment/query/withdraw/history   default window (90 days)

A crypto history starts ``OVERLAP`` before the newest time stored, or at its oldest row still
open (pending, or credited but not withdrawable), whichever is earlier: such a row's status can
still move, and the exchange lists it under its first time. Re-read rows are upserts keyed by
the exchange's id, so a row is stored once and follows its status. Each coin's rows are
stored as they are read; the cursor moves once every coin of the kind has been read. Fiat
rows carry no time, so those histories are read over the exchange's default window each time.

The crypto histories take a coin each. A first sync and "sync now" read every coin of getall;
the periodic one reads the coins the account holds (getall's balances), those with stored rows,
and so finds a deposit of a coin never held once it is credited.

On an error a kind's cursor keeps its place and its ``last_error``; the other kinds go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

import binanceus
from accounts import access, crypto
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection
from accounts.realtime import wallet_activity_push
from binanceus import DEPOSIT_STATUSES, WITHDRAW_STATUSES
from desk import locks
from desk.periodic import failure
from desk.rows import save_if_present
from wallet.activity import reads
from wallet.activity.models import (
    OPEN_STATES,
    ActivityKind,
    ActivityState,
    ActivitySync,
    WalletActivity,
)

log = logging.getLogger(__name__)

# What a key must be able to do for the Wallet tab (pages, syncs): until accounts.access has a
# wallet capability, an exchange key's balances.
CAPABILITY = access.WALLET

PAGE = 1000  # the histories' maximum limit (fiat: the most rows one answer holds)
MAX_PAGES = 20  # bounds one sync; the cursor lets the next one continue
OVERLAP = timedelta(minutes=5)  # rows the exchange lists late still fall in the next window
MAX_BACK = timedelta(days=89)  # a crypto window is at most 90 days (-1127 beyond)
CHUNK = 500
CRYPTO = (ActivityKind.DEPOSIT, ActivityKind.WITHDRAWAL)
FIAT = (ActivityKind.FIAT_DEPOSIT, ActivityKind.FIAT_WITHDRAWAL)

_P, _S = ActivityState.PENDING, ActivityState.SUCCESS
STATES: dict[str, dict[str, str]] = {
    ActivityKind.DEPOSIT: {"0": _P, "6": ActivityState.CREDITED, "1": _S},
    ActivityKind.WITHDRAWAL: {
        "0": _P,  # email sent
        "1": ActivityState.CANCELED,
        "2": _P,  # awaiting approval
        "3": ActivityState.REJECTED,
        "4": _P,  # processing
        "5": ActivityState.FAILED,
        "6": _S,
    },
    ActivityKind.FIAT_DEPOSIT: {
        "INIT": _P,
        "Processing": _P,
        "Successful": _S,
        "Failed": ActivityState.FAILED,
    },
}
STATES[ActivityKind.FIAT_WITHDRAWAL] = STATES[ActivityKind.FIAT_DEPOSIT]
# A status outside the spec's lists (its example shows a deposit at 4) stays open: re-read.
UNKNOWN_STATE = ActivityState.PENDING


def status_state(kind: str, status: str) -> str:
    return STATES[kind].get(status, UNKNOWN_STATE)


def status_text(kind: str, status: str) -> str:
    """The spec's words for a status (the badge's text)."""
    names = {ActivityKind.DEPOSIT: DEPOSIT_STATUSES, ActivityKind.WITHDRAWAL: WITHDRAW_STATUSES}
    if kind in names:
        code = int(status) if status.lstrip("-").isdigit() else None
        return names[kind].get(code, f"unknown ({status})") if code is not None else status
    return status or "unknown"


@dataclass
class SyncOutcome:
    changed: int = 0  # rows added or whose status moved
    errors: dict[str, str] | None = None
    skipped: bool = False


# --- the sync ---------------------------------------------------------------------------------
def activity_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, CAPABILITY)
    )


def activity_sync(
    *, connection_id: int, all_coins: bool = False, now: datetime | None = None
) -> SyncOutcome:
    """Read the four histories of the connection and store what is new or changed. Never
    runs twice at once for a connection (a cache lock); pushes to its pages once stored."""
    with locks.held(f"desk:wallet:sync-lock:{connection_id}") as mine:
        if not mine:
            return SyncOutcome(skipped=True)
        connection = ExchangeConnection.objects.get(pk=connection_id)
        if not activity_syncable(connection=connection):
            return SyncOutcome()
        outcome = _sync(connection, all_coins=all_coins, now=now or timezone.now())
    payload = {"connection": connection_id, "synced_at": timezone.now().isoformat()}
    transaction.on_commit(
        lambda: wallet_activity_push(connection_id=connection_id, payload=payload)
    )
    return outcome


def _sync(connection: ExchangeConnection, *, all_coins: bool, now: datetime) -> SyncOutcome:
    cursors = {
        kind: ActivitySync.objects.get_or_create(connection=connection, kind=kind)[0]
        for kind in ActivityKind.values
    }
    outcome = SyncOutcome(errors={})
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        for cursor in cursors.values():
            _fail(cursor, "The connection's keys need replacing.", outcome)
        return outcome
    with client:
        try:
            coins: list[str] | None = _coins(client, connection, all_coins or _first_sync(cursors))
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            for kind in CRYPTO:
                _fail(cursors[kind], _why(connection, kind, exc), outcome)
            coins = None
        for kind, cursor in cursors.items():
            if kind in CRYPTO and coins is None:
                continue
            try:
                newest = None
                for rows in _batches(client, connection, cursor, coins or [], now):
                    changed, batch_newest = _upsert(connection, cursor.kind, rows, now=now)
                    outcome.changed += changed
                    newest = max(filter(None, (newest, batch_newest)), default=None)
                _advance(cursor, newest, now=now)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:  # this kind waits for the next sync, the others go on
                _fail(cursor, _why(connection, kind, exc), outcome)
    return outcome


def _why(connection: ExchangeConnection, kind: str, exc: Exception) -> str:
    """What to show for a failed read; a failure that is not the exchange's (keys no header
    can carry, a bug, an odd row) is logged with its traceback, never its message."""
    if isinstance(exc, binanceus.BinanceUSError):
        log.info("connection %s: %s history unavailable: %s", connection.pk, kind, exc)
        return describe_error(exc)
    log.error("connection %s: %s sync failed: %s", connection.pk, kind, failure(exc))
    return f"The sync failed ({type(exc).__name__}); it is tried again."


def _first_sync(cursors: dict[str, ActivitySync]) -> bool:
    return any(cursors[kind].synced_at is None for kind in CRYPTO)


def _fail(cursor: ActivitySync, message: str, outcome: SyncOutcome) -> None:
    cursor.last_error = message[:300]
    save_if_present(cursor, "last_error")
    if outcome.errors is not None:
        outcome.errors[cursor.kind] = cursor.last_error


def _coins(client: binanceus.Client, connection: ExchangeConnection, every: bool) -> list[str]:
    """The coins whose crypto histories to read (see the module docstring)."""
    catalogue = [c for c in client.coin_config() if not c.is_legal_money]
    reads.catalogue_store(connection=connection, coins=catalogue)
    if every:
        return sorted(c.coin for c in catalogue)
    held = {c.coin for c in catalogue if c.free or c.locked or c.freeze or c.withdrawing}
    seen = WalletActivity.objects.filter(connection=connection, kind__in=CRYPTO)
    return sorted(held | set(seen.values_list("coin", flat=True).distinct()))


# --- reading ----------------------------------------------------------------------------------
def _batches(
    client, connection, cursor: ActivitySync, coins: Sequence[str], now
) -> Iterator[list[dict]]:
    """The rows to store, one batch per coin (the whole history for fiat): each is stored as
    it comes, so a sync cut short by its time limit keeps what it read."""
    kind = cursor.kind
    if kind in FIAT:
        fetch = client.fiat_deposit_history
        if kind == ActivityKind.FIAT_WITHDRAWAL:
            fetch = client.fiat_withdraw_history
        yield [_fiat_fields(kind, r) for r in _pages(lambda offset: fetch(offset=offset))]
        return
    start = _crypto_start(connection, cursor, now)
    for coin in coins:
        if kind == ActivityKind.DEPOSIT:
            rows = _pages(
                lambda offset, coin=coin: client.deposit_history(
                    coin=coin, start_time=start, offset=offset, limit=PAGE
                )
            )
            yield [_deposit_fields(r) for r in rows]
        else:
            rows = _pages(
                lambda offset, coin=coin: client.withdraw_history(
                    coin=coin, start_time=start, offset=offset, limit=PAGE
                )
            )
            yield [_withdrawal_fields(r) for r in rows]


def _pages(fetch: Callable[[int], Sequence[Any]]) -> list[Any]:
    rows: list[Any] = []
    for page in range(MAX_PAGES):
        batch = fetch(page * PAGE)
        rows += batch
        if len(batch) < PAGE:
            break
    return rows


def _crypto_start(connection, cursor: ActivitySync, now: datetime) -> datetime | None:
    """Where a crypto history's window begins: None (the exchange's 90 days) at first."""
    starts = []
    if cursor.newest_time is not None:
        starts.append(cursor.newest_time - OVERLAP)
    oldest_open = WalletActivity.objects.filter(
        connection=connection, kind=cursor.kind, state__in=OPEN_STATES
    ).aggregate(t=Min("time"))["t"]
    if oldest_open is not None:
        starts.append(oldest_open - OVERLAP)
    return max(min(starts), now - MAX_BACK) if starts else None


def _deposit_fields(r: binanceus.Deposit) -> dict:
    status = str(r.status)
    network = r.network or ""
    tx = r.tx_id or ""
    # Deposit rows carry no id: the chain's transaction names one (a coin and network apart).
    ident = f"{r.coin}:{network}:{tx}" if tx else f"{r.coin}:{network}:{r.insert_time}:{r.amount}"
    return {
        "kind": ActivityKind.DEPOSIT,
        "exchange_id": ident,
        "coin": r.coin,
        "network": network,
        "amount": r.amount,
        "fee": 0,
        "status": status,
        "address": r.address or "",
        "address_tag": r.address_tag or "",
        "tx_id": tx,
        "confirmations": r.confirm_times or "",
        "time": r.insert_time,
    }


def _withdrawal_fields(r: binanceus.WithdrawalRecord) -> dict:
    return {
        "kind": ActivityKind.WITHDRAWAL,
        "exchange_id": r.id,
        "coin": r.coin,
        "network": r.network or "",
        "amount": r.amount,
        "fee": r.transaction_fee,
        "status": str(r.status),
        "address": r.address or "",
        "address_tag": r.address_tag or "",
        "tx_id": r.tx_id or "",
        "withdraw_order_id": r.withdraw_order_id or "",
        "time": r.apply_time,
    }


def _fiat_fields(kind: str, r: binanceus.FiatTransferRecord) -> dict:
    return {
        "kind": kind,
        "exchange_id": r.order_id,
        "coin": r.fiat_currency or "USD",
        "amount": r.amount,
        "fee": r.transaction_fee + r.platform_fee,
        "status": r.order_status,
        "address": r.payment_account or "",
        "payment_method": r.payment_method or "",
        "time": None,  # the rows carry none: first seen
    }


# --- storing ----------------------------------------------------------------------------------
_CHANGING = ("status", "state", "tx_id", "confirmations", "fee", "amount", "address_tag")


def _upsert(
    connection, kind: str, rows: Iterable[dict], *, now: datetime
) -> tuple[int, datetime | None]:
    """Insert unseen rows and update those whose status moved, in one transaction; returns
    how many of either, and the newest exchange time among the rows."""
    by_id = {r["exchange_id"]: r for r in rows}
    for r in by_id.values():
        r["state"] = status_state(kind, r["status"])
    changed = 0
    with transaction.atomic():
        stored = _stored(connection, kind, list(by_id))
        new = [
            WalletActivity(connection=connection, updated_at=now, **{**r, "time": r["time"] or now})
            for ident, r in by_id.items()
            if ident not in stored
        ]
        WalletActivity.objects.bulk_create(new, ignore_conflicts=True)
        changed += len(new)
        for ident, row in stored.items():
            fresh = by_id[ident]
            fields = [f for f in _CHANGING if f in fresh and getattr(row, f) != fresh[f]]
            if fields:
                for f in fields:
                    setattr(row, f, fresh[f])
                row.updated_at = now
                row.save(update_fields=[*fields, "updated_at"])
                changed += 1
    times = [r["time"] for r in by_id.values() if r["time"] is not None]
    return changed, max(times, default=None)


def _advance(cursor: ActivitySync, newest: datetime | None, *, now: datetime) -> None:
    """Every coin of the kind was read: the cursor moves to the newest time seen. Only then:
    a coin not read yet may still hold rows older than another coin's newest."""
    if newest is not None and (cursor.newest_time is None or newest > cursor.newest_time):
        cursor.newest_time = newest
    cursor.synced_at, cursor.last_error = now, ""
    save_if_present(cursor, "newest_time", "synced_at", "last_error")


def _stored(connection, kind: str, ids: list[str]) -> dict[str, WalletActivity]:
    found: dict[str, WalletActivity] = {}
    for i in range(0, len(ids), CHUNK):
        rows = WalletActivity.objects.filter(
            connection=connection, kind=kind, exchange_id__in=ids[i : i + CHUNK]
        )
        found.update({r.exchange_id: r for r in rows})
    return found
