"""One websocket connection and the reconnecting stream built on it.

Everything sent on a connection (control messages, keepalive pings and the pongs answering
the server's pings) goes through its :class:`SendBudget`, so the exchange's limit of 5
incoming messages per second is never exceeded by us; control messages and their answers go
through the connection's :class:`~binanceus._wslink.RequestLink`. :class:`_ReconnectingStream`
reconnects with jittered exponential backoff and then yields a :class:`Reconnected` marker.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from ._errors import StreamError
from ._params import keywords
from ._stream_types import Reconnected, SocketStats, _dt
from ._wslink import RequestLink

__all__ = ["DEFAULT_WS_URL", "INCOMING_MESSAGES_PER_SECOND", "SendBudget"]

logger = logging.getLogger("binanceus.streams")

DEFAULT_WS_URL = "wss://stream.binance.us:9443"
INCOMING_MESSAGES_PER_SECOND = 5
"""The exchange disconnects a connection that sends it more than 5 messages per second
(control messages, ping frames and pong frames all count)."""
CONTROL_MESSAGES_PER_SECOND = 4
"""What we allow ourselves for delayable frames; one slot a second stays free for pongs."""


class SendBudget:
    """Everything sent on one connection, as a sliding one-second window.

    Delayable frames (control messages, our keepalive pings) wait in :meth:`acquire` until
    fewer than ``limit - reserve`` frames were sent in the last ``per`` seconds and at least
    ``1 / (limit - reserve)`` seconds passed since the previous frame. Pongs cannot be
    delayed (``websockets`` answers pings itself); :meth:`record` counts them, and the
    ``reserve`` slot keeps the total at or below ``limit`` as long as the server pings at
    most once a second (the exchange pings every 3 minutes).
    """

    def __init__(
        self, limit: int = INCOMING_MESSAGES_PER_SECOND, per: float = 1.0, reserve: int = 1
    ) -> None:
        if limit - reserve < 1:
            raise ValueError("limit - reserve must be at least 1")
        self.limit = limit
        self.per = per
        self.reserve = reserve
        self._spacing = per / (limit - reserve)
        self._times: deque[float] = deque()
        self._last = -1e9
        self._lock = asyncio.Lock()
        self.sent = 0
        self.pongs = 0

    def _prune(self, now: float) -> None:
        horizon = now - self.per - 0.005  # a small margin for the server's clock granularity
        times = self._times
        while times and times[0] <= horizon:
            times.popleft()

    def in_window(self) -> int:
        self._prune(time.monotonic())
        return len(self._times)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._prune(now)
                wait = self._last + self._spacing - now
                if len(self._times) >= self.limit - self.reserve:
                    wait = max(wait, self._times[0] + self.per + 0.006 - now)
                if wait <= 0:
                    self._times.append(now)
                    self._last = now
                    self.sent += 1
                    return
                await asyncio.sleep(wait)

    def record(self) -> None:
        """Count a frame that was sent without waiting (a pong)."""
        now = time.monotonic()
        self._prune(now)
        self._times.append(now)
        self._last = max(self._last, now)
        self.sent += 1
        self.pongs += 1


class _TrackedConnection(ClientConnection):
    """Reports every received ping (``websockets`` has queued the pong for it already) and
    every received pong (the answer to a keepalive ping)."""

    on_ping: Callable[[], None] | None = None
    on_pong: Callable[[], None] | None = None

    def process_event(self, event: Any) -> None:
        super().process_event(event)
        if not isinstance(event, Frame):
            return
        if event.opcode is Opcode.PING and self.on_ping is not None:
            self.on_ping()
        elif event.opcode is Opcode.PONG and self.on_pong is not None:
            self.on_pong()


class _Link:
    """One physical websocket connection."""

    def __init__(
        self,
        ws: _TrackedConnection,
        url: str,
        streams: frozenset[str],
        ids: Iterator[int],
        request_timeout: float,
    ) -> None:
        self.ws = ws
        self.url = url
        self.streams = streams  # subscribed through the URL
        self.budget = SendBudget()
        ws.on_ping = self.budget.record
        self.opened = time.monotonic()
        self.connected_since = datetime.now(UTC)
        self.reader: asyncio.Task[None] | None = None
        self.keepalive: asyncio.Task[None] | None = None
        self.requests = RequestLink(self.send, ids=ids, timeout=request_timeout)
        """Control messages and their answers, matched by id."""

    @property
    def closed(self) -> bool:
        return self.ws.state in (State.CLOSING, State.CLOSED)

    async def send(self, text: str) -> None:
        await self.budget.acquire()
        await self.ws.send(text)

    async def keepalive_loop(self, interval: float, timeout: float | None) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                await self.budget.acquire()
                pong = await self.ws.ping()
                try:
                    await asyncio.wait_for(pong, timeout)
                except TimeoutError:
                    logger.warning("no pong within %ss; closing the connection", timeout)
                    await self.ws.close(1011, "keepalive ping timeout")
                    return
        except ConnectionClosed:
            return

    async def aclose(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.reader is not None and not self.reader.done():
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


T = TypeVar("T")

_CLOSED = object()


class _QueueIterator(Generic[T]):
    """``async with`` / ``async for`` over ``_queue`` until the ``_CLOSED`` sentinel, shared by
    a stream and a pool of streams (whose members put into the pool's queue)."""

    _queue: asyncio.Queue[Any]
    _closing: bool
    _noun = "stream"

    async def start(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def _running(self) -> bool:
        raise NotImplementedError

    def _closed_by(self) -> BaseException | None:
        """Why the stream closed itself (``None``: closed by the caller, or not closed)."""
        return None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T | Reconnected:
        if not self._running() and not self._closing:
            noun = self._noun
            raise RuntimeError(f"use `async with {noun}:` (or await {noun}.start()) first")
        if self._closing and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_CLOSED)  # keep later __anext__ calls terminating
            failure = self._closed_by()
            if failure is not None:
                raise StreamError(f"stream closed: {failure!r}") from None
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]


