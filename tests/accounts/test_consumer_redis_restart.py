"""A connection's socket through a Redis restart: Redis forgets the socket's group membership,
so the socket must not stay open and deaf; it ends, and the page's socket code reconnects
(static/js/lib/socket.js) and re-reads its live parts."""

import asyncio

import pytest
from channels.layers import channel_layers

from accounts import realtime
from tests.factories import make_connection, make_user
from tests.support import start_redis, terminate
from tests.websockets import communicator, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def own_redis(tmp_path, settings):
    proc, url = start_redis(tmp_path)
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "hosts": [url]}
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
    assert output == {"type": "websocket.close", "code": 1012}  # "service restart": reconnect
