"""The sandbox's notion of "now", shared by everything that reads time.

A single object with an adjustable offset lets the admin API skew the exchange clock (to
exercise -1021 handling in clients) without touching the host clock.
"""

from __future__ import annotations

import time


class Clock:
    """Wall-clock milliseconds plus an admin-controlled offset."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def to_dict(self) -> dict:
        return {"offsetMs": self.offset_ms, "serverTime": self.now_ms()}


class Faults:
    """Fault-injection switches, read by the HTTP layer. Empty for now; later issues add
    latency, dropped responses, forced 5XX/429 and the like here, set via the admin API."""

    def __init__(self) -> None:
        self.settings: dict[str, object] = {}

    def to_dict(self) -> dict:
        return dict(self.settings)
