"""The WebSocket API's connection: one socket at a time, opened when a request needs it.

A dropped connection fails its pending requests (:class:`~binanceus.ConnectionLost`) and the
next request opens a new one; request ids come from one counter for all of them, so a late
answer on an old connection can never settle a new request. A connection older than
``max_age`` (the exchange ends each after 24 hours, L10142) is retired: new requests go to a
fresh one while the old one finishes what it has pending.

The exchange pings every 3 minutes and drops a client that has not answered with a pong
for 10 (L10143-10145); ``websockets`` answers each ping with a pong by itself, as it reads
the frame. Our own keepalive pings (``ping_interval``) find a dead connection sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.protocol import State

from ._errors import BinanceUSError, TransportError, error_for
from ._wsconn import _TrackedConnection
from ._wslink import RequestLink

__all__ = ["DEFAULT_WS_API_URL", "WsApiConnector", "WsApiStats"]

logger = logging.getLogger("binanceus.ws_api")

DEFAULT_WS_API_URL = "wss://ws-api.binance.us:443/ws-api/v3"
MAX_CONNECTION_AGE = 23.5 * 3600
"""Seconds before a connection is retired: half an hour short of the exchange's 24 hours."""


@dataclass(frozen=True, slots=True)
class WsApiStats:
    """Health of a WebSocket API client (for a status panel)."""

    url: str
    connected: bool
    connected_since: datetime | None
    reconnects: int
    """New connections opened after one dropped."""
    rollovers: int
    """Connections retired for their age."""
    pings_answered: int
    """Server pings on the current connection, each answered by a pong."""
    last_pong_at: datetime | None
    """The last pong on the current connection: ours to a server ping, or the server's to
    our keepalive ping."""
    requests_sent: int
    pending: int
    used_weight: dict[str, int]
    """``X-MBX-USED-WEIGHT-1M`` / ``X-MBX-ORDER-COUNT-10S`` ... as the last ``rateLimits`` said."""


class _Connection:
    """One socket: its request link, its reader and its ping count."""

    def __init__(self, ws: _TrackedConnection, ids: itertools.count[int], timeout: float) -> None:
        self.ws = ws
        self.opened = time.monotonic()
        self.connected_since = datetime.now(UTC)
        self.pings = 0
        self.last_pong_at: datetime | None = None
        ws.on_ping = self._pinged
        ws.on_pong = self._ponged
        self.requests = RequestLink(ws.send, ids=ids, timeout=timeout, envelopes=True)
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def _pinged(self) -> None:
        self.pings += 1
        self.last_pong_at = datetime.now(UTC)  # answered at once by websockets

    def _ponged(self) -> None:
        self.last_pong_at = datetime.now(UTC)

    @property
    def closed(self) -> bool:
        return self.ws.state in (State.CLOSING, State.CLOSED) or self.reader.done()

    def age(self) -> float:
        return time.monotonic() - self.opened

    async def _read(self) -> None:
        reason = "the connection was lost"
        try:
            async for raw in self.ws:
                self._take(raw)
        except ConnectionClosed as exc:
            reason = f"the connection was closed ({exc})"
        finally:
            logger.info("WebSocket API connection ended: %s", reason)
            self.requests.fail_all(reason)

    def _take(self, raw: str | bytes) -> None:
        try:
            # Prices are strings on the wire, but any bare number stays exact too.
            msg = json.loads(raw, parse_float=Decimal)
        except ValueError:
            logger.warning("ignoring a non-JSON WebSocket API frame")
            return
        if not self.requests.resolve(msg):
            logger.debug("ignoring a WebSocket API frame that answers nothing")

    async def aclose(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if not self.reader.done():
            self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.reader


def _refused(exc: InvalidStatus) -> BinanceUSError:
    """The handshake's HTTP error: connecting costs weight too, so a 429 / 418 refusal is the
    REST one (``Retry-After`` seconds); any other status means nothing was sent."""
    response = exc.response
    status = response.status_code
    if status not in (418, 429):
        return TransportError(f"the WebSocket API refused the connection (HTTP {status})")
    try:
        body = json.loads(response.body or b"{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = body.get("code") if isinstance(body.get("code"), int) else None
    try:
        retry_after: float | None = float(response.headers.get("Retry-After", ""))
    except ValueError:
        retry_after = None
    msg = str(body.get("msg", "connection refused"))
    return error_for(status, code, msg, endpoint="connect", mutating=False, retry_after=retry_after)


class WsApiConnector:
    """Hands out the live connection, opening one when there is none (or it is too old).

    ``before_connect`` runs before each connection attempt: the client spends the weight a
    connection costs there (1, L10543)."""

    def __init__(
        self,
        url: str,
        *,
        request_timeout: float,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_age: float = MAX_CONNECTION_AGE,
        before_connect: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.url = url
        self.request_timeout = request_timeout
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_age = max_age
        self._before_connect = before_connect
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._current: _Connection | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._ever_connected = False
        self.reconnects = 0
        self.rollovers = 0
        self.requests_sent = 0

    @property
    def current(self) -> _Connection | None:
        conn = self._current
        return conn if conn is not None and not conn.closed else None

    async def link(self) -> RequestLink:
        """The live connection's request link (connecting first if needed)."""
        conn = self.current
        if conn is None or conn.age() >= self.max_age:
            async with self._lock:
                conn = await self._fresh()
        self.requests_sent += 1
        return conn.requests

    async def _fresh(self) -> _Connection:
        conn = self.current
        if conn is not None and conn.age() < self.max_age:
            return conn  # another request connected while this one waited for the lock
        if conn is not None:
            self.rollovers += 1
            self._retire(conn)
        elif self._ever_connected:
            self.reconnects += 1
        self._current = await self._open()
        self._ever_connected = True
        return self._current

    async def _open(self) -> _Connection:
        if self._before_connect is not None:
            await self._before_connect()
        try:
            ws = await connect(
                self.url,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                max_size=None,
                compression=None,
                proxy=None,
                create_connection=_TrackedConnection,
            )
        except InvalidStatus as exc:
            raise _refused(exc) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise TransportError(
                f"could not connect to the WebSocket API ({type(exc).__name__}); nothing was sent"
            ) from None
        assert isinstance(ws, _TrackedConnection)
        return _Connection(ws, self._ids, self.request_timeout)

    def _retire(self, conn: _Connection) -> None:
        """Close ``conn`` once its pending requests are answered (or have timed out)."""

        async def drain() -> None:
            deadline = time.monotonic() + self.request_timeout
            try:
                while conn.requests.pending and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
            finally:  # also when the client closes meanwhile
                await conn.aclose()

        task = asyncio.get_running_loop().create_task(drain())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def drop(self) -> None:
        """Close the current connection now (pending requests fail); the next request
        reconnects."""
        conn, self._current = self._current, None
        if conn is not None:
            await conn.aclose()

    async def aclose(self) -> None:
        conn, self._current = self._current, None
        if conn is not None:
            await conn.aclose()
            conn.requests.fail_all("the client was closed")
        for task in list(self._retiring):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def stats(self, used_weight: dict[str, int]) -> WsApiStats:
        conn = self.current
        return WsApiStats(
            url=self.url.split("?", 1)[0],
            connected=conn is not None,
            connected_since=None if conn is None else conn.connected_since,
            reconnects=self.reconnects,
            rollovers=self.rollovers,
            pings_answered=0 if conn is None else conn.pings,
            last_pong_at=None if conn is None else conn.last_pong_at,
            requests_sent=self.requests_sent,
            pending=0 if conn is None else conn.requests.pending,
            used_weight=used_weight,
        )
