"""WebSocket endpoints: raw `/ws/<name>[/<name>...]`, combined `/stream?streams=a/b`, and the
stream-control methods (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY,
GET_PROPERTY) with the spec's error objects ("WebSocket Errors").

Connection rules ("WebSocket Information", "WebSocket Rate Limits"): a ping frame every
`ping_s` (3 minutes); at most 5 incoming messages per second (ping, pong and text frames
alike; a token bucket of 5 refilled at 5/s) or the connection is closed (1008); at most 1024
streams per connection (a longer URL is refused with HTTP 400, a SUBSCRIBE going over answers
an error object); every connection is closed (1001) `max_age_s` after it opened (24 hours).

A raw URL may name something that is no stream at all: third-party clients open `/ws/0` (any
placeholder) and SUBSCRIBE over it. Such a name is accepted and ignored (nothing is sent for
it, LIST_SUBSCRIPTIONS does not show it). A name shaped like a stream ("<symbol>@<kind>",
"!...@arr") or a listenKey that does not exist is still refused (HTTP 400)."""

from __future__ import annotations

import asyncio
import json
import re

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from .streams import Conn, StreamHub, cancel_task

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
MAX_STREAMS = 1024
MAX_MESSAGES_PER_S = 5
COUNTED = (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.PING, WSMsgType.PONG)
# What a listenKey looks like (the spec's are 60 characters, the sandbox's 64).
LISTEN_KEY_RE = re.compile(r"^[A-Za-z0-9]{60,64}$")


def stream_shaped(name: str) -> bool:
    """Whether `name` means to be a stream: a market stream's or a listenKey's shape."""
    return "@" in name or name.startswith("!") or LISTEN_KEY_RE.match(name) is not None


def _err(code: int, msg: str, req_id: object = None) -> dict:
    out: dict = {"code": code, "msg": msg}
    if req_id is not None:
        out["id"] = req_id
    return out


