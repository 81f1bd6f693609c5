"""Request-weight and order counters, the one place rate limits are counted.

Weight is per IP per minute (X-MBX-USED-WEIGHT-1M); orders are per account per 10 s and per
day (X-MBX-ORDER-COUNT-10S / -1D). Enforcement (429/418 with Retry-After) will hook in here.
"""

from __future__ import annotations

from .clock import Clock


class _Window:
    __slots__ = ("bucket", "count", "size_ms")

    def __init__(self, size_ms: int) -> None:
        self.size_ms = size_ms
        self.bucket = -1
        self.count = 0

    def add(self, now: int, n: int) -> int:
        bucket = now // self.size_ms
        if bucket != self.bucket:
            self.bucket, self.count = bucket, 0
        self.count += n
        return self.count


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._weight: dict[str, _Window] = {}
        self._orders: dict[int, tuple[_Window, _Window]] = {}

    def add_weight(self, ip: str, weight: int) -> int:
        window = self._weight.get(ip)
        if window is None:
            window = self._weight[ip] = _Window(60_000)
        return window.add(self.clock.now_ms(), weight)

    def used_weight(self, ip: str) -> int:
        return self.add_weight(ip, 0)

    def add_order(self, account_id: int, n: int = 1) -> tuple[int, int]:
        """Count an order; return (count in the current 10 s, count in the current day)."""
        windows = self._orders.get(account_id)
        if windows is None:
            windows = self._orders[account_id] = (_Window(10_000), _Window(86_400_000))
        now = self.clock.now_ms()
        return windows[0].add(now, n), windows[1].add(now, n)

    def order_counts(self, account_id: int) -> tuple[int, int]:
        return self.add_order(account_id, 0)
