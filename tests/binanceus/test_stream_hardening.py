"""MarketStream hardening against a loopback websockets server: the send budget (control
messages, pings and pongs), gapless rollover, server-side close, the >1024-stream pool, stats."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import pytest_asyncio
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode

from binanceus import (
    MarketStream,
    MarketStreamPool,
    Reconnected,
    SendBudget,
    StreamMessage,
    StreamStats,
)
from tests.support import until_async

pytestmark = pytest.mark.asyncio


class RecordingConnection(ServerConnection):
    """Records every frame the client sends (text, ping, pong) with its arrival time."""

    def process_event(self, event) -> None:
        super().process_event(event)
        if isinstance(event, Frame) and self.request is not None:
            self.frames.append((time.monotonic(), event.opcode))

    @property
    def frames(self) -> list:
        if not hasattr(self, "_frames"):
            self._frames = []
        return self._frames


class Exchange:
    """A loopback stream server that broadcasts one event sequence to every connection, like
    the exchange: a connection receives the events emitted while it is subscribed."""

    def __init__(self) -> None:
        self.conns: list[ServerConnection] = []
        self.subs: dict[ServerConnection, set[str]] = {}
        self.control: list[tuple[float, dict]] = []
        self.paths: list[str] = []

    async def handler(self, ws: ServerConnection) -> None:
        parts = urlsplit(ws.request.path)
        self.paths.append(ws.request.path)
        subs: set[str] = set()
        if parts.path == "/stream":
            subs = set(parse_qs(parts.query).get("streams", [""])[0].split("/")) - {""}
        self.subs[ws] = subs
        self.conns.append(ws)
        try:
            async for raw in ws:
                msg = orjson.loads(raw)
                self.control.append((time.monotonic(), msg))
                if msg["method"] == "SUBSCRIBE":
                    subs.update(msg["params"])
                elif msg["method"] == "UNSUBSCRIBE":
                    subs.difference_update(msg["params"])
                result = sorted(subs) if msg["method"] == "LIST_SUBSCRIPTIONS" else None
                await ws.send(orjson.dumps({"result": result, "id": msg["id"]}).decode())
        except Exception:
            pass
        finally:
            self.subs.pop(ws, None)

    def open_conns(self) -> list[ServerConnection]:
        return [c for c in self.conns if c in self.subs]

    async def emit(self, stream: str, data: dict, *, shuffle: bool = True) -> None:
        """Send one event to every open connection subscribed to ``stream``."""
        targets = [c for c in self.open_conns() if stream in self.subs.get(c, ())]
        if shuffle:
            random.shuffle(targets)  # sometimes the new connection is ahead, sometimes not
        payload = orjson.dumps({"stream": stream, "data": data}).decode()
        for c in targets:
            with contextlib.suppress(Exception):
                await c.send(payload)


@pytest_asyncio.fixture
async def exchange():
    ex = Exchange()
    async with serve(ex.handler, "127.0.0.1", 0, create_connection=RecordingConnection) as srv:
        port = srv.sockets[0].getsockname()[1]
        ex.url = f"ws://127.0.0.1:{port}"
        yield ex


async def next_item(stream, timeout=3.0):
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def accepted(exchange: Exchange, connections: int = 1) -> None:
    """The client's handshake ends before the server's handler has run: wait for it."""
    await until_async(
        lambda: len(exchange.conns) >= connections,
        message=f"the server to take connection {connections}",
    )


def max_per_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


# --- send budget ----------------------------------------------------------------------------


async def test_it_keeps_control_messages_pings_and_pongs_within_5_per_second(exchange):
    async with MarketStream(exchange.url, ping_interval=0.2, ping_timeout=5) as s:
        await accepted(exchange)
        server_side = exchange.conns[-1]

        async def server_pings():
            # websockets answers pings by itself: each ping's pong arrives
            for _ in range(3):
                pong = await server_side.ping()
                await asyncio.wait_for(pong, 2)
                await asyncio.sleep(1.1)

        pinger = asyncio.create_task(server_pings())
        await asyncio.gather(*(s.subscribe([f"sym{i}usd@trade"]) for i in range(8)))
        await pinger
        await until_async(
            lambda: [op for _, op in server_side.frames].count(Opcode.PING) >= 3,
            message="three keepalive pings of the client's own",
        )
        frames = server_side.frames
    kinds = [op for _, op in frames]
    assert kinds.count(Opcode.TEXT) == 8
    assert kinds.count(Opcode.PONG) >= 3  # the server's pings were answered
    assert kinds.count(Opcode.PING) >= 3  # our own keepalive ran meanwhile
    sent = [t for t, op in frames if op in (Opcode.TEXT, Opcode.PING, Opcode.PONG)]
    assert max_per_window(sent) <= 5
    delayable = [t for t, op in frames if op in (Opcode.TEXT, Opcode.PING)]
    assert max_per_window(delayable) <= 4
    assert len(s.subscriptions) == 8


async def test_it_counts_pongs_in_the_budget():
    budget = SendBudget(limit=5, per=1.0, reserve=1)
    start = time.monotonic()
    for _ in range(3):
        await budget.acquire()
    budget.record()  # a pong went out meanwhile
    assert budget.in_window() == 4
    await budget.acquire()  # the window is full for delayable frames: waits for the oldest
    assert time.monotonic() - start >= 0.95
    assert budget.sent == 5 and budget.pongs == 1


# --- rollover -------------------------------------------------------------------------------


async def run_feed(exchange: Exchange, stop: asyncio.Event, counters: dict) -> None:
    while not stop.is_set():
        counters["t"] += 1
        u = counters["t"]
        await exchange.emit("btcusd@trade", {"e": "trade", "E": u, "s": "BTCUSD", "t": u})
        await exchange.emit(
            "btcusd@depth@100ms", {"e": "depthUpdate", "E": u, "s": "BTCUSD", "U": u, "u": u}
        )
        if u % 10 == 0:
            await exchange.emit("btcusd@kline_1m", {"e": "kline", "E": u, "s": "BTCUSD"})
        await asyncio.sleep(0.003)


async def test_it_rolls_over_before_max_age_without_gap_duplicates_or_marker(exchange):
    streams = ["btcusd@trade", "btcusd@depth@100ms", "btcusd@kline_1m"]
    stop, counters = asyncio.Event(), {"t": 0}
    async with MarketStream(
        exchange.url, streams=streams, rollover_after=timedelta(seconds=0.6), overlap_timeout=3
    ) as s:
        feed = asyncio.create_task(run_feed(exchange, stop, counters))
        got: dict[str, list[int]] = {name: [] for name in streams}
        async with asyncio.timeout(15):
            while s.rollovers < 2 or len(got["btcusd@kline_1m"]) < 15:
                item = await next_item(s)
                assert not isinstance(item, Reconnected), item
                key = {"trade": "t", "depthUpdate": "u", "kline": "E"}[item.data["e"]]
                got[item.stream].append(item.data[key])
        stop.set()
        await feed
        stats = s.stats()
        await until_async(
            lambda: len(exchange.open_conns()) == 1, message="the old connections to close"
        )
    assert s.rollovers >= 2 and s.reconnects == 0
    assert len(exchange.conns) == s.rollovers + 1
    for name in ("btcusd@trade", "btcusd@depth@100ms"):
        ids = got[name]
        assert ids == list(range(ids[0], ids[0] + len(ids))), name  # no gap, no duplicate
    klines = got["btcusd@kline_1m"]
    assert klines == sorted(set(klines)) and len(klines) >= 15
    assert all(b - a == 10 for a, b in itertools.pairwise(klines))
    assert stats.sockets[0].rollovers == s.rollovers
    assert stats.sockets[0].duplicates_dropped > 0


async def test_a_server_close_before_rollover_yields_reconnected(exchange):
    async with MarketStream(
        exchange.url,
        streams=["btcusd@trade"],
        rollover_after=timedelta(hours=1),
        min_backoff=0.01,
        max_backoff=0.05,
    ) as s:
        await accepted(exchange)
        await exchange.conns[-1].close(1000, "24h")
        marker = await next_item(s)
        assert isinstance(marker, Reconnected) and marker.streams == ("btcusd@trade",)
        await accepted(exchange, 2)  # the event goes out on the new connection
        await exchange.emit("btcusd@trade", {"e": "trade", "t": 1})
        assert (await next_item(s)).data["t"] == 1
        assert s.reconnects == 1 and s.rollovers == 0


async def test_a_server_close_during_the_overlap_finishes_the_rollover(exchange):
    stop, counters = asyncio.Event(), {"t": 0}
    async with MarketStream(
        exchange.url,
        streams=["btcusd@trade"],
        rollover_after=timedelta(seconds=0.3),
        overlap_timeout=5,
    ) as s:
        await accepted(exchange, 2)
        await until_async(
            lambda: s.stats().sockets[0].rolling_over, message="the rollover's overlap to begin"
        )
        first = exchange.conns[0]
        feed = asyncio.create_task(run_feed(exchange, stop, counters))
        ids = []
        for _ in range(20):
            item = await next_item(s)
            assert isinstance(item, StreamMessage)
            ids.append(item.data["t"])
            if len(ids) == 5:
                await first.close(1000, "24h")
        stop.set()
        await feed
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert s.rollovers >= 1 and s.reconnects == 0


# --- pool -----------------------------------------------------------------------------------


async def test_a_pool_spreads_more_than_1024_streams_over_several_sockets(exchange):
    names = [f"s{i:04d}usd@trade" for i in range(2100)]
    async with MarketStreamPool(exchange.url, streams=names, rollover_after=None) as pool:
        assert pool.subscriptions == set(names)
        per_socket = [set(subs) for subs in exchange.subs.values()]
        assert len(per_socket) == 3 and all(len(p) <= 1024 for p in per_socket)
        assert set().union(*per_socket) == set(names)
        assert sum(len(p) for p in per_socket) == 2100  # each stream exactly once
        # messages from every socket come out of the one iterator
        for name in (names[0], names[1500], names[2099]):
            await exchange.emit(name, {"e": "trade", "t": 1})
            assert (await next_item(pool)).stream == name
        await pool.subscribe([f"x{i}usd@trade" for i in range(10)])
        await pool.unsubscribe(names[:5])
        assert len(pool.subscriptions) == 2105
        assert sorted(await pool.list_subscriptions()) == sorted(pool.subscriptions)
        stats = pool.stats()
        assert len(stats.sockets) == 3 and stats.connected == 3
        assert stats.subscriptions == 2105
        assert all(sock.subscriptions <= 1024 for sock in stats.sockets)
        assert stats.messages_received == 3


async def test_a_pool_opens_another_socket_when_the_first_is_full(exchange):
    async with MarketStreamPool(exchange.url, max_streams_per_socket=3) as pool:
        await pool.subscribe(["a@trade", "b@trade"])
        await pool.subscribe(["c@trade", "d@trade", "e@trade"])
        assert len(pool.sockets) == 2
        assert [len(m.subscriptions) for m in pool.sockets] == [3, 2]
        await pool.unsubscribe(["d@trade", "e@trade"])
        assert len(pool.sockets) == 1
        await exchange.conns[0].close()
        marker = await next_item(pool)
        assert isinstance(marker, Reconnected)
        assert set(marker.streams) == {"a@trade", "b@trade", "c@trade"}


# --- stats ----------------------------------------------------------------------------------


async def test_it_reports_stats_per_socket_and_totals(exchange):
    before = datetime.now(UTC)
    async with MarketStream(
        exchange.url, streams=["btcusd@trade", "ethusd@trade"], min_backoff=0.01, max_backoff=0.02
    ) as s:
        await accepted(exchange)
        stats = s.stats()
        assert isinstance(stats, StreamStats) and len(stats.sockets) == 1
        sock = stats.sockets[0]
        assert sock.url == f"{exchange.url}/stream"  # no stream list in the url
        assert sock.connected is True and sock.subscriptions == 2
        assert sock.connected_since.tzinfo is UTC and sock.connected_since >= before
        assert sock.messages_received == 0 and sock.last_message_at is None
        await exchange.emit("btcusd@trade", {"e": "trade", "t": 1})
        await next_item(s)
        await exchange.conns[-1].close()
        assert isinstance(await next_item(s), Reconnected)
        stats = s.stats()
        sock = stats.sockets[0]
        assert sock.reconnects == 1 and sock.rollovers == 0 and sock.messages_received == 1
        assert sock.last_message_at.tzinfo is UTC and sock.connected_since > before
        assert stats.reconnects == 1 and stats.connected == 1 and stats.subscriptions == 2
        body = stats.as_dict()
        assert body["totals"]["messagesReceived"] == 1
        assert body["sockets"][0]["connectedSince"].endswith("+00:00")
        orjson.dumps(body)  # JSON-ready
    assert s.stats().sockets[0].connected is False


async def test_a_late_event_of_a_stream_just_left_is_not_taken_for_the_one_left(exchange):
    # On a raw connection an event names no stream. With one subscription left, a depth event
    # still in flight after its UNSUBSCRIBE was delivered as that one's ("!miniTicker@arr"), and
    # the page hub's mini-ticker handler failed on it.
    async with MarketStream(exchange.url) as s:
        await s.subscribe(["btcusd@depth@100ms", "!miniTicker@arr"])
        await s.unsubscribe(["btcusd@depth@100ms"])
        await accepted(exchange)
        (conn,) = exchange.open_conns()
        depth = {"e": "depthUpdate", "s": "BTCUSD", "U": 1, "u": 2, "b": [], "a": []}
        rows = [{"e": "24hrMiniTicker", "s": "BTCUSD", "c": "1"}]
        for payload in (depth, rows):
            await conn.send(orjson.dumps(payload).decode())
        seen = [await next_item(s) for _ in range(2)]
        assert [(i.stream, i.data) for i in seen] == [("", depth), ("!miniTicker@arr", rows)]
