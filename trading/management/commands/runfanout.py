import asyncio
import contextlib
import logging
import signal

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand

from trading.fanout import serve_fanout
from trading.market.watchers import redis_client

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Serve market-data WebSockets to browsers (many sockets per process, encode once)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(settings.DESK_FANOUT_PORT or 8001))

    def handle(self, *args, host, port, **options):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._main(host, port))

    async def _main(self, host: str, port: int) -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve_fanout(
                host=host, port=port, channel_layer=get_channel_layer(), redis=redis_client()
            )
        log.info("market fan-out stopped")
