"""The aiohttp application: REST (through the dispatch core it shares with the WebSocket API),
the WebSocket API at /ws-api/v3, streams and admin routes, all on one port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
from aiohttp import web

from . import (
    accounting,
    admin,
    cancel_replace,
    creditline,
    custody,
    custody_orders,
    dust,
    errors,
    oco,
    order_history,
    orders,
    otc,
    partners,
    staking,
    subaccounts,
    wallet,
)
from . import rest as rest_handlers  # `rest` is the aiohttp handler below
from .auth import rest_credentials
from .dispatch import FAULTED_ENDPOINTS as FAULTED_ENDPOINTS  # tests read it from here
from .dispatch import Call, Outcome, dispatch
from .endpoint_table import find
from .params import request_params
from .state import Exchange
from .streams import cancel_task
from .symbols import SYMBOLS
from .ws import WsHandlers
from .ws_api import WsApi

EXCHANGE = web.AppKey("exchange", Exchange)
# The modules whose @route handlers fill ROUTES: named here so every one is imported.
HANDLER_MODULES = (
    accounting,
    cancel_replace,
    creditline,
    custody,
    custody_orders,
    dust,
    oco,
    order_history,
    orders,
    otc,
    partners,
    rest_handlers,
    staking,
    subaccounts,
    wallet,
)


def json_response(doc: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(doc), status=status, headers=headers, content_type="application/json"
    )


async def rest(request: web.Request) -> web.Response:
    """Every /api and /sapi request: read it, run it through the shared dispatch core."""
    ex = request.app[EXCHANGE]
    ip = request.remote or ""
    header = request.headers.get("X-MBX-APIKEY")
    ex.requests.record(header, request.path, request.method)
    endpoint = find(request.method, request.path)
    query = request.rel_url.raw_query_string
    body = (await request.read()).decode("utf-8", "surrogateescape")
    call = Call(endpoint, None, rest_credentials(header, query, body), ip)
    try:
        call.params = request_params(endpoint, request.path, query, body)
    except errors.ApiError as exc:
        call.parse_error = exc
    out = dispatch(ex, call)
    if out.fault is not None and out.fault.mode == "execute_then_timeout":
        await _hold(request, out.fault.hold_s)
    return _answer(ex, ip, out)


async def _hold(request: web.Request, seconds: float) -> None:
    """Keep the response back for `seconds`, or until the client gives up and disconnects."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


def _answer(ex: Exchange, ip: str, out: Outcome) -> web.Response:
    error = out.error
    if out.bare:
        assert error is not None
        return json_response(error.body(), error.status)
    used = str(ex.limits.used_weight(ip))
    headers = {**out.headers, "X-MBX-USED-WEIGHT": used, "X-MBX-USED-WEIGHT-1M": used}
    if error is not None:
        return json_response(error.body(), error.status, headers)
    return json_response(out.result, 200, headers)


async def not_found(request: web.Request) -> web.Response:
    return json_response(errors.unsupported(404).body(), 404)


async def _background(app: web.Application) -> AsyncIterator[None]:
    ex = app[EXCHANGE]
    tasks = [asyncio.create_task(ex.hub.run())]
    tick_ms = app[TICK_MS]
    if tick_ms > 0:
        tasks.append(asyncio.create_task(ex.flow.run(tick_ms)))
    tasks.append(asyncio.create_task(_settle_every_second(ex)))
    yield
    for task in tasks:
        await cancel_task(task)


async def _settle_every_second(ex: Exchange) -> None:
    """Clock-driven wallet/staking progress (and its user-data events) without a request."""
    while True:
        await asyncio.sleep(1.0)
        ex.settle()


TICK_MS = web.AppKey("tick_ms", int)


def build_app(
    ex: Exchange,
    *,
    tick_ms: int = 250,
    ws_ping_s: float = 180.0,
    ws_max_age_s: float = 86_400.0,
) -> web.Application:
    app = web.Application(client_max_size=1 << 20)
    app[EXCHANGE] = ex
    quotes = {s.symbol: s.quote for s in SYMBOLS.values()}
    ex.engine.listener = accounting.AccountTap(ex.engine.listener, ex.engine, ex.faults, quotes)
    app[TICK_MS] = tick_ms
    app.cleanup_ctx.append(_background)
    ws = WsHandlers(ex.hub, ws_ping_s, ws_max_age_s)
    app.on_shutdown.append(ws.close_all)
    ws_api = WsApi(ex, ws_ping_s, ws_max_age_s)
    app.on_shutdown.append(ws_api.close_all)
    admin.add_routes(app, ex)
    order_history.add_routes(app, ex)
    app.router.add_get("/ws", ws.raw)
    app.router.add_get("/ws/{tail:.*}", ws.raw)
    app.router.add_get("/stream", ws.combined)
    app.router.add_get("/ws-api/v3", ws_api.handle)
    for prefix in ("/api/", "/sapi/"):
        app.router.add_route("*", prefix + "{tail:.*}", rest)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app


@contextlib.asynccontextmanager
async def serve(ex: Exchange, host: str, port: int, **kwargs: object) -> AsyncIterator[str]:
    """Run the app on host:port until the context exits; yields the base URL."""
    runner = web.AppRunner(
        build_app(ex, **kwargs),  # type: ignore[arg-type]
        access_log=None,
        shutdown_timeout=2.0,
        # room for /stream?streams=... URLs naming up to 1024 streams
        max_line_size=1 << 16,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
