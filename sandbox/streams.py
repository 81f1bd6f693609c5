"""Stream fan-out: subscriptions, per-event serialization, depth batching, user streams.

The hub is the engine's `Listener`. Each event is serialized once (and wrapped for combined
streams at most once more), then queued on every subscribed connection; a writer task per
connection drains its queue so a slow client never stalls the engine.

Depth diffs: every level change carries the book's update id. Changes are accumulated in a
100 ms and a 1000 ms window per symbol regardless of subscribers, so consecutive events of a
stream always satisfy U == previous u + 1 and line up with GET /api/v3/depth's lastUpdateId.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import Iterable
from decimal import Decimal

import orjson
from aiohttp import WSMsgType, web

from . import events
from .accounts import Account
from .clock import Clock
from .engine import AggTrade, Engine, Fill, Order, Trade
from .userstream import ListenKeys

STREAM_RE = re.compile(
    r"^(?P<sym>[a-z0-9]+)@(?P<kind>trade|aggTrade|bookTicker|depth(?:5|10|20)?(?:@100ms)?)$"
)
MAX_QUEUE = 20_000
PARTIAL_LEVELS = (5, 10, 20)


class Conn:
    """One WebSocket client: its subscriptions, `combined` property and outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse, combined: bool) -> None:
        self.ws = ws
        self.combined = combined
        self.streams: dict[str, None] = {}  # insertion-ordered set
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self.closed = False

    def push(self, data: bytes) -> None:
        if len(self._queue) >= MAX_QUEUE:
            self.close_soon()  # too slow to keep up; the exchange would drop it too
            return
        self._queue.append(data)
        self._wake.set()

    def close_soon(self) -> None:
        if not self.closed:
            self.closed = True
            self._wake.set()

    async def writer(self) -> None:
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while self._queue and not self.ws.closed:
                    await self.ws.send_frame(self._queue.popleft(), WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            self.closed = True  # the peer went away mid-send; the reader side cleans up
        await self.ws.close()


class _Window:
    """Book changes of one symbol in one batching window: first/last update id, levels."""

    __slots__ = ("asks", "bids", "first", "last")

    def __init__(self) -> None:
        self.first = 0
        self.last = 0
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def add(self, update_id: int, is_bid: bool, price: Decimal, qty: Decimal) -> None:
        if not self.first:
            self.first = update_id
        self.last = update_id
        (self.bids if is_bid else self.asks)[price] = qty


class StreamHub:
    def __init__(self, engine: Engine, listen_keys: ListenKeys, clock: Clock) -> None:
        self.engine = engine
        self.listen_keys = listen_keys
        self.clock = clock
        self.subs: dict[str, set[Conn]] = {}
        self._fast = {s: _Window() for s in engine.books}
        self._slow = {s: _Window() for s in engine.books}
        self._tops: dict[str, tuple] = {}
        self._seq = 0

    # ---- subscriptions -------------------------------------------------------------------

    def valid_name(self, name: str) -> bool:
        m = STREAM_RE.match(name)
        if m:
            return m.group("sym").upper() in self.engine.books
        return self.listen_keys.account_of(name) is not None

    def subscribe(self, conn: Conn, name: str) -> None:
        conn.streams[name] = None
        self.subs.setdefault(name, set()).add(conn)

    def unsubscribe(self, conn: Conn, name: str) -> None:
        conn.streams.pop(name, None)
        conns = self.subs.get(name)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.subs[name]

    def drop(self, conn: Conn) -> None:
        for name in list(conn.streams):
            self.unsubscribe(conn, name)

    def close_stream(self, name: str) -> None:
        """Disconnect everyone on `name` (a closed or expired listenKey)."""
        for conn in list(self.subs.get(name, ())):
            conn.close_soon()

    def publish(self, name: str, payload: dict) -> None:
        conns = self.subs.get(name)
        if not conns:
            return
        raw = orjson.dumps(payload)
        wrapped = None
        for conn in conns:
            if conn.combined:
                if wrapped is None:
                    wrapped = b'{"stream":' + orjson.dumps(name) + b',"data":' + raw + b"}"
                conn.push(wrapped)
            else:
                conn.push(raw)

    # ---- engine listener -------------------------------------------------------------------

    def on_level(
        self, symbol: str, update_id: int, is_bid: bool, price: Decimal, qty: Decimal
    ) -> None:
        self._fast[symbol].add(update_id, is_bid, price, qty)
        self._slow[symbol].add(update_id, is_bid, price, qty)
        self._book_ticker(symbol, update_id)

    def _book_ticker(self, symbol: str, update_id: int) -> None:
        book = self.engine.books[symbol]
        bid, ask = book.bids.best(), book.asks.best()
        top = (
            bid,
            bid is not None and book.bids.totals[bid],
            ask,
            ask is not None and book.asks.totals[ask],
        )
        if self._tops.get(symbol) == top:
            return
        self._tops[symbol] = top
        name = f"{book.spec.lower}@bookTicker"
        if name in self.subs:
            bid_row = (bid, book.bids.totals[bid]) if bid is not None else None
            ask_row = (ask, book.asks.totals[ask]) if ask is not None else None
            self.publish(name, events.book_ticker(symbol, update_id, bid_row, ask_row))

    def on_trade(self, symbol: str, trade: Trade) -> None:
        name = f"{symbol.lower()}@trade"
        if name in self.subs:
            self.publish(name, events.trade(symbol, trade, self.clock.now_ms()))

    def on_agg_trade(self, symbol: str, agg: AggTrade) -> None:
        name = f"{symbol.lower()}@aggTrade"
        if name in self.subs:
            self.publish(name, events.agg_trade(symbol, agg, self.clock.now_ms()))

    def on_order(self, order: Order, exec_type: str, fill: Fill | None, time: int) -> None:
        if order.account.internal:
            return
        key = self.listen_keys.key_of(order.account)
        if key is not None and key in self.subs:
            self._seq += 1
            self.publish(key, events.execution_report(order, exec_type, fill, time, self._seq))

    def on_balances(self, account: Account, assets: Iterable[str], time: int) -> None:
        if account.internal:
            return
        key = self.listen_keys.key_of(account)
        if key is not None and key in self.subs:
            self.publish(key, events.account_position(account, assets, time))

    def on_deposit(self, account: Account, asset: str, amount: Decimal) -> None:
        key = self.listen_keys.key_of(account)
        if key is not None and key in self.subs:
            now = self.clock.now_ms()
            self.publish(key, events.balance_update(asset, amount, now))
            self.publish(key, events.account_position(account, [asset], now))

    # ---- timers --------------------------------------------------------------------------

    async def run(self) -> None:
        """Flush depth windows every 100 ms (and every 1000 ms); expire listenKeys."""
        loop = asyncio.get_running_loop()
        tick = 0
        next_at = loop.time()
        while True:
            next_at += 0.1
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            tick += 1
            slow = tick % 10 == 0
            for symbol in self.engine.books:
                self._flush(symbol, self._fast, "@100ms")
                self._partials(symbol, "@100ms")
                if slow:
                    self._flush(symbol, self._slow, "")
                    self._partials(symbol, "")
            if slow:
                for key in self.listen_keys.expire_due():
                    self.close_stream(key)

    def _flush(self, symbol: str, windows: dict[str, _Window], suffix: str) -> None:
        window = windows[symbol]
        if not window.first:
            return
        windows[symbol] = _Window()
        name = f"{symbol.lower()}@depth{suffix}"
        if name in self.subs:
            now = self.clock.now_ms()
            self.publish(
                name,
                events.depth_update(
                    symbol, window.first, window.last, window.bids, window.asks, now
                ),
            )

    def _partials(self, symbol: str, suffix: str) -> None:
        book = self.engine.books[symbol]
        for n in PARTIAL_LEVELS:
            name = f"{book.spec.lower}@depth{n}{suffix}"
            if name in self.subs:
                self.publish(
                    name, events.partial_depth(book.update_id, book.bids.top(n), book.asks.top(n))
                )


async def cancel_task(task: asyncio.Task | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
