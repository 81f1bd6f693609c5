"""Sharing the stream process's work among any number of stream processes, by leases in Redis.

Each item of work (a market symbol; a trading connection, whose user data stream and WebSocket
API session go together, see trading.orders.loops) is held by at most one process: its lease
key names the holder and expires ``ttl`` seconds after the last renewal. Every process calls
:meth:`Leases.share` with the items wanted, about once a second; it renews what it holds, gives
up what exceeds its fair share and claims free items up to it.

- **Exactly one holder.** A claim is ``SET NX``; a renewal is a compare-and-set (Lua) that only
  extends a key that still names this process, or re-creates one that vanished (a Redis
  restart), so no process can take an item another holds.
- **No item held twice, even across a partition.** A process that cannot renew (Redis down or
  out of reach) stops everything it holds once ``ttl - margin`` has passed since its last
  successful renewal, before its keys can expire and another process claim them.
- **Redis restarts.** Every lease vanishes with it. Holders re-create theirs at their next
  renewal; a process that sees the restart (the ``EPOCH_KEY`` it remembered is gone or changed)
  claims nothing for ``ttl`` seconds, the time any holder has to renew or stop.
- **Renewal** runs in :meth:`keep_alive` too, so a caller slow between two shares keeps its
  leases (and only a process frozen or cut off for ``ttl`` loses them).
- **Takeover.** A process killed with SIGKILL leaves keys that expire after ``ttl``; the next
  ``share`` of any other process claims them. Members register in a sorted set with the same
  expiry, so the fair share grows as soon as the dead member's entry lapses.
- **Rebalance.** The fair share is ``ceil(wanted / live members)``: a process that joins
  lowers it, and those above it give up their extras, which the newcomer then claims.

A process gives up an item only after its caller stopped working on it (:meth:`settle`), so
the next holder never overlaps with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

TTL_SECONDS = 3.0
# A holder stops this long before its leases could expire: renewals run about once a second,
# so one late renewal does not cost the item, and the clocks of two hosts may differ a little.
MARGIN_SECONDS = 1.0

_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def holder_name() -> str:
    """This process, as lease keys and the stream-health page name it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


EPOCH_KEY = "desk:lease:epoch"


async def redis_epoch(redis) -> tuple[bytes, bool]:
    """(This Redis run's mark, whether it was missing): the mark (``EPOCH_KEY``) is made by
    whoever finds it missing first, so a Redis restarted empty gets a new one."""
    epoch = await redis.get(EPOCH_KEY)
    if epoch is not None:
        return epoch, False
    fresh = uuid.uuid4().hex.encode()
    if await redis.set(EPOCH_KEY, fresh, nx=True):
        return fresh, True
    return await redis.get(EPOCH_KEY), True


def lease_key(kind: str, item: str) -> str:
    return f"desk:lease:{kind}:{item}"


def members_key(kind: str) -> str:
    return f"desk:lease:{kind}:members"


