"""Millisecond timestamps <-> timezone-aware UTC datetimes, and the server clock offset."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["ServerClock", "from_ms", "from_ms_or_none", "now_ms", "to_ms", "to_ms_or_none"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    """Local wall-clock time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def from_ms(ms: int) -> datetime:
    """Convert exchange milliseconds to an aware UTC datetime (exact, no float rounding)."""
    seconds, millis = divmod(int(ms), 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)


def from_ms_or_none(ms: int | None) -> datetime | None:
    """Like :func:`from_ms` but ``None`` / ``0`` / negative ("not set") map to ``None``."""
    if ms is None or int(ms) <= 0:
        return None
    return from_ms(ms)


def to_ms(dt: datetime) -> int:
    """Convert an aware datetime to exchange milliseconds; naive datetimes are rejected."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime (e.g. tzinfo=UTC)")
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def to_ms_or_none(dt: datetime | None) -> int | None:
    """Like :func:`to_ms`; ``None`` (an optional time parameter left out) stays ``None``."""
    return None if dt is None else to_ms(dt)


class ServerClock:
    """Local clock corrected by a measured offset (server minus local, in ms)."""

    __slots__ = ("_local_ms", "_synced_at_ms", "offset_ms", "synced")

    def __init__(self, local_ms: Callable[[], int] = now_ms) -> None:
        self._local_ms = local_ms
        self.offset_ms = 0
        self.synced = False
        self._synced_at_ms = 0

    def age_ms(self) -> int | None:
        """Local milliseconds since the last measurement (``None`` before the first)."""
        return self._local_ms() - self._synced_at_ms if self.synced else None

    def local_ms(self) -> int:
        return self._local_ms()

    def now_ms(self) -> int:
        """Best estimate of the server's current time in ms."""
        return self._local_ms() + self.offset_ms

    def update(self, *, sent_ms: int, server_ms: int, received_ms: int) -> int:
        """Record one round trip; the server time is assumed to be read mid-flight."""
        midpoint = (sent_ms + received_ms) // 2
        self.offset_ms = int(server_ms) - midpoint
        self.synced = True
        self._synced_at_ms = int(received_ms)
        return self.offset_ms
