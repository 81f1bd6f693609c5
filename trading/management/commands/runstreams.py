import asyncio
import contextlib
import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.exchange import market_client, market_ws_url
from trading.market.hub import MarketHub, run_hub
from trading.market.watchers import redis_client
from trading.selectors import market_symbols

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Hold the exchange market-data WebSockets and publish books and trades to browsers."

    def handle(self, *args, **options):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._main())

    async def _main(self) -> None:
        client = market_client()

        async def fetch_snapshot(symbol: str):
            return await asyncio.to_thread(client.depth, symbol, limit=1000)

        symbols = await asyncio.to_thread(market_symbols)
        hub = MarketHub(
            ws_url=market_ws_url(),
            fetch_snapshot=fetch_snapshot,
            redis=redis_client(),
            channel_layer=get_channel_layer(),
            known_symbols=set(symbols) or None,
            depth=settings.DESK_BOOK_DEPTH,
            publish_interval=settings.DESK_BOOK_PUBLISH_INTERVAL,
        )
        log.info("stream process: market data from %s", market_ws_url())
        await run_hub(hub)
