"""The market-data fan-out server: admission like the Channels stack, one subscription per
group per process, the same encoded frame to every local socket."""

import asyncio
import contextlib

import orjson
import pytest
import redis.asyncio as aioredis
import websockets
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django_otp.plugins.otp_totp.models import TOTPDevice
from redis.exceptions import RedisError

from desk.layers import PubSubChannelLayer
from tests.factories import make_user
from tests.support import free_port, start_redis, terminate, until_async
from tests.websockets import session_cookie_for
from trading.fanout import origin_allowed, route, serve_fanout
from trading.market import keys
from trading.market.watchers import redis_client, watch_key

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.asynccontextmanager
async def fanout_server(channel_layer=None, redis=None):
    port = free_port()
    task = asyncio.create_task(
        serve_fanout(
            host="127.0.0.1",
            port=port,
            channel_layer=channel_layer or get_channel_layer(),
            redis=redis or redis_client(),
        )
    )

    async def listening() -> bool:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        return True

    await until_async(listening, message="the fan-out server to listen", ignoring=(OSError,))
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _connect(base, path, *, session=None, origin="http://localhost"):
    headers = {"Origin": origin} if origin else {}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    return websockets.connect(base + path, additional_headers=headers)


async def _session(**kwargs):
    user = await sync_to_async(make_user)()
    return user, await sync_to_async(session_cookie_for)(user)


def test_it_routes_only_market_paths():
    assert route("/ws/market/btcusd/") == ("BTCUSD", "market.BTCUSD")
    assert route("/ws/markets/") == (keys.OVERVIEW_WATCH, keys.OVERVIEW_GROUP)
    assert route("/ws/connections/1/") is None
    assert route("/ws/market/BTC-USD/") is None


def test_it_checks_origin_like_channels(settings):
    settings.ALLOWED_HOSTS = ["desk.example.com"]
    assert origin_allowed("https://desk.example.com")
    assert not origin_allowed("https://evil.example")
    assert not origin_allowed(None)


@pytest.mark.asyncio
async def test_it_broadcasts_one_encoded_message_to_every_local_socket():
    _, session = await _session()
    redis = redis_client()
    await redis.delete(*keys.cached_keys("SOLUSD"))  # nothing cached: the first frame is ours
    async with fanout_server() as base:
        async with (
            _connect(base, "/ws/market/SOLUSD/", session=session) as a,
            _connect(base, "/ws/market/SOLUSD/", session=session) as b,
        ):
            await until_async(
                lambda: _watchers_are(redis, 2), message="both sockets registered as watchers"
            )
            text = orjson.dumps({"type": "book", "symbol": "SOLUSD"}).decode()

            async def delivered_to_a():
                # The server joins the group in a task of its own: until it has, a send is lost.
                await get_channel_layer().group_send(
                    keys.market_group("SOLUSD"), {"type": "market.book", "text": text}
                )
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(a.recv(), 0.2)

            assert await until_async(delivered_to_a, message="a frame through the group") == text
            assert await asyncio.wait_for(b.recv(), 5) == text
        await until_async(lambda: _watchers_are(redis, 0), message="both watchers to leave")


async def _watchers_are(redis, n: int) -> bool:
    return await redis.zcard(watch_key("SOLUSD")) == n


async def _delivered(layer, sock, text: str):
    """A frame sent to the group, seen by ``sock`` (until the server has joined, it is lost)."""
    await layer.group_send(keys.market_group("SOLUSD"), {"type": "market.book", "text": text})
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(sock.recv(), 0.2) == text


@pytest.mark.asyncio
@pytest.mark.parametrize("layer_class", [RedisChannelLayer, PubSubChannelLayer])
async def test_it_delivers_again_after_a_redis_restart_without_the_browser_reconnecting(
    tmp_path, layer_class
):
    """Redis forgets the group memberships and watcher entries when it restarts: the server
    joins again (the core layer) or hears that the layer subscribed again (pub/sub) and
    re-makes its sockets' entries, so the stream process keeps the book."""
    _, session = await _session()
    proc, url = start_redis(tmp_path)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    layer = layer_class(hosts=[url])
    redis = aioredis.Redis.from_url(url)
    try:
        async with (
            fanout_server(channel_layer=layer, redis=redis) as base,
            _connect(base, "/ws/market/SOLUSD/", session=session) as sock,
        ):
            await until_async(lambda: _delivered(layer, sock, "before"), message="a frame")
            terminate(proc)
            proc, _ = await asyncio.to_thread(start_redis, tmp_path, port)
            await until_async(
                lambda: _watchers_are(redis, 1),
                timeout=15,
                message="the watcher entry made again",
                ignoring=(RedisError, OSError),
            )
            await until_async(
                lambda: _delivered(layer, sock, "after"),
                timeout=15,
                message="a frame after the restart",
                ignoring=(RedisError, OSError),
            )
    finally:
        await redis.aclose()
        terminate(proc)


