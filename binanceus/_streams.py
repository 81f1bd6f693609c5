"""WebSocket market and user data streams (asyncio + ``websockets``).

Both stream classes reconnect automatically with jittered exponential backoff and then yield a
:class:`Reconnected` marker, because messages were certainly lost in between: consumers must
resync (order books: :meth:`LocalOrderBook.reset`; orders: re-query over REST).

Everything the client sends on a connection (control messages, keepalive pings and the pongs
answering the server's pings) goes through one per-connection :class:`SendBudget`, so the
exchange's limit of 5 incoming messages per second is never exceeded by us. A
:class:`MarketStream` also rolls over to a fresh connection before the exchange's 24-hour
connection limit (``rollover_after``) without a gap, without duplicates and without a
:class:`Reconnected` marker; :class:`MarketStreamPool` spreads more than 1024 streams over
several connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from ._errors import BinanceUSError

__all__ = [
    "DEFAULT_ROLLOVER_AFTER",
    "DEFAULT_WS_URL",
    "MAX_STREAMS_PER_CONNECTION",
    "MarketStream",
    "MarketStreamPool",
    "Reconnected",
    "SendBudget",
    "SocketStats",
    "StreamError",
    "StreamMessage",
    "StreamStats",
    "UserStream",
]

logger = logging.getLogger("binanceus.streams")

DEFAULT_WS_URL = "wss://stream.binance.us:9443"
MAX_STREAMS_PER_CONNECTION = 1024
INCOMING_MESSAGES_PER_SECOND = 5
"""The exchange disconnects a connection that sends it more than 5 messages per second
(control messages, ping frames and pong frames all count)."""
CONTROL_MESSAGES_PER_SECOND = 4
"""What we allow ourselves for delayable frames; one slot a second stays free for pongs."""
DEFAULT_ROLLOVER_AFTER = timedelta(hours=23, minutes=50)
"""Connections live at most 24 hours on the exchange; roll over a little earlier."""

_URL_BUDGET = 4000  # longer stream lists are subscribed with control messages after connecting
_SUBSCRIBE_BATCH = 200  # streams per SUBSCRIBE control message


class StreamError(BinanceUSError):
    """A stream could not connect, or the server rejected a control message."""


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One market stream payload. ``data`` is the raw JSON object (prices stay strings)."""

    stream: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reconnected:
    """Yielded after an automatic reconnect: messages may have been lost, resync now."""

    attempts: int
    """How many connection attempts the reconnect took (0: a rollover that could not prove
    continuity for ``streams``)."""
    downtime: float
    """Seconds between losing the old connection and opening the new one."""
    streams: tuple[str, ...] = ()
    """The affected streams (all of the connection's subscriptions after a reconnect)."""


