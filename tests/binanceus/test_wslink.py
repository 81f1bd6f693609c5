"""The websocket request/response link: ids, answers, timeouts, dropped connections."""

from __future__ import annotations

import asyncio
import itertools

import orjson
import pytest
from websockets.exceptions import ConnectionClosedOK

import binanceus as bu
from binanceus._wslink import RequestLink


class Wire:
    """The connection side of a link: records what was sent, can be closed."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.closed = False

    async def send(self, text: str) -> None:
        if self.closed:
            raise ConnectionClosedOK(None, None)
        self.sent.append(orjson.loads(text))


@pytest.mark.asyncio
async def test_it_gives_each_request_the_answer_with_its_id():
    wire = Wire()
    link = RequestLink(wire.send)
    first = await link.send("SUBSCRIBE", ["btcusd@trade"])
    second = await link.send("LIST_SUBSCRIPTIONS")
    assert [m["method"] for m in wire.sent] == ["SUBSCRIBE", "LIST_SUBSCRIPTIONS"]
    assert wire.sent[0]["params"] == ["btcusd@trade"] and "params" not in wire.sent[1]
    one, two = (m["id"] for m in wire.sent)
    assert one != two and link.pending == 2
    # answers arrive in the other order
    assert link.resolve({"id": two, "result": ["btcusd@trade"]})
    assert link.resolve({"id": one, "result": None})
    assert await link.wait(second) == ["btcusd@trade"]
    assert await link.wait(first) is None
    assert link.pending == 0


@pytest.mark.asyncio
async def test_it_leaves_stream_events_and_stray_answers_alone():
    link = RequestLink(Wire().send)
    assert not link.resolve({"e": "trade", "s": "BTCUSD"})
    assert not link.resolve(["not", "an", "object"])
    assert link.resolve({"id": 999, "result": None})  # an answer, but nobody waits for it


@pytest.mark.asyncio
async def test_it_continues_ids_across_the_links_of_a_reconnect():
    ids = itertools.count(1)
    old, new = Wire(), Wire()
    await RequestLink(old.send, ids=ids).send("SUBSCRIBE", ["a"])
    await RequestLink(new.send, ids=ids).send("SUBSCRIBE", ["a"])
    assert (old.sent[0]["id"], new.sent[0]["id"]) == (1, 2)


@pytest.mark.asyncio
async def test_it_raises_the_servers_rejection_with_its_code():
    wire = Wire()
    link = RequestLink(wire.send)
    fut = await link.send("SUBSCRIBE", ["nope@nope"])
    link.resolve({"id": wire.sent[0]["id"], "error": {"code": 2, "msg": "Invalid request"}})
    with pytest.raises(bu.RequestRejected, match="Invalid request") as info:
        await link.wait(fut)
    assert (info.value.code, info.value.msg) == (2, "Invalid request")
    assert isinstance(info.value, bu.StreamError)


@pytest.mark.asyncio
async def test_it_raises_a_typed_timeout_when_no_answer_comes():
    link = RequestLink(Wire().send, timeout=0.05)
    with pytest.raises(bu.RequestTimeout) as info:
        await link.request("LIST_SUBSCRIPTIONS")
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, bu.StreamError)
    assert link.pending == 0


@pytest.mark.asyncio
async def test_a_dropped_connection_fails_every_pending_request():
    wire = Wire()
    link = RequestLink(wire.send)
    waiting = [
        asyncio.create_task(link.request("SUBSCRIBE", ["a"])),
        asyncio.create_task(link.request("UNSUBSCRIBE", ["b"])),
    ]
    await asyncio.sleep(0)
    assert link.pending == 2
    link.fail_all()
    for task in waiting:
        with pytest.raises(bu.ConnectionLost) as info:
            await task
        assert isinstance(info.value, ConnectionError)
    assert link.pending == 0
    with pytest.raises(bu.ConnectionLost, match="not sent"):
        await link.send("SUBSCRIBE", ["c"])


@pytest.mark.asyncio
async def test_it_raises_connection_lost_when_the_socket_is_already_closed():
    wire = Wire()
    wire.closed = True
    link = RequestLink(wire.send)
    with pytest.raises(bu.ConnectionLost, match="not sent"):
        await link.request("SUBSCRIBE", ["a"])
    assert link.pending == 0
