"""Account history copied from the exchange in short, resumable slices.

One :class:`~trading.models.HistorySync` row per (connection, kind, symbol) says how far that
history is stored. A slice (``history_sync``) does, within a time and weight allowance:

1. once: find the account's oldest row (``fromId=0``, one row) to clamp ``backfill_from`` to
   where history really begins, and read the newest page, whose highest id is the forward cursor;
2. forward: read on by id from ``cursor + 1`` (new rows since the sync started);
3. backfill: walk back from ``started_at`` towards ``backfill_from`` in 24 h windows (the widest
   the trade endpoint takes); a window holding more than one page is read on by id
   (``backfill_next_id``) instead of being split.

Every page is stored and the row's position moved in one transaction, so a slice killed at any
point resumes where the last page ended: no gaps, and re-read rows are idempotent upserts.
Prevented matches have no time or id walk on the exchange: each order that expired in a match
is asked about once (by order id), after the order history has found it.

Weight: every request first checks the host's shared Redis budget and stops the slice while
the minute's spending is above ``HISTORY_WEIGHT_SHARE`` of the limit, so history never takes the
headroom the order ticket needs; a 429/418 anywhere on the host pauses it until Retry-After.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import access, crypto, realtime
from accounts.exchange import client_for_connection, describe_error, weight_budget
from accounts.models import ExchangeConnection
from desk.periodic import failure
from trading.history import selectors, store
from trading.models import (
    AccountTrade,
    HistoryKind,
    HistorySync,
    Order,
    OrderList,
    OrderStatus,
    PreventedMatch,
)

log = logging.getLogger(__name__)

PAGE = 1000  # every history endpoint's maximum limit
WINDOW = timedelta(hours=24)  # myTrades: "can't be longer than 24 hours"
ONE_MS = timedelta(milliseconds=1)
REQUEST_WEIGHT = 10  # allOrders / myTrades / allOrderList / myPreventedMatches by orderId
ERROR_PAUSE = timedelta(seconds=60)
ORDERS_WAIT = timedelta(seconds=30)  # prevented matches are found through the order history
EMPTY_PREVENTED_TTL = 86_400  # an expired order the exchange lists no match for: ask daily
SYMBOL_KINDS = (HistoryKind.ORDERS, HistoryKind.TRADES, HistoryKind.PREVENTED)


# --- settings -------------------------------------------------------------------------------------
def _backfill_days() -> int:
    return int(getattr(settings, "HISTORY_BACKFILL_DAYS", 365))


def _weight_share() -> float:
    return float(getattr(settings, "HISTORY_WEIGHT_SHARE", 0.6))


def _slice_seconds() -> float:
    return float(getattr(settings, "HISTORY_SLICE_SECONDS", 20))


def _slice_requests() -> int:
    return int(getattr(settings, "HISTORY_SLICE_REQUESTS", 50))


def _forward_pause() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "HISTORY_FORWARD_SECONDS", 300)))


def _updates_overlap() -> timedelta:
    return timedelta(seconds=settings.HISTORY_UPDATES_OVERLAP_SECONDS)


# --- outcome and pacing ---------------------------------------------------------------------------
@dataclass
class SliceOutcome:
    """What a slice did and when the next one should run (``again`` = re-enqueue after
    ``delay`` seconds; otherwise the beat picks the row up at its ``next_run_at``)."""

    requests: int = 0
    stored: int = 0
    again: bool = False
    delay: float = 0.0
    skipped: bool = False
    error: str = ""
    notes: list[str] = field(default_factory=list)


class _Pause(Exception):
    def __init__(self, seconds: float, why: str) -> None:
        super().__init__(why)
        self.seconds = max(0.5, seconds)


class _OutOfTime(Exception):
    pass


class _Pacer:
    """Checks the shared budget before each request and ends the slice on time."""

    def __init__(self, budget: binanceus.RedisWeightBudget, outcome: SliceOutcome) -> None:
        self.budget = budget
        self.outcome = outcome
        self.deadline = time.monotonic() + _slice_seconds()
        self.cap = int(budget.limit_per_minute * _weight_share())

    def spend(self, weight: int = REQUEST_WEIGHT, *, bounded: bool = True) -> None:
        """``bounded=False``: a request that must follow the previous one in the same slice
        (still within the weight share, which protects the exchange; the bounds protect time)."""
        out_of_time = time.monotonic() >= self.deadline
        if bounded and (out_of_time or self.outcome.requests >= _slice_requests()):
            raise _OutOfTime
        until = self.budget.blocked_until
        if until is not None:
            raise _Pause((until - timezone.now()).total_seconds(), "exchange rate limit")
        if self.budget.spent + weight > self.cap:
            raise _Pause(60 - time.time() % 60 + 0.2, "weight share used this minute")
        self.outcome.requests += 1


# --- the three id/time-walkable kinds ------------------------------------------------------------
@dataclass(frozen=True)
class _Query:
    start: datetime | None = None
    end: datetime | None = None
    from_id: int | None = None
    limit: int = PAGE


@dataclass(frozen=True)
class _Source:
    """How one kind is read (``fetch``), stored and counted, and which of its rows' attributes
    are the exchange id and time the walk goes by."""

    fetch: Callable[[binanceus.Client, str, _Query], Sequence[Any]]
    store: Callable[[ExchangeConnection, Sequence], None]
    count: Callable[[ExchangeConnection, str], int]
    id_attr: str
    time_attr: str

    def row_id(self, row) -> int:
        return getattr(row, self.id_attr)

    def row_time(self, row) -> datetime | None:
        return getattr(row, self.time_attr)


def _fetch_orders(client: binanceus.Client, symbol: str, q: _Query) -> list[binanceus.Order]:
    return client.all_orders(
        symbol=symbol, order_id=q.from_id, start_time=q.start, end_time=q.end, limit=q.limit
    )


def _fetch_trades(client: binanceus.Client, symbol: str, q: _Query) -> list:
    return client.my_trades(
        symbol=symbol, from_id=q.from_id, start_time=q.start, end_time=q.end, limit=q.limit
    )


def _fetch_lists(client: binanceus.Client, symbol: str, q: _Query) -> list:
    return client.all_order_lists(
        from_id=q.from_id, start_time=q.start, end_time=q.end, limit=q.limit
    )


def _store_orders(connection: ExchangeConnection, rows: Sequence) -> None:
    store.orders_store(connection=connection, orders=rows)


def _store_trades(connection: ExchangeConnection, rows: Sequence) -> None:
    store.trades_store(connection=connection, trades=rows)


def _store_lists(connection: ExchangeConnection, rows: Sequence) -> None:
    store.order_lists_store(connection=connection, lists=rows)


def _count_orders(connection: ExchangeConnection, symbol: str) -> int:
    stored = Order.objects.filter(connection=connection, symbol=symbol, order_id__isnull=False)
    return stored.count()


def _count_trades(connection: ExchangeConnection, symbol: str) -> int:
    return AccountTrade.objects.filter(connection=connection, symbol=symbol).count()


def _count_lists(connection: ExchangeConnection, symbol: str) -> int:
    # Account-wide: OCO lists are not read per symbol.
    return OrderList.objects.filter(connection=connection, order_list_id__isnull=False).count()


SOURCES: dict[str, _Source] = {
    HistoryKind.ORDERS: _Source(_fetch_orders, _store_orders, _count_orders, "order_id", "time"),
    HistoryKind.TRADES: _Source(_fetch_trades, _store_trades, _count_trades, "id", "time"),
    HistoryKind.ORDER_LISTS: _Source(
        _fetch_lists, _store_lists, _count_lists, "order_list_id", "transaction_time"
    ),
}


# --- rows -----------------------------------------------------------------------------------------
def history_sync_get(
    *, connection: ExchangeConnection, kind: str, symbol: str, now: datetime | None = None
) -> HistorySync:
    now = now or timezone.now()
    sync, _ = HistorySync.objects.get_or_create(
        connection=connection,
        kind=kind,
        symbol="" if kind == HistoryKind.ORDER_LISTS else symbol,
        defaults=_fresh_position(now),
    )
    return sync


def _fresh_position(now: datetime) -> dict[str, datetime]:
    """A new row's position: nothing read yet, the backfill to reach back the configured days."""
    return {
        "backfill_from": now - timedelta(days=_backfill_days()),
        "started_at": now,
        "backfilled_to": now,
    }


