"""The stream process's side of user data: one UserStream per active exchange connection.

Every ``poll_seconds`` the set of connections and their listen keys (Redis) is read again: a
new connection, or a changed key (recreated after expiry), gets its stream within seconds; a
removed or disabled connection's stream is closed. Each stream is applied in order, one event
at a time, through the same services the web process uses (DB first, then on-commit pushes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

import binanceus
from trading.orders import userdata
from trading.orders.loops import ConnectionLoop

log = logging.getLogger(__name__)

# After a failed attempt to get a key or open a stream, wait this long before the next one.
RETRY_SECONDS = 10.0
REDIS_RETRY_SECONDS = 1.0
# Listen keys asked for at once (each a REST call in a worker thread).
ENSURE_AT_ONCE = 8
# A socket down this long may be a dead listen key: the stream's own reconnects would retry
# it forever (the exchange refuses an expired key without an event), so the key is checked.
DOWN_SECONDS = 3.0
# Balance events (outboundAccountPosition) are applied this long after they come, together (an
# asset written once, as the last of them has it). Each order placed or canceled brings one,
# right behind its executionReport: applied at once, it took SQLite's write lock, the two cores
# and the page's drawing in the moments the order's row was on its way. bench/latency_ab.py,
# 300 orders paired against applying them at once: cancel submit → row removed 2.4, 2.5 and
# 3.4 ms faster (medians of the paired differences); submit → row rendered unchanged.
BALANCES_LATER_SECONDS = 0.1


@dataclass
class _Follower:
    listen_key: str = field(repr=False)  # read access to the account's activity
    fingerprint: str  # of the API key the listen key was made with
    task: asyncio.Task | None = None
    stream: binanceus.UserStream | None = None
    down_since: float | None = None
    key_checked_at: float = 0.0
    positions: list[dict] = field(default_factory=list)  # balance events not applied yet
    positions_task: asyncio.Task | None = None


class UserDataStreams(ConnectionLoop):
    what = "user data streams"

    def __init__(
        self,
        *,
        poll_seconds: float = 1.0,
        down_seconds: float = DOWN_SECONDS,
        balances_later_seconds: float = BALANCES_LATER_SECONDS,
    ):
        super().__init__(poll_seconds=poll_seconds)
        self.down_seconds = down_seconds
        self.balances_later_seconds = balances_later_seconds
        self.followers: dict[int, _Follower] = {}
        self.retry_at: dict[int, float] = {}

    def running(self) -> list[int]:
        return list(self.followers)

    async def refresh(self) -> None:
        wanted = self.held(await asyncio.to_thread(_wanted))
        for pk in [pk for pk in self.followers if pk not in wanted]:
            await self._stop(pk)
        # Streams already open whose keys Redis lost (a restart loses them all at once).
        lost = [pk for pk, (_, key, _) in wanted.items() if key is None and pk in self.followers]
        made = await self._ensure_keys(
            [pk for pk in lost if time.monotonic() >= self.retry_at.get(pk, 0)]
        )
        for pk, (ws_url, key, fingerprint) in wanted.items():
            key = key or made.get(pk)
            follower = self.followers.get(pk)
            # A key gone from Redis (a Redis restart) but answered again by the exchange is the
            # one followed: the stream stays open, and no event is lost to a reconnect. One
            # made with keys since replaced is never followed on.
            if follower is not None and (
                follower.task.done()
                or follower.fingerprint != fingerprint
                or key not in (None, follower.listen_key)
            ):
                await self._stop(pk)
                follower = None
            if follower is not None:
                await self._check_key_if_down(pk, follower)
                continue
            if time.monotonic() < self.retry_at.get(pk, 0):
                continue
            if key is None:
                # One at a time, each stream opened as soon as its key is made: at start-up a
                # process gives up some of what it claimed moments later (others join), and
                # a stream cancelled while it opens stays counted by the exchange a little.
                key = await self._ensure_key(pk)
                if key is None:
                    continue
            follower = self.followers[pk] = _Follower(listen_key=key, fingerprint=fingerprint)
            follower.task = asyncio.create_task(
                self._follow(pk, ws_url, follower), name=f"user-stream-{pk}"
            )

    async def _ensure_keys(self, pks: list[int]) -> dict[int, str | None]:
        """Each connection's listen key kept alive or made, several at once: after a Redis
        restart every key is gone from it, and one at a time they took seconds."""
        limit = asyncio.Semaphore(ENSURE_AT_ONCE)

        async def one(pk: int) -> str | None:
            async with limit:
                return await self._ensure_key(pk)

        keys = await asyncio.gather(*(one(pk) for pk in pks))
        return dict(zip(pks, keys, strict=True))

    async def _ensure_key(self, pk: int) -> str | None:
        """Connection ``pk``'s listen key kept alive or made; None (and a retry later) if the
        exchange could not be asked."""
        try:
            key = await asyncio.to_thread(userdata.listen_key_ensure, connection_id=pk)
        except Exception:  # one connection's failure must not cost the others theirs
            log.exception("listen key of connection %s", pk)
            key = None
        if key is None:
            self.retry_at[pk] = time.monotonic() + RETRY_SECONDS
        return key

    async def _check_key_if_down(self, pk: int, follower: _Follower) -> None:
        """Keep alive (or recreate) the key of a stream whose socket stays down; a new key is
        in Redis for the next refresh, which then follows it (and resyncs)."""
        now = time.monotonic()
        if follower.stream is None or follower.stream.connected:
            follower.down_since = None
            return
        follower.down_since = follower.down_since or now
        if now - follower.down_since < self.down_seconds:
            return
        if now - follower.key_checked_at < RETRY_SECONDS:
            return
        follower.key_checked_at = now
        await asyncio.to_thread(userdata.listen_key_ensure, connection_id=pk)

    async def _stop(self, pk: int) -> None:
        follower = self.followers.pop(pk, None)
        if follower is None:
            return
        follower.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await follower.task

    def _positions_later(self, pk: int, follower: _Follower, msg: dict) -> None:
        follower.positions.append(msg)
        if follower.positions_task is None or follower.positions_task.done():
            follower.positions_task = asyncio.create_task(
                self._positions_apply(pk, follower), name=f"user-balances-{pk}"
            )

    async def _positions_apply(self, pk: int, follower: _Follower) -> None:
        """The balance events held back, every ``balances_later_seconds`` while more come."""
        while follower.positions:
            await asyncio.sleep(self.balances_later_seconds)
            events, follower.positions = follower.positions, []
            try:
                await asyncio.to_thread(
                    userdata.account_positions_apply, connection_id=pk, events=events
                )
            except Exception:  # read again by the balance sync and the next resync
                log.exception("balance events of connection %s", pk)

    async def _follow(self, pk: int, ws_url: str, follower: _Follower) -> None:
        try:
            async with binanceus.UserStream(ws_url, follower.listen_key) as stream:
                follower.stream = stream
                log.info("user data stream of connection %s: open", pk)
                await asyncio.to_thread(userdata.connection_resync, connection_id=pk)
                async for msg in stream:
                    if isinstance(msg, binanceus.Reconnected):
                        log.info("user data stream of connection %s: reconnected, resync", pk)
                        await asyncio.to_thread(userdata.connection_resync, connection_id=pk)
                        continue
                    if msg.get("e") == "outboundAccountPosition":
                        self._positions_later(pk, follower, msg)
                        continue
                    kind = await asyncio.to_thread(
                        userdata.user_event_apply, connection_id=pk, data=msg
                    )
                    if kind == "listenKeyExpired":
                        await asyncio.to_thread(userdata.listen_key_ensure, connection_id=pk)
                        return
        except binanceus.StreamError as exc:
            # Often an expired key: asking for it again recreates it if so.
            log.warning("user data stream of connection %s: %s", pk, type(exc).__name__)
            self.retry_at[pk] = time.monotonic() + RETRY_SECONDS
            await asyncio.to_thread(userdata.listen_key_ensure, connection_id=pk)
        except (RedisError, OSError) as exc:
            # Redis restarting under an event being applied: the stream opens again as soon
            # as Redis is back, and resyncs over REST what the lost event said.
            log.warning("user data stream of connection %s: Redis unreachable (%s)", pk, exc)
            self.retry_at[pk] = time.monotonic() + REDIS_RETRY_SECONDS
        except Exception:
            log.exception("user data stream of connection %s failed", pk)
            self.retry_at[pk] = time.monotonic() + RETRY_SECONDS


def _wanted() -> dict[int, tuple[str, str | None, str]]:
    """{connection id: (its WebSocket base URL, its listen key or None, its API key's
    fingerprint)}."""
    connections = userdata.streamable_connections()
    keys = userdata.listen_keys_of(connections)
    return {c.pk: (c.ws_url, keys[c.pk], c.key_fingerprint) for c in connections}
