"""A connection's socket through a Redis restart: Redis forgets the socket's group membership,
or what was published while it was down, so the socket must not stay open, deaf or behind; it
ends, and the page's socket code reconnects (static/js/lib/socket.js) and re-reads its live
parts."""

import asyncio

import pytest
from channels.layers import channel_layers

from accounts import realtime
from tests.factories import make_connection, make_user
from tests.support import start_redis, terminate
from tests.websockets import communicator, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(
    # The core layer forgets the group (its receive raises); the pub/sub layer, make run's,
    # subscribes again by itself and would leave the socket open but behind.
    params=["channels_redis.core.RedisChannelLayer", "desk.layers.PubSubChannelLayer"]
)
def own_redis(request, tmp_path, settings):
    proc, url = start_redis(tmp_path)
    layer = {"BACKEND": request.param, "CONFIG": {"hosts": [url], "prefix": "desk"}}
    settings.CHANNEL_LAYERS = {"default": layer}
    channel_layers.backends.clear()
    box = {"proc": proc, "port": int(url.rsplit(":", 1)[1].split("/")[0])}
    yield box
    terminate(box["proc"])
    channel_layers.backends.clear()


async def test_the_socket_ends_when_redis_restarts_rather_than_going_deaf(own_redis, tmp_path):
    owner = await asyncio.to_thread(make_user)
    conn = await asyncio.to_thread(make_connection, owner)
    session = await asyncio.to_thread(session_cookie_for, owner)
    ws = communicator(f"/ws/connections/{conn.pk}/", session=session)
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from(timeout=5))["type"] == "balances"
    terminate(own_redis["proc"])
    own_redis["proc"], _ = await asyncio.to_thread(start_redis, tmp_path, own_redis["port"])
    await asyncio.to_thread(realtime.balances_push, connection_id=conn.pk)
    output = await ws.receive_output(timeout=10)
    assert output["type"] == "websocket.close"
    # A code daphne may send (1000 or 3000-4999), and one the page reconnects after (not 44xx).
    assert 3000 <= output["code"] <= 4999 and not 4400 <= output["code"] < 4500