def history_symbols_ensure(
    *, connection: ExchangeConnection, symbols: Sequence[str], now: datetime | None = None
) -> None:
    """HistorySync rows for every kind of each symbol, plus the account-wide OCO lists row."""
    position = _fresh_position(now or timezone.now())
    wanted = [(kind, s) for s in symbols for kind in SYMBOL_KINDS]
    wanted.append((HistoryKind.ORDER_LISTS, ""))
    HistorySync.objects.bulk_create(
        [HistorySync(connection=connection, kind=kind, symbol=s, **position) for kind, s in wanted],
        ignore_conflicts=True,
    )


# --- one slice ------------------------------------------------------------------------------------
def history_sync(
    *, connection_id: int, kind: str, symbol: str, now: datetime | None = None
) -> SliceOutcome:
    """Run one bounded slice of ``kind`` history of ``symbol`` (``""`` for OCO lists). Never
    runs concurrently with itself for the same row (a Redis lock); returns what to do next."""
    lock = _lock(connection_id, kind, symbol)
    if not lock.acquire(blocking=False):
        return SliceOutcome(skipped=True)
    try:
        outcome = _run_slice(connection_id, kind, symbol, now or timezone.now())
        transaction.on_commit(lambda: _progress_push(connection_id))
        return outcome
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("history lock for %s/%s/%s expired first", connection_id, kind, symbol)


