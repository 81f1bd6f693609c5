"""A local order book kept in sync with the depth diff stream.

Follows the spec's "Managing a Local Order Book" procedure:

1. buffer the ``<symbol>@depth`` events,
2. fetch a depth snapshot,
3. drop any event where ``u`` <= ``lastUpdateId`` of the snapshot,
4. the first processed event must have ``U <= lastUpdateId+1 <= u``,
5. afterwards each event's ``U`` must be the previous event's ``u + 1``,
6. quantities are absolute; quantity 0 removes the level (removing an unknown level is normal).

:class:`OrderBook` is the synchronous data structure with the sequence checks;
:class:`LocalOrderBook` is the asyncio orchestrator that buffers, fetches snapshots (one at a
time) and resyncs on gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sortedcontainers import SortedDict

from ._errors import BinanceUSError
from ._models import DepthSnapshot
from ._time import from_ms

__all__ = [
    "BookNotSynced",
    "LocalOrderBook",
    "OrderBook",
    "OrderBookError",
    "SequenceGap",
]

logger = logging.getLogger("binanceus.orderbook")

Level = tuple[Decimal, Decimal]
_ZERO = Decimal(0)


class OrderBookError(BinanceUSError):
    """Base of the local order book's errors."""


class SequenceGap(OrderBookError):
    """A depth event does not continue the book's update-id sequence; the book is unsynced."""

    def __init__(self, symbol: str, last_update_id: int, first: int, final: int) -> None:
        super().__init__(
            f"{symbol}: depth sequence gap: book at {last_update_id}, event U={first} u={final}"
        )
        self.symbol = symbol
        self.last_update_id = last_update_id
        self.first_update_id = first
        self.final_update_id = final


class BookNotSynced(OrderBookError):
    """A diff was applied to a book that has no valid snapshot."""


