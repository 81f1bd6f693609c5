"""The admin API's HTTP plumbing: loopback-only access, JSON bodies and replies, and
AdminError -> {"error": ...} with its status."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reply(doc: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(doc), status=status, content_type="application/json")


def is_loopback(remote: str | None) -> bool:
    try:
        addr = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or (mapped is not None and mapped.is_loopback)


def guarded(fn: Handler) -> Handler:
    """Loopback only; AdminError -> {"error": ...} with its status."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        if not is_loopback(request.remote):
            return reply({"error": "the admin API is only served to loopback clients"}, 403)
        try:
            return await fn(request)
        except AdminError as exc:
            return reply({"error": exc.message}, exc.status)

    return wrapper


async def read_body(request: web.Request) -> dict:
    try:
        doc = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise AdminError(400, "body must be a JSON object") from None
    if not isinstance(doc, dict):
        raise AdminError(400, "body must be a JSON object")
    return doc


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
