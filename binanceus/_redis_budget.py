"""A request-weight budget shared over Redis by every process of one host.

The exchange counts weight per IP and wall-clock minute, so all processes behind one address
must spend from one counter. :class:`RedisWeightBudget` implements the
:class:`~binanceus.WeightBudget` protocol with three keys under ``key_prefix``:

- ``<prefix>:1m:<epoch minute>``: weight spent this minute (expires after two minutes);
- ``<prefix>:block``: a hash ``{until: epoch ms, status: 429|418}`` written when any process
  gets a 429 / 418, so every process stops sending until then.

Each operation is one Lua script, so check-and-add is atomic across processes. Nothing here
imports Django; the Redis client is any ``redis.Redis`` (sync, redis-py 5.x).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ._errors import WeightLimitExceeded
from ._time import from_ms
from ._weights import parse_rate_headers

__all__ = ["RedisWeightBudget"]

# KEYS: counter, block. ARGV: weight, cap, now_ms, counter ttl (s).
# -> {0, new total} spent | {1, used} over budget | {2, until_ms, status} blocked
_ACQUIRE = """
local block = redis.call('HMGET', KEYS[2], 'until', 'status')
if block[1] and tonumber(block[1]) > tonumber(ARGV[3]) then
  return {2, block[1], block[2] or ''}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local weight = tonumber(ARGV[1])
if used + weight > tonumber(ARGV[2]) then
  return {1, tostring(used)}
end
local total = redis.call('INCRBY', KEYS[1], weight)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {0, tostring(total)}
"""

# KEYS: counter. ARGV: reported weight, counter ttl (s). Only ever raises the counter.
_OBSERVE = """
local reported = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if reported > used then
  redis.call('SET', KEYS[1], reported, 'EX', tonumber(ARGV[2]))
  return reported
end
return used
"""

# KEYS: block. ARGV: until_ms, status, ttl_ms. Only ever extends the block.
_BACK_OFF = """
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('HSET', KEYS[1], 'until', ARGV[1], 'status', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return wanted
end
return current
"""

_COUNTER_TTL_S = 120
_DEFAULT_BAN_S = 120.0


class RedisWeightBudget:
    """One weight budget per host, shared by all processes through Redis.

    ``acquire(weight)`` adds ``weight`` to the current minute's counter unless that would pass
    ``headroom * limit_per_minute`` (then :class:`WeightLimitExceeded` with ``retry_after`` =
    seconds until the next minute), or unless some process saw a 429 / 418 whose back-off has
    not ended (then :class:`WeightLimitExceeded` with ``status`` 429 / 418 and ``retry_after``
    = seconds left). ``observe(headers)`` raises the counter to the exchange's
    ``X-MBX-USED-WEIGHT-1M`` when that is higher (other hosts' or untracked spending).
    ``back_off(seconds, status=...)`` is called by :class:`~binanceus.Client` on a 429 / 418.
    """

    def __init__(
        self,
        redis_client: Any,
        *,
        limit_per_minute: int = 1200,
        headroom: float = 0.9,
        key_prefix: str = "binanceus:weight",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit_per_minute <= 0:
            raise ValueError("limit_per_minute must be positive")
        if not 0 < headroom <= 1:
            raise ValueError("headroom must be in (0, 1]")
        self.redis = redis_client
        self.limit_per_minute = limit_per_minute
        self.headroom = headroom
        self.key_prefix = key_prefix.rstrip(":")
        self._clock = clock
        self._acquire = redis_client.register_script(_ACQUIRE)
        self._observe = redis_client.register_script(_OBSERVE)
        self._back_off = redis_client.register_script(_BACK_OFF)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisWeightBudget:
        """Build from a ``redis://`` URL (imports :mod:`redis` only here)."""
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    def __repr__(self) -> str:
        return (
            f"RedisWeightBudget(key_prefix={self.key_prefix!r}, "
            f"limit_per_minute={self.limit_per_minute}, headroom={self.headroom})"
        )

    # -- keys -------------------------------------------------------------------------------

    @property
    def cap(self) -> int:
        """The most weight spent per minute: ``int(limit_per_minute * headroom)``."""
        return int(self.limit_per_minute * self.headroom)

    @property
    def block_key(self) -> str:
        return f"{self.key_prefix}:block"

    def counter_key(self, now: float | None = None) -> str:
        minute = int((self._clock() if now is None else now) // 60)
        return f"{self.key_prefix}:1m:{minute}"

    # -- WeightBudget -----------------------------------------------------------------------

    def acquire(self, weight: int) -> None:
        now = self._clock()
        result = self._acquire(
            keys=[self.counter_key(now), self.block_key],
            args=[int(weight), self.cap, int(now * 1000), _COUNTER_TTL_S],
        )
        outcome = int(result[0])
        if outcome == 0:
            return
        if outcome == 2:
            until_ms = int(result[1])
            status = int(result[2]) if result[2] not in (b"", "", None) else None
            wait = max(0.0, until_ms / 1000 - now)
            raise WeightLimitExceeded(
                f"not sent: the exchange answered HTTP {status} (seen by a process sharing "
                f"this budget); backing off for another {wait:.1f}s",
                retry_after=wait,
                status=status,
            )
        used = int(result[1])
        raise WeightLimitExceeded(
            f"shared weight budget exhausted: {used}+{weight} > {self.cap} per minute "
            f"({self.headroom:g} of {self.limit_per_minute})",
            retry_after=60 - (now % 60),
        )

    def observe(self, headers: Mapping[str, str]) -> None:
        value = parse_rate_headers(headers).get("X-MBX-USED-WEIGHT-1M")
        if value is None:
            return
        self._observe(keys=[self.counter_key()], args=[int(value), _COUNTER_TTL_S])

    def back_off(self, retry_after: float | None, *, status: int = 429) -> None:
        """Stop every process sharing this budget for ``retry_after`` seconds.

        Without a ``Retry-After`` a 429 blocks until the next minute, a 418 for two minutes.
        A shorter back-off never shortens a longer one already recorded.
        """
        now = self._clock()
        if retry_after is None or retry_after <= 0:
            retry_after = _DEFAULT_BAN_S if status == 418 else 60 - (now % 60)
        until_ms = int((now + retry_after) * 1000)
        ttl_ms = int(retry_after * 1000) + 1000
        self._back_off(keys=[self.block_key], args=[until_ms, int(status), ttl_ms])

    # -- introspection ----------------------------------------------------------------------

    @property
    def spent(self) -> int:
        """Weight spent this minute by every process sharing the budget."""
        value = self.redis.get(self.counter_key())
        return int(value) if value is not None else 0

    @property
    def blocked_until(self) -> datetime | None:
        """When a recorded 429 / 418 back-off ends (``None`` if none is in force)."""
        value = self.redis.hget(self.block_key, "until")
        if value is None:
            return None
        until_ms = int(value)
        return from_ms(until_ms) if until_ms > self._clock() * 1000 else None
