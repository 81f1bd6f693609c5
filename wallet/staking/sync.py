"""The staking and rewards histories copied from the exchange, with a cursor each, and what is
staked now.

    staking history   GET staking/history                stakes and unstakes (no id)
    rewards           GET staking/stakingRewardsHistory  rewards (tranId)
    positions         GET staking/stakingBalance         what is staked per asset (replaced whole)

Both are read from ``OVERLAP`` before the newest time stored (the exchange's database lags and
lists late rows under their first time), and the staking history also from its oldest unstake
still ``PENDING``, whose status moves when the amount is credited back. At first there is no
start (the exchange's whole history). Re-read rows are upserts, so a row is stored once and
follows its status. Positions are the exchange's list as it is now: an asset it no longer lists
is deleted. A failure keeps the cursors and positions where they were, with ``last_error``.

A stake or unstake that settles queues a sync (``sending.StakingSender.after_executed``); one
asked for while another sync of the connection runs is not dropped but run once that one ends,
since the running one may have read the exchange before the operation went through.
"""

from __future__ import annotations

import logging
from collections import defaultdict
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
from accounts.realtime import staking_push
from desk import locks
from desk.intents import queue
from desk.periodic import failure
from desk.rows import save_if_present
from wallet.staking import reads
from wallet.staking.models import StakedPosition, StakingEvent, StakingReward, StakingSync

log = logging.getLogger(__name__)

PAGE = 500  # the histories' largest page
MAX_PAGES = 20  # bounds one sync; the cursor lets the next one continue
OVERLAP = timedelta(minutes=5)
AGAIN_SECONDS = 120  # a sync asked for while another ran is run after it if asked this lately
UNSTAKED, PENDING = "unstaked", "PENDING"


def staking_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, access.WALLET)
    )


def staking_sync(*, connection_id: int) -> int | None:
    """Read both histories and the positions of the connection and store what is new or changed;
    how many rows changed (None: skipped, another sync is running or the connection cannot
    sync)."""
    lock, again = _lock_keys(connection_id)
    ran = False
    try:
        with locks.held(lock) as mine:
            if not mine:
                cache.set(again, 1, timeout=AGAIN_SECONDS)
                return None
            ran = True
            connection = ExchangeConnection.objects.get(pk=connection_id)
            if not staking_syncable(connection=connection):
                return None
            changed = _sync(connection, StakingSync.objects.get_or_create(connection=connection)[0])
    finally:  # once the lock is free: a sync asked for meanwhile is not skipped again
        if ran and cache.delete(again):
            _queue_sync(connection_id)
    payload = {"synced_at": timezone.now().isoformat(), "changed": changed}
    transaction.on_commit(lambda: staking_push(connection_id=connection_id, payload=payload))
    return changed


def _lock_keys(connection_id: int) -> tuple[str, str]:
    """The running sync's lock, and the mark of a sync asked for while it ran."""
    return f"desk:staking:sync-lock:{connection_id}", f"desk:staking:sync-again:{connection_id}"


def _queue_sync(connection_id: int) -> None:
    from wallet.staking.tasks import sync_staking  # tasks import this module

    transaction.on_commit(lambda: queue(sync_staking, connection_id))


def _sync(connection: ExchangeConnection, cursor: StakingSync) -> int:
    # Fixed for every page: the pages of one read must share one window.
    history_from = _history_start(connection, cursor)
    rewards_from = _start(cursor.rewards_newest)
    try:
        with client_for_connection(connection) as client:
            events = _pages(
                lambda page: client.staking_history(start_time=history_from, page=page, limit=PAGE)
            )
            rewards = _pages(
                lambda page: client.staking_rewards_history(
                    start_time=rewards_from, page=page, limit=PAGE
                )
            )
            positions = client.staking_balance()
    except crypto.CredentialsUnavailable:
        return _fail(cursor, "The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: staking histories unavailable: %s", connection.pk, exc)
        return _fail(cursor, describe_error(exc))
    except Exception as exc:
        log.error("connection %s: staking sync failed: %s", connection.pk, failure(exc))
        return _fail(cursor, f"The sync failed ({type(exc).__name__}); it is tried again.")
    periods = _periods(connection)
    with transaction.atomic():
        changed = sum(_event_upsert(connection, row, periods) for row in events)
        changed += sum(_reward_insert(connection, row) for row in rewards)
        changed += _positions_store(connection, positions)
        cursor.history_newest = _newest(cursor.history_newest, (r.initiated_time for r in events))
        cursor.rewards_newest = _newest(cursor.rewards_newest, (r.time for r in rewards))
        cursor.synced_at, cursor.last_error = timezone.now(), ""
        cursor.save()
    return changed


