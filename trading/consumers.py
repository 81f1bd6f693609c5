import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.twofactor import session_is_verified
from trading.market import watchers
from trading.market.keys import SYMBOL_RE, market_group


class MarketConsumer(AsyncWebsocketConsumer):
    """Live book and trades of one symbol. Messages arrive pre-encoded from the stream process
    and are forwarded as they are: encoded once per update, not once per socket."""

    symbol: str | None = None
    refreshed_at = 0.0

    async def connect(self):
        if not await database_sync_to_async(session_is_verified)(
            user=self.scope["user"], session=self.scope["session"]
        ):
            await self.close(code=4401)
            return
        symbol = self.scope["url_route"]["kwargs"]["symbol"].upper()
        if not SYMBOL_RE.match(symbol):
            await self.close(code=4400)
            return
        self.symbol = symbol
        await self.channel_layer.group_add(market_group(symbol), self.channel_name)
        await self.accept()
        await self._refresh_watch()
        for text in await watchers.cached_messages(symbol):
            await self.send(text_data=text)

    async def disconnect(self, code):
        if self.symbol:
            await self.channel_layer.group_discard(market_group(self.symbol), self.channel_name)
            await watchers.unwatch(self.symbol, self.channel_name)

    async def market_book(self, event):
        await self.send(text_data=event["text"])
        if time.monotonic() - self.refreshed_at > watchers.REFRESH_EVERY_SECONDS:
            await self._refresh_watch()

    async def market_trades(self, event):
        await self.send(text_data=event["text"])

    async def _refresh_watch(self) -> None:
        self.refreshed_at = time.monotonic()
        await watchers.watch(self.symbol, self.channel_name)