@pytest.mark.asyncio
async def test_it_sends_the_cached_state_first():
    _, session = await _session()
    await redis_client().set(keys.book_cache_key("ETHUSDT"), b'{"type":"book","cached":true}')
    async with (
        fanout_server() as base,
        _connect(base, "/ws/market/ETHUSDT/", session=session) as ws,
    ):
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["cached"] is True


@pytest.mark.asyncio
async def test_it_closes_anonymous_sockets():
    async with fanout_server() as base, _connect(base, "/ws/market/BTCUSD/") as ws:
        with pytest.raises(websockets.ConnectionClosed) as exc_info:
            await asyncio.wait_for(ws.recv(), 5)
    assert exc_info.value.rcvd.code == 4401


@pytest.mark.asyncio
async def test_it_closes_sockets_whose_second_factor_is_pending():
    user, session = await _session()
    await sync_to_async(TOTPDevice.objects.create)(user=user, name="app", confirmed=True)
    async with fanout_server() as base, _connect(base, "/ws/market/BTCUSD/", session=session) as ws:
        with pytest.raises(websockets.ConnectionClosed) as exc_info:
            await asyncio.wait_for(ws.recv(), 5)
    assert exc_info.value.rcvd.code == 4401


@pytest.mark.asyncio
async def test_it_refuses_foreign_origins_and_unknown_paths_at_the_handshake():
    _, session = await _session()
    async with fanout_server() as base:
        with pytest.raises(websockets.InvalidStatus) as exc_info:
            async with _connect(
                base, "/ws/market/BTCUSD/", session=session, origin="https://evil.example"
            ):
                pass
        assert exc_info.value.response.status_code == 403
        with pytest.raises(websockets.InvalidStatus) as exc_info:
            async with _connect(base, "/ws/connections/1/", session=session):
                pass
        assert exc_info.value.response.status_code == 404


@pytest.mark.asyncio
async def test_a_browser_that_leaves_before_its_cached_state_is_not_an_error(monkeypatch, caplog):
    """The page was closed right after its socket opened: the server, still checking the
    session, then finds nobody to send the cached book to. That ends the socket quietly (no
    "connection handler failed" traceback in the server's log)."""
    import threading

    from trading import fanout

    _, session = await _session()
    await redis_client().set(keys.book_cache_key("ETHUSDT"), b'{"type":"book","cached":true}')
    left = threading.Event()
    checked = fanout._session_user

    def after_the_browser_left(cookie):
        left.wait(5)  # the session is checked in a thread: hold it until the client has gone
        return checked(cookie)

    monkeypatch.setattr(fanout, "_session_user", after_the_browser_left)
    caplog.set_level("ERROR", logger="websockets")
    async with fanout_server() as base:
        async with _connect(base, "/ws/market/ETHUSDT/", session=session):
            pass  # closes at once
        left.set()
        redis = redis_client()
        await until_async(lambda: _watchers_are_for(redis, "ETHUSDT", 0), message="the leave")
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


async def _watchers_are_for(redis, symbol: str, n: int) -> bool:
    return await redis.zcard(watch_key(symbol)) == n


@pytest.mark.asyncio
async def test_sockets_of_one_symbol_leaving_at_once_all_leave_cleanly(caplog):
    _, session = await _session()
    redis = redis_client()
    async with contextlib.AsyncExitStack() as stack:
        base = await stack.enter_async_context(fanout_server())
        sockets = [
            await stack.enter_async_context(_connect(base, "/ws/market/XRPUSD/", session=session))
            for _ in range(5)
        ]
        await until_async(lambda: _watchers_are_for(redis, "XRPUSD", 5), message="5 watchers")
        await asyncio.gather(*(sock.close() for sock in sockets))
        await until_async(lambda: _watchers_are_for(redis, "XRPUSD", 0), message="all left")
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