def _fail(cursor: StakingSync, message: str) -> int:
    cursor.last_error = message[:300]
    save_if_present(cursor, "last_error")
    return 0


def _pages(fetch: Callable[[int], Sequence[Any]]) -> list[Any]:
    rows: list[Any] = []
    for page in range(1, MAX_PAGES + 1):
        batch = fetch(page)
        rows += batch
        if len(batch) < PAGE:
            break
    return rows


def _start(newest: datetime | None) -> datetime | None:
    return None if newest is None else newest - OVERLAP


def _history_start(connection: ExchangeConnection, cursor: StakingSync) -> datetime | None:
    start = _start(cursor.history_newest)
    pending = StakingEvent.objects.filter(connection=connection, type=UNSTAKED, status=PENDING)
    oldest = pending.order_by("initiated_time").values_list("initiated_time", flat=True).first()
    return min(filter(None, (start, oldest)), default=None) if start else None


def _newest(current: datetime | None, times) -> datetime | None:
    return max(filter(None, (current, *times)), default=None)


def _periods(connection: ExchangeConnection) -> dict[str, timedelta]:
    """Each asset's unstaking period, from the catalogue (none if it cannot be read)."""
    return {
        a.staking_asset: a.unstaking_delay for a in reads.staking_assets(connection=connection).rows
    }


def _event_upsert(
    connection: ExchangeConnection, row: binanceus.StakingRecord, periods: dict[str, timedelta]
) -> int:
    period = periods.get(row.asset)
    due = row.initiated_time + period if row.type == UNSTAKED and period is not None else None
    event, created = StakingEvent.objects.get_or_create(
        connection=connection,
        asset=row.asset,
        type=row.type,
        amount=row.amount,
        initiated_time=row.initiated_time,
        defaults={"status": row.status, "due_at": due},
    )
    if created:
        return 1
    if event.status == row.status:
        return 0
    event.status = row.status
    event.save(update_fields=["status"])
    return 1


def _reward_insert(connection: ExchangeConnection, row: binanceus.StakingReward) -> int:
    _, created = StakingReward.objects.get_or_create(
        connection=connection,
        tran_id=row.tran_id,
        defaults={
            "asset": row.asset or "",
            "amount": row.amount,
            "usd_value": row.usd_value,
            "time": row.time,
            "auto_restaked": row.auto_restaked,
        },
    )
    return int(created)


def _positions_store(
    connection: ExchangeConnection, rows: Sequence[binanceus.StakingBalance]
) -> int:
    """Replace the connection's positions with the exchange's list; how many rows changed."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    restake: dict[str, bool] = {}
    for row in rows:  # one row per asset; summed should the exchange ever split one
        amounts[row.asset] += row.staking_amount
        restake[row.asset] = row.auto_restake
    changed = 0
    stored = {p.asset: p for p in StakedPosition.objects.filter(connection=connection)}
    for asset, amount in amounts.items():
        current = stored.get(asset)
        if current is None:
            StakedPosition.objects.create(
                connection=connection, asset=asset, amount=amount, auto_restake=restake[asset]
            )
        elif (current.amount, current.auto_restake) != (amount, restake[asset]):
            current.amount, current.auto_restake = amount, restake[asset]
            current.save(update_fields=["amount", "auto_restake", "updated_at"])
        else:
            continue
        changed += 1
    gone = [p.pk for asset, p in stored.items() if asset not in amounts]
    if gone:
        changed += StakedPosition.objects.filter(pk__in=gone).delete()[0]
    return changed


SOON_DEBOUNCE_SECONDS = 30


def staking_sync_soon(*, connection: ExchangeConnection, force: bool = False) -> bool:
    """Queue a sync once the transaction commits: on opening the tab (at most once per
    ``SOON_DEBOUNCE_SECONDS``) or on "sync now" (``force``). False: nothing queued."""
    if not staking_syncable(connection=connection):
        return False
    StakingSync.objects.get_or_create(connection=connection)  # the beat follows it from now on
    # With the key's fingerprint: replaced keys may be another account's, due its own sync.
    marker = f"desk:staking:sync-soon:{connection.pk}:{connection.key_fingerprint}"
    if not cache.add(marker, 1, timeout=SOON_DEBOUNCE_SECONDS) and not force:
        return False
    _queue_sync(connection.pk)
    return True
