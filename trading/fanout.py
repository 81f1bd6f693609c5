"""The market-data fan-out server: the same /ws/market/<SYMBOL>/ and /ws/markets/ routes as the
daphne consumers, built for many sockets per process.

Each process joins the channel-layer group of a symbol once (not once per socket), and hands
every message — already encoded by the stream process — to all of its local sockets with
``websockets.broadcast``, which writes the same frame to each transport without a per-socket
task or copy. Admission matches the Channels stack: the Origin must be an allowed host, and the
session cookie must belong to a signed-in user who passed 2FA where it applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from http import HTTPStatus
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http.request import validate_host
from redis.exceptions import RedisError
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from accounts.twofactor import session_is_verified, user_with_second_factor
from desk.layers import RECONNECTED
from trading.market import keys, watchers

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
REJOIN_SECONDS = 1.0  # between attempts to join a group again while Redis is away


def route(path: str) -> tuple[str, str] | None:
    """(watch name, channel-layer group) for a socket path, or None if it is not ours."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts == ["ws", "markets"]:
        return keys.OVERVIEW_WATCH, keys.OVERVIEW_GROUP
    if len(parts) == 3 and parts[:2] == ["ws", "market"]:
        symbol = parts[2].upper()
        if keys.SYMBOL_RE.match(symbol):
            return symbol, keys.market_group(symbol)
    return None


def origin_allowed(origin: str | None) -> bool:
    """As Channels' AllowedHostsOriginValidator: the Origin's host must be an allowed host."""
    if not origin:
        return False
    host = urlsplit(origin).hostname
    allowed = settings.ALLOWED_HOSTS or (
        ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    return bool(host) and validate_host(host, allowed)


def _session_user(cookie_header: str | None):
    """The verified user behind a session cookie, or None. Runs in a thread (ORM)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string

    cookie = SimpleCookie()
    cookie.load(cookie_header or "")
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    session: SessionBase = store_class(morsel.value)
    user = user_with_second_factor(session[SESSION_KEY]) if SESSION_KEY in session else None
    if user is None or BACKEND_SESSION_KEY not in session or not user.is_active:
        return None
    # A password change logs other sessions out: same check as django.contrib.auth.get_user.
    if session.get(HASH_SESSION_KEY) != user.get_session_auth_hash():
        return None
    return user if session_is_verified(user=user, session=session) else None


class Fanout:
    def __init__(self, *, channel_layer, redis):
        self.layer = channel_layer
        self.redis = redis
        self.sockets: dict[str, set[ServerConnection]] = {}
        self.readers: dict[str, asyncio.Task] = {}
        self.routes: dict[ServerConnection, tuple[str, str]] = {}

    async def process_request(self, connection: ServerConnection, request):
        if route(request.path) is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "No such stream.\n")
        if not origin_allowed(request.headers.get("Origin")):
            return connection.respond(HTTPStatus.FORBIDDEN, "Origin not allowed.\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        user = await sync_to_async(_session_user)(ws.request.headers.get("Cookie"))
        if user is None:
            await ws.close(CLOSE_UNAUTHORIZED, "sign in first")
            return
        watch_name, group = route(ws.request.path)
        await self.join(ws, watch_name, group)
        try:
            # A browser that left before its cached state went out (a page closed at once) is
            # not an error: nothing is left to send it.
            with contextlib.suppress(ConnectionClosed):
                for text in await watchers.cached_messages(watch_name, redis=self.redis):
                    await ws.send(text)
            await ws.wait_closed()
        finally:
            await self.leave(ws)

    async def join(self, ws: ServerConnection, watch_name: str, group: str) -> None:
        self.routes[ws] = (watch_name, group)
        members = self.sockets.setdefault(group, set())
        members.add(ws)
        await watchers.watch(watch_name, self._watcher_id(ws), redis=self.redis)
        if group not in self.readers:
            self.readers[group] = asyncio.create_task(self._read(group, watch_name))

    async def leave(self, ws: ServerConnection) -> None:
        watch_name, group = self.routes.pop(ws)
        # Before any await: sockets of one group leaving at once must not each see it emptied.
        members = self.sockets[group]
        members.discard(ws)
        if not members:
            del self.sockets[group]
            self.readers.pop(group).cancel()
        # Redis away: the entry expires by itself (trading.market.watchers).
        with contextlib.suppress(RedisError, OSError):
            await watchers.unwatch(watch_name, self._watcher_id(ws), redis=self.redis)

    async def _read(self, group: str, watch_name: str) -> None:
        """One channel-layer subscription per group per process, broadcast to local sockets.
        Through a Redis restart (which forgets group memberships and watcher entries) it
        joins again and re-makes its sockets' watcher entries, so the books come back without
        the browsers reconnecting."""
        lost = False
        while True:
            channel = None
            try:
                channel = await self.layer.new_channel()
                await self.layer.group_add(group, channel)
                if lost:
                    await self._rewatch(watch_name)
                    log.info("fan-out: %s joined again after losing Redis", group)
                lost = False
                while True:
                    event = await self.layer.receive(channel)
                    if event["type"] == RECONNECTED["type"]:
                        # The books' sequence checks resync the pages over what was lost.
                        await self._rewatch(watch_name)
                        continue
                    broadcast(self.sockets.get(group, ()), event["text"])
            except asyncio.CancelledError:
                if channel is not None:
                    with contextlib.suppress(Exception):
                        await self.layer.group_discard(group, channel)
                raise
            except Exception as exc:
                if not lost:
                    log.warning("fan-out: %s lost the channel layer (%s); retrying", group, exc)
                lost = True
                await asyncio.sleep(REJOIN_SECONDS)

    async def _rewatch(self, watch_name: str) -> None:
        ids = [
            self._watcher_id(ws)
            for ws, (name, _) in list(self.routes.items())
            if name == watch_name
        ]
        if ids:
            await watchers.watch_many(watch_name, ids, redis=self.redis)

    async def refresh_watchers(self) -> None:
        """Keep this process's watcher entries alive while its sockets are open: one Redis
        round trip per symbol, however many sockets watch it."""
        while True:
            await asyncio.sleep(watchers.REFRESH_EVERY_SECONDS)
            by_watch: dict[str, list[str]] = {}
            for ws, (watch_name, _) in list(self.routes.items()):
                by_watch.setdefault(watch_name, []).append(self._watcher_id(ws))
            for watch_name, ids in by_watch.items():
                try:
                    await watchers.watch_many(watch_name, ids, redis=self.redis)
                except Exception as exc:  # Redis away: the next round, or _read, makes them
                    log.warning(
                        "fan-out: watcher entries for %s not refreshed (%s)", watch_name, exc
                    )

    @staticmethod
    def _watcher_id(ws: ServerConnection) -> str:
        return f"fanout:{ws.id}"


async def serve_fanout(*, host: str, port: int, channel_layer, redis) -> None:
    fanout = Fanout(channel_layer=channel_layer, redis=redis)
    async with serve(
        fanout.handler,
        host,
        port,
        process_request=fanout.process_request,
        compression=None,  # deflate per socket would undo encode-once
        max_size=2**16,
        ping_interval=20,
        ping_timeout=20,
    ) as server:
        log.info("market fan-out listening on ws://%s:%s", host, port)
        refresher = asyncio.create_task(fanout.refresh_watchers())
        try:
            await server.serve_forever()
        finally:
            refresher.cancel()
