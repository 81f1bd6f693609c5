"""Market data over daphne (the fallback when no fan-out server is configured).

Messages arrive pre-encoded from the stream process and are forwarded as they are: encoded once
per update, not once per socket. `trading.fanout` serves the same routes faster.
"""

import contextlib
import time

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.twofactor import session_is_verified
from desk.sockets import ClosesWhenRedisIsLost
from trading.market import keys, watchers


class _MarketDataConsumer(ClosesWhenRedisIsLost, AsyncWebsocketConsumer):
    watch_name: str | None = None
    group: str | None = None
    refreshed_at = 0.0

    async def send(self, text_data=None, bytes_data=None, close=False):
        # As for the connection socket: the page may be left between our accept and a message
        # (a quick navigation); daphne raises on the closed socket and disconnect() follows.
        with contextlib.suppress(Disconnected):
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def connect(self):
        if not await database_sync_to_async(session_is_verified)(
            user=self.scope["user"], session=self.scope["session"]
        ):
            await self.close(code=4401)
            return
        target = self.target()
        if target is None:
            await self.close(code=4400)
            return
        self.watch_name, self.group = target
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._refresh_watch()
        for text in await watchers.cached_messages(self.watch_name):
            await self.send(text_data=text)

    def target(self) -> tuple[str, str] | None:
        raise NotImplementedError

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await watchers.unwatch(self.watch_name, self.channel_name)

    async def _forward(self, event):
        await self.send(text_data=event["text"])
        if time.monotonic() - self.refreshed_at > watchers.REFRESH_EVERY_SECONDS:
            await self._refresh_watch()

    async def _refresh_watch(self) -> None:
        self.refreshed_at = time.monotonic()
        await watchers.watch(self.watch_name, self.channel_name)


class MarketConsumer(_MarketDataConsumer):
    """Live book, trades, 24h ticker and 1m klines of one symbol."""

    def target(self):
        symbol = self.scope["url_route"]["kwargs"]["symbol"].upper()
        return (symbol, keys.market_group(symbol)) if keys.SYMBOL_RE.match(symbol) else None

    async def market_book(self, event):
        await self._forward(event)

    async def market_trades(self, event):
        await self._forward(event)

    async def market_ticker(self, event):
        await self._forward(event)

    async def market_kline(self, event):
        await self._forward(event)


class MarketsOverviewConsumer(_MarketDataConsumer):
    """Every symbol's mini ticker, for the markets overview page."""

    def target(self):
        return keys.OVERVIEW_WATCH, keys.OVERVIEW_GROUP

    async def market_minitickers(self, event):
        await self._forward(event)