class OrderBook:
    """Price levels for one symbol: bids and asks in sorted dicts (O(log n) updates, no sort
    on read). Keys and values are :class:`~decimal.Decimal`."""

    __slots__ = (
        "_asks",
        "_bids",
        "_expect_first",
        "_prices",
        "last_update_id",
        "symbol",
        "synced",
    )

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._bids: SortedDict = SortedDict()
        self._asks: SortedDict = SortedDict()
        # price string -> Decimal: prices repeat constantly, parsing them once saves ~1/3.
        self._prices: dict[str, Decimal] = {}
        self.last_update_id = 0
        self.synced = False
        self._expect_first = False

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.symbol!r}, synced={self.synced}, "
            f"last_update_id={self.last_update_id}, bids={len(self._bids)}, "
            f"asks={len(self._asks)})"
        )

    def clear(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self.last_update_id = 0
        self.synced = False
        self._expect_first = False

    def apply_snapshot(self, snapshot: DepthSnapshot) -> None:
        """Replace the book's content with a REST depth snapshot."""
        self._bids = SortedDict({p: (q, str(p), str(q)) for p, q in snapshot.bids if q != _ZERO})
        self._asks = SortedDict({p: (q, str(p), str(q)) for p, q in snapshot.asks if q != _ZERO})
        self._prices.clear()
        self.last_update_id = snapshot.last_update_id
        self.synced = True
        self._expect_first = True

    def apply_diff(self, event: Mapping[str, Any]) -> bool:
        """Apply one ``depthUpdate`` payload.

        Returns ``False`` if the event is stale (``u <= last_update_id``) and was dropped,
        ``True`` if it was applied. Raises :class:`SequenceGap` (and marks the book unsynced)
        if it does not continue the sequence, :class:`BookNotSynced` if there is no snapshot.
        """
        if not self.synced:
            raise BookNotSynced(f"{self.symbol}: apply a snapshot first")
        first = int(event["U"])
        final = int(event["u"])
        last = self.last_update_id
        if final <= last:
            return False
        if (first > last + 1) if self._expect_first else (first != last + 1):
            self.synced = False
            raise SequenceGap(self.symbol, last, first, final)
        prices = self._prices
        if len(prices) > 100_000:
            prices.clear()
        for side, rows in ((self._bids, event.get("b")), (self._asks, event.get("a"))):
            if not rows:
                continue
            for p_str, q_str in rows:
                price = prices.get(p_str)
                if price is None:
                    price = prices[p_str] = Decimal(p_str)
                qty = Decimal(q_str)
                if qty == _ZERO:
                    side.pop(price, None)
                else:
                    side[price] = (qty, p_str, q_str)
        self.last_update_id = final
        self._expect_first = False
        return True

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        """The best ``n`` levels: bids descending, asks ascending."""
        bids = self._bids
        asks = self._asks
        start = max(0, len(bids) - n)
        top_bids = [(p, bids[p][0]) for p in bids.islice(start, None, reverse=True)]
        top_asks = [(p, asks[p][0]) for p in asks.islice(0, n)]
        return top_bids, top_asks

    def top_wire(self, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Like :meth:`top` but as the exchange's own ``(price, qty)`` strings, ready to
        re-encode as JSON without formatting a single Decimal."""
        bids = self._bids
        asks = self._asks
        start = max(0, len(bids) - n)
        top_bids = [bids[p][1:] for p in bids.islice(start, None, reverse=True)]
        top_asks = [asks[p][1:] for p in asks.islice(0, n)]
        return top_bids, top_asks

    def best_bid(self) -> Level | None:
        if not self._bids:
            return None
        price, value = self._bids.peekitem(-1)
        return price, value[0]

    def best_ask(self) -> Level | None:
        if not self._asks:
            return None
        price, value = self._asks.peekitem(0)
        return price, value[0]

    @property
    def bids(self) -> list[Level]:
        """All bid levels, descending."""
        return self.top(len(self._bids))[0]

    @property
    def asks(self) -> list[Level]:
        """All ask levels, ascending."""
        return self.top(len(self._asks))[1]

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)


BookState = Literal["syncing", "live", "resyncing"]


class LocalOrderBook:
    """Keeps an :class:`OrderBook` live from a diff stream plus REST snapshots.

    Feed it every ``depthUpdate`` payload of the symbol in stream order with :meth:`feed`.
    While ``state`` is ``"syncing"`` or ``"resyncing"`` events are buffered and one snapshot
    fetch at a time runs in the background; once the snapshot and the buffer line up the state
    becomes ``"live"``. A gap switches to ``"resyncing"`` and starts fetching a new snapshot
    right away (in the same event-loop iteration; no back-off before the first fetch). After a
    stream reconnect call :meth:`reset`.

    Health: ``state``, ``gaps`` (sequence gaps seen), ``snapshots_fetched``,
    ``last_update_id`` (of the book; 0 before the first snapshot) and ``last_event_at`` (the
    last fed event's time ``E`` as an aware UTC datetime, or the local receive time).
    """

    def __init__(
        self,
        symbol: str,
        fetch_snapshot: Callable[[], Awaitable[DepthSnapshot]],
        *,
        max_buffer: int = 10_000,
        retry_delay: float = 0.25,
        max_retry_delay: float = 5.0,
    ) -> None:
        self.symbol = symbol
        self.book = OrderBook(symbol)
        self._fetch_snapshot = fetch_snapshot
        self._buffer: deque[Mapping[str, Any]] = deque(maxlen=max_buffer)
        self._fetch_task: asyncio.Task[None] | None = None
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._changed_since_feed = False
        self._live = asyncio.Event()
        self.state: BookState = "syncing"
        self.snapshots_fetched = 0
        self.gaps = 0
        self._last_event_ms: int | None = None
        self.last_resync_started: float | None = None
        """``time.monotonic()`` when the last (re)sync fetch was started."""

    @property
    def last_update_id(self) -> int:
        return self.book.last_update_id

    @property
    def last_event_at(self) -> datetime | None:
        ms = self._last_event_ms
        return None if ms is None else from_ms(ms)

    def __repr__(self) -> str:
        return f"LocalOrderBook({self.symbol!r}, state={self.state!r}, book={self.book!r})"

    @property
    def synced(self) -> bool:
        return self.state == "live"

    async def feed(self, event: Mapping[str, Any]) -> bool:
        """Process one diff; returns True when the visible book changed since the last feed."""
        changed = self._changed_since_feed
        self._changed_since_feed = False
        event_ms = event.get("E")
        self._last_event_ms = int(event_ms) if event_ms else time.time_ns() // 1_000_000
        if self.state == "live":
            try:
                return self.book.apply_diff(event) or changed
            except SequenceGap as gap:
                self.gaps += 1
                logger.warning("%s; resyncing", gap)
                self._go_resync("resyncing")
                self._buffer.append(event)
                self._ensure_fetch(restart=True)
                return changed
        self._buffer.append(event)
        self._ensure_fetch()
        return changed

    def reset(self) -> None:
        """Forget everything (call after the stream reconnected) and sync from scratch."""
        self._cancel_fetch()
        self._buffer.clear()
        self.book.clear()
        self._live.clear()
        self._changed_since_feed = False
        self.state = "syncing"

    async def wait_live(self, timeout: float | None = None) -> None:
        """Wait until the book is live (``asyncio.TimeoutError`` after ``timeout``)."""
        await asyncio.wait_for(self._live.wait(), timeout)

    async def aclose(self) -> None:
        task = self._fetch_task
        self._cancel_fetch()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        return self.book.top(n)

    # -- internals --------------------------------------------------------------------------

    def _go_resync(self, state: BookState) -> None:
        self.state = state
        self._live.clear()
        self.book.synced = False

    def _cancel_fetch(self) -> None:
        if self._fetch_task is not None and not self._fetch_task.done():
            self._fetch_task.cancel()
        self._fetch_task = None

    def _ensure_fetch(self, *, restart: bool = False) -> None:
        task = self._fetch_task
        if task is not None and not task.done():
            if not restart:
                return
            task.cancel()  # a fetch that started before the gap cannot resolve it
        self.last_resync_started = time.monotonic()
        self._fetch_task = asyncio.get_running_loop().create_task(
            self._sync(), name=f"binanceus-book-{self.symbol}"
        )

    async def _sync(self) -> None:
        delay = self._retry_delay
        while self.state != "live":
            try:
                snapshot = await self._fetch_snapshot()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("%s: snapshot fetch failed: %r", self.symbol, exc)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._max_retry_delay)
                continue
            self.snapshots_fetched += 1
            if self._try_go_live(snapshot):
                return
            # The snapshot is older than the buffered stream (or the buffer has a hole):
            # fetch a newer one.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._max_retry_delay)

    def _try_go_live(self, snapshot: DepthSnapshot) -> bool:
        buffered = self._buffer
        if buffered and int(buffered[0]["U"]) > snapshot.last_update_id + 1:
            # The buffer starts after the snapshot: events in between are missing.
            # (With a maxlen buffer the oldest events may have been evicted.)
            return False
        self.book.apply_snapshot(snapshot)
        try:
            while buffered:
                self.book.apply_diff(buffered[0])
                buffered.popleft()
        except SequenceGap as gap:
            self.gaps += 1
            logger.warning("%s while draining the buffer; refetching", gap)
            self.book.synced = False
            return False
        self.state = "live"
        self._changed_since_feed = True
        self._live.set()
        return True