def _progress_push(connection_id: int) -> None:
    connection = ExchangeConnection.objects.filter(pk=connection_id).first()
    if connection is not None:
        payload = selectors.history_progress_payload(connection=connection)
        realtime.history_progress_push(connection_id=connection_id, payload=payload)


def history_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, access.HISTORY)
    )


def _run_slice(connection_id: int, kind: str, symbol: str, now: datetime) -> SliceOutcome:
    connection = ExchangeConnection.objects.get(pk=connection_id)
    sync = history_sync_get(connection=connection, kind=kind, symbol=symbol, now=now)
    outcome = SliceOutcome()
    if not history_syncable(connection=connection):
        return outcome
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        return _fail(sync, outcome, "The connection's keys need replacing.", now)
    pacer = _Pacer(weight_budget(connection.environment), outcome)
    try:
        with client:
            if kind == HistoryKind.PREVENTED:
                caught_up = _prevented_slice(client, sync, pacer, outcome)
            else:
                caught_up = _walk_slice(client, sync, SOURCES[kind], pacer, outcome, now)
    except _OutOfTime:
        return _continue(sync, outcome, 0.0, now)
    except _Pause as pause:
        outcome.notes.append(str(pause))
        return _continue(sync, outcome, pause.seconds, now)
    except (binanceus.WeightLimitExceeded, binanceus.RateLimited, binanceus.IPBanned) as exc:
        return _continue(sync, outcome, float(exc.retry_after or 60), now)
    except binanceus.BinanceUSError as exc:
        log.info("history %s/%s/%s failed: %s", connection_id, kind, symbol, exc)
        return _fail(sync, outcome, describe_error(exc), now)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # e.g. keys the client cannot send: this row waits, not the beat's
        log.error("history %s/%s/%s failed: %s", connection_id, kind, symbol, failure(exc))
        why = f"The sync failed ({type(exc).__name__}); it is tried again in a minute."
        return _fail(sync, outcome, why, now)
    if caught_up:
        _schedule(sync, next_run_at=now + _forward_pause())
        return outcome
    return _continue(sync, outcome, 0.0, now)


def _continue(sync: HistorySync, outcome: SliceOutcome, delay: float, now: datetime):
    # The chained task runs at once; the beat waits this long (a lease) before it would retry.
    outcome.again, outcome.delay = True, delay
    _schedule(sync, next_run_at=now + timedelta(seconds=delay) + timedelta(minutes=2))
    return outcome


def _schedule(sync: HistorySync, *, next_run_at: datetime) -> None:
    HistorySync.objects.filter(pk=sync.pk).update(next_run_at=next_run_at)


def _fail(sync: HistorySync, outcome: SliceOutcome, message: str, now: datetime):
    outcome.error = message
    sync.last_error = message[:300]
    sync.next_run_at = now + ERROR_PAUSE
    sync.save(update_fields=["last_error", "next_run_at"])
    return outcome


def _save(sync: HistorySync, count: int, *fields: str) -> None:
    sync.rows = count
    sync.synced_at = timezone.now()
    sync.last_error = ""
    sync.save(update_fields=[*fields, "rows", "synced_at", "last_error"])


