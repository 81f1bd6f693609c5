"""More market streams than one connection carries, spread over several."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any, Unpack

from ._market_stream import MAX_STREAMS_PER_CONNECTION, MarketStream, MarketStreamOptions
from ._params import keywords
from ._stream_types import StreamMessage, StreamStats
from ._wsconn import _CLOSED, CONNECTION_DEFAULTS, DEFAULT_WS_URL, _QueueIterator

__all__ = ["MarketStreamPool"]


class MarketStreamPool(_QueueIterator[StreamMessage]):
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
        **options: Unpack[MarketStreamOptions],
    ) -> None:
        keywords("MarketStreamPool.__init__", MarketStreamOptions, options)
        queue_size = options.pop("queue_size", CONNECTION_DEFAULTS["queue_size"])
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

    _noun = "pool"

    def _running(self) -> bool:
        return self._started

    def _closed_by(self) -> BaseException | None:
        return next((m._failure for m in self._members if m._failure is not None), None)

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