@dataclass(frozen=True, slots=True)
class SocketStats:
    """Health of one logical connection (a rollover keeps the same logical socket)."""

    url: str
    """Connection URL without the query string (the stream list)."""
    connected: bool
    connected_since: datetime | None
    subscriptions: int
    reconnects: int
    rollovers: int
    messages_received: int
    last_message_at: datetime | None
    duplicates_dropped: int = 0
    """Events received on both connections during a rollover overlap and dropped once."""
    frames_sent: int = 0
    """Control messages, pings and pongs sent on the current connection."""
    rolling_over: bool = False


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Per-socket stats plus totals, e.g. for a health page (:meth:`as_dict` is JSON-ready)."""

    sockets: tuple[SocketStats, ...]

    @property
    def connected(self) -> int:
        return sum(s.connected for s in self.sockets)

    @property
    def subscriptions(self) -> int:
        return sum(s.subscriptions for s in self.sockets)

    @property
    def reconnects(self) -> int:
        return sum(s.reconnects for s in self.sockets)

    @property
    def rollovers(self) -> int:
        return sum(s.rollovers for s in self.sockets)

    @property
    def messages_received(self) -> int:
        return sum(s.messages_received for s in self.sockets)

    @property
    def last_message_at(self) -> datetime | None:
        times = [s.last_message_at for s in self.sockets if s.last_message_at is not None]
        return max(times) if times else None

    def as_dict(self) -> dict[str, Any]:
        def iso(dt: datetime | None) -> str | None:
            return None if dt is None else dt.isoformat()

        return {
            "sockets": [
                {
                    "url": s.url,
                    "connected": s.connected,
                    "connectedSince": iso(s.connected_since),
                    "subscriptions": s.subscriptions,
                    "reconnects": s.reconnects,
                    "rollovers": s.rollovers,
                    "messagesReceived": s.messages_received,
                    "lastMessageAt": iso(s.last_message_at),
                    "duplicatesDropped": s.duplicates_dropped,
                    "framesSent": s.frames_sent,
                    "rollingOver": s.rolling_over,
                }
                for s in self.sockets
            ],
            "totals": {
                "sockets": len(self.sockets),
                "connected": self.connected,
                "subscriptions": self.subscriptions,
                "reconnects": self.reconnects,
                "rollovers": self.rollovers,
                "messagesReceived": self.messages_received,
                "lastMessageAt": iso(self.last_message_at),
            },
        }


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


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
    """Reports every received ping (``websockets`` has queued the pong for it already)."""

    on_ping: Callable[[], None] | None = None

    def process_event(self, event: Any) -> None:
        super().process_event(event)
        if isinstance(event, Frame) and event.opcode is Opcode.PING and self.on_ping is not None:
            self.on_ping()


class _Link:
    """One physical websocket connection."""

    def __init__(self, ws: _TrackedConnection, url: str, streams: frozenset[str]) -> None:
        self.ws = ws
        self.url = url
        self.streams = streams  # subscribed through the URL
        self.budget = SendBudget()
        ws.on_ping = self.budget.record
        self.opened = time.monotonic()
        self.connected_since = datetime.now(UTC)
        self.reader: asyncio.Task[None] | None = None
        self.keepalive: asyncio.Task[None] | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}

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

    def fail_pending(self) -> None:
        for fut in self.pending.values():
            if not fut.done():
                fut.set_result(None)  # the reconnect / rollover subscribes the current set
        self.pending.clear()

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


class _ReconnectingStream(Generic[T]):
    def __init__(
        self,
        *,
        reconnect: bool,
        min_backoff: float,
        max_backoff: float,
        open_timeout: float,
        ping_interval: float | None,
        ping_timeout: float | None,
        queue_size: int,
    ) -> None:
        self._reconnect = reconnect
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)
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
        link = _Link(ws, url, streams)
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
            link.fail_pending()
            if not self._closing:
                self._on_link_closed(link)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

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
            link.fail_pending()
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

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T | Reconnected:
        if self._supervisor is None and not self._closing:
            raise RuntimeError("use `async with stream:` (or await stream.start()) first")
        if self._closing and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_CLOSED)  # keep later __anext__ calls terminating
            if self._failure is not None:
                raise StreamError(f"stream closed: {self._failure!r}") from None
            raise StopAsyncIteration
        return item

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


def _event_key(data: Any) -> Any:
    """What identifies one event of a stream: ``u`` for depth, ``t`` for trade, ``a`` for
    aggTrade, the event time ``E`` otherwise (``u`` for bookTicker, which has no ``E``)."""
    if isinstance(data, dict):
        e = data.get("e")
        if e == "depthUpdate" and "u" in data:
            return ("u", data["u"])
        if e == "trade" and "t" in data:
            return ("t", data["t"])
        if e == "aggTrade" and "a" in data:
            return ("a", data["a"])
        if "E" in data:
            return ("E", data["E"])
        if "u" in data:
            return ("u", data["u"])
    return ("raw", orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


class _Overlap:
    """Merges the old and the new connection of a rollover, per stream.

    The old connection stays authoritative for a stream until it delivers an event the new
    one has delivered too (or the new one delivers an event the old one already did); from
    then on the stream comes from the new connection. The new connection's events are held
    back until then, so nothing is lost, duplicated or reordered.
    """

    def __init__(self, old: _Link, new: _Link) -> None:
        self.old = old
        self.new = new
        self.switched: set[str] = set()
        self.old_seen: dict[str, set[Any]] = {}
        self.old_active: set[str] = set()
        self.held: dict[str, list[tuple[Any, StreamMessage]]] = {}
        self.new_delivered = False
        self.duplicates = 0
        self.done = asyncio.Event()

    def from_old(self, msg: StreamMessage) -> list[StreamMessage]:
        s = msg.stream
        if s in self.switched:
            self.duplicates += 1
            return []
        key = _event_key(msg.data)
        held = self.held.get(s)
        if held:
            for i, (k, _) in enumerate(held):
                if k == key:
                    del self.held[s]
                    self.switched.add(s)
                    self.duplicates += 1
                    return [msg, *(m for _, m in held[i + 1 :])]
        self.old_active.add(s)
        self.old_seen.setdefault(s, set()).add(key)
        return [msg]

    def from_new(self, msg: StreamMessage) -> list[StreamMessage]:
        s = msg.stream
        self.new_delivered = True
        if s in self.switched:
            return [msg]
        key = _event_key(msg.data)
        seen = self.old_seen.get(s)
        if seen is not None and key in seen and s not in self.held:
            self.switched.add(s)
            self.duplicates += 1
            return []
        self.held.setdefault(s, []).append((key, msg))
        return []

    def complete(self) -> bool:
        return self.new_delivered and not self.held and self.old_active <= self.switched


class MarketStream(_ReconnectingStream[StreamMessage]):
    """Market data streams over one connection (at most 1024 streams; see
    :class:`MarketStreamPool` for more).

    Connects to ``{base}/stream?streams=a/b`` (combined) when ``streams`` are given, otherwise
    to ``{base}/ws``; :meth:`subscribe` / :meth:`unsubscribe` change the set at runtime (sent
    as ``SUBSCRIBE`` / ``UNSUBSCRIBE`` control messages through the connection's
    :class:`SendBudget`). Iterating yields :class:`StreamMessage` and, after an automatic
    reconnect that resubscribed everything, a :class:`Reconnected` marker.

    ``rollover_after`` (default 23 h 50 min; ``None`` disables) opens a second connection with
    the same subscriptions before the exchange's 24-hour limit, merges both until every active
    stream is proven continuous (de-duplicating by stream and event id), then closes the old
    one: no gap, no duplicate, no marker. If continuity cannot be proven within
    ``overlap_timeout`` seconds, the unproven streams get a :class:`Reconnected` marker.
    """

    def __init__(
        self,
        base_ws_url: str = DEFAULT_WS_URL,
        *,
        streams: Iterable[str] = (),
        reconnect: bool = True,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        control_timeout: float = 10.0,
        queue_size: int = 100_000,
        rollover_after: timedelta | float | None = DEFAULT_ROLLOVER_AFTER,
        overlap_timeout: float = 10.0,
    ) -> None:
        super().__init__(
            reconnect=reconnect,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            open_timeout=open_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            queue_size=queue_size,
        )
        self.base_ws_url = base_ws_url.rstrip("/")
        self._subs: dict[str, None] = dict.fromkeys(streams)
        if len(self._subs) > MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"at most {MAX_STREAMS_PER_CONNECTION} streams per connection")
        self._control_timeout = control_timeout
        self._ids = itertools.count(1)
        self._control_lock = asyncio.Lock()
        self._deliver_lock = asyncio.Lock()
        if isinstance(rollover_after, timedelta):
            rollover_after = rollover_after.total_seconds()
        if rollover_after is not None and rollover_after <= 0:
            raise ValueError("rollover_after must be positive (or None)")
        self.rollover_after: float | None = rollover_after
        self._overlap_timeout = overlap_timeout
        self._overlap: _Overlap | None = None
        self._roller: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"MarketStream({self.base_ws_url!r}, streams={list(self._subs)!r})"

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._subs)

    def stats(self) -> StreamStats:
        return StreamStats(sockets=(self._socket_stats(len(self._subs)),))

    def _url(self) -> tuple[str, frozenset[str]]:
        if not self._subs:
            return f"{self.base_ws_url}/ws", frozenset()
        url = f"{self.base_ws_url}/stream?streams="
        in_url: list[str] = []
        for s in self._subs:
            part = quote(s, safe="@!_")
            if in_url and len(url) + len(part) + 1 > _URL_BUDGET:
                break
            url += ("/" if in_url else "") + part
            in_url.append(s)
        return url, frozenset(in_url)

    def _reconnected_streams(self) -> tuple[str, ...]:
        return tuple(self._subs)

    async def _on_connect(self, link: _Link) -> None:
        """Subscribe what did not fit in the URL (or changed while connecting)."""
        missing = [s for s in self._subs if s not in link.streams]
        extra = [s for s in link.streams if s not in self._subs]
        futs: list[asyncio.Future[Any]] = []
        async with self._control_lock:
            for i in range(0, len(missing), _SUBSCRIBE_BATCH):
                fut = await self._send_control(link, "SUBSCRIBE", missing[i : i + _SUBSCRIBE_BATCH])
                if fut is not None:
                    futs.append(fut)
            if extra:
                fut = await self._send_control(link, "UNSUBSCRIBE", extra)
                if fut is not None:
                    futs.append(fut)
        for fut in futs:
            await asyncio.wait_for(fut, self._control_timeout)

    # -- subscriptions -----------------------------------------------------------------------

    async def subscribe(self, streams: Iterable[str]) -> None:
        new = [s for s in dict.fromkeys(streams) if s not in self._subs]
        if not new:
            return
        if len(self._subs) + len(new) > MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"at most {MAX_STREAMS_PER_CONNECTION} streams per connection")
        for s in new:
            self._subs[s] = None
        if self._link is not None:
            for i in range(0, len(new), _SUBSCRIBE_BATCH):
                await self._control("SUBSCRIBE", new[i : i + _SUBSCRIBE_BATCH])

    async def unsubscribe(self, streams: Iterable[str]) -> None:
        gone = [s for s in dict.fromkeys(streams) if s in self._subs]
        if not gone:
            return
        for s in gone:
            del self._subs[s]
        if self._link is not None:
            for i in range(0, len(gone), _SUBSCRIBE_BATCH):
                await self._control("UNSUBSCRIBE", gone[i : i + _SUBSCRIBE_BATCH])

    async def list_subscriptions(self) -> list[str]:
        """Ask the server (``LIST_SUBSCRIPTIONS``)."""
        return list(await self._control("LIST_SUBSCRIPTIONS", None) or [])

    async def _send_control(
        self, link: _Link, method: str, params: list[Any] | None
    ) -> asyncio.Future[Any] | None:
        msg_id = next(self._ids)
        payload: dict[str, Any] = {"method": method, "id": msg_id}
        if params is not None:
            payload["params"] = params
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        link.pending[msg_id] = fut
        try:
            await link.send(orjson.dumps(payload).decode())
        except ConnectionClosed:
            link.pending.pop(msg_id, None)
            return None  # the reconnect subscribes the current set
        return fut

    async def _control(self, method: str, params: list[Any] | None) -> Any:
        link = self._link
        if link is None:
            raise StreamError("not connected")
        async with self._control_lock:
            primary = await self._send_control(link, method, params)
            ov = self._overlap
            secondary = None
            if ov is not None and ov.old is link and method != "LIST_SUBSCRIPTIONS":
                secondary = await self._send_control(ov.new, method, params)
        try:
            if secondary is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(secondary), self._control_timeout)
            if primary is None:
                return None
            return await asyncio.wait_for(primary, self._control_timeout)
        finally:
            for pending in (link.pending, ov.new.pending if ov is not None else {}):
                for k in [k for k, f in pending.items() if f is primary or f is secondary]:
                    del pending[k]

    def _resolve(self, link: _Link, msg_id: Any, msg: dict[str, Any]) -> None:
        try:
            fut = link.pending.pop(int(msg_id), None)
        except (TypeError, ValueError):
            fut = None
        if fut is None or fut.done():
            return
        if "result" in msg and "error" not in msg:
            fut.set_result(msg["result"])
        else:
            err = msg.get("error", msg)
            fut.set_exception(
                StreamError(f"server rejected control message: {err.get('code')}: {err.get('msg')}")
            )

    # -- receiving ---------------------------------------------------------------------------

    async def _dispatch(self, link: _Link, msg: Any) -> None:
        if isinstance(msg, dict):
            if "stream" in msg and "data" in msg:
                item = StreamMessage(stream=msg["stream"], data=msg["data"])
            else:
                msg_id = msg.get("id", msg.get("ID"))
                if msg_id is not None and ("result" in msg or "error" in msg or "code" in msg):
                    self._resolve(link, msg_id, msg)
                    return
                item = StreamMessage(stream=self._infer_stream(msg), data=msg)
        else:
            item = self._raw_array(msg)
        self.messages_received += 1
        self._last_message_at = time.time()
        if self._overlap is None:
            if link is self._link:
                await self._queue.put(item)
            return
        async with self._deliver_lock:
            ov = self._overlap
            if ov is None:
                items = [item] if link is self._link else []
            else:
                before = ov.duplicates
                if link is ov.old:
                    items = ov.from_old(item)
                elif link is ov.new:
                    items = ov.from_new(item)
                else:
                    items = []
                self.duplicates_dropped += ov.duplicates - before
                if ov.complete():
                    items += self._promote(ov)
            for it in items:
                await self._queue.put(it)

    _EVENT_SUFFIX = {
        "trade": "@trade",
        "aggTrade": "@aggTrade",
        "depthUpdate": "@depth",
        "kline": "@kline_",
        "24hrTicker": "@ticker",
        "24hrMiniTicker": "@miniTicker",
    }

    def _raw_array(self, msg: Any) -> StreamMessage:
        """A raw (``/ws``) non-object payload: the ``!…@arr`` streams send arrays. Give them the
        same shape as on a combined connection (stream name, ``data`` = the array)."""
        if isinstance(msg, list) and msg and isinstance(msg[0], dict):
            event = str(msg[0].get("e", ""))
            if event == "24hrMiniTicker":
                name = "!miniTicker@arr"
            elif event == "24hrTicker":
                name = "!ticker@arr"
            elif event.endswith("Ticker"):
                name = f"!ticker_{event.removesuffix('Ticker')}@arr"
            else:
                name = ""
            if name in self._subs:
                return StreamMessage(stream=name, data=msg)  # type: ignore[arg-type]
        return StreamMessage(stream=self._infer_stream({}), data={"data": msg})

    def _infer_stream(self, msg: dict[str, Any]) -> str:
        """Raw (``/ws``) payloads carry no stream name; recover it from the subscriptions."""
        if len(self._subs) == 1:
            return next(iter(self._subs))
        symbol = str(msg.get("s", "")).lower()
        suffix = self._EVENT_SUFFIX.get(str(msg.get("e", "")))
        if suffix is None and {"u", "s", "b", "a"} <= msg.keys():
            suffix = "@bookTicker"
        if suffix is None:
            return ""
        prefix = f"{symbol}{suffix}"
        return next((s for s in self._subs if s.startswith(prefix)), "")

    # -- rollover ----------------------------------------------------------------------------

    def _started(self) -> None:
        if self.rollover_after is not None:
            self._roller = asyncio.get_running_loop().create_task(self._rollover_loop())

    def _extra_tasks(self) -> list[asyncio.Task[Any]]:
        return [self._roller] if self._roller is not None else []

    def _extra_links(self) -> list[_Link]:
        ov = self._overlap
        return [ov.new] if ov is not None else []

    def _promote(self, ov: _Overlap) -> list[Any]:
        """Switch to the new connection (call with ``_deliver_lock`` held); returns the items
        to deliver: a marker for streams whose continuity is unproven, then their events."""
        self._overlap = None
        self._link = ov.new
        self.rollovers += 1
        out: list[Any] = []
        if ov.held:
            streams = tuple(ov.held)
            logger.warning("rollover could not prove continuity for %s", ", ".join(streams))
            out.append(Reconnected(attempts=0, downtime=0.0, streams=streams))
            for held in ov.held.values():
                out += [m for _, m in held]
        else:
            logger.info("rolled over to a new connection without a gap")
        ov.done.set()
        self._spawn(ov.old.aclose())
        return out

    async def _force_promote(self, ov: _Overlap) -> None:
        async with self._deliver_lock:
            if self._overlap is not ov:
                return
            for it in self._promote(ov):
                await self._queue.put(it)

    async def _abort_overlap(self, ov: _Overlap) -> None:
        async with self._deliver_lock:
            if self._overlap is not ov:
                return
            self._overlap = None
            if ov.switched:  # those streams came from the new connection only
                await self._queue.put(
                    Reconnected(attempts=0, downtime=0.0, streams=tuple(sorted(ov.switched)))
                )
        ov.done.set()
        await ov.new.aclose()

    def _on_link_closed(self, link: _Link) -> None:
        ov = self._overlap
        if ov is not None and link is ov.new:
            self._spawn(self._abort_overlap(ov))

    async def _lost(self, link: _Link) -> bool:
        ov = self._overlap
        if ov is None or ov.old is not link:
            return False
        if ov.new.closed:
            await self._abort_overlap(ov)
            return False
        # The server closed the old connection during the overlap: finish the rollover.
        await self._force_promote(ov)
        return True

    async def _rollover_loop(self) -> None:
        assert self.rollover_after is not None
        attempt = 0
        while not self._closing:
            link = self._link
            if link is None or link.closed:
                await asyncio.sleep(0.05)  # the supervisor is reconnecting
                continue
            remaining = self.rollover_after - (time.monotonic() - link.opened)
            if remaining > 0:
                await asyncio.sleep(remaining)
                continue
            try:
                await self._rollover(link)
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("rollover attempt failed: %r", exc)
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1

    async def _rollover(self, old: _Link) -> None:
        new = await self._connect()
        if self._link is not old or old.closed or self._closing:
            await new.aclose()
            return
        ov = _Overlap(old, new)
        self._overlap = ov
        self._start_reader(new)
        try:
            await self._on_connect(new)
        except BaseException:
            await self._abort_overlap(ov)
            raise
        try:
            await asyncio.wait_for(ov.done.wait(), self._overlap_timeout)
        except TimeoutError:
            await self._force_promote(ov)


class MarketStreamPool:
    """Market streams spread over several connections of at most ``max_streams_per_socket``
    (1024) streams each, with :class:`MarketStream`'s API: :meth:`subscribe`,
    :meth:`unsubscribe`, ``async with`` / ``async for`` and :meth:`stats` (per socket).

    A :class:`Reconnected` marker concerns one socket; its ``streams`` lists the affected
    streams. Other keyword arguments go to each :class:`MarketStream`.
    """

    def __init__(
        self,
        base_ws_url: str = DEFAULT_WS_URL,
        *,
        streams: Iterable[str] = (),
        max_streams_per_socket: int = MAX_STREAMS_PER_CONNECTION,
        queue_size: int = 100_000,
        **options: Any,
    ) -> None:
        if not 1 <= max_streams_per_socket <= MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"max_streams_per_socket must be 1..{MAX_STREAMS_PER_CONNECTION}")
        self.base_ws_url = base_ws_url.rstrip("/")
        self.max_streams_per_socket = max_streams_per_socket
        self._options = options
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)
        self._members: list[MarketStream] = []
        self._where: dict[str, MarketStream] = {}
        self._started = False
        self._closing = False
        self._lock = asyncio.Lock()
        wanted = list(dict.fromkeys(streams))
        for i in range(0, len(wanted), max_streams_per_socket):
            self._new_member(wanted[i : i + max_streams_per_socket])
        if not self._members:
            self._new_member([])

    def __repr__(self) -> str:
        return f"MarketStreamPool({self.base_ws_url!r}, sockets={len(self._members)})"

    def _new_member(self, streams: list[str]) -> MarketStream:
        member = MarketStream(self.base_ws_url, streams=streams, **self._options)
        member._queue = self._queue
        member._owns_queue = False
        self._members.append(member)
        for s in streams:
            self._where[s] = member
        return member

    @property
    def sockets(self) -> tuple[MarketStream, ...]:
        return tuple(self._members)

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._where)

    @property
    def connected(self) -> bool:
        return self._started and all(m.connected for m in self._members)

    @property
    def reconnects(self) -> int:
        return sum(m.reconnects for m in self._members)

    def stats(self) -> StreamStats:
        return StreamStats(sockets=tuple(m._socket_stats(len(m._subs)) for m in self._members))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._started:
            return
        try:
            await asyncio.gather(*(m.start() for m in self._members))
        except BaseException:
            await asyncio.gather(*(m.close() for m in self._members), return_exceptions=True)
            raise
        self._started = True

    async def close(self) -> None:
        self._closing = True
        await asyncio.gather(*(m.close() for m in self._members), return_exceptions=True)
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)

    async def subscribe(self, streams: Iterable[str]) -> None:
        async with self._lock:
            new = [s for s in dict.fromkeys(streams) if s not in self._where]
            plan: dict[MarketStream, list[str]] = {}
            for member in self._members:
                room = self.max_streams_per_socket - len(member._subs) - len(plan.get(member, []))
                if room > 0 and new:
                    plan[member], new = new[:room], new[room:]
            fresh = []
            for i in range(0, len(new), self.max_streams_per_socket):
                fresh.append(self._new_member(new[i : i + self.max_streams_per_socket]))
            for member, part in plan.items():
                for s in part:
                    self._where[s] = member
                await member.subscribe(part)
            if self._started and fresh:
                await asyncio.gather(*(m.start() for m in fresh))

    async def unsubscribe(self, streams: Iterable[str]) -> None:
        async with self._lock:
            by_member: dict[MarketStream, list[str]] = {}
            for s in dict.fromkeys(streams):
                member = self._where.pop(s, None)
                if member is not None:
                    by_member.setdefault(member, []).append(s)
            for member, part in by_member.items():
                await member.unsubscribe(part)
                if not member._subs and len(self._members) > 1:
                    self._members.remove(member)
                    await member.close()

    async def list_subscriptions(self) -> list[str]:
        """Ask every socket's server (``LIST_SUBSCRIPTIONS``)."""
        out: list[str] = []
        for member in self._members:
            out += await member.list_subscriptions()
        return out

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamMessage | Reconnected:
        if not self._started and not self._closing:
            raise RuntimeError("use `async with pool:` (or await pool.start()) first")
        if self._closing and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_CLOSED)
            failure = next((m._failure for m in self._members if m._failure is not None), None)
            if failure is not None:
                raise StreamError(f"stream closed: {failure!r}") from None
            raise StopAsyncIteration
        return item


