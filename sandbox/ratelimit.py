"""Request-weight and order counters, and (when enforced) the 429/418 rules.

Weight is per IP per minute (X-MBX-USED-WEIGHT-1M); orders are per account per 10 s and per
day (X-MBX-ORDER-COUNT-10S / -1D). Spec "LIMITS": going over a limit answers 429 with a
Retry-After header (seconds until the window resets); an IP that keeps sending during its 429
window is banned with 418, for 2 minutes at first, doubling for repeat offenders up to 3 days
(Retry-After: seconds until the ban ends).

Enforcement is off unless switched on (`--enforce-limits` or admin `POST /sandbox/v1/limits`):
a test suite sharing one sandbox from one loopback IP would otherwise throttle itself. The
limits themselves (exchangeInfo's numbers by default) are adjustable there too, so tests can
reach them with a handful of requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import errors
from .clock import Clock

MINUTE_MS = 60_000
FIRST_BAN_MS = 2 * MINUTE_MS
MAX_BAN_MS = 3 * 86_400_000


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

    def ends_at(self, now: int) -> int:
        return (now // self.size_ms + 1) * self.size_ms


@dataclass(slots=True)
class Limits:
    enforce: bool = False
    weight_per_minute: int = 1200  # exchangeInfo REQUEST_WEIGHT 1 MINUTE
    orders_per_10s: int = 100  # exchangeInfo ORDERS 10 SECOND
    orders_per_day: int = 200_000  # exchangeInfo ORDERS 1 DAY
    ban_after: int = 5  # requests sent inside a 429 window before the IP is banned
    first_ban_ms: int = FIRST_BAN_MS

    def to_dict(self) -> dict:
        return {
            "enforce": self.enforce,
            "weightPerMinute": self.weight_per_minute,
            "ordersPer10s": self.orders_per_10s,
            "ordersPerDay": self.orders_per_day,
            "banAfter": self.ban_after,
            "firstBanSeconds": self.first_ban_ms / 1000,
        }


@dataclass(slots=True)
class _IpState:
    throttled_until: int = 0  # end of the window in which this IP got a 429
    strikes: int = 0  # requests sent during that 429 window
    banned_until: int = 0
    bans: int = 0  # bans so far: each one lasts twice as long as the previous


class Refusal(Exception):
    """A request turned away by the limits: the error, its Retry-After seconds (REST's
    header) and the time it may be retried at (the WebSocket API's error.data.retryAfter)."""

    def __init__(self, error: errors.ApiError, retry_after_s: int, retry_at_ms: int = 0) -> None:
        super().__init__(error.msg)
        self.error = error
        self.retry_after_s = retry_after_s
        self.retry_at_ms = retry_at_ms


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.limits = Limits()
        self._weight: dict[str, _Window] = {}
        self._orders: dict[int, tuple[_Window, _Window]] = {}
        self._ips: dict[str, _IpState] = {}

    def _window(self, ip: str) -> _Window:
        window = self._weight.get(ip)
        if window is None:
            window = self._weight[ip] = _Window(MINUTE_MS)
        return window

    def add_weight(self, ip: str, weight: int) -> int:
        return self._window(ip).add(self.clock.now_ms(), weight)

    def used_weight(self, ip: str) -> int:
        return self.add_weight(ip, 0)

    def admit(self, ip: str, weight: int) -> None:
        """Count `weight` for `ip`, or raise Refusal (429/418) when limits are enforced."""
        if not self.limits.enforce:
            self.add_weight(ip, weight)
            return
        now = self.clock.now_ms()
        st = self._ips.setdefault(ip, _IpState())
        if st.banned_until > now:
            raise Refusal(
                _banned(st.banned_until), _seconds(st.banned_until - now), st.banned_until
            )
        if st.throttled_until > now:
            st.strikes += 1
            if st.strikes > self.limits.ban_after:
                duration = min(MAX_BAN_MS, self.limits.first_ban_ms * 2**st.bans)
                st.bans += 1
                st.banned_until = now + duration
                st.throttled_until = st.strikes = 0
                raise Refusal(_banned(st.banned_until), _seconds(duration), st.banned_until)
        window = self._window(ip)
        if window.add(now, 0) + weight > self.limits.weight_per_minute:
            if st.throttled_until <= now:
                st.throttled_until, st.strikes = window.ends_at(now), 0
            limit = self.limits.weight_per_minute
            raise Refusal(
                errors.ApiError(
                    -1003,
                    f"Too much request weight used; current limit is {limit} request weight "
                    "per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                    "polling the API.",
                    429,
                ),
                _seconds(window.ends_at(now) - now),
                window.ends_at(now),
            )
        window.add(now, weight)

    def check_orders(self, account_id: int) -> None:
        """Raise Refusal (429, -1015) if one more order would break an order limit."""
        if not self.limits.enforce:
            return
        now = self.clock.now_ms()
        ten_s, day = self._order_windows(account_id)
        for window, limit, per in (
            (ten_s, self.limits.orders_per_10s, "10 SECOND"),
            (day, self.limits.orders_per_day, "1 DAY"),
        ):
            if window.add(now, 0) >= limit:
                raise Refusal(
                    errors.ApiError(
                        -1015,
                        f"Too many new orders; current limit is {limit} orders per {per}.",
                        429,
                    ),
                    _seconds(window.ends_at(now) - now),
                    window.ends_at(now),
                )

    def _order_windows(self, account_id: int) -> tuple[_Window, _Window]:
        windows = self._orders.get(account_id)
        if windows is None:
            windows = self._orders[account_id] = (_Window(10_000), _Window(86_400_000))
        return windows

    def add_order(self, account_id: int, n: int = 1) -> tuple[int, int]:
        """Count an order; return (count in the current 10 s, count in the current day)."""
        windows = self._order_windows(account_id)
        now = self.clock.now_ms()
        return windows[0].add(now, n), windows[1].add(now, n)

    def order_counts(self, account_id: int) -> tuple[int, int]:
        return self.add_order(account_id, 0)

    def order_limits(self, account_id: int) -> list[dict]:
        """GET /api/v3/rateLimit/order: the ORDERS limiters with the account's counts."""
        ten_s, day = self.order_counts(account_id)
        limits = self.rate_limits()[1:]
        return [
            {**limit, "count": count} for limit, count in zip(limits, (ten_s, day), strict=True)
        ]

    def weight_limit(self, ip: str) -> dict:
        """The REQUEST_WEIGHT limiter with `ip`'s count (a WebSocket API answer's rateLimits)."""
        return {**self.rate_limits()[0], "count": self.used_weight(ip)}

    def rate_limits(self) -> list[dict]:
        """exchangeInfo's rateLimits: the limits in force (the spec's unless an admin changed
        them)."""
        return [
            _limiter("REQUEST_WEIGHT", "MINUTE", 1, self.limits.weight_per_minute),
            _limiter("ORDERS", "SECOND", 10, self.limits.orders_per_10s),
            _limiter("ORDERS", "DAY", 1, self.limits.orders_per_day),
        ]

    def reset(self) -> None:
        """Forget all counts, 429 windows and bans (admin)."""
        self._weight.clear()
        self._orders.clear()
        self._ips.clear()


def _limiter(kind: str, interval: str, num: int, limit: int) -> dict:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit}


def _banned(until_ms: int) -> errors.ApiError:
    return errors.ApiError(
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. Please use WebSocket "
        "Streams for live updates to avoid bans.",
        418,
    )