class ConnectionOptions(TypedDict, total=False):
    """How a stream connects and reconnects (every stream's keyword arguments)."""

    reconnect: bool
    min_backoff: float
    max_backoff: float
    open_timeout: float
    ping_interval: float | None
    ping_timeout: float | None
    queue_size: int


CONNECTION_DEFAULTS: ConnectionOptions = {
    "reconnect": True,
    "min_backoff": 0.5,
    "max_backoff": 30.0,
    "open_timeout": 10.0,
    "ping_interval": 20.0,
    "ping_timeout": 20.0,
    "queue_size": 100_000,
}


class _ReconnectingStream(_QueueIterator[T]):
    def __init__(self, **options: Unpack[ConnectionOptions]) -> None:
        keywords(f"{type(self).__name__}.__init__", ConnectionOptions, options)
        o = {**CONNECTION_DEFAULTS, **options}
        self._reconnect: bool = o["reconnect"]
        self._min_backoff: float = o["min_backoff"]
        self._max_backoff: float = o["max_backoff"]
        self._open_timeout: float = o["open_timeout"]
        self._ping_interval: float | None = o["ping_interval"]
        self._ping_timeout: float | None = o["ping_timeout"]
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=o["queue_size"])
        self._owns_queue = True
        self._link: _Link | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._failure: BaseException | None = None
        self.reconnects = 0
        self.rollovers = 0
        self.messages_received = 0
        self.duplicates_dropped = 0
        self._last_message_at: float | None = None
        self._ids = itertools.count(1)  # request ids, unique across this stream's connections
        self._request_timeout = 10.0

    # subclass hooks
    def _url(self) -> tuple[str, frozenset[str]]:
        raise NotImplementedError

    async def _dispatch(self, link: _Link, msg: Any) -> None:
        raise NotImplementedError

    async def _on_connect(self, link: _Link) -> None:
        return None

    def _on_link_closed(self, link: _Link) -> None:
        return None

    def _reconnected_streams(self) -> tuple[str, ...]:
        return ()

    def _public_url(self) -> str:
        link = self._link
        return (link.url if link is not None else self._url()[0]).split("?", 1)[0]

    # lifecycle
    async def _connect(self) -> _Link:
        url, streams = self._url()
        try:
            ws = await connect(
                url,
                open_timeout=self._open_timeout,
                ping_interval=None,  # our own keepalive goes through the send budget
                max_size=None,
                compression=None,
                proxy=None,
                create_connection=_TrackedConnection,
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise StreamError(f"could not connect to stream: {type(exc).__name__}: {exc}") from None
        assert isinstance(ws, _TrackedConnection)
        link = _Link(ws, url, streams, self._ids, self._request_timeout)
        if self._ping_interval:
            link.keepalive = asyncio.get_running_loop().create_task(
                link.keepalive_loop(self._ping_interval, self._ping_timeout)
            )
        return link

    def _start_reader(self, link: _Link) -> None:
        link.reader = asyncio.get_running_loop().create_task(self._read(link))

    async def _read(self, link: _Link) -> None:
        try:
            async for raw in link.ws:
                try:
                    msg = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    logger.warning("ignoring a non-JSON stream frame")
                    continue
                await self._dispatch(link, msg)
        except ConnectionClosed as exc:
            logger.info("stream connection closed: %s", exc)
        finally:
            if link.keepalive is not None:
                link.keepalive.cancel()
            link.requests.fail_all()
            if not self._closing:
                self._on_link_closed(link)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _running(self) -> bool:
        return self._supervisor is not None

    def _closed_by(self) -> BaseException | None:
        return self._failure

    async def start(self) -> None:
        if self._supervisor is not None:
            return
        link = await self._connect()
        self._link = link
        self._start_reader(link)
        try:
            await self._on_connect(link)
        except BaseException:
            self._link = None
            await link.aclose()
            raise
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        self._started()

    def _started(self) -> None:
        return None

    def _extra_tasks(self) -> list[asyncio.Task[Any]]:
        return []

    def _extra_links(self) -> list[_Link]:
        return []

    async def close(self) -> None:
        self._closing = True
        tasks = [t for t in (self._supervisor, *self._extra_tasks()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        links = [lk for lk in (self._link, *self._extra_links()) if lk is not None]
        for link in links:
            await link.aclose()
            link.requests.fail_all("the stream was closed")
        for task in list(self._background):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._owns_queue:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_CLOSED)

    @property
    def connected(self) -> bool:
        link = self._link
        return link is not None and not link.closed and not self._closing

    async def _lost(self, link: _Link) -> bool:
        """The current link ended; True if someone else (a rollover) took over."""
        return False

    async def _supervise(self) -> None:
        try:
            while True:
                link = self._link
                assert link is not None and link.reader is not None
                await asyncio.wait([link.reader])
                if self._closing:
                    return
                if self._link is not link or await self._lost(link):
                    continue
                self._link = None
                if not self._reconnect:
                    self._failure = ConnectionError("connection closed by the server")
                    await self._queue.put(_CLOSED)
                    return
                lost_at = time.monotonic()
                new, attempts = await self._reconnect_with_backoff()
                self.reconnects += 1
                self._link = new
                await self._queue.put(
                    Reconnected(
                        attempts=attempts,
                        downtime=time.monotonic() - lost_at,
                        streams=self._reconnected_streams(),
                    )
                )
                self._start_reader(new)
                try:
                    await self._on_connect(new)
                except (StreamError, TimeoutError, ConnectionClosed) as exc:
                    logger.warning("resubscribing after a reconnect failed: %r", exc)
                    await new.aclose()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("stream supervisor failed")
            self._failure = exc
            await self._queue.put(_CLOSED)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._max_backoff, self._min_backoff * (2**attempt))
        return ceiling * random.uniform(0.5, 1.0)

    async def _reconnect_with_backoff(self) -> tuple[_Link, int]:
        for attempt in itertools.count():
            await asyncio.sleep(self._backoff(attempt))
            try:
                return await self._connect(), attempt + 1
            except StreamError as exc:
                logger.warning("reconnect attempt %d failed: %s", attempt + 1, exc)
        raise AssertionError("unreachable")

    def _socket_stats(self, subscriptions: int) -> SocketStats:
        link = self._link
        return SocketStats(
            url=self._public_url(),
            connected=self.connected,
            connected_since=link.connected_since if link is not None else None,
            subscriptions=subscriptions,
            reconnects=self.reconnects,
            rollovers=self.rollovers,
            messages_received=self.messages_received,
            last_message_at=_dt(self._last_message_at),
            duplicates_dropped=self.duplicates_dropped,
            frames_sent=link.budget.sent if link is not None else 0,
            rolling_over=bool(self._extra_links()),
        )
