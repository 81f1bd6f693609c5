"""The aiohttp application: REST dispatch (auth, weights, errors), streams and admin routes,
all on one port."""

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
from .auth import authenticate
from .clock import Fault
from .ctx import Ctx
from .endpoint_table import Endpoint, find
from .params import Params, check_names, request_params
from .ratelimit import Refusal
from .rest import VARIABLE_WEIGHTS
from .routes import ROUTES
from .state import Exchange
from .streams import cancel_task
from .symbols import SYMBOLS
from .ws import WsHandlers

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


def _weight(endpoint: Endpoint, params: Params | None) -> int:
    if endpoint.weight is not None:
        return endpoint.weight
    rule = VARIABLE_WEIGHTS.get(endpoint.path)
    if rule is None or params is None:
        return 1
    try:
        return rule(params)
    except errors.ApiError:
        return 1


# Endpoints whose calls the admin-set faults (clock.Faults) apply to, by operation name.
FAULTED_ENDPOINTS = {
    ("POST", "/sapi/v3/sub-account/transfer"): "transfer",
    ("POST", "/api/v3/order"): "order",
    ("DELETE", "/api/v3/order"): "cancel",
    ("DELETE", "/api/v3/openOrders"): "cancel",
    ("POST", "/api/v3/order/cancelReplace"): "cancelReplace",
    ("POST", "/api/v3/order/oco"): "oco",
    ("POST", "/sapi/v1/capital/withdraw/apply"): "withdrawApply",
    ("POST", "/sapi/v1/fiatpayment/withdraw/apply"): "fiatWithdrawApply",
    ("POST", "/sapi/v1/staking/stake"): "stake",
    ("POST", "/sapi/v1/staking/unstake"): "unstake",
    ("POST", "/sapi/v1/custodian/order"): "custodyOrder",
    ("POST", "/sapi/v1/custodian/ocoOrder"): "custodyOrder",
    ("DELETE", "/sapi/v1/custodian/cancelOrder"): "custodyCancel",
    ("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol"): "custodyCancel",
    ("DELETE", "/sapi/v1/custodian/cancelOcoOrder"): "custodyCancel",
    ("POST", "/sapi/v1/custodian/walletTransfer"): "custodianTransfer",
    ("POST", "/sapi/v1/custodian/custodianTransfer"): "custodianTransfer",
    ("POST", "/sapi/v1/custodian/undoTransfer"): "custodianUndo",
    ("POST", "/sapi/v1/cl/transfer"): "creditLineTransfer",
    ("POST", "/sapi/v1/otc/orders"): "otcOrder",
    ("POST", "/sapi/v1/asset/dust"): "dust",
}


async def rest(request: web.Request) -> web.Response:
    """Every /api and /sapi request: find the endpoint, count weight, authenticate, run."""
    ex = request.app[EXCHANGE]
    ip = request.remote or ""
    ex.requests.record(request.headers.get("X-MBX-APIKEY"), request.path, request.method)
    endpoint = find(request.method, request.path)
    query = request.rel_url.raw_query_string
    body = (await request.read()).decode("utf-8", "surrogateescape")
    params: Params | None = None
    parse_error: errors.ApiError | None = None
    try:
        params = request_params(endpoint, request.path, query, body)
    except errors.ApiError as exc:
        parse_error = exc
    weight = 1 if endpoint is None else _weight(endpoint, params)
    try:
        ex.limits.admit(ip, weight)
    except Refusal as refusal:
        return _answer(ex, ip, refusal.error, {"Retry-After": str(refusal.retry_after_s)})
    if endpoint is None:
        return _answer(ex, ip, errors.unsupported(404), {})
    ctx_headers: dict[str, str] = {}
    fault: Fault | None = None
    try:
        if parse_error is not None:
            raise parse_error
        assert params is not None
        key = authenticate(
            ex.registry,
            request.headers.get("X-MBX-APIKEY"),
            endpoint,
            params,
            query,
            body,
            ex.clock.now_ms(),
        )
        handler = ROUTES.get((endpoint.method, endpoint.path))
        if handler is None:  # in the spec, not in the sandbox (yet)
            raise errors.unsupported(404)
        check_names(endpoint.method, endpoint.path, endpoint.security == "SIGNED", params.values)
        op = FAULTED_ENDPOINTS.get((endpoint.method, endpoint.path))
        fault = ex.faults.take(op) if op else None
        if fault is not None and fault.mode == "unavailable_503":
            # Not executed, and (per the 503 taxonomy) not counted toward the rate limit.
            ex.limits.add_weight(ip, -weight)
            return json_response(errors.service_unavailable().body(), 503)
        ex.settle()  # what the sandbox clock made due happens before this request
        ctx = Ctx(ex, params, key, ip, ctx_headers)
        result: object = handler(ctx)
    except errors.ApiError as exc:
        result = exc
    except Refusal as refusal:  # an order limit
        result = refusal.error
        ctx_headers["Retry-After"] = str(refusal.retry_after_s)
    if fault is not None:  # executed (or failed) as usual; the client never learns which
        if fault.mode == "execute_then_timeout":
            await _hold(request, fault.hold_s)
        result = errors.unknown_outcome()
    return _answer(ex, ip, result, ctx_headers)


async def _hold(request: web.Request, seconds: float) -> None:
    """Keep the response back for `seconds`, or until the client gives up and disconnects."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


def _answer(ex: Exchange, ip: str, result: object, headers: dict[str, str]) -> web.Response:
    used = str(ex.limits.used_weight(ip))
    headers = {**headers, "X-MBX-USED-WEIGHT": used, "X-MBX-USED-WEIGHT-1M": used}
    if isinstance(result, errors.ApiError):
        return json_response(result.body(), result.status, headers)
    return json_response(result, 200, headers)


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
    admin.add_routes(app, ex)
    order_history.add_routes(app, ex)
    app.router.add_get("/ws", ws.raw)
    app.router.add_get("/ws/{tail:.*}", ws.raw)
    app.router.add_get("/stream", ws.combined)
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