class Leases:
    """This process's leases on the items of one ``kind`` (see the module docstring)."""

    def __init__(
        self,
        redis,
        kind: str,
        *,
        holder: str | None = None,
        ttl: float = TTL_SECONDS,
        margin: float = MARGIN_SECONDS,
    ) -> None:
        self.redis = redis
        self.kind = kind
        self.holder = holder or holder_name()
        self.ttl_ms = int(ttl * 1000)
        self.margin = margin
        self.held: set[str] = set()  # leases this process holds in Redis
        self.mine: set[str] = set()  # what the caller was last told to work on
        self.valid_until = 0.0  # monotonic: our leases cannot have expired before this
        self.epoch: bytes | None = None  # the Redis run (EPOCH_KEY) our leases live in
        self.claim_after = 0.0  # monotonic: no free item is claimed before this
        self.cut_off = False  # the last share could not reach Redis

    async def share(self, wanted: set[str]) -> set[str]:
        """The items of ``wanted`` this process should work on now."""
        started = time.monotonic()
        try:
            self.mine = await self._share({str(i) for i in wanted}, started)
            self.cut_off = False
        except (RedisError, OSError) as exc:
            if not self.cut_off:  # once per outage, not once a second
                log.warning("leases %s: Redis unreachable (%s)", self.kind, exc)
            self.cut_off = True
            self.mine = self.surviving()
        return set(self.mine)

    async def keep_alive(self) -> None:
        """Renew what this process holds three times per ``ttl``, until cancelled, beside
        :meth:`share`. A caller busy between two shares (a process shedding half of its
        connections closes each socket in turn, which took seconds on a loaded machine) would
        otherwise let leases lapse while it still works on them, and another process would
        take them: the topology bench saw user data streams followed twice that way."""
        every = self.ttl_ms / 3000
        while True:
            await asyncio.sleep(every)
            started, items = time.monotonic(), sorted(self.held)
            try:
                kept = await self._renew(items)
            except (RedisError, OSError):
                continue  # share() notices and stops in time
            self.held -= set(items) - kept  # another process holds those now: share stops them
            self.valid_until = max(self.valid_until, started + self.ttl_ms / 1000 - self.margin)

    def surviving(self) -> set[str]:
        """What is still safely ours without talking to Redis: nothing once the leases may
        have lapsed, since another process may then hold them."""
        if time.monotonic() >= self.valid_until:
            if self.held:
                log.warning("leases %s: may have lapsed; stopping %s", self.kind, sorted(self.held))
            self.held.clear()
            return set()
        return self.mine & self.held

    async def settle(self) -> None:
        """Give up the leases the caller no longer works on (after it stopped them)."""
        extra = self.held - self.mine
        for item in sorted(extra):
            try:
                await self.redis.eval(_RELEASE, 1, lease_key(self.kind, item), self.holder)
            except (RedisError, OSError):
                return  # it expires by itself
            self.held.discard(item)

    async def leave(self) -> None:
        """Give up everything (the process is stopping): others take over at once."""
        self.mine = set()
        await self.settle()
        with contextlib.suppress(RedisError, OSError):
            await self.redis.zrem(members_key(self.kind), self.holder)

    async def _share(self, wanted: set[str], started: float) -> set[str]:
        if await self._redis_restarted():
            self.claim_after = started + self.ttl_ms / 1000
        members = await self._members()
        keep = await self._renew(sorted(self.held))
        self.held = keep
        self.valid_until = started + self.ttl_ms / 1000 - self.margin
        fair = math.ceil(len(wanted) / members) if wanted else 0
        # Items no longer wanted, and those beyond the fair share, are given up (by settle).
        mine = sorted(keep & wanted)[:fair]
        for item in sorted(wanted - keep):
            if len(mine) >= fair or started < self.claim_after:
                break
            if await self.redis.set(
                lease_key(self.kind, item), self.holder, nx=True, px=self.ttl_ms
            ):
                self.held.add(item)
                mine.append(item)
        return set(mine)

    async def _redis_restarted(self) -> bool:
        """Whether Redis lost its keys since we last looked (or this process is new and cannot
        tell who held what before): claims then wait for every holder's next renewal."""
        epoch, missing = await redis_epoch(self.redis)
        restarted = missing or (self.epoch is not None and epoch != self.epoch)
        self.epoch = epoch
        return restarted

    async def _members(self) -> int:
        now = int(time.time() * 1000)
        key = members_key(self.kind)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {self.holder: now + self.ttl_ms})
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zcard(key)
            *_, count = await pipe.execute()
        return max(int(count), 1)

    async def _renew(self, items: list[str]) -> set[str]:
        if not items:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for item in items:
                pipe.eval(_RENEW, 1, lease_key(self.kind, item), self.holder, self.ttl_ms)
            results = await pipe.execute()
        return {item for item, ok in zip(items, results, strict=True) if ok}
