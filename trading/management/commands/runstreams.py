import asyncio
import contextlib
import logging
import signal

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import realtime
from accounts.exchange import market_client, market_ws_url
from trading.leases import Leases, holder_name
from trading.market.hub import MarketHub, run_hub
from trading.market.watchers import redis_client
from trading.orders.loops import HeldConnections
from trading.orders.streams import UserDataStreams
from trading.orders.wsapi import WsApiSessions
from trading.selectors import market_symbol_precisions

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Hold the exchange market-data WebSockets and publish books and trades to browsers; "
        "follow every active connection's user data stream (orders, fills, balances) and hold its "
        "WebSocket API session (its orders go through it)."
    )

    def handle(self, *args, **options):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._main())

    async def _main(self) -> None:
        client = market_client()

        async def fetch_snapshot(symbol: str):
            return await asyncio.to_thread(client.depth, symbol, limit=1000)

        # Under `make run` the sandbox starts beside us: wait for it rather than run blind.
        while not (precisions := await asyncio.to_thread(market_symbol_precisions)):
            log.info("waiting for the exchange's exchangeInfo…")
            await asyncio.sleep(1)
        # Any number of stream processes share the work (trading.leases): each symbol, user data
        # stream and WebSocket API session is held by exactly one of them.
        holder = holder_name()
        redis = redis_client()

        def leases(kind: str) -> Leases:
            return Leases(redis, kind, holder=holder)

        hub = MarketHub(
            ws_url=market_ws_url(),
            fetch_snapshot=fetch_snapshot,
            redis=redis,
            channel_layer=get_channel_layer(),
            precisions=precisions,
            depth=settings.DESK_BOOK_DEPTH,
            publish_interval=settings.DESK_BOOK_PUBLISH_INTERVAL,
            leases=leases("market"),
        )
        log.info("stream process %s: market data from %s", holder, market_ws_url())
        # SIGTERM (honcho, systemd) cancels the hub like Ctrl-C does, so sockets close cleanly.
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        # Each trading connection's user data stream and WebSocket API session, side by side.
        # A connection's user data stream and WebSocket API session: one lease for both, so
        # the process that follows its orders is the one its orders are sent through.
        streams, sessions = UserDataStreams(), WsApiSessions()
        hub.also_held = {"userdata": streams.running, "wsapi": sessions.running}
        held = HeldConnections([streams, sessions], leases("connection"))
        tasks = [asyncio.create_task(held.run(), name="connections")]
        try:
            async with realtime.publishing_on_this_loop():
                await run_hub(hub)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await hub.leases.leave()  # its symbols go to the other stream processes at once
            log.info("stream process stopped")
