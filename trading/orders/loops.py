"""What the stream process's per-connection loops share: read the wanted connections again
every ``poll_seconds``, keep the ones this process holds leases on (when several stream
processes share the work, see trading.leases), and stop everything on the way out."""

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

    def __init__(self, *, poll_seconds: float, leases: Leases | None = None) -> None:
        self.poll_seconds = poll_seconds
        self.leases = leases

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
                    await self._shed()
                await asyncio.sleep(self.poll_seconds)
        finally:
            for pk in list(self.running()):
                await self._stop(pk)
            if self.leases is not None:
                await self.leases.leave()  # stopping: others take over without waiting

    async def held(self, wanted: dict[int, T]) -> dict[int, T]:
        """The part of ``wanted`` this process works on."""
        if self.leases is None:
            return wanted
        mine = await self.leases.share({str(pk) for pk in wanted})
        return {pk: value for pk, value in wanted.items() if str(pk) in mine}

    async def settle(self) -> None:
        """After the connections given up were stopped: release their leases."""
        if self.leases is not None:
            await self.leases.settle()

    async def _shed(self) -> None:
        """The refresh failed: stop whatever our leases may no longer cover."""
        if self.leases is None:
            return
        mine = self.leases.surviving()
        for pk in [pk for pk in self.running() if str(pk) not in mine]:
            await self._stop(pk)
