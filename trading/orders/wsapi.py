"""The WebSocket API sessions: the stream process holds one per trading connection; the web
process sends its order calls through it (Redis lists between the two).

A request is pushed on the connection's ``REQUEST_KEY`` list, already signed by the web
process (:class:`binanceus.WsApiRelay`); the session pops it (one taker, atomically), sends
it as it is and pushes the exchange's answer on the request's ``ANSWER_KEY``. A request no
session took in time is removed by the web process itself: whichever of the two removes it
decides, so it is either sent once or never, and the web process knows which (never sent:
REST is safe; taken and unanswered: the outcome is unknown and is reconciled).

While its socket is open the session keeps ``LIVE_KEY`` set (``LIVE_SECONDS`` expiry,
renewed every second) to a report of its health for the stream-health page; a request is
pushed only while it is set (checked in the same script), else answered "not sent" at once,
and the web process sends over REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
import redis
from django.conf import settings

import binanceus
from accounts.exchange import weight_budget
from trading.orders import userdata
from trading.orders.loops import ConnectionLoop

log = logging.getLogger(__name__)

LIVE_KEY = "desk:wsapi:live:{pk}"
REQUEST_KEY = "desk:wsapi:req:{pk}"
ANSWER_KEY = "desk:wsapi:ans:{id}"
# An answer nobody popped (its web process gave up waiting) is gone after this long.
ANSWER_SECONDS = 60
# The live report outlives a stream process that stopped renewing it by this long.
LIVE_SECONDS = 3.0
# Seconds a request may wait for a session to take it, beyond the exchange's own timeout.
HOP_SECONDS = 1.0
# A session whose socket could not be opened tries again after this long (doubling to MAX).
RETRY_SECONDS, RETRY_MAX_SECONDS = 1.0, 10.0
# While Redis is away (a restart) the session keeps its socket and asks again this often.
REDIS_RETRY_SECONDS = 0.5


# --- the web process's side ------------------------------------------------------------------
@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)


def session_live(pk: int) -> bool:
    return bool(_redis().exists(LIVE_KEY.format(pk=pk)))


SESSION_DOWN = "the WebSocket API session is down"
_DOWN_REPLY = orjson.dumps({"lost": "unsent", "detail": SESSION_DOWN})

# The request handed to the session only while it is live, else answered "not sent" at once;
# sent in one write with the wait for its answer (``_handed_over``). One round trip to Redis
# before the order reaches the session, where asking whether it is live, pushing and waiting took
# three (Redis runs a script whole, so a session that ends meanwhile cannot leave one untaken).
_HAND_OVER = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('RPUSH', KEYS[2], ARGV[1])
end
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 0
"""


def forwarder(pk: int) -> binanceus.Forward:
    """The ``forward`` of a :class:`binanceus.WsApiRelay` through connection ``pk``'s session."""

    def forward(method: str, params: dict[str, Any], timeout: float) -> Mapping[str, Any]:
        rid = uuid.uuid4().hex
        body = orjson.dumps({"id": rid, "method": method, "params": params, "timeout": timeout})
        live, queue = LIVE_KEY.format(pk=pk), REQUEST_KEY.format(pk=pk)
        answer = ANSWER_KEY.format(id=rid)
        r = _redis()
        script = ("EVAL", _HAND_OVER, 3, live, queue, answer, body, _DOWN_REPLY, ANSWER_SECONDS)
        got = _handed_over(r, method, script, ("BLPOP", answer, timeout + HOP_SECONDS))
        if got is None:
            if r.lrem(queue, 1, body):  # still there: no session took it, nothing was sent
                raise binanceus.NotForwarded("no WebSocket API session took it", endpoint=method)
            raise binanceus.RequestTimeout(f"{method}: the session took it and did not answer")
        return _reply(method, got[1])

    return forward


