"""WebSocket market and user data streams (asyncio + ``websockets``).

Both stream classes reconnect automatically with jittered exponential backoff and then yield a
:class:`Reconnected` marker, because messages were certainly lost in between: consumers must
resync (order books: :meth:`LocalOrderBook.reset`; orders: re-query over REST).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from ._errors import BinanceUSError

__all__ = [
    "DEFAULT_WS_URL",
    "MarketStream",
    "Reconnected",
    "StreamError",
    "StreamMessage",
    "UserStream",
]

logger = logging.getLogger("binanceus.streams")

DEFAULT_WS_URL = "wss://stream.binance.us:9443"
MAX_STREAMS_PER_CONNECTION = 1024
CONTROL_MESSAGES_PER_SECOND = 4  # the exchange disconnects above 5 incoming messages/s


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
    """How many connection attempts the reconnect took."""
    downtime: float
    """Seconds between losing the old connection and opening the new one."""


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
        queue_size: int,
    ) -> None:
        self._reconnect = reconnect
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._failure: BaseException | None = None
        self.reconnects = 0

    # subclass hooks
    def _url(self) -> str:
        raise NotImplementedError

    def _handle(self, msg: Any) -> T | None:
        raise NotImplementedError

    def _on_disconnect(self) -> None:
        return None

    async def _on_connect(self, ws: ClientConnection) -> None:
        return None

    # lifecycle
    async def _open(self) -> ClientConnection:
        url = self._url()
        try:
            ws = await connect(
                url,
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                max_size=None,
                compression=None,
                proxy=None,
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise StreamError(f"could not connect to stream: {type(exc).__name__}: {exc}") from None
        self._ws = ws
        await self._on_connect(ws)
        return ws

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._reader is not None:
            return
        ws = await self._open()
        self._reader = asyncio.get_running_loop().create_task(self._run(ws))

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        self._on_disconnect()
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._closing

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T | Reconnected:
        if self._reader is None and not self._closing:
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

    async def _run(self, ws: ClientConnection) -> None:
        try:
            while True:
                try:
                    async for raw in ws:
                        try:
                            msg = orjson.loads(raw)
                        except orjson.JSONDecodeError:
                            logger.warning("ignoring a non-JSON stream frame")
                            continue
                        item = self._handle(msg)
                        if item is not None:
                            await self._queue.put(item)
                except ConnectionClosed as exc:
                    logger.info("stream connection closed: %s", exc)
                self._ws = None
                self._on_disconnect()
                if self._closing:
                    return
                if not self._reconnect:
                    self._failure = ConnectionError("connection closed by the server")
                    await self._queue.put(_CLOSED)
                    return
                lost_at = time.monotonic()
                ws, attempts = await self._reconnect_with_backoff()
                self.reconnects += 1
                await self._queue.put(
                    Reconnected(attempts=attempts, downtime=time.monotonic() - lost_at)
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("stream reader failed")
            self._failure = exc
            await self._queue.put(_CLOSED)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._max_backoff, self._min_backoff * (2**attempt))
        return ceiling * random.uniform(0.5, 1.0)

    async def _reconnect_with_backoff(self) -> tuple[ClientConnection, int]:
        for attempt in itertools.count():
            await asyncio.sleep(self._backoff(attempt))
            try:
                return await self._open(), attempt + 1
            except StreamError as exc:
                logger.warning("reconnect attempt %d failed: %s", attempt + 1, exc)
        raise AssertionError("unreachable")


class MarketStream(_ReconnectingStream[StreamMessage]):
    """Market data streams over one connection.

    Connects to ``{base}/stream?streams=a/b`` (combined) when ``streams`` are given, otherwise
    to ``{base}/ws``; :meth:`subscribe` / :meth:`unsubscribe` change the set at runtime (sent
    as ``SUBSCRIBE`` / ``UNSUBSCRIBE`` control messages, throttled below 5 messages per
    second). Iterating yields :class:`StreamMessage` and, after an automatic reconnect that
    resubscribed everything, a :class:`Reconnected` marker.
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
        control_timeout: float = 10.0,
        queue_size: int = 100_000,
    ) -> None:
        super().__init__(
            reconnect=reconnect,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            open_timeout=open_timeout,
            ping_interval=ping_interval,
            queue_size=queue_size,
        )
        self.base_ws_url = base_ws_url.rstrip("/")
        self._subs: dict[str, None] = dict.fromkeys(streams)
        if len(self._subs) > MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"at most {MAX_STREAMS_PER_CONNECTION} streams per connection")
        self._control_timeout = control_timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._last_control = 0.0
        self._control_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"MarketStream({self.base_ws_url!r}, streams={list(self._subs)!r})"

    @property
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._subs)

    def _url(self) -> str:
        if self._subs:
            return f"{self.base_ws_url}/stream?streams=" + "/".join(
                quote(s, safe="@!_") for s in self._subs
            )
        return f"{self.base_ws_url}/ws"

    async def subscribe(self, streams: Iterable[str]) -> None:
        new = [s for s in dict.fromkeys(streams) if s not in self._subs]
        if not new:
            return
        if len(self._subs) + len(new) > MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"at most {MAX_STREAMS_PER_CONNECTION} streams per connection")
        for s in new:
            self._subs[s] = None
        if self._ws is not None:
            await self._control("SUBSCRIBE", new)

    async def unsubscribe(self, streams: Iterable[str]) -> None:
        gone = [s for s in dict.fromkeys(streams) if s in self._subs]
        if not gone:
            return
        for s in gone:
            del self._subs[s]
        if self._ws is not None:
            await self._control("UNSUBSCRIBE", gone)

    async def list_subscriptions(self) -> list[str]:
        """Ask the server (``LIST_SUBSCRIPTIONS``)."""
        return list(await self._control("LIST_SUBSCRIPTIONS", None) or [])

    async def _control(self, method: str, params: list[Any] | None) -> Any:
        ws = self._ws
        if ws is None:
            raise StreamError("not connected")
        async with self._control_lock:
            wait = self._last_control + 1 / CONTROL_MESSAGES_PER_SECOND - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            msg_id = next(self._ids)
            payload: dict[str, Any] = {"method": method, "id": msg_id}
            if params is not None:
                payload["params"] = params
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending[msg_id] = fut
            try:
                await ws.send(orjson.dumps(payload).decode())
            except ConnectionClosed:
                self._pending.pop(msg_id, None)
                # The reconnect will subscribe to the current set via the URL.
                return None
            finally:
                self._last_control = time.monotonic()
        try:
            return await asyncio.wait_for(fut, self._control_timeout)
        finally:
            self._pending.pop(msg_id, None)

    def _on_disconnect(self) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_result(None)  # resubscribed by the reconnect URL
        self._pending.clear()

    def _handle(self, msg: Any) -> StreamMessage | None:
        if isinstance(msg, dict):
            if "stream" in msg and "data" in msg:
                return StreamMessage(stream=msg["stream"], data=msg["data"])
            msg_id = msg.get("id", msg.get("ID"))
            if msg_id is not None and ("result" in msg or "error" in msg or "code" in msg):
                self._resolve(msg_id, msg)
                return None
        if not isinstance(msg, dict):
            return StreamMessage(stream=self._infer_stream({}), data={"data": msg})
        return StreamMessage(stream=self._infer_stream(msg), data=msg)

    def _resolve(self, msg_id: Any, msg: dict[str, Any]) -> None:
        try:
            fut = self._pending.get(int(msg_id))
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

    _EVENT_SUFFIX = {
        "trade": "@trade",
        "aggTrade": "@aggTrade",
        "depthUpdate": "@depth",
        "kline": "@kline_",
        "24hrTicker": "@ticker",
        "24hrMiniTicker": "@miniTicker",
    }

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
            queue_size=queue_size,
        )
        self.base_ws_url = base_ws_url.rstrip("/")
        self._listen_key = listen_key

    def __repr__(self) -> str:
        return f"UserStream({self.base_ws_url!r}, listen_key='****')"

    def set_listen_key(self, listen_key: str) -> None:
        self._listen_key = listen_key

    def _url(self) -> str:
        return f"{self.base_ws_url}/ws/{quote(self._listen_key, safe='')}"

    def _handle(self, msg: Any) -> dict[str, Any] | None:
        if isinstance(msg, dict) and "stream" in msg and "data" in msg:
            msg = msg["data"]
        if not isinstance(msg, dict):
            return None
        return msg
