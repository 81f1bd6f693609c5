"""The stream process: one upstream market-data socket, local books, fan-out to browsers.

    exchange ──ws──▶ MarketHub ──(coalesced ≤10/s, encoded once)──▶ channel layer ──▶ consumers
                        ▲  snapshots over REST          │ cache of the last message (Redis)
                        └──────── watcher counts (Redis hash, set by consumers)

The hub subscribes to ``<symbol>@depth@100ms`` and ``<symbol>@trade`` for every symbol at least
one page watches, and unsubscribes when the last one leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson

import binanceus
from trading.market.keys import book_cache_key, market_group, trades_cache_key
from trading.market.watchers import watched_symbols

log = logging.getLogger(__name__)

RECENT_TRADES = 50
CACHE_TTL_SECONDS = 60
# A quiet book is re-sent this often: pages see it is still live, and consumers refresh their
# watcher entries (see trading.market.watchers) off this traffic.
HEARTBEAT_SECONDS = 10.0


@dataclass
class SymbolFeed:
    symbol: str
    book: binanceus.LocalOrderBook
    recent_trades: deque = field(default_factory=lambda: deque(maxlen=RECENT_TRADES))
    pending_trades: list = field(default_factory=list)
    book_dirty: bool = True
    last_event_at: float = 0.0
    last_book_sent_at: float = 0.0


def _streams_for(symbol: str) -> list[str]:
    s = symbol.lower()
    return [f"{s}@depth@100ms", f"{s}@trade"]


def _symbol_of(stream_name: str) -> str:
    return stream_name.split("@", 1)[0].upper()


def _trade_row(data: dict) -> dict:
    return {
        "id": data["t"],
        "price": data["p"],
        "qty": data["q"],
        "time": data["T"],
        "buyerMaker": data["m"],
    }


class MarketHub:
    def __init__(
        self,
        *,
        ws_url: str,
        fetch_snapshot: Callable[[str], Awaitable[binanceus.DepthSnapshot]],
        redis,
        channel_layer,
        precisions: dict[str, dict[str, int]] | None = None,
        depth: int = 20,
        publish_interval: float = 0.1,
        reconcile_interval: float = 0.5,
    ):
        self.ws_url = ws_url
        self.fetch_snapshot = fetch_snapshot
        self.redis = redis
        self.layer = channel_layer
        # Also the set of symbols the exchange lists: nothing else is ever subscribed upstream.
        self.precisions = precisions
        self.depth = depth
        self.publish_interval = publish_interval
        self.reconcile_interval = reconcile_interval
        self.feeds: dict[str, SymbolFeed] = {}
        self.stream: binanceus.MarketStream | None = None
        self.connected = False

    async def run(self) -> None:
        self.stream = binanceus.MarketStream(self.ws_url)
        async with self.stream:
            self.connected = True
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._reconcile_loop())
                tg.create_task(self._publish_loop())
                tg.create_task(self._consume())

    # --- watchers -> subscriptions ------------------------------------------------------------
    async def _reconcile_loop(self) -> None:
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconciling watched symbols failed")
            await asyncio.sleep(self.reconcile_interval)

    async def reconcile(self) -> None:
        wanted = await watched_symbols(self.redis)
        if self.precisions is not None:
            wanted &= self.precisions.keys()
        added, removed = wanted - self.feeds.keys(), self.feeds.keys() - wanted
        for symbol in added:
            self.feeds[symbol] = SymbolFeed(symbol, self._new_book(symbol))
        if added:
            await self.stream.subscribe([s for sym in sorted(added) for s in _streams_for(sym)])
            log.info("watching %s", ", ".join(sorted(added)))
        if removed:
            await self.stream.unsubscribe([s for sym in sorted(removed) for s in _streams_for(sym)])
            for symbol in removed:
                del self.feeds[symbol]
            log.info("stopped watching %s", ", ".join(sorted(removed)))

    def _new_book(self, symbol: str) -> binanceus.LocalOrderBook:
        return binanceus.LocalOrderBook(symbol, lambda: self.fetch_snapshot(symbol))

    # --- upstream events ----------------------------------------------------------------------
    async def _consume(self) -> None:
        async for message in self.stream:
            if isinstance(message, binanceus.Reconnected):
                log.warning("upstream reconnected; resyncing %d books", len(self.feeds))
                for feed in self.feeds.values():
                    feed.book.reset()
                    feed.book_dirty = True
                continue
            feed = self.feeds.get(_symbol_of(message.stream))
            if feed is None:
                continue  # an unsubscribe in flight
            await self.handle(feed, message.stream, message.data)

    async def handle(self, feed: SymbolFeed, stream: str, data: dict) -> None:
        feed.last_event_at = time.time()
        if "@depth" in stream:
            before = feed.book.state
            changed = await feed.book.feed(data)
            feed.book_dirty |= changed or feed.book.state != before
        elif stream.endswith("@trade"):
            row = _trade_row(data)
            feed.recent_trades.appendleft(row)
            feed.pending_trades.append(row)

    # --- fan-out ------------------------------------------------------------------------------
    async def _publish_loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.publish()
            except Exception:
                log.exception("publishing market updates failed")
            await asyncio.sleep(max(0.0, self.publish_interval - (time.monotonic() - started)))

    async def publish(self) -> None:
        for feed in list(self.feeds.values()):
            now = time.monotonic()
            if feed.book_dirty or now - feed.last_book_sent_at > HEARTBEAT_SECONDS:
                feed.book_dirty = False
                feed.last_book_sent_at = now
                message = self.book_message(feed)
                await self._send(feed.symbol, "market.book", message, cache=message)
            if feed.pending_trades:
                # The group gets only the new trades, newest first; the cache holds the whole
                # recent tape for pages that open later.
                batch = {
                    "type": "trades",
                    "symbol": feed.symbol,
                    "reset": False,
                    "trades": feed.pending_trades[::-1],
                }
                feed.pending_trades = []
                tape = {**batch, "reset": True, "trades": list(feed.recent_trades)}
                await self._send(feed.symbol, "market.trades", batch, cache=tape)

    def book_message(self, feed: SymbolFeed) -> dict:
        book = feed.book
        live = book.state == "live"
        # The exchange's own strings: no Decimal is formatted on this hot path; the page pads
        # or trims them to the symbol's precision as text.
        bids, asks = book.book.top_wire(self.depth) if live else ([], [])
        return {
            "type": "book",
            "symbol": feed.symbol,
            "state": book.state,
            "lastUpdateId": book.book.last_update_id if live else None,
            "bids": bids,
            "asks": asks,
            "precision": (self.precisions or {}).get(feed.symbol),
            "eventTime": int(feed.last_event_at * 1000),
        }

    async def _send(self, symbol: str, event_type: str, message: dict, *, cache: dict) -> None:
        """Encode once; every consumer forwards the same text."""
        text = orjson.dumps(message).decode()
        await self.layer.group_send(market_group(symbol), {"type": event_type, "text": text})
        key = book_cache_key(symbol) if message["type"] == "book" else trades_cache_key(symbol)
        cached = text if cache is message else orjson.dumps(cache).decode()
        await self.redis.set(key, cached, ex=CACHE_TTL_SECONDS)


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
                await hub.redis.ping()
            await asyncio.sleep(2)
