"""Stream fan-out: subscriptions, per-event serialization, depth batching, klines and tickers,
user streams, and the admin's stream faults.

The hub is the engine's `Listener`. Each event is serialized once (and wrapped for combined
streams at most once more), then queued on every subscribed connection; a writer task per
connection drains its queue so a slow client never stalls the engine.

Depth diffs: every level change carries the book's update id. Changes are accumulated in a
100 ms and a 1000 ms window per symbol regardless of subscribers, so consecutive events of a
stream always satisfy U == previous u + 1 and line up with GET /api/v3/depth's lastUpdateId
(unless the admin's depthGap fault drops a batch).

Klines and tickers are pushed once a second (1000 ms timer) to streams that have subscribers:
`<symbol>@kline_<interval>` sends the open bar (x false), and the bar it sent last once more
with x true when that bar's time is over; `!ticker@arr`-style arrays carry only the symbols
whose statistics changed since that array was last sent.

Faults (clock.Faults.streams, set through the admin API): depthGap drops the next diff batch(es)
of a symbol, streamDelayMs holds events back on each connection (order kept), streamDuplicate
sends events twice; `drop_market` closes market-stream connections outright.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import Iterable
from decimal import Decimal

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from . import events
from .accounts import Account
from .clock import Clock, Faults
from .engine import Engine
from .klines import INTERVALS, MINUTE, Bar, bucket
from .records import AggTrade, Fill, Order, OrderList, Trade
from .tape import Stats
from .userstream import ListenKeys

TICKER_WINDOWS = {"1h": 3_600_000, "4h": 4 * 3_600_000}  # <symbol>@ticker_<w>, !ticker_<w>@arr
DAY_MS = 86_400_000
STREAM_RE = re.compile(
    r"^(?P<sym>[a-z0-9]+)@(?P<kind>trade|aggTrade|bookTicker|depth(?:5|10|20)?(?:@100ms)?"
    r"|kline_(?:" + "|".join(INTERVALS) + r")|ticker|ticker_(?:1h|4h)|miniTicker)$"
)
ALL_MARKET = ("!ticker@arr", "!ticker_1h@arr", "!ticker_4h@arr", "!miniTicker@arr")
MAX_QUEUE = 20_000
PARTIAL_LEVELS = (5, 10, 20)


def stream_symbol(name: str) -> str | None:
    """BTCUSD for btcusd@trade; None for all-market arrays and listenKeys."""
    if name.startswith("!") or "@" not in name:
        return None
    return name.split("@", 1)[0].upper()


def is_market(name: str) -> bool:
    return "@" in name


class Conn:
    """One WebSocket client: its subscriptions, `combined` property and outgoing queue."""

    def __init__(
        self, ws: web.WebSocketResponse, combined: bool, request: web.Request | None = None
    ) -> None:
        self.ws = ws
        self.combined = combined
        self.request = request
        self.streams: dict[str, None] = {}  # insertion-ordered set
        self._queue: deque[tuple[float, bytes]] = deque()  # (send no earlier than, frame)
        self._wake = asyncio.Event()
        self.closed = False
        self.close_code: int = WSCloseCode.OK
        self.close_message = b""

    def push(self, data: bytes, delay_s: float = 0.0) -> None:
        if len(self._queue) >= MAX_QUEUE:
            self.close_soon()  # too slow to keep up; the exchange would drop it too
            return
        at = asyncio.get_running_loop().time() + delay_s if delay_s > 0 else 0.0
        self._queue.append((at, data))
        self._wake.set()

    def abort(self) -> None:
        """Cut the connection without a close handshake (a dropped network connection)."""
        self.close_soon()
        transport = self.request.transport if self.request is not None else None
        if transport is not None:
            transport.abort()

    def close_soon(self, code: int = WSCloseCode.OK, message: bytes = b"") -> None:
        if not self.closed:
            self.closed = True
            self.close_code, self.close_message = code, message
            self._wake.set()

    async def writer(self) -> None:
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                while self._queue and not self.ws.closed:
                    at, data = self._queue[0]
                    if at:
                        wait = at - asyncio.get_running_loop().time()
                        if wait > 0:  # a delayed event: everything behind it waits too
                            await asyncio.sleep(wait)
                            continue
                    self._queue.popleft()
                    await self.ws.send_frame(data, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            self.closed = True  # the peer went away mid-send; the reader side cleans up
        await self.ws.close(code=self.close_code, message=self.close_message)


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
    def __init__(
        self, engine: Engine, listen_keys: ListenKeys, clock: Clock, faults: Faults
    ) -> None:
        self.engine = engine
        self.listen_keys = listen_keys
        self.clock = clock
        self.faults = faults  # the Exchange's: stream faults are set through the admin API
        self.subs: dict[str, set[Conn]] = {}
        self.conns: set[Conn] = set()  # every open WebSocket connection
        self._fast = {s: _Window() for s in engine.books}
        self._slow = {s: _Window() for s in engine.books}
        self._tops: dict[str, tuple] = {}
        self._seq = 0
        self._kline_sent: dict[str, int] = {}  # kline stream -> open time of the bar sent last
        self._arr_sent: dict[str, dict[str, tuple]] = {}  # array stream -> symbol -> Stats.key

    # ---- subscriptions -------------------------------------------------------------------

    def valid_name(self, name: str) -> bool:
        if name in ALL_MARKET:
            return True
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
                self._kline_sent.pop(name, None)
                self._arr_sent.pop(name, None)

    def subscribers(self) -> dict[str, dict]:
        """{"market": {stream: open connections}, "user": {account id: open connections}}."""
        market: dict[str, int] = {}
        user: dict[str, set[Conn]] = {}
        for name, conns in self.subs.items():
            live = {c for c in conns if not c.closed}
            if not live:
                continue
            if is_market(name):
                market[name] = len(live)
            elif (acct := self.listen_keys.account_of(name)) is not None:
                user.setdefault(str(acct.account_id), set()).update(live)
        return {"market": market, "user": {a: len(c) for a, c in user.items()}}

    def drop(self, conn: Conn) -> None:
        for name in list(conn.streams):
            self.unsubscribe(conn, name)

    def close_stream(self, name: str) -> None:
        """Disconnect everyone on `name` (a closed or expired listenKey)."""
        for conn in list(self.subs.get(name, ())):
            conn.close_soon()

    def drop_market(self, symbol: str | None = None) -> int:
        """Cut every connection on a market stream (or on one of `symbol`'s streams only);
        without a symbol, connections with no subscription yet go too. Returns how many."""
        dropped = 0
        for conn in list(self.conns):
            if conn.closed:
                continue
            if symbol is None:
                hit = not conn.streams or any(is_market(s) for s in conn.streams)
            else:
                hit = any(stream_symbol(s) == symbol for s in conn.streams)
            if hit:
                conn.abort()
                dropped += 1
        return dropped

    def publish(self, name: str, payload: dict | list) -> None:
        conns = self.subs.get(name)
        if not conns:
            return
        raw = orjson.dumps(payload)
        delay_s, copies = 0.0, 1
        if self.faults.streams and is_market(name):
            symbol = stream_symbol(name)
            delay = self.faults.take_stream("streamDelayMs", symbol)
            if delay is not None:
                delay_s = delay.ms / 1000
            if self.faults.take_stream("streamDuplicate", symbol) is not None:
                copies = 2
        wrapped = None
        for conn in conns:
            if conn.combined:
                if wrapped is None:
                    wrapped = b'{"stream":' + orjson.dumps(name) + b',"data":' + raw + b"}"
                data = wrapped
            else:
                data = raw
            for _ in range(copies):
                conn.push(data, delay_s)

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

    def on_list_status(self, order_list: OrderList, time: int) -> None:
        if order_list.account.internal:
            return
        key = self.listen_keys.key_of(order_list.account)
        if key is not None and key in self.subs:
            self.publish(key, events.list_status(order_list, time))

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
        """Flush depth windows every 100 ms (and every 1000 ms); klines, tickers and listenKey
        expiry every 1000 ms."""
        loop = asyncio.get_running_loop()
        tick = 0
        next_at = loop.time()
        while True:
            next_at += 0.1
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            tick += 1
            slow = tick % 10 == 0
            for symbol in self.engine.books:
                self._depth_gap(symbol)
                self._flush(symbol, self._fast, "@100ms")
                self._partials(symbol, "@100ms")
                if slow:
                    self._flush(symbol, self._slow, "")
                    self._partials(symbol, "")
            if slow:
                now = self.clock.now_ms()
                self._klines(now)
                self._tickers(now)
                for key in self.listen_keys.expire_due():
                    self.close_stream(key)

    def _depth_gap(self, symbol: str) -> None:
        """depthGap fault: the pending diff batch of `symbol` is never sent (both speeds), so
        the next event's U skips the update ids it carried."""
        if not self._fast[symbol].first or "depthGap" not in self.faults.streams:
            return
        if self.faults.take_stream("depthGap", symbol) is not None:
            self._fast[symbol] = _Window()
            self._slow[symbol] = _Window()

    # ---- klines and tickers (1000 ms) ----------------------------------------------------

    def _klines(self, now: int) -> None:
        for name in [n for n in self.subs if "@kline_" in n]:
            sym, interval = name.split("@kline_")
            book = self.engine.books[sym.upper()]
            store = book.klines
            open_time, close_time = bucket(interval, now)
            live = store.live.get(interval)
            sent = self._kline_sent.get(name)
            if sent is not None and sent < open_time:  # the bar sent last is over: final form
                for entry in (live, store.closed.get(interval)):
                    if entry is not None and entry[0].open_time == sent:
                        self.publish(
                            name, events.kline(book.spec.symbol, interval, *entry, True, now)
                        )
                        break
            if live is not None and live[0].open_time == open_time:
                bar, bar_close = live
            else:  # nothing traded in this bar yet: flat at the last price
                last = store.last_close()
                bar, bar_close = (
                    Bar(open_time, book.spec.start_mid if last is None else last),
                    (close_time),
                )
            self.publish(name, events.kline(book.spec.symbol, interval, bar, bar_close, False, now))
            self._kline_sent[name] = open_time

    def _tickers(self, now: int) -> None:
        cache: dict[tuple[str, str], Stats] = {}

        def stats(symbol: str, window: str) -> Stats:
            got = cache.get((symbol, window))
            if got is None:
                tape = self.engine.books[symbol].tape
                if window == "24h":
                    got = tape.stats(now - DAY_MS, now)
                else:
                    start = now - TICKER_WINDOWS[window]
                    got = tape.stats(start - start % MINUTE, now)
                cache[(symbol, window)] = got
            return got

        for symbol, book in self.engine.books.items():
            low = book.spec.lower
            if f"{low}@ticker" in self.subs:
                self.publish(f"{low}@ticker", self._ticker_24h(symbol, stats(symbol, "24h"), now))
            if f"{low}@miniTicker" in self.subs:
                self.publish(
                    f"{low}@miniTicker", events.mini_ticker(symbol, stats(symbol, "24h"), now)
                )
            for window in TICKER_WINDOWS:
                name = f"{low}@ticker_{window}"
                if name in self.subs:
                    st = stats(symbol, window)
                    self.publish(name, events.ticker_window(symbol, window, st, now))
        for name in ALL_MARKET:
            if name not in self.subs:
                continue
            window = name[len("!ticker_") : -len("@arr")] if name.startswith("!ticker_") else "24h"
            sent = self._arr_sent.setdefault(name, {})
            rows = []
            for symbol in self.engine.books:
                st = stats(symbol, window)
                if sent.get(symbol) == st.key():
                    continue
                sent[symbol] = st.key()
                if name == "!miniTicker@arr":
                    rows.append(events.mini_ticker(symbol, st, now))
                elif name == "!ticker@arr":
                    rows.append(self._ticker_24h(symbol, st, now))
                else:
                    rows.append(events.ticker_window(symbol, window, st, now))
            if rows:
                self.publish(name, rows)

    def _ticker_24h(self, symbol: str, st: Stats, now: int) -> dict:
        book = self.engine.books[symbol]
        bid, ask = book.bids.best(), book.asks.best()
        return events.ticker_24h(
            symbol,
            st,
            (bid, book.bids.totals[bid]) if bid is not None else None,
            (ask, book.asks.totals[ask]) if ask is not None else None,
            now,
        )

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