class UserStream(_ReconnectingStream[dict[str, Any]]):
    """The user data stream at ``{base}/ws/<listenKey>``.

    Yields event dicts (``executionReport``, ``outboundAccountPosition``, ``balanceUpdate``,
    ``listStatus``, ...) and :class:`Reconnected` after a reconnect. Keeping the listen key
    alive (``Client.keepalive_listen_key`` every ~30 minutes) is the caller's job; use
    :meth:`set_listen_key` when it changes and the next reconnect uses it.
    """

    def __init__(
        self,
        base_ws_url: str = DEFAULT_WS_URL,
        listen_key: str = "",
        *,
        reconnect: bool = True,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        queue_size: int = 100_000,
    ) -> None:
        if not listen_key:
            raise ValueError("listen_key is required")
        super().__init__(
            reconnect=reconnect,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            open_timeout=open_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            queue_size=queue_size,
        )
        self.base_ws_url = base_ws_url.rstrip("/")
        self._listen_key = listen_key

    def __repr__(self) -> str:
        return f"UserStream({self.base_ws_url!r}, listen_key='****')"

    def set_listen_key(self, listen_key: str) -> None:
        self._listen_key = listen_key

    def stats(self) -> StreamStats:
        return StreamStats(sockets=(self._socket_stats(1),))

    def _public_url(self) -> str:
        return f"{self.base_ws_url}/ws/****"  # the listen key is a credential

    def _url(self) -> tuple[str, frozenset[str]]:
        return f"{self.base_ws_url}/ws/{quote(self._listen_key, safe='')}", frozenset()

    async def _dispatch(self, link: _Link, msg: Any) -> None:
        if isinstance(msg, dict) and "stream" in msg and "data" in msg:
            msg = msg["data"]
        if not isinstance(msg, dict) or link is not self._link:
            return
        self.messages_received += 1
        self._last_message_at = time.time()
        await self._queue.put(msg)
