from __future__ import annotations

import asyncio
import itertools
import time
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import pytest_asyncio
from websockets.asyncio.server import serve

from binanceus import MarketStream, Reconnected, StreamError, StreamMessage, UserStream
from tests.support import until_async


class FakeStreamServer:
    """A loopback websocket server speaking the stream control protocol."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.control: list[tuple[float, dict]] = []
        self.conns: list = []
        self.subs: list[set[str]] = []
        self.reject = False

    async def handler(self, ws) -> None:
        path = ws.request.path
        self.paths.append(path)
        parts = urlsplit(path)
        subs = set()
        if parts.path == "/stream":
            subs = set(parse_qs(parts.query).get("streams", [""])[0].split("/")) - {""}
        self.subs.append(subs)
        self.conns.append(ws)
        try:
            async for raw in ws:
                msg = orjson.loads(raw)
                self.control.append((time.monotonic(), msg))
                if self.reject:
                    await ws.send(
                        orjson.dumps(
                            {"error": {"code": 2, "msg": "Invalid request"}, "id": msg["id"]}
                        ).decode()
                    )
                    continue
                if msg["method"] == "SUBSCRIBE":
                    subs.update(msg["params"])
                elif msg["method"] == "UNSUBSCRIBE":
                    subs.difference_update(msg["params"])
                result = sorted(subs) if msg["method"] == "LIST_SUBSCRIPTIONS" else None
                await ws.send(orjson.dumps({"result": result, "id": msg["id"]}).decode())
        except Exception:
            pass

    async def push(self, stream: str, data: dict, *, combined: bool = True) -> None:
        ws = self.conns[-1]
        payload = {"stream": stream, "data": data} if combined else data
        await ws.send(orjson.dumps(payload).decode())


@pytest_asyncio.fixture
async def server():
    fake = FakeStreamServer()
    async with serve(fake.handler, "127.0.0.1", 0) as srv:
        port = srv.sockets[0].getsockname()[1]
        fake.url = f"ws://127.0.0.1:{port}"
        yield fake


async def next_item(stream, timeout=3.0):
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def accepted(server: FakeStreamServer, connections: int = 1) -> None:
    """The client's handshake ends before the server's handler has run: wait for it."""
    await until_async(
        lambda: len(server.conns) >= connections,
        message=f"the server to take connection {connections}",
    )


@pytest.mark.asyncio
async def test_it_connects_combined_and_yields_stream_messages(server):
    async with MarketStream(server.url, streams=["btcusd@trade", "btcusd@depth@100ms"]) as s:
        assert s.subscriptions == {"btcusd@trade", "btcusd@depth@100ms"}
        await accepted(server)
        assert server.paths == ["/stream?streams=btcusd@trade/btcusd@depth@100ms"]
        await server.push("btcusd@trade", {"e": "trade", "p": "0.0010", "q": "100", "t": 5})
        msg = await next_item(s)
        assert msg == StreamMessage(
            "btcusd@trade", {"e": "trade", "p": "0.0010", "q": "100", "t": 5}
        )
        assert isinstance(msg.data["p"], str)  # prices stay strings as sent


@pytest.mark.asyncio
async def test_it_subscribes_at_runtime_with_ids_and_throttles_control_messages(server):
    async with MarketStream(server.url) as s:
        await accepted(server)
        assert server.paths == ["/ws"]
        await s.subscribe(["btcusd@depth@100ms", "btcusd@trade"])
        await s.subscribe(["ethusd@trade"])
        await s.unsubscribe(["btcusd@trade"])
        assert await s.list_subscriptions() == ["btcusd@depth@100ms", "ethusd@trade"]
        assert s.subscriptions == {"btcusd@depth@100ms", "ethusd@trade"}
        msgs = [m for _, m in server.control]
        assert [m["method"] for m in msgs] == [
            "SUBSCRIBE",
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "LIST_SUBSCRIPTIONS",
        ]
        assert msgs[0]["params"] == ["btcusd@depth@100ms", "btcusd@trade"]
        ids = [m["id"] for m in msgs]
        assert len(set(ids)) == 4 and all(isinstance(i, int) and i > 0 for i in ids)
        times = [t for t, _ in server.control]
        assert all(b - a >= 0.2 for a, b in itertools.pairwise(times))  # < 5 msg/s
        # raw /ws payloads get their stream name from the subscriptions
        await server.push("", {"e": "trade", "s": "ETHUSD", "p": "1"}, combined=False)
        msg = await next_item(s)
        assert msg.stream == "ethusd@trade"


@pytest.mark.asyncio
async def test_it_raises_when_the_server_rejects_a_subscription(server):
    server.reject = True
    async with MarketStream(server.url) as s:
        with pytest.raises(StreamError, match="Invalid request"):
            await s.subscribe(["nope@nope"])


@pytest.mark.asyncio
async def test_it_reconnects_resubscribes_everything_and_yields_a_marker(server):
    async with MarketStream(
        server.url, streams=["btcusd@trade"], min_backoff=0.01, max_backoff=0.05
    ) as s:
        await accepted(server)
        await s.subscribe(["ethusd@depth@100ms"])
        await server.conns[-1].close()
        marker = await next_item(s)
        assert isinstance(marker, Reconnected) and marker.attempts >= 1
        assert server.subs[-1] == {"btcusd@trade", "ethusd@depth@100ms"}
        await server.push("ethusd@depth@100ms", {"e": "depthUpdate", "U": 1, "u": 2})
        msg = await next_item(s)
        assert msg.stream == "ethusd@depth@100ms" and s.reconnects == 1


@pytest.mark.asyncio
async def test_it_fails_fast_when_the_first_connect_fails():
    with pytest.raises(StreamError):
        async with MarketStream("ws://127.0.0.1:9", open_timeout=1):
            pass


@pytest.mark.asyncio
async def test_it_streams_user_data_events_and_reconnects(server):
    async with UserStream(server.url, "listen-key-123", min_backoff=0.01, max_backoff=0.05) as u:
        await accepted(server)
        assert server.paths == ["/ws/listen-key-123"]
        assert "listen-key-123" not in repr(u)
        report = {"e": "executionReport", "s": "BTCUSD", "c": "abc", "X": "NEW", "q": "1.0"}
        await server.push("", report, combined=False)
        assert await next_item(u) == report
        await server.conns[-1].close()
        assert isinstance(await next_item(u), Reconnected)
        await accepted(server, 2)  # pushed on the new connection, not the closed one
        await server.push("", {"e": "outboundAccountPosition", "B": []}, combined=False)
        assert (await next_item(u))["e"] == "outboundAccountPosition"
    with pytest.raises(StopAsyncIteration):
        await next_item(u)


@pytest.mark.asyncio
async def test_it_names_raw_array_payloads_like_a_combined_connection(server):
    async with MarketStream(server.url) as s:
        await accepted(server)
        await s.subscribe(["!miniTicker@arr", "btcusd@trade"])
        rows = [{"e": "24hrMiniTicker", "E": 1, "s": "BTCUSD", "c": "1"}]
        ws = server.conns[-1]
        await ws.send(orjson.dumps(rows).decode())
        msg = await next_item(s)
        assert msg == StreamMessage("!miniTicker@arr", rows)
