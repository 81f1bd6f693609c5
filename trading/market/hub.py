"""The stream process: upstream market-data sockets, local books, fan-out to browsers.

    exchange ──ws──▶ MarketHub ──(book ≤10/s, encoded once)──▶ channel layer ──▶ fan-out / consumers
                        ▲  snapshots over REST          │ cache of the last messages (Redis)
                        └──────── watcher entries (Redis, refreshed by the sockets' servers)

For every symbol at least one page watches, the hub subscribes to its diff depth, trades, 24h
ticker and 1-minute klines, and drops them when the last watcher leaves; the markets overview
adds the all-symbols mini-ticker stream. Book updates are limited by a sliding window: an update
goes out at once unless ``max_books_per_second`` already went out in the last second, in which
case the latest state goes out as soon as the window allows. The exchange's own 100 ms cadence
(with its jitter) therefore passes without added delay, while bursts are held to 10 a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from redis.exceptions import RedisError

import binanceus
from trading.leases import Leases, redis_epoch
from trading.market import keys
from trading.market.watchers import watched_symbols

log = logging.getLogger(__name__)

RECENT_TRADES = 50
CACHE_TTL_SECONDS = 120
# A quiet book is re-sent this often: pages see it is still live, and socket servers refresh their
# watcher entries (see trading.market.watchers) off this traffic.
HEARTBEAT_SECONDS = 10.0
MINI_TICKERS = "!miniTicker@arr"
# For this long after Redis was last out of reach, a symbol no page watches is kept anyway.
REWATCH_SECONDS = 3.0


@dataclass
class SymbolFeed:
    symbol: str
    book: binanceus.LocalOrderBook
    recent_trades: deque = field(default_factory=lambda: deque(maxlen=RECENT_TRADES))
    pending_trades: list = field(default_factory=list)
    pending: dict = field(default_factory=dict)  # latest ticker / kline message by type
    book_dirty: bool = True
    last_event_at: float = 0.0
    last_exchange_time: int = 0  # the exchange's event time (E, ms) of the last depth event
    last_book_sent_at: float = 0.0
    book_sends: deque = field(default_factory=deque)  # send times within the last second


def _streams_for(symbol: str) -> list[str]:
    s = symbol.lower()
    return [f"{s}@depth@100ms", f"{s}@trade", f"{s}@ticker", f"{s}@kline_1m"]


def _symbol_of(stream_name: str) -> str:
    return stream_name.split("@", 1)[0].upper()


def _trade_row(d: dict) -> dict:
    return {"id": d["t"], "price": d["p"], "qty": d["q"], "time": d["T"], "buyerMaker": d["m"]}


def _ticker_message(symbol: str, d: dict) -> dict:
    return {
        "type": "ticker",
        "symbol": symbol,
        "lastPrice": d["c"],
        "priceChange": d["p"],
        "priceChangePercent": d["P"],
        "openPrice": d["o"],
        "highPrice": d["h"],
        "lowPrice": d["l"],
        "volume": d["v"],
        "quoteVolume": d["q"],
        "eventTime": d["E"],
    }


def _kline_message(symbol: str, d: dict) -> dict:
    k = d["k"]
    return {
        "type": "kline",
        "symbol": symbol,
        "interval": k["i"],
        "t": k["t"],
        "o": k["o"],
        "h": k["h"],
        "l": k["l"],
        "c": k["c"],
        "v": k["v"],
        "closed": k["x"],
    }


def _mini_ticker_row(d: dict) -> dict:
    return {
        "symbol": d["s"],
        "close": d["c"],
        "open": d["o"],
        "high": d["h"],
        "low": d["l"],
        "volume": d["v"],
        "quoteVolume": d["q"],
        "eventTime": d["E"],
    }


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


class MarketHub:
    def __init__(
        self,
        *,
        ws_url: str,
        fetch_snapshot: Callable[[str], Awaitable[binanceus.DepthSnapshot]],
        redis,
        channel_layer,
        precisions: dict[str, dict[str, int]] | None = None,
        depth: int = 50,
        publish_interval: float = 0.1,
        max_books_per_second: int = 10,
        reconcile_interval: float = 0.5,
        leases: Leases | None = None,
    ):
        self.ws_url = ws_url
        self.fetch_snapshot = fetch_snapshot
        self.redis = redis
        self.layer = channel_layer
        # Also the set of symbols the exchange lists: nothing else is ever subscribed upstream.
        self.precisions = precisions
        self.depth = depth
        self.publish_interval = publish_interval
        self.max_books_per_second = max_books_per_second
        self.reconcile_interval = reconcile_interval
        # Shared with other stream processes (see trading.leases); None holds every symbol.
        self.leases = leases
        # The process's other work, reported with its health: {kind: what it works on now}.
        self.also_held: dict[str, Callable[[], list]] = {}
        self.feeds: dict[str, SymbolFeed] = {}
        self.redis_lost_at = -math.inf  # monotonic: when Redis last could not be reached
        self.redis_epoch: bytes | None = None  # the Redis run it last read (trading.leases)
        self.mini_tickers: dict[str, dict] = {}
        self.pending_minis: dict[str, dict] = {}
        self.overview = False
        self.stream: binanceus.MarketStream | None = None
        self.started_at = time.time()
        self.upstream = {
            "connectedSince": None,
            "reconnects": 0,
            "messages": 0,
            "lastMessageAt": None,
        }

    async def run(self) -> None:
        # A pool: at most 1024 streams per upstream socket (the exchange's limit), more sockets
        # as more symbols are watched; each rolls over before the 24-hour disconnect.
        self.stream = binanceus.MarketStreamPool(self.ws_url)
        # A new pool has no subscriptions: after a crash every held symbol starts over.
        self.feeds.clear()
        self.overview = False
        async with self.stream, asyncio.TaskGroup() as tg:
            tg.create_task(self._every(self.reconcile_interval, self.reconcile))
            tg.create_task(self._every(self.publish_interval / 5, self.publish))
            tg.create_task(self._every(1.0, self.write_health))
            tg.create_task(self._consume())
            if self.leases is not None:
                tg.create_task(self.leases.keep_alive())

    async def _every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await job()
            except Exception:
                log.exception("%s failed", job.__name__)
            await asyncio.sleep(seconds)

    # --- watchers -> subscriptions ------------------------------------------------------------
    async def reconcile(self) -> None:
        wanted = await self._watched()
        if wanted is None:
            # Redis is back but empty, and the socket servers make their watchers again within
            # a second or two: meanwhile everything held stays held (keep_alive renews the
            # leases), or books would start over and a fair share taken of too little.
            return
        if self.leases is not None:
            wanted = await self.leases.share(wanted)
        overview = keys.OVERVIEW_WATCH in wanted
        wanted.discard(keys.OVERVIEW_WATCH)
        added, removed = wanted - self.feeds.keys(), self.feeds.keys() - wanted
        subscribe = [s for sym in sorted(added) for s in _streams_for(sym)]
        unsubscribe = [s for sym in sorted(removed) for s in _streams_for(sym)]
        if overview != self.overview:
            (subscribe if overview else unsubscribe).append(MINI_TICKERS)
            self.overview = overview
        for symbol in added:
            self.feeds[symbol] = SymbolFeed(symbol, self._new_book(symbol))
        if subscribe:
            await self.stream.subscribe(subscribe)
            log.info("subscribed %s", ", ".join(subscribe))
        if unsubscribe:
            await self.stream.unsubscribe(unsubscribe)
            for symbol in removed:
                del self.feeds[symbol]
            for symbol in removed:
                # No longer kept current: a page opening later must not be shown it as live.
                with contextlib.suppress(RedisError, OSError):
                    await self.redis.delete(*keys.cached_keys(symbol))
            log.info("unsubscribed %s", ", ".join(unsubscribe))
        if self.leases is not None:
            await self.leases.settle()  # only now: the next holder must not overlap with us

    async def _watched(self) -> set[str] | None:
        """The symbols (and the overview) pages watch that the exchange lists. Without Redis,
        what is held now: the leases decide how long that may go on. None for a while after
        Redis was out of reach, or restarted between two looks."""
        held = set(self.feeds) | ({keys.OVERVIEW_WATCH} if self.overview else set())
        try:
            epoch, _ = await redis_epoch(self.redis)
            wanted = await watched_symbols(self.redis)
        except (RedisError, OSError):
            self.redis_lost_at = time.monotonic()
            return held
        if self.redis_epoch is not None and epoch != self.redis_epoch:
            self.redis_lost_at = time.monotonic()
        self.redis_epoch = epoch
        if time.monotonic() - self.redis_lost_at < REWATCH_SECONDS:
            return None
        if self.precisions is not None:
            wanted &= self.precisions.keys() | {keys.OVERVIEW_WATCH}
        return wanted

    def _new_book(self, symbol: str) -> binanceus.LocalOrderBook:
        return binanceus.LocalOrderBook(symbol, lambda: self.fetch_snapshot(symbol))

    # --- upstream events ----------------------------------------------------------------------
    async def _consume(self) -> None:
        async for message in self.stream:
            if isinstance(message, binanceus.Reconnected):
                self.resync_after(message)
                continue
            try:
                await self.dispatch(message.stream, message.data)
            except (KeyError, TypeError, ValueError):
                # One malformed event must not take the other symbols down with it.
                log.exception("ignoring malformed %s event", message.stream)

    def resync_after(self, reconnected: binanceus.Reconnected) -> None:
        """Events may have been lost on the affected streams: their books start over."""
        symbols = {_symbol_of(s) for s in reconnected.streams} or set(self.feeds)
        log.warning("upstream reconnected; resyncing %s", ", ".join(sorted(symbols)) or "-")
        for symbol in symbols:
            feed = self.feeds.get(symbol)
            if feed is not None:
                feed.book.reset()
                feed.book_dirty = True

    async def dispatch(self, stream: str, data) -> None:
        if stream == MINI_TICKERS:
            self.handle_mini_tickers(data)
            return
        feed = self.feeds.get(_symbol_of(stream))
        if feed is not None:  # else an unsubscribe is in flight
            await self.handle(feed, stream, data)

    async def handle(self, feed: SymbolFeed, stream: str, data: dict) -> None:
        feed.last_event_at = time.time()
        kind = stream.split("@", 1)[1]
        if kind.startswith("depth"):
            feed.last_exchange_time = data.get("E", 0)
            before = feed.book.state
            changed = await feed.book.feed(data)  # may await a snapshot: pages come and go
            if self.feeds.get(feed.symbol) is not feed:
                return  # dropped meanwhile; its cached messages are already deleted
            if changed or feed.book.state != before:
                feed.book_dirty = True
                await self._send_book_if_due(feed)
        elif kind == "trade":
            row = _trade_row(data)
            feed.recent_trades.appendleft(row)
            feed.pending_trades.append(row)
        elif kind == "ticker":
            feed.pending["ticker"] = _ticker_message(feed.symbol, data)
        elif kind.startswith("kline_"):
            feed.pending["kline"] = _kline_message(feed.symbol, data)

    def handle_mini_tickers(self, rows: list[dict]) -> None:
        for d in rows:
            row = _mini_ticker_row(d)
            self.mini_tickers[row["symbol"]] = row
            self.pending_minis[row["symbol"]] = row

    # --- fan-out ------------------------------------------------------------------------------
    async def publish(self) -> None:
        # Every await below lets the other tasks run: the consumer adds to a feed's pending
        # messages, reconcile adds and drops feeds as pages open and close. So this loops over
        # snapshots only, and skips a feed dropped (or replaced) since the snapshot was taken.
        for feed in list(self.feeds.values()):
            if self.feeds.get(feed.symbol) is not feed:
                continue
            await self._send_book_if_due(feed)
            if feed.pending_trades:
                # The group gets only the new trades, newest first; the cache holds the whole
                # recent tape for pages that open later.
                batch = {
                    "type": "trades",
                    "symbol": feed.symbol,
                    "reset": False,
                    "precision": self._precision(feed.symbol),
                    "trades": feed.pending_trades[::-1],
                }
                feed.pending_trades = []
                tape = {**batch, "reset": True, "trades": list(feed.recent_trades)}
                await self._send(
                    keys.market_group(feed.symbol),
                    "market.trades",
                    batch,
                    cache_key=keys.trades_cache_key(feed.symbol),
                    cache=tape,
                )
            # Taken, not cleared afterwards: what arrives during the sends waits for the next
            # round instead of changing the dict under the loop (or being cleared unsent).
            pending, feed.pending = feed.pending, {}
            for kind, message in pending.items():
                await self._send(
                    keys.market_group(feed.symbol),
                    f"market.{kind}",
                    message,
                    cache_key=keys.cache_key(feed.symbol, kind),
                )
            if self.feeds.get(feed.symbol) is not feed:
                # Dropped while its own messages went out: what they cached is not kept current.
                await self.redis.delete(*keys.cached_keys(feed.symbol))
        if self.pending_minis:
            changed = {
                "type": "miniTickers",
                "reset": False,
                "tickers": list(self.pending_minis.values()),
            }
            self.pending_minis = {}
            full = {**changed, "reset": True, "tickers": list(self.mini_tickers.values())}
            await self._send(
                keys.OVERVIEW_GROUP,
                "market.minitickers",
                changed,
                cache_key=keys.OVERVIEW_CACHE_KEY,
                cache=full,
            )

    async def _send_book_if_due(self, feed: SymbolFeed) -> None:
        now = time.monotonic()
        sends = feed.book_sends
        while sends and now - sends[0] >= 1.0:
            sends.popleft()
        window_open = len(sends) < self.max_books_per_second
        if (feed.book_dirty and window_open) or now - feed.last_book_sent_at > HEARTBEAT_SECONDS:
            sends.append(now)
            feed.book_dirty = False
            feed.last_book_sent_at = now
            await self._send(
                keys.market_group(feed.symbol),
                "market.book",
                self.book_message(feed),
                cache_key=keys.book_cache_key(feed.symbol),
            )

    def _precision(self, symbol: str) -> dict | None:
        return (self.precisions or {}).get(symbol)

    def book_message(self, feed: SymbolFeed) -> dict:
        book = feed.book
        live = book.state == "live"
        # The exchange's own strings: no Decimal is formatted on this hot path; pages pad or
        # trim them to the symbol's precision as text.
        bids, asks = book.book.top_wire(self.depth) if live else ([], [])
        return {
            "type": "book",
            "symbol": feed.symbol,
            "state": book.state,
            "lastUpdateId": book.book.last_update_id if live else None,
            "bids": bids,
            "asks": asks,
            "precision": self._precision(feed.symbol),
            "eventTime": feed.last_exchange_time,
        }

    async def _send(
        self,
        group: str,
        event_type: str,
        message: dict,
        *,
        cache_key: str,
        cache: dict | None = None,
    ) -> None:
        """Encode once; every socket server forwards the same text."""
        text = orjson.dumps(message).decode()
        cached = text if cache is None else orjson.dumps(cache).decode()
        try:
            await self.layer.group_send(group, {"type": event_type, "text": text})
            await self.redis.set(cache_key, cached, ex=CACHE_TTL_SECONDS)
        except (RedisError, OSError) as exc:
            # Redis restarting: this update is lost (the next book replaces it whole), but the
            # hub keeps its exchange sockets and books rather than starting over.
            if time.monotonic() - self.redis_lost_at > REWATCH_SECONDS:
                log.warning("market hub: Redis unreachable (%s); updates dropped", exc)
            self.redis_lost_at = time.monotonic()

    # --- health -------------------------------------------------------------------------------
    def health(self) -> dict:
        now = time.time()
        stats = self.stream.stats().as_dict() if self.stream else {"sockets": []}
        return {
            "generatedAt": _iso(now),
            "uptimeSeconds": round(now - self.started_at),
            "upstream": [
                {
                    "url": sock["url"],
                    "connected": sock["connected"],
                    "connectedSince": sock["connectedSince"],
                    "subscriptions": sock["subscriptions"],
                    "reconnects": sock["reconnects"],
                    "rollovers": sock["rollovers"],
                    "messages": sock["messagesReceived"],
                    "lastMessageAt": sock["lastMessageAt"],
                }
                for sock in stats["sockets"]
            ],
            "streams": sorted(self.stream.subscriptions) if self.stream else [],
            "held": self.held(),
            "symbols": [
                self._symbol_health(f, now)
                for f in sorted(self.feeds.values(), key=lambda f: f.symbol)
            ],
        }

    def held(self) -> dict[str, list]:
        """What this process works on now, by kind (the items of its leases)."""
        market = sorted(self.feeds) + ([keys.OVERVIEW_WATCH] if self.overview else [])
        return {"market": market, **{kind: f() for kind, f in self.also_held.items()}}

    @staticmethod
    def _symbol_health(f: SymbolFeed, now: float) -> dict:
        live = f.book.state == "live"
        return {
            "symbol": f.symbol,
            "state": f.book.state,
            "lastUpdateId": f.book.last_update_id if live else None,
            "lastEventAgeMs": round((now - f.last_event_at) * 1000) if f.last_event_at else None,
            "resyncs": max(f.book.snapshots_fetched - 1, 0),
            "gaps": f.book.gaps,
            "snapshots": f.book.snapshots_fetched,
        }

    async def write_health(self) -> None:
        name = self.leases.holder if self.leases is not None else "local"
        pipe = self.redis.pipeline(transaction=False)
        keys.health_report(pipe, name, orjson.dumps(self.health()))
        await pipe.execute()


async def run_hub(hub: MarketHub) -> None:
    """Run until cancelled; a crashed upstream connection is rebuilt after a pause."""
    while True:
        try:
            await hub.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("market hub stopped; restarting in 2 s")
            with contextlib.suppress(Exception):
                await hub.write_health()
            await asyncio.sleep(2)
