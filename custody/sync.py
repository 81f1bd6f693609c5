"""What the exchange says about a connection's custody, copied by Celery:

    balances            GET custodian/balance                   custodial rows stored; the
                                                                exchange wallet's handed back
    settlement setting  GET custodian/settlementSetting         active, frequency, next trigger
    wallet transfers    GET custodian/walletTransferHistory     by transferId (+ createTime)
    partner transfers   GET custodian/custodianTransferHistory  the same, undo rows included
    settlements         GET custodian/settlementHistory         by settlementId
    custodial orders    open orders, order and trade history    see ``custody.orders.sync``

Every call weighs 1 (the endpoint table); one sync costs at most ``3 + 2 * MAX_PAGES +
SETTLEMENT_PAGES`` (and ``3 + GONE_READS`` for the custodial orders) of the connection's
weight budget, and the cursors let the next one go on.
Both transfer histories are read from ``OVERLAP`` before the newest createTime stored (the
exchange's database lags), and from before the oldest desk transfer the exchange took whose
status is not final yet: a partner transfer is received, then processed (PROCESS → SUCCESS or
FAILURE), and the sync follows it there, queueing itself again every ``FOLLOW_SECONDS`` while
such a transfer (younger than ``FOLLOW_FOR``) is pending. At first there is no start: the
exchange's default window (90 days). Re-read rows are upserts. A failure keeps the cursors,
with ``last_error``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import access, crypto
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection
from accounts.realtime import custody_push
from custody import reads
from custody.models import (
    EXCHANGE_PENDING,
    CustodialBalance,
    CustodySettlement,
    CustodySync,
    CustodyTransfer,
    ExchangeTransfer,
    HistorySource,
    TransferKind,
    TransferStatus,
)
from custody.orders.sync import orders_read, orders_store
from desk import locks
from desk.intents import queue
from desk.periodic import failure

log = logging.getLogger(__name__)

PAGE = 100  # the transfer and settlement histories' largest page
MAX_PAGES = 5
SETTLEMENT_PAGES = 2
OVERLAP = timedelta(minutes=5)
FOLLOW_BEFORE = timedelta(minutes=2)
# A transfer still processing is read again this often, for this long (then the beat's).
FOLLOW_SECONDS = 5
FOLLOW_FOR = timedelta(hours=1)
KIND_OF = {
    HistorySource.WALLET: TransferKind.WALLET,
    HistorySource.CUSTODIAN: TransferKind.CUSTODIAN,
}


def custody_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, access.CUSTODY)
    )


def custody_balances_sync(
    *, connection: ExchangeConnection, client: binanceus.Client | None = None
) -> list[binanceus.CustodianAssetBalance]:
    """Read both wallets, store the custodial sub-account's rows, and hand back the exchange
    wallet's (``exchangeWalletBalance``) for the connection's ordinary balances (``client``: an
    open client of the connection to read with). Raises what the exchange or the key's
    decryption raised; nothing is stored then."""
    rail = reads.rail_of(connection)
    if client is None:
        with client_for_connection(connection) as own:
            balance = own.custodian_balance(rail=rail)
    else:
        balance = client.custodian_balance(rail=rail)
    _balances_store(connection, balance.custodial_account_balance)
    reads.balances_forget(connection=connection)
    return list(balance.exchange_wallet_balance)


def _balances_store(connection, rows: Sequence[binanceus.CustodianAssetBalance]) -> int:
    changed = 0
    with transaction.atomic():
        seen = set()
        for row in rows:
            seen.add(row.asset)
            values = {
                "free": row.free,
                "locked": row.locked,
                "in_settlement": row.in_settlement or Decimal(0),
                "updated": row.last_updated_time,
            }
            stored = CustodialBalance.objects.filter(connection=connection, asset=row.asset)
            current = stored.first()
            if current is None:
                CustodialBalance.objects.create(connection=connection, asset=row.asset, **values)
                changed += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                CustodialBalance.objects.filter(pk=current.pk).update(**values)
                changed += 1
        gone = CustodialBalance.objects.filter(connection=connection).exclude(asset__in=seen)
        changed += gone.delete()[0]
    return changed


def custody_sync(*, connection_id: int) -> int | None:
    """Read everything above for the connection and store what is new or changed; how many rows
    changed (None: skipped, another sync is running or the connection cannot sync)."""
    with locks.held(f"desk:custody:sync-lock:{connection_id}") as mine:
        if not mine:
            return None
        connection = ExchangeConnection.objects.get(pk=connection_id)
        if not custody_syncable(connection=connection):
            return None
        cursor = CustodySync.objects.get_or_create(connection=connection)[0]
        changed = _sync(connection, cursor)
    payload = {"synced_at": timezone.now().isoformat(), "changed": changed}
    transaction.on_commit(lambda: custody_push(connection_id=connection_id, payload=payload))
    if _still_following(connection):
        _queue_follow(connection_id)
    return changed


def _still_following(connection: ExchangeConnection) -> bool:
    """A desk transfer the exchange took, young enough to follow, is not final yet."""
    since = timezone.now() - FOLLOW_FOR
    return any(
        t.created_at > since for s in HistorySource.values for t in _following(connection, s)
    )


def _queue_follow(connection_id: int) -> None:
    from custody.tasks import sync_custody  # tasks import this module

    transaction.on_commit(lambda: queue(sync_custody, connection_id, countdown=FOLLOW_SECONDS))


def _sync(connection: ExchangeConnection, cursor: CustodySync) -> int:
    rail = reads.rail_of(connection)
    starts = {s: _history_start(connection, cursor, s) for s in HistorySource.values}
    try:
        with client_for_connection(connection) as client:
            balance = client.custodian_balance(rail=rail)
            setting = client.custodian_settlement_setting(rail=rail)
            wallet = _pages(lambda page: client.custodian_wallet_transfer_history(
                rail=rail, start_time=starts["wallet"], page=page, limit=PAGE))  # fmt: skip
            partner = _pages(lambda page: client.custodian_transfer_history(
                rail=rail, start_time=starts["custodian"], page=page, limit=PAGE))  # fmt: skip
            settlements = _pages(
                lambda page: client.custodian_settlement_history(rail=rail, page=page, limit=PAGE),
                pages=SETTLEMENT_PAGES,
            )
            orders = orders_read(client, connection=connection, rail=rail)
    except crypto.CredentialsUnavailable:
        return _fail(cursor, "The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: custody unavailable: %s", connection.pk, exc)
        return _fail(cursor, describe_error(exc))
    except Exception as exc:
        log.error("connection %s: custody sync failed: %s", connection.pk, failure(exc))
        return _fail(cursor, f"The sync failed ({type(exc).__name__}); it is tried again.")
    with transaction.atomic():
        changed = _balances_store(connection, balance.custodial_account_balance)
        changed += sum(_history_upsert(connection, HistorySource.WALLET, r) for r in wallet)
        changed += sum(_history_upsert(connection, HistorySource.CUSTODIAN, r) for r in partner)
        changed += sum(_settlement_upsert(connection, r) for r in settlements)
        changed += orders_store(connection, orders)
        changed += _follow(connection, HistorySource.WALLET, wallet)
        changed += _follow(connection, HistorySource.CUSTODIAN, partner)
        cursor.settlement_active = setting.settlement_active
        cursor.frequency_in_hours = setting.frequency_in_hours
        cursor.next_trigger_time = setting.next_trigger_time
        cursor.wallet_newest = _newest(cursor.wallet_newest, wallet)
        cursor.custodian_newest = _newest(cursor.custodian_newest, partner)
        cursor.synced_at, cursor.last_error = timezone.now(), ""
        cursor.save()
    reads.balances_forget(connection=connection)
    return changed


def _fail(cursor: CustodySync, message: str) -> int:
    cursor.last_error = message[:300]
    cursor.save(update_fields=["last_error"])
    return 0


def _pages(fetch: Callable[[int], Sequence[Any]], *, pages: int = MAX_PAGES) -> list[Any]:
    rows: list[Any] = []
    for page in range(1, pages + 1):
        batch = fetch(page)
        rows += batch
        if len(batch) < PAGE:
            break
    return rows


def _following(connection: ExchangeConnection, source: str):
    """The desk's transfers of ``source``'s kind that the exchange took, status not final."""
    rows = CustodyTransfer.objects.filter(
        connection=connection, kind=KIND_OF[source], status=TransferStatus.DONE
    )
    return [t for t in rows if t.exchange_status.strip().upper() in EXCHANGE_PENDING]


def _history_start(connection, cursor: CustodySync, source: str) -> datetime | None:
    newest = cursor.wallet_newest if source == HistorySource.WALLET else cursor.custodian_newest
    if newest is None:
        return None
    times = [t.exchange_time or t.created_at for t in _following(connection, source)]
    return min([newest - OVERLAP, *(t - FOLLOW_BEFORE for t in times)])


def _newest(current: datetime | None, rows) -> datetime | None:
    return max(filter(None, (current, *(r.create_time for r in rows))), default=None)


def _history_upsert(connection, source: str, row: binanceus.CustodianTransferRecord) -> int:
    values = {
        "client_order_id": row.client_order_id or "",
        "asset": row.asset,
        "amount": row.amount,
        "status": row.status[:40],
        "express_trade": row.express_trade,
        "update_time": row.update_time,
    }
    stored, created = ExchangeTransfer.objects.get_or_create(
        connection=connection,
        source=source,
        transfer_id=row.transfer_id,
        create_time=row.create_time,
        defaults=values,
    )
    if created:
        return 1
    if (stored.status, stored.update_time) == (values["status"], values["update_time"]):
        return 0
    ExchangeTransfer.objects.filter(pk=stored.pk).update(**values)
    return 1


def _follow(connection, source: str, rows) -> int:
    """Bring the exchange's status of the desk's transfers that the exchange took."""
    by_id = {r.client_order_id: r for r in rows if r.client_order_id}
    changed = 0
    for transfer in _following(connection, source):
        row = by_id.get(transfer.client_order_id)
        if row is None or row.status.strip() == transfer.exchange_status:
            continue
        transfer.exchange_status = row.status.strip()[:40]
        transfer.transfer_id = transfer.transfer_id or str(row.transfer_id)
        transfer.exchange_time = transfer.exchange_time or row.create_time
        transfer.save(update_fields=["exchange_status", "transfer_id", "exchange_time",
                                     "updated_at"])  # fmt: skip
        changed += 1
    return changed


def _settlement_upsert(connection, row: binanceus.CustodianSettlement) -> int:
    assets = [
        {"asset": a.asset, "settleTo": a.settle_to, "network": a.network, "amount": str(a.amount)}
        for a in row.settlement_assets
    ]
    values = {"status": row.status, "trigger_time": row.trigger_time, "assets": assets}
    stored, created = CustodySettlement.objects.get_or_create(
        connection=connection, settlement_id=row.settlement_id, defaults=values
    )
    if created:
        return 1
    if (stored.status, stored.assets) == (row.status, assets):
        return 0
    CustodySettlement.objects.filter(pk=stored.pk).update(**values)
    return 1


SOON_DEBOUNCE_SECONDS = 30


def custody_sync_soon(*, connection: ExchangeConnection, force: bool = False) -> bool:
    """Queue a sync once the transaction commits: on opening the tab (at most once per
    ``SOON_DEBOUNCE_SECONDS``) or on "sync now" (``force``). False: nothing queued."""
    if not custody_syncable(connection=connection):
        return False
    CustodySync.objects.get_or_create(connection=connection)  # the beat follows it from now on
    marker = f"desk:custody:sync-soon:{connection.pk}:{connection.key_fingerprint}"
    if not cache.add(marker, 1, timeout=SOON_DEBOUNCE_SECONDS) and not force:
        return False
    from custody.tasks import sync_custody  # tasks import this module

    transaction.on_commit(lambda: queue(sync_custody, connection.pk))
    return True
