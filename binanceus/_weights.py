"""Request-weight accounting.

:class:`WeightBudget` is the small interface the client talks to before and after every request;
:class:`InMemoryWeightBudget` is the per-process implementation and
:class:`~binanceus.RedisWeightBudget` the one shared by every process of a host.

A budget may also define ``back_off(retry_after: float | None, *, status: int)``: the client
calls it after a 429 / 418 answer so the budget can refuse further calls until then (the
client itself always backs off locally as well).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from ._errors import WeightLimitExceeded

__all__ = ["InMemoryWeightBudget", "WeightBudget", "parse_rate_headers"]

_RATE_HEADER_PREFIXES = ("X-MBX-USED-WEIGHT-", "X-MBX-ORDER-COUNT-")


def parse_rate_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """Pick ``X-MBX-USED-WEIGHT-*`` / ``X-MBX-ORDER-COUNT-*`` headers (names upper-cased)."""
    out: dict[str, int] = {}
    for name, value in headers.items():
        upper = name.upper()
        if upper.startswith(_RATE_HEADER_PREFIXES):
            try:
                out[upper] = int(value)
            except (TypeError, ValueError):
                continue
    return out


@runtime_checkable
class WeightBudget(Protocol):
    """Where request weight is spent and observed."""

    def acquire(self, weight: int) -> None:
        """Reserve ``weight`` before sending; raise :class:`WeightLimitExceeded` to refuse."""
        ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """Feed the response headers (``X-MBX-USED-WEIGHT-1M`` etc.) back."""
        ...


class InMemoryWeightBudget:
    """Per-minute weight counter aligned to wall-clock minutes, like the exchange's limiter.

    ``spent`` is the larger of what this process spent locally and what the exchange last
    reported in ``X-MBX-USED-WEIGHT-1M`` for the current minute. Calls are refused past
    ``headroom`` (90 % by default) of ``limit_per_minute``, leaving room for what the
    process cannot see (other processes of the host, the exchange's own rounding).
    """

    def __init__(
        self,
        limit_per_minute: int = 1200,
        *,
        headroom: float = 0.9,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self.limit_per_minute = limit_per_minute
        self.headroom = headroom
        self._clock = clock
        self._lock = threading.Lock()
        self._minute = -1
        self._local = 0
        self._reported = 0

    def _roll(self) -> None:
        minute = int(self._clock() // 60)
        if minute != self._minute:
            self._minute = minute
            self._local = 0
            self._reported = 0

    @property
    def cap(self) -> int:
        return int(self.limit_per_minute * self.headroom)

    @property
    def spent(self) -> int:
        with self._lock:
            self._roll()
            return max(self._local, self._reported)

    def acquire(self, weight: int) -> None:
        with self._lock:
            self._roll()
            used = max(self._local, self._reported)
            if used + weight > self.cap:
                retry_after = 60 - (self._clock() % 60)
                raise WeightLimitExceeded(
                    f"local weight budget exhausted: {used}+{weight} > {self.cap} per minute"
                    f" ({self.headroom:g} of {self.limit_per_minute})",
                    retry_after=retry_after,
                )
            self._local += weight

    def observe(self, headers: Mapping[str, str]) -> None:
        value = parse_rate_headers(headers).get("X-MBX-USED-WEIGHT-1M")
        if value is None:
            return
        with self._lock:
            self._roll()
            self._reported = value