def _handed_over(r: redis.Redis, method: str, script: tuple, wait: tuple) -> list | None:
    """The script and the wait for the answer sent at once; the wait's reply (None when it
    ran out). A script Redis refused (out of memory, say) queued nothing: ``NotForwarded``,
    and its wait, which would go on for its whole timeout for an answer that cannot come (a
    pipeline reads both replies), is dropped with the socket."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands([script, wait]))
        try:
            conn.read_response()
        except redis.ResponseError as exc:
            raise binanceus.NotForwarded(f"Redis refused it: {exc}", endpoint=method) from None
        return conn.read_response()
    except BaseException:
        conn.disconnect()  # a reply still owed must not be read by the next command
        raise
    finally:
        r.connection_pool.release(conn)


def _reply(method: str, raw: bytes) -> Mapping[str, Any]:
    reply = json.loads(raw, parse_float=Decimal)
    lost = reply.get("lost")
    if lost == "unsent":
        raise binanceus.NotForwarded(reply["detail"], endpoint=method)
    if lost is not None:
        raise binanceus.ConnectionLost(f"{method}: {reply['detail']}")
    return reply["answer"]


# --- the stream process's side ---------------------------------------------------------------
class WsApiSessions(ConnectionLoop):
    """One :class:`Session` per trading connection, started and stopped as connections come
    and go (read again every ``poll_seconds``)."""

    what = "WebSocket API sessions"

    def __init__(self, *, poll_seconds: float = 1.0) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.sessions: dict[int, asyncio.Task] = {}

    def running(self) -> list[int]:
        return list(self.sessions)

    async def refresh(self) -> None:
        wanted = self.held(await asyncio.to_thread(_wanted))
        for pk in [pk for pk, task in self.sessions.items() if pk not in wanted or task.done()]:
            await self._stop(pk)
        for pk, (url, environment) in wanted.items():
            if pk not in self.sessions:
                session = Session(pk, url, environment)
                self.sessions[pk] = asyncio.create_task(session.run(), name=f"ws-api-{pk}")

    async def _stop(self, pk: int) -> None:
        task = self.sessions.pop(pk, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _wanted() -> dict[int, tuple[str, str]]:
    return {c.pk: (c.ws_api_url, c.environment) for c in userdata.streamable_connections()}


class Session:
    """Connection ``pk``'s socket to the WebSocket API: kept open, reported live, and sending
    whatever the web process pushes for it."""

    def __init__(self, pk: int, url: str, environment: str) -> None:
        self.pk = pk
        self.client = binanceus.AsyncWsApiClient(
            url=url, timeout=settings.EXCHANGE_TIMEOUT, weight_budget=weight_budget(environment)
        )
        self.inflight: set[asyncio.Task] = set()

    async def run(self) -> None:
        from trading.market.watchers import redis_client

        r = redis_client()
        keeper = asyncio.create_task(self._keep_open(r), name=f"ws-api-{self.pk}-live")
        try:
            while True:
                try:
                    got = await r.blpop([REQUEST_KEY.format(pk=self.pk)], timeout=1)
                except (redis.RedisError, OSError):
                    # Redis restarting: the socket to the exchange stays open, so the session
                    # is live again as soon as Redis is back (not after a reconnect).
                    await asyncio.sleep(REDIS_RETRY_SECONDS)
                    continue
                if got is not None:
                    task = asyncio.create_task(self._answer(r, got[1]))
                    self.inflight.add(task)
                    task.add_done_callback(self.inflight.discard)
        finally:
            keeper.cancel()
            for task in [keeper, *self.inflight]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                await r.delete(LIVE_KEY.format(pk=self.pk))
            await self.client.aclose()

    async def _keep_open(self, r) -> None:
        """Open the socket (again, after a drop) and say so every second while it is open."""
        wait = RETRY_SECONDS
        while True:
            if not self.client.stats().connected:
                await self._report(r, None)
                try:
                    await self.client.connect()
                    log.info("WebSocket API session of connection %s: open", self.pk)
                    wait = RETRY_SECONDS
                except Exception as exc:
                    log.warning("WebSocket API session of connection %s: %s", self.pk, exc)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, RETRY_MAX_SECONDS)
                    continue
            stats = self.client.stats()  # the socket may have closed since the check above
            await self._report(r, live_report(self.pk, stats) if stats.connected else None)
            await asyncio.sleep(1)

    async def _report(self, r, report: dict[str, Any] | None) -> None:
        """The live key set (or, with None, removed); Redis away is waited out, as in run."""
        key = LIVE_KEY.format(pk=self.pk)
        try:
            if report is None:
                await r.delete(key)
            else:
                await r.set(key, orjson.dumps(report), px=int(LIVE_SECONDS * 1000))
        except (redis.RedisError, OSError) as exc:
            log.debug("WebSocket API session of connection %s: no live report (%s)", self.pk, exc)

    async def _answer(self, r, raw: bytes) -> None:
        request = orjson.loads(raw)
        try:
            answer = await self.client.forward(
                request["method"], request["params"], timeout=request["timeout"]
            )
            reply: dict[str, Any] = {"answer": answer}
        except (binanceus.TransportError, binanceus.RateLimited, binanceus.IPBanned) as exc:
            reply = {"lost": "unsent", "detail": str(exc)}  # refused before anything was sent
        except Exception as exc:  # sent, and no answer: the web process reconciles it
            reply = {"lost": "no_answer", "detail": str(exc) or type(exc).__name__}
        key = ANSWER_KEY.format(id=request["id"])
        async with r.pipeline(transaction=True) as pipe:
            pipe.rpush(key, orjson.dumps(reply, default=str)).expire(key, ANSWER_SECONDS)
            await pipe.execute()


def live_report(pk: int, stats: binanceus.WsApiStats) -> dict[str, Any]:
    """The session's health as the stream-health page shows it."""
    from django.utils import timezone

    now = timezone.now()
    since = stats.connected_since
    weight = stats.used_weight
    return {
        "connection": pk,
        "url": stats.url,
        "connected": stats.connected,
        "connectedSince": since.isoformat() if since else None,
        "ageSeconds": round((now - since).total_seconds(), 1) if since else None,
        "lastPongAt": stats.last_pong_at.isoformat() if stats.last_pong_at else None,
        "pingsAnswered": stats.pings_answered,
        "reconnects": stats.reconnects,
        "rollovers": stats.rollovers,
        "requestsSent": stats.requests_sent,
        "pending": stats.pending,
        "usedWeight1m": weight.get("X-MBX-USED-WEIGHT-1M"),
        "orderCount10s": weight.get("X-MBX-ORDER-COUNT-10S"),
        "orderCount1d": weight.get("X-MBX-ORDER-COUNT-1D"),
        "reportedAt": now.isoformat(),
    }