class _Bucket:
    """MAX_MESSAGES_PER_S incoming messages per second, with bursts up to the same number."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = asyncio.get_running_loop().time()

    def take(self) -> bool:
        now = asyncio.get_running_loop().time()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class WsHandlers:
    def __init__(
        self,
        hub: StreamHub,
        ping_s: float,
        max_age_s: float = 86_400.0,
        max_messages_per_s: float = MAX_MESSAGES_PER_S,
    ) -> None:
        self.hub = hub
        self.ping_s = ping_s
        self.max_age_s = max_age_s
        self.max_messages_per_s = max_messages_per_s
        self.conns = hub.conns

    async def close_all(self, app: web.Application) -> None:
        """On shutdown: close every socket (going away) instead of waiting for clients."""
        for conn in list(self.conns):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def raw(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info.get("tail", "")
        names = [n for n in tail.split("/") if n]
        return await self._serve(request, names, combined=False)

    async def combined(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve(request, names, combined=True)

    async def _serve(
        self, request: web.Request, names: list[str], combined: bool
    ) -> web.StreamResponse:
        if len(dict.fromkeys(names)) > MAX_STREAMS:
            return web.json_response(_err(2, "Invalid request: too many parameters"), status=400)
        names = [n for n in names if self.hub.valid_name(n) or stream_shaped(n)]
        bad = [n for n in names if not self.hub.valid_name(n)]
        if bad:
            body = _err(2, f"Invalid request: invalid stream name '{bad[0]}'")
            return web.json_response(body, status=400)
        # autoping off: pings and pongs reach the loop below, which counts them and answers.
        ws = web.WebSocketResponse(heartbeat=self.ping_s, autoping=False)
        await ws.prepare(request)
        conn = Conn(ws, combined, request)
        self.conns.add(conn)
        for name in names:
            self.hub.subscribe(conn, name)
        writer = asyncio.create_task(conn.writer())
        loop = asyncio.get_running_loop()
        expiry = loop.call_later(
            self.max_age_s, conn.close_soon, WSCloseCode.GOING_AWAY, b"connection max age"
        )
        bucket = _Bucket(self.max_messages_per_s)
        try:
            async for msg in ws:
                if msg.type in COUNTED and not bucket.take():
                    conn.close_soon(WSCloseCode.POLICY_VIOLATION, b"too many messages")
                    break
                if msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    conn.push(orjson.dumps(self.control(conn, msg.data)))
                if conn.closed:
                    break
        finally:
            expiry.cancel()
            self.conns.discard(conn)
            self.hub.drop(conn)
            conn.close_soon()
            await cancel_task(writer)
            await ws.close(code=conn.close_code, message=conn.close_message)
        return ws

    def control(self, conn: Conn, text: str) -> dict:
        """Answer one stream-control message."""
        try:
            req = json.loads(text)
        except json.JSONDecodeError as exc:
            return _err(3, f"Invalid JSON: expected value at line {exc.lineno} column {exc.colno}")
        if not isinstance(req, dict):
            return _err(3, "Invalid JSON: expected value at line 1 column 1")
        req_id = req.get("id")
        if req_id is not None and (
            not isinstance(req_id, int) or isinstance(req_id, bool) or req_id < 0
        ):
            return _err(2, "Invalid request: request ID must be an unsigned integer")
        method = req.get("method")
        if method is None:
            return _err(
                2, f"Invalid request: missing field method at line 1 column {len(text)}", req_id
            )
        if method not in METHODS:
            col = text.find(str(method)) + len(str(method)) + 1
            return _err(
                2,
                f"Invalid request: unknown variant {method}, expected one of "
                f"{', '.join(METHODS)} at line 1 column {col}",
                req_id,
            )
        params = req.get("params", [])
        if not isinstance(params, list):
            return _err(2, "Invalid request: too many parameters", req_id)
        return getattr(self, f"_{method.lower()}")(conn, params, req_id)

    def _subscribe(self, conn: Conn, params: list, req_id: object) -> dict:
        names = [n for n in params if isinstance(n, str)]
        if len(set(conn.streams) | set(names)) > MAX_STREAMS:
            return _err(2, "Invalid request: too many parameters", req_id)
        for name in params:
            if not isinstance(name, str) or not self.hub.valid_name(name):
                return _err(2, f"Invalid request: invalid stream name '{name}'", req_id)
        for name in params:
            self.hub.subscribe(conn, name)
        return {"result": None, "id": req_id}

    def _unsubscribe(self, conn: Conn, params: list, req_id: object) -> dict:
        for name in params:
            if isinstance(name, str):
                self.hub.unsubscribe(conn, name)
        return {"result": None, "id": req_id}

    def _list_subscriptions(self, conn: Conn, params: list, req_id: object) -> dict:
        if params:
            return _err(2, "Invalid request: too many parameters", req_id)
        return {"result": list(conn.streams), "id": req_id}

    def _set_property(self, conn: Conn, params: list, req_id: object) -> dict:
        if len(params) != 2:
            return _err(2, "Invalid request: too many parameters", req_id)
        name, value = params
        if not isinstance(name, str):
            return _err(2, "Invalid request: property name must be a string", req_id)
        if name != "combined":
            return {"code": 0, "msg": "Unknown property", "ID": req_id}
        if not isinstance(value, bool):
            return _err(1, "Invalid value type: expected Boolean", req_id)
        conn.combined = value
        return {"result": None, "id": req_id}

    def _get_property(self, conn: Conn, params: list, req_id: object) -> dict:
        if len(params) != 1:
            return _err(2, "Invalid request: too many parameters", req_id)
        if not isinstance(params[0], str):
            return _err(2, "Invalid request: property name must be a string", req_id)
        if params[0] != "combined":
            return {"code": 0, "msg": "Unknown property", "ID": req_id}
        return {"result": conn.combined, "id": req_id}
