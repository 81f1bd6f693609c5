from channels.generic.websocket import AsyncWebsocketConsumer

from trading.market import watchers
from trading.market.keys import SYMBOL_RE, market_group


class MarketConsumer(AsyncWebsocketConsumer):
    """Live book and trades of one symbol. Messages arrive pre-encoded from the stream process
    and are forwarded as they are: encoded once per update, not once per socket."""

    symbol: str | None = None

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        symbol = self.scope["url_route"]["kwargs"]["symbol"].upper()
        if not SYMBOL_RE.match(symbol):
            await self.close(code=4400)
            return
        self.symbol = symbol
        await self.channel_layer.group_add(market_group(symbol), self.channel_name)
        await self.accept()
        await watchers.watch(symbol)
        for text in await watchers.cached_messages(symbol):
            await self.send(text_data=text)

    async def disconnect(self, code):
        if self.symbol:
            await self.channel_layer.group_discard(market_group(self.symbol), self.channel_name)
            await watchers.unwatch(self.symbol)

    async def market_book(self, event):
        await self.send(text_data=event["text"])

    async def market_trades(self, event):
        await self.send(text_data=event["text"])
