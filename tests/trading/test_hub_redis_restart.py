"""The stream process's hub through a Redis restart (a Redis of the test's own): it keeps its
exchange sockets and books, publishes again once Redis is back, and does not drop a symbol
whose watchers the restart forgot before the socket servers make them again."""

import asyncio
import contextlib

import orjson
import pytest
from channels.layers import channel_layers, get_channel_layer

from accounts.exchange import market_client, market_ws_url
from tests.support import start_redis, terminate
from tests.trading.test_hub import _CountingHub, _reconciled_from_now
from trading.market import watchers
from trading.market.keys import market_group

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


@pytest.fixture
def own_redis(tmp_path, settings):
    proc, url = start_redis(tmp_path)
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "desk.layers.PubSubChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": "desk"},
        }
    }
    watchers._clients.clear()
    channel_layers.backends.clear()
    box = {"proc": proc, "port": int(url.rsplit(":", 1)[1].split("/")[0])}
    yield box
    terminate(box["proc"])
    watchers._clients.clear()
    channel_layers.backends.clear()


async def _live_book(layer, channel, timeout=15):
    async with asyncio.timeout(timeout):
        while True:
            event = await layer.receive(channel)
            if "text" not in event:  # the layer's word that it is connected again
                continue
            message = orjson.loads(event["text"])
            if message["type"] == "book" and message["state"] == "live":
                return message


async def test_the_hub_keeps_its_books_through_a_redis_restart(use_sandbox, own_redis, tmp_path):
    redis, layer = watchers.redis_client(), get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(market_group("BTCUSD"), channel)
    await watchers.watch("BTCUSD", "test-page", redis=redis)
    client = market_client()
    hub = _CountingHub(
        ws_url=market_ws_url(),
        fetch_snapshot=lambda s: asyncio.to_thread(client.depth, s, limit=1000),
        redis=redis,
        channel_layer=layer,
    )
    task = asyncio.create_task(hub.run())
    try:
        await _live_book(layer, channel)
        feed = hub.feeds["BTCUSD"]
        terminate(own_redis["proc"])
        own_redis["proc"], _ = await asyncio.to_thread(start_redis, tmp_path, own_redis["port"])
        await _reconciled_from_now(hub)  # with no watcher in the new Redis
        await watchers.watch("BTCUSD", "test-page", redis=redis)  # as a socket server does
        await _live_book(layer, channel)
        assert not task.done()
        assert hub.feeds["BTCUSD"] is feed  # the same book, not one started over
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
