"""The stream process's per-connection loops: each trading connection's user data stream
(trading.orders.streams) and WebSocket API session (trading.orders.wsapi).

Alone, a loop reads the wanted connections again every ``poll_seconds`` and follows all of
them. Under :class:`HeldConnections`, as ``runstreams`` runs them, one lease per connection
(trading.leases) decides which process follows it, so a connection's user data stream and its
WebSocket API session are always held by the same process, and by one process only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TypeVar

from trading.leases import Leases

log = logging.getLogger(__name__)

T = TypeVar("T")


class ConnectionLoop:
    what = "connection loop"  # for the log

    def __init__(self, *, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        # The connections this process holds (set by HeldConnections); None: every one.
        self.allowed: set[int] | None = None

    def running(self) -> Iterable[int]:
        raise NotImplementedError

    async def refresh(self) -> None:
        raise NotImplementedError

    async def _stop(self, pk: int) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.refresh()
                except Exception:  # a database hiccup must not end the stream process
                    log.exception("%s: refresh failed", self.what)
                await asyncio.sleep(self.poll_seconds)
        finally:
            await self.stop_all()

    def held(self, wanted: dict[int, T]) -> dict[int, T]:
        """The part of ``wanted`` this process works on."""
        if self.allowed is None:
            return wanted
        return {pk: value for pk, value in wanted.items() if pk in self.allowed}

    async def shed(self) -> None:
        """Stop whatever is no longer allowed (without reading anything)."""
        if self.allowed is None:
            return
        for pk in [pk for pk in self.running() if pk not in self.allowed]:
            await self._stop(pk)

    async def stop_all(self) -> None:
        for pk in list(self.running()):
            await self._stop(pk)


class HeldConnections:
    """The loops of ``parts`` over the connections this process holds a lease on."""

    def __init__(self, parts: list[ConnectionLoop], leases: Leases, *, poll_seconds: float = 1.0):
        self.parts = parts
        self.leases = leases
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        from trading.orders.userdata import streamable_connection_ids

        renewing = asyncio.create_task(self.leases.keep_alive(), name="connection-leases")
        try:
            while True:
                try:
                    wanted = await asyncio.to_thread(streamable_connection_ids)
                    mine = await self.leases.share({str(pk) for pk in wanted})
                    await self._apply({int(pk) for pk in mine}, refresh=True)
                    await self.leases.settle()  # only now: the next holder must not overlap
                except Exception:  # a database hiccup must not end the stream process
                    log.exception("held connections: refresh failed")
                    await self._apply({int(pk) for pk in self.leases.surviving()}, refresh=False)
                await asyncio.sleep(self.poll_seconds)
        finally:
            for part in self.parts:
                await part.stop_all()
            renewing.cancel()
            await self.leases.leave()  # stopping: others take over without waiting

    async def _apply(self, mine: set[int], *, refresh: bool) -> None:
        for part in self.parts:
            part.allowed = mine
            await (part.refresh() if refresh else part.shed())
