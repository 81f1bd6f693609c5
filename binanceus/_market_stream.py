"""Market data streams over one connection, with a gapless rollover before the exchange's
24-hour connection limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Unpack
from urllib.parse import quote

import orjson

from ._errors import ConnectionLost, StreamError
from ._stream_types import Reconnected, StreamMessage, StreamStats
from ._wsconn import DEFAULT_WS_URL, ConnectionOptions, _Link, _ReconnectingStream

__all__ = ["DEFAULT_ROLLOVER_AFTER", "MAX_STREAMS_PER_CONNECTION", "MarketStream"]

logger = logging.getLogger("binanceus.streams")

MAX_STREAMS_PER_CONNECTION = 1024
DEFAULT_ROLLOVER_AFTER = timedelta(hours=23, minutes=50)
"""Connections live at most 24 hours on the exchange; roll over a little earlier."""

_URL_BUDGET = 4000  # longer stream lists are subscribed with control messages after connecting
_SUBSCRIBE_BATCH = 200  # streams per SUBSCRIBE control message


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


class MarketStreamOptions(ConnectionOptions, total=False):
    """A market stream's keyword arguments (also those a pool passes to its members)."""

    control_timeout: float
    rollover_after: timedelta | float | None
    overlap_timeout: float


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
        **options: Unpack[MarketStreamOptions],
    ) -> None:
        control_timeout = options.pop("control_timeout", 10.0)
        rollover_after = options.pop("rollover_after", DEFAULT_ROLLOVER_AFTER)
        overlap_timeout = options.pop("overlap_timeout", 10.0)
        super().__init__(**options)
        self.base_ws_url = base_ws_url.rstrip("/")
        self._subs: dict[str, None] = dict.fromkeys(streams)
        if len(self._subs) > MAX_STREAMS_PER_CONNECTION:
            raise ValueError(f"at most {MAX_STREAMS_PER_CONNECTION} streams per connection")
        self._request_timeout = control_timeout
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
        try:
            async with self._control_lock:
                for i in range(0, len(missing), _SUBSCRIBE_BATCH):
                    batch = missing[i : i + _SUBSCRIBE_BATCH]
                    futs.append(await link.requests.send("SUBSCRIBE", batch))
                if extra:
                    futs.append(await link.requests.send("UNSUBSCRIBE", extra))
            for fut in futs:
                await link.requests.wait(fut)
        except ConnectionLost:
            return  # the reconnect subscribes the current set

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

    async def _control(self, method: str, params: list[Any] | None) -> Any:
        """One control request on the current connection (and on the new one of a rollover
        in progress); ``None`` if the connection drops first (the reconnect subscribes the
        current set)."""
        link = self._link
        if link is None:
            raise StreamError("not connected")
        primary: asyncio.Future[Any] | None = None
        secondary: asyncio.Future[Any] | None = None
        async with self._control_lock:
            with contextlib.suppress(ConnectionLost):
                primary = await link.requests.send(method, params)
            ov = self._overlap
            if ov is not None and ov.old is link and method != "LIST_SUBSCRIPTIONS":
                with contextlib.suppress(ConnectionLost):
                    secondary = await ov.new.requests.send(method, params)
        if secondary is not None and ov is not None:
            with contextlib.suppress(Exception):
                await ov.new.requests.wait(secondary)
        if primary is None:
            return None
        try:
            return await link.requests.wait(primary)
        except ConnectionLost:
            return None

    # -- receiving ---------------------------------------------------------------------------

    async def _dispatch(self, link: _Link, msg: Any) -> None:
        if isinstance(msg, dict):
            if "stream" in msg and "data" in msg:
                item = StreamMessage(stream=msg["stream"], data=msg["data"])
            else:
                if link.requests.resolve(msg):
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
            # An array of a stream just left belongs to none (see _infer_stream).
            return StreamMessage(stream=name if name in self._subs else "", data=msg)  # type: ignore[arg-type]
        return StreamMessage(stream=self._infer_stream({}), data={"data": msg})

    def _infer_stream(self, msg: dict[str, Any]) -> str:
        """Raw (``/ws``) payloads carry no stream name; recover it from the subscriptions. An
        event whose type names a stream we are not subscribed to (a late one of a stream just
        left) belongs to none: it is never taken for the one subscription that is left."""
        symbol = str(msg.get("s", "")).lower()
        suffix = self._EVENT_SUFFIX.get(str(msg.get("e", "")))
        if suffix is None and {"u", "s", "b", "a"} <= msg.keys():
            suffix = "@bookTicker"
        if suffix is not None:
            prefix = f"{symbol}{suffix}"
            return next((s for s in self._subs if s.startswith(prefix)), "")
        if len(self._subs) == 1:
            return next(iter(self._subs))
        return ""

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