# --- orders, trades, OCO lists ------------------------------------------------------------------
def _walk_slice(client, sync: HistorySync, src: _Source, pacer: _Pacer, outcome, now) -> bool:
    """Begin if needed, backfill, then follow new rows (and, for orders, changed ones); True
    once nothing is left to do. Backfill goes first so that short slices still progress; the
    rows it passes over meanwhile wait safely behind the cursor."""
    began = sync.synced_at is None
    if began:
        _begin(client, sync, src, pacer, outcome, now)
    while not sync.done:
        _backfill_step(client, sync, src, pacer, outcome)
    if began:  # begin has just read the newest page; the backfill, everything older
        return True
    _forward(client, sync, src, pacer, outcome)
    if sync.kind == HistoryKind.ORDERS:
        _updates(client, sync, src, pacer, outcome, now)
    return True


def _fetch(
    client, sync: HistorySync, src: _Source, pacer: _Pacer, q: _Query, *, bounded: bool = True
) -> Sequence:
    pacer.spend(bounded=bounded)
    return src.fetch(client, sync.symbol, q)


def _begin(client, sync: HistorySync, src: _Source, pacer, outcome, now: datetime) -> None:
    oldest = _fetch(client, sync, src, pacer, _Query(from_id=0, limit=1))
    first = src.row_time(oldest[0]) if oldest else None
    newest = _fetch(client, sync, src, pacer, _Query(), bounded=False) if oldest else []
    with transaction.atomic():
        src.store(sync.connection, newest)
        sync.started_at = sync.backfilled_to = now
        sync.updates_from = now - _updates_overlap()  # see _updates
        sync.backfill_next_id = sync.updates_next_id = None
        sync.cursor = max((src.row_id(r) for r in newest), default=None)
        if first is None:
            sync.backfill_from = sync.backfilled_to = now
        elif first > sync.backfill_from:
            sync.backfill_from = min(first, now)  # history begins here: no older windows to ask
        sync.done = sync.backfilled_to <= sync.backfill_from
        _save(
            sync,
            src.count(sync.connection, sync.symbol),
            "started_at",
            "backfilled_to",
            "backfill_from",
            "backfill_next_id",
            "updates_from",
            "updates_next_id",
            "cursor",
            "done",
        )
    outcome.stored += len(newest)


def _forward(client, sync: HistorySync, src: _Source, pacer, outcome) -> None:
    """Rows after the cursor, page by page, until a page is not full."""
    while True:
        start = sync.cursor + 1 if sync.cursor is not None else 0
        rows = _fetch(client, sync, src, pacer, _Query(from_id=start))
        with transaction.atomic():
            src.store(sync.connection, rows)
            if rows:
                sync.cursor = max(sync.cursor or 0, *(src.row_id(r) for r in rows))
            _save(sync, src.count(sync.connection, sync.symbol), "cursor")
        outcome.stored += len(rows)
        if len(rows) < PAGE:
            return


def _window_page(client, sync, src, pacer, start: datetime, end: datetime, next_id: int | None):
    """One page of the rows of [start, end): the window itself, then, while pages are full, on
    by id (the exchange answers the lowest ids of a window first). Ids rise with creation time,
    so once a row was created at or after ``end`` the window is exhausted.
    Returns (rows, window done, id to read on from)."""
    if next_id is None:
        rows = _fetch(client, sync, src, pacer, _Query(start=start, end=end - ONE_MS))
        done = len(rows) < PAGE
    else:
        rows = _fetch(client, sync, src, pacer, _Query(from_id=next_id))
        done = len(rows) < PAGE or any((src.row_time(r) or end) >= end for r in rows)
    return rows, done, None if done else max(src.row_id(r) for r in rows) + 1


def _backfill_step(client, sync: HistorySync, src: _Source, pacer, outcome) -> None:
    """One page of the window just older than ``backfilled_to``."""
    end = sync.backfilled_to
    start = max(end - WINDOW, sync.backfill_from)
    rows, done, next_id = _window_page(client, sync, src, pacer, start, end, sync.backfill_next_id)
    with transaction.atomic():
        src.store(sync.connection, rows)
        sync.backfill_next_id = next_id
        if done:
            sync.backfilled_to = start
            sync.done = start <= sync.backfill_from
        _save(
            sync,
            src.count(sync.connection, sync.symbol),
            "backfilled_to",
            "backfill_next_id",
            "done",
        )
    outcome.stored += len(rows)


