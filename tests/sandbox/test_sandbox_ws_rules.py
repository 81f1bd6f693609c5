"""WebSocket connection rules: 5 incoming messages per second, 1024 streams, maximum age."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.sandbox.sandbox_support import recv_json, start, stop, ws_url


async def closed_code(ws, timeout: float = 5.0) -> int | None:
    """Read until the server closes; the close code it sent."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return info.value.rcvd.code if info.value.rcvd else None


@pytest.mark.asyncio
async def test_it_disconnects_after_more_than_5_messages_a_second(sandbox_url: str) -> None:
    async with connect(ws_url(sandbox_url, "/ws")) as ws:
        for i in range(5):  # a burst of five is allowed
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        for i in range(5):
            assert (await recv_json(ws))["id"] == i
        await asyncio.sleep(1.1)
        for i in range(7):
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 10 + i}))
        assert await closed_code(ws) == 1008
    async with connect(ws_url(sandbox_url, "/ws"), ping_interval=None) as ws:
        for _ in range(7):  # ping frames count too
            await ws.ping()
        assert await closed_code(ws) == 1008


@pytest.mark.asyncio
async def test_it_allows_at_most_1024_streams_a_connection(sandbox_url: str) -> None:
    too_many = [f"s{i}@trade" for i in range(1025)]
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(sandbox_url, "/stream?streams=" + "/".join(too_many))):
            pass
    assert refused.value.response.status_code == 400
    assert json.loads(refused.value.response.body) == {
        "code": 2,
        "msg": "Invalid request: too many parameters",
    }
    async with connect(ws_url(sandbox_url, "/ws/btcusd@trade")) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": too_many[:1024], "id": 1}))
        answer = await recv_json(ws)
        while "id" not in answer:
            answer = await recv_json(ws)
        assert answer == {"code": 2, "msg": "Invalid request: too many parameters", "id": 1}


@pytest.mark.asyncio
async def test_it_closes_connections_at_their_maximum_age() -> None:
    proc, base = start("--tick-ms", "0", "--ws-max-age-s", "2", seed=17)
    try:
        async with connect(ws_url(base, "/ws/btcusd@depth")) as ws:
            opened = time.monotonic()
            assert await closed_code(ws, timeout=6) == 1001
            assert 1.5 < time.monotonic() - opened < 4
    finally:
        stop(proc)