def _updates(client, sync: HistorySync, src: _Source, pacer, outcome, now: datetime) -> None:
    """Orders changed since ``updates_from`` (allOrders windows are over update time): an order
    stored while open is seen again once filled or canceled, whatever its id.

    The last window takes in ``now``'s own millisecond (a fill stamped there has already
    happened), yet ``updates_from`` only moves on to ``now`` less an overlap, which the next
    pass reads again: update times are stamped by the exchange's clock, which may run behind
    ours, allOrders reads a database that may lag the matching engine, and a later update
    can still be stamped with ``now``'s millisecond. Re-read orders cost nothing: the store
    keeps each order's newest state."""
    edge = now + ONE_MS  # windows are [start, end): this one ends after now's millisecond
    settled = now - _updates_overlap()
    while sync.updates_from is not None and sync.updates_from < edge:
        start = sync.updates_from
        end = min(start + WINDOW, edge)
        rows, done, next_id = _window_page(
            client, sync, src, pacer, start, end, sync.updates_next_id
        )
        last = done and end == edge
        with transaction.atomic():
            src.store(sync.connection, rows)
            sync.updates_next_id = next_id
            if done:
                sync.updates_from = max(start, settled) if last else end
            _save(sync, src.count(sync.connection, sync.symbol), "updates_from", "updates_next_id")
        outcome.stored += len(rows)
        if last:
            return


# --- prevented matches ----------------------------------------------------------------------------
def _prevented_slice(client, sync: HistorySync, pacer, outcome) -> bool:
    """Ask about each order of the symbol that expired in a match and has no stored match yet;
    progress follows the order history's, since that is where such orders are found."""
    for order_id in _unmatched_expired_orders(sync):
        rows = _prevented_for_order(client, sync, pacer, order_id)
        with transaction.atomic():
            store.prevented_store(connection=sync.connection, matches=rows)
            _save(sync, _prevented_count(sync))
        outcome.stored += len(rows)
        if not rows:
            cache.set(_empty_key(sync, order_id), 1, EMPTY_PREVENTED_TTL)
    orders = HistorySync.objects.filter(
        connection=sync.connection, kind=HistoryKind.ORDERS, symbol=sync.symbol
    ).first()
    if orders is None or orders.synced_at is None:
        _save(sync, _prevented_count(sync))
        raise _Pause(ORDERS_WAIT.total_seconds(), "waiting for the order history")
    sync.started_at, sync.backfill_from = orders.started_at, orders.backfill_from
    sync.backfilled_to, sync.done = orders.backfilled_to, orders.done
    _save(sync, _prevented_count(sync), "started_at", "backfill_from", "backfilled_to", "done")
    if not orders.done:
        raise _Pause(ORDERS_WAIT.total_seconds(), "waiting for the order history")
    return True


def _unmatched_expired_orders(sync: HistorySync) -> list[int]:
    mine = PreventedMatch.objects.filter(connection=sync.connection, symbol=sync.symbol)
    ids = (
        Order.objects.filter(
            connection=sync.connection,
            symbol=sync.symbol,
            status=OrderStatus.EXPIRED_IN_MATCH,
            order_id__isnull=False,
        )
        .exclude(order_id__in=mine.values("taker_order_id"))
        .exclude(order_id__in=mine.values("maker_order_id"))
        .order_by("-order_id")
        .values_list("order_id", flat=True)
    )
    return [i for i in ids if cache.get(_empty_key(sync, i)) is None]


def _prevented_for_order(client, sync: HistorySync, pacer, order_id: int) -> list:
    rows: list = []
    after = 0  # the spec allows limit only together with fromPreventedMatchId
    while True:
        pacer.spend()
        page = client.my_prevented_matches(
            symbol=sync.symbol, order_id=order_id, from_prevented_match_id=after, limit=PAGE
        )
        rows += page
        if len(page) < PAGE:
            return rows
        after = max(m.prevented_match_id for m in page) + 1


def _prevented_count(sync: HistorySync) -> int:
    return PreventedMatch.objects.filter(connection=sync.connection, symbol=sync.symbol).count()


def _empty_key(sync: HistorySync, order_id: int) -> str:
    return f"desk:history:no-match:{sync.connection_id}:{sync.symbol}:{order_id}"


# --- locking --------------------------------------------------------------------------------------
@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _lock(connection_id: int, kind: str, symbol: str):
    # Longer than a slice's hard time limit, so a killed worker's lock frees itself soon after.
    return _redis_for(settings.REDIS_URL).lock(
        f"desk:history:lock:{connection_id}:{kind}:{symbol or '*'}", timeout=150
    )
