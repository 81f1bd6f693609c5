"""The WebSocket API at /ws-api/v3 (spec "WebSocket API", L10138-13947): its 33 methods run the
REST endpoints' handlers through the dispatch core REST uses (dispatch.py), so a call has the
same parameters, errors, weight (one per-IP counter for both transports), order counts and
listen keys as its REST twin (ws_api_methods.METHODS names the twin of each method).

Envelope: a request is a JSON object `{id, method, params}` in one text frame; `method` may
carry the "v3/" prefix (L10178). The answer is `{id, status, result | error, rateLimits}`
with `status` as HTTP's; rateLimits lists the account's ORDERS counts (for the methods that
place orders) then REQUEST_WEIGHT, unless `returnRateLimits` is false in the request's params
or (as the connection's default) in the URL query (L10522-10536). A 429/418 error carries
`data: {serverTime, retryAfter}`, retryAfter being the epoch ms it may be retried at
(L10549-10552, L10578-10583); a 418 ban also closes the connection. order.cancelReplace
answers 409 (-2021) when one of its two parts failed and 400 (-2022) when nothing was placed,
`data` telling which (L12405-12413). The sandbox has no WAF: it never answers 403.

Parameters are JSON values; the REST handlers read them as text: strings as sent, numbers as
written (0.01 stays "0.01"), booleans as true/false, arrays (symbols, permissions) as compact
JSON, null as not sent. apiKey (and returnRateLimits) are not REST parameters and are taken
out; the signature covers them all the same (auth.ws_credentials).

Connection (L10142-10145, L10543): opening one costs 1 weight (refused with HTTP 429/418 when
over the limit); the server pings every `ping_s` (3 minutes) and drops a client it has had no
pong from for 10/3 of that (10 minutes); every connection is closed (1001) `max_age_s` after
it opened (24 hours).

Choices where the spec is silent or contradicts itself:
- A frame that is not a JSON object: status 400, id null, -1135 "Invalid JSON Request"; no or
  a malformed `id` (INT / STRING / null, L10172) or `method`: -1102 naming it; an unknown
  method: status 400, -1020 "This operation is not supported.". Each costs 1 weight.
- A signed method without apiKey: -1102 (apiKey is a mandatory parameter); a malformed or
  unknown key: -2014 / -2015 with REST's status (401).
- userDataStream.ping/stop answer `"result": {}`: the spec's examples say "response"
  (L13897) where every other answer, and the envelope's definition (L10269), say "result".
- myPreventedMatches requires apiKey and a signature like every USER_DATA method, though its
  table lists neither (L13769-13776).
- trailingDelta is an INT (order.place, L11798), also on order.cancelReplace whose table says
  DECIMAL (L12390).
- exchangeInfo's rateLimits are REST's (the limits in force, no RAW_REQUESTS, whose limit the
  spec gives as 6100 at L10784 and 5000 at L1080).
- The answer shapes follow the WebSocket API's examples where they differ from REST's:
  account.status puts canTrade/canWithdraw/canDeposit before commissionRates (L13373); FULL
  placements put fills before selfTradePreventionMode (L12008); orderList.cancel's
  orderReports carry transactTime and the legs' own clientOrderId, no origClientOrderId
  (L13220-13256); orderList.status takes origClientOrderId over orderListId when both are sent
  (L13113); allOrderLists ignores fromId when a time window is sent (L13599); exchangeInfo
  takes only one of symbol, symbols, permissions (L10744).

Faults (admin `POST /sandbox/v1/faults`): the operation faults REST has ("order", "cancel",
"cancelReplace", "oco") apply to the same calls here: execute_then_500 answers status 500
-1007 after running, execute_then_timeout answers that `holdSeconds` later, unavailable_503
answers status 503 -1008 without running. The WebSocket API's own fault:

    "wsApi": {"mode": "execute_then_drop" | "delay_answer" | "unavailable_503",
              "count": 1, "method": "order.place", "delaySeconds": 5, "probability": 1}

  execute_then_drop  run the request, then cut the connection (no answer, no close frame):
                     the client cannot know whether it was executed
  delay_answer       run the request at once, send its answer delaySeconds (0..600) later;
                     answers to later requests may overtake it
  unavailable_503    answer status 503 -1008 "Service Unavailable." without running it (no
                     weight counted)
  method             only requests of that method (default: any); count and probability as
                     for the other faults (count null: until cleared)

    "wsApiDown": true

  The WebSocket API is down until it is cleared (false or null, or DELETE /faults): setting
  it cuts every open connection at once (no close frame, as execute_then_drop's cut), and
  every handshake meanwhile is refused with HTTP 503, plain text "Service Unavailable." (no
  weight counted). Market streams and REST are not affected. GET /faults shows it only while
  set.

Requests are counted in GET /sandbox/v1/requests as path "/ws-api/v3/<method>", method "WS".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from . import errors
from .auth import ws_credentials
from .clock import WsApiFault
from .dispatch import Call, Outcome, dispatch, refused
from .endpoint_table import find
from .params import Params
from .ratelimit import Refusal
from .state import Exchange
from .ws_api_methods import METHODS, ORDER_METHODS

PATH = "/ws-api/v3"
PONG_TIMEOUT_PER_PING = 10 / 3  # 10 minutes without a pong for a ping every 3 minutes
ENVELOPE_PARAMS = ("apiKey", "returnRateLimits")  # read here, not by the REST handlers


def invalid_json() -> errors.ApiError:
    return errors.ApiError(-1135, "Invalid JSON Request")


def unknown_method() -> errors.ApiError:
    return errors.ApiError(-1020, "This operation is not supported.")


class _Float(str):
    """A JSON number with a fraction, kept as written."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


@dataclass(slots=True)
class Request:
    id: object
    method: str
    params: dict[str, str]  # every parameter sent, as text; apiKey included
    return_rate_limits: bool | None = None  # the request's own choice, if it made one
    error: errors.ApiError | None = None  # the parameters could not be read


def parse(text: str) -> Request:
    """One frame as a Request; raises _EnvelopeError when it cannot be answered as a call."""
    try:
        doc = json.loads(text, parse_float=_Float, parse_constant=_reject_constant)
    except ValueError:
        raise _EnvelopeError(None, invalid_json()) from None
    if not isinstance(doc, dict):
        raise _EnvelopeError(None, invalid_json())
    if "id" not in doc or not _valid_id(doc["id"]):
        raise _EnvelopeError(None, errors.mandatory("id"))
    req_id, method = doc["id"], doc.get("method")
    if not isinstance(method, str) or not method:
        raise _EnvelopeError(req_id, errors.mandatory("method"))
    method = method.removeprefix("v3/")
    if method not in METHODS:
        raise _EnvelopeError(req_id, unknown_method())
    return _with_params(Request(req_id, method, {}), doc.get("params"))


def _valid_id(value: object) -> bool:
    """INT / STRING / null (L10172): not a fraction, not a boolean."""
    if isinstance(value, str):
        return not isinstance(value, _Float)
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _with_params(req: Request, raw: object) -> Request:
    if raw is None:
        return req
    if not isinstance(raw, dict):
        req.error = errors.invalid_param("params")
        return req
    req.params = {name: _text(v) for name, v in raw.items() if v is not None}
    flag = req.params.get("returnRateLimits")
    if flag is not None:
        if flag not in ("true", "false"):
            req.error = errors.invalid_param("returnRateLimits")
        req.return_rate_limits = flag != "false"
    return req


class _EnvelopeError(Exception):
    def __init__(self, req_id: object, error: errors.ApiError) -> None:
        super().__init__(error.msg)
        self.req_id = req_id
        self.error = error


# ---- the WebSocket API's differences from REST ----------------------------------------------


def _status_by_list_client_id(values: dict[str, str]) -> dict[str, str]:
    if "origClientOrderId" in values:
        values.pop("orderListId", None)
    return values


def _window_over_from_id(values: dict[str, str]) -> dict[str, str]:
    if "startTime" in values or "endTime" in values:
        values.pop("fromId", None)
    return values


def _one_selector(values: dict[str, str]) -> dict[str, str]:
    if sum(n in values for n in ("symbol", "symbols", "permissions")) > 1:
        raise errors.bad_combo()
    return values


# Parameter rules the WebSocket API states differently from REST (see the module docstring).
PARAM_RULES: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "orderList.status": _status_by_list_client_id,
    "allOrderLists": _window_over_from_id,
    "exchangeInfo": _one_selector,
}


def _fills_first(doc: object) -> object:
    """A FULL placement as the WebSocket API shows it: fills before selfTradePreventionMode."""
    if not isinstance(doc, dict) or "fills" not in doc:
        return doc
    out: dict = {}
    for name, value in doc.items():
        if name == "selfTradePreventionMode":
            out["fills"] = doc["fills"]
        if name != "fills":
            out[name] = value
    out.setdefault("fills", doc["fills"])
    return out


# account.status's first fields, in the WebSocket API example's order (L13369-13381).
ACCOUNT_HEAD = (
    "makerCommission",
    "takerCommission",
    "buyerCommission",
    "sellerCommission",
    "canTrade",
    "canWithdraw",
    "canDeposit",
    "commissionRates",
)


def _account(doc: dict) -> dict:
    return {**{k: doc[k] for k in ACCOUNT_HEAD}, **doc}


def _replace(doc: dict) -> dict:
    if doc.get("newOrderResponse") is not None:
        doc = {**doc, "newOrderResponse": _fills_first(doc["newOrderResponse"])}
    return doc


def _list_placed(doc: dict) -> dict:
    return {**doc, "orderReports": [_fills_first(r) for r in doc["orderReports"]]}


def _list_canceled(doc: dict) -> dict:
    return {**doc, "orderReports": [_leg_canceled(r, doc) for r in doc["orderReports"]]}


def _leg_canceled(report: dict, lst: dict) -> dict:
    head = ("symbol", "orderId", "orderListId")
    out = {k: report[k] for k in head}
    out["clientOrderId"] = report["origClientOrderId"]
    out["transactTime"] = lst["transactionTime"]
    skip = {*head, "origClientOrderId", "clientOrderId"}
    return {**out, **{k: v for k, v in report.items() if k not in skip}}


# Result shapes the WebSocket API's examples give differently from REST's.
RESULT_SHAPES: dict[str, Callable[[dict], object]] = {
    "account.status": _account,
    "order.place": _fills_first,
    "order.cancelReplace": _replace,
    "orderList.place": _list_placed,
    "orderList.cancel": _list_canceled,
}
# The same for the `data` of error objects: cancelReplace's outcome when one part failed.
ERROR_DATA_SHAPES: dict[str, Callable[[dict], object]] = {"order.cancelReplace": _replace}


def shaped(shapes: dict[str, Callable[[dict], object]], method: str, doc: object) -> object:
    shape = shapes.get(method)
    return shape(doc) if shape is not None and isinstance(doc, dict) else doc


# ---- connections ----------------------------------------------------------------------------


@dataclass(eq=False)
class _Session:
    ws: web.WebSocketResponse
    request: web.Request
    ip: str
    return_rate_limits: bool  # the connection's default (URL query)
    last_pong: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set[asyncio.Task] = field(default_factory=set)

    async def send(self, doc: dict) -> None:
        async with self.lock:
            if self.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):  # the peer went away
                await self.ws.send_str(orjson.dumps(doc).decode())

    def spawn(self, coro: Coroutine[object, object, object]) -> None:
        """Run `coro` alongside the reader; it is canceled when the connection ends."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def drop(self) -> None:
        """Cut the connection without a close handshake, as a network failure would."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class WsApi:
    def __init__(self, ex: Exchange, ping_s: float, max_age_s: float) -> None:
        self.ex = ex
        self.ping_s = ping_s
        self.pong_timeout_s = ping_s * PONG_TIMEOUT_PER_PING
        self.max_age_s = max_age_s
        self.sessions: set[_Session] = set()
        ex.faults.on_ws_api_down.append(self.drop_all)

    def drop_all(self) -> None:
        """wsApiDown was set: cut every open connection (no close frame), as an outage would."""
        for s in list(self.sessions):
            s.drop()

    async def close_all(self, app: web.Application) -> None:
        for s in list(self.sessions):
            await s.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /ws-api/v3[?returnRateLimits=false]: the connection, once admitted."""
        if self.ex.faults.ws_api_down:  # a service that is down reads and counts nothing
            return web.Response(status=503, text="Service Unavailable.")
        flag = request.query.get("returnRateLimits", "true")
        if flag not in ("true", "false"):
            return _http_error(errors.invalid_param("returnRateLimits"))
        ip = request.remote or ""
        try:
            self.ex.limits.admit(ip, 1)  # connecting costs 1 weight (L10543)
        except Refusal as refusal:
            return _http_error(refusal.error, {"Retry-After": str(refusal.retry_after_s)})
        ws = web.WebSocketResponse(autoping=False)  # pongs are read below: they keep it alive
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        await self._run(_Session(ws, request, ip, flag == "true", loop.time()))
        return ws

    async def _run(self, s: _Session) -> None:
        """Serve an accepted connection until it ends."""
        self.sessions.add(s)
        if self.ex.faults.ws_api_down:  # set during the handshake, after drop_all had looked
            s.drop()
        try:
            await self._serve(s)
        finally:
            self.sessions.discard(s)
            for task in list(s.tasks):
                task.cancel()
            await s.ws.close()

    async def _serve(self, s: _Session) -> None:
        s.spawn(self._keepalive(s))
        expiry = asyncio.get_running_loop().call_later(
            self.max_age_s,
            lambda: s.spawn(s.ws.close(code=WSCloseCode.GOING_AWAY, message=b"max age")),
        )
        try:
            async for msg in s.ws:
                if msg.type == WSMsgType.PING:
                    await s.ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    s.last_pong = asyncio.get_running_loop().time()
                elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_frame(s, msg.data)
        finally:
            expiry.cancel()

    async def _keepalive(self, s: _Session) -> None:
        """Ping every ping_s; drop the client once no pong came for pong_timeout_s."""
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_s
        while not s.ws.closed:
            now = loop.time()
            deadline = s.last_pong + self.pong_timeout_s
            if now >= deadline:
                s.drop()
                return
            if now >= next_ping:
                try:
                    await s.ws.ping()
                except (ConnectionError, RuntimeError):
                    return  # the peer went away: the reader ends the connection
                next_ping = now + self.ping_s
            await asyncio.sleep(max(0.0, min(next_ping, deadline) - now))

    # ---- requests -----------------------------------------------------------------------

    async def _on_frame(self, s: _Session, data: str | bytes) -> None:
        try:
            req = parse(data if isinstance(data, str) else "")
        except _EnvelopeError as bad:
            await self._envelope_error(s, bad)
            return
        await self._on_request(s, req)

    async def _envelope_error(self, s: _Session, bad: _EnvelopeError) -> None:
        try:
            self.ex.limits.admit(s.ip, 1)
            out = Outcome(bad.error)
        except Refusal as refusal:
            out = refused(refusal)
        await self._finish(s, bad.req_id, "", s.return_rate_limits, out)  # no method

    async def _on_request(self, s: _Session, req: Request) -> None:
        self.ex.requests.record(req.params.get("apiKey"), f"{PATH}/{req.method}", "WS")
        show = s.return_rate_limits if req.return_rate_limits is None else req.return_rate_limits
        fault = self.ex.faults.take_ws_api(req.method)
        if fault is not None and fault.mode == "unavailable_503":
            await self._finish(s, req.id, req.method, show, Outcome(errors.service_unavailable()))
            return
        out = dispatch(self.ex, self._call(s, req))
        if fault is not None and fault.mode == "execute_then_drop":
            s.drop()
            return
        await self._answer(s, req, show, out, fault)

    def _call(self, s: _Session, req: Request) -> Call:
        endpoint = find(*METHODS[req.method])
        call = Call(endpoint, None, ws_credentials(req.params), s.ip, req.error)
        values = {k: v for k, v in req.params.items() if k not in ENVELOPE_PARAMS}
        rule = PARAM_RULES.get(req.method)
        try:
            call.params = Params.of({k: [v] for k, v in (rule(values) if rule else values).items()})
        except errors.ApiError as exc:
            call.parse_error = call.parse_error or exc
        return call

    async def _answer(
        self, s: _Session, req: Request, show: bool, out: Outcome, fault: WsApiFault | None
    ) -> None:
        delay = 0.0
        if out.fault is not None and out.fault.mode == "execute_then_timeout":
            delay = out.fault.hold_s
        if fault is not None and fault.mode == "delay_answer":
            delay = max(delay, fault.delay_s)
        if delay > 0:
            s.spawn(self._later(s, delay, req, show, out))
        else:
            await self._finish(s, req.id, req.method, show, out)

    async def _later(
        self, s: _Session, delay: float, req: Request, show: bool, out: Outcome
    ) -> None:
        await asyncio.sleep(delay)
        await self._finish(s, req.id, req.method, show, out)

    async def _finish(
        self, s: _Session, req_id: object, method: str, show: bool, out: Outcome
    ) -> None:
        doc = self._doc(req_id, method, out)
        if show:
            doc["rateLimits"] = self._rate_limits(s, method, out)
        await s.send(doc)
        error = out.error
        if error is not None and error.status == 418:  # banned: "you will be disconnected"
            await s.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"IP banned")

    def _doc(self, req_id: object, method: str, out: Outcome) -> dict:
        error = out.error
        if error is None:
            return {
                "id": req_id,
                "status": 200,
                "result": shaped(RESULT_SHAPES, method, out.result),
            }
        body = error.body()
        if out.refusal is not None:
            retry_at = out.refusal.retry_at_ms
            body["data"] = {"serverTime": self.ex.clock.now_ms(), "retryAfter": retry_at}
        elif "data" in body:
            body["data"] = shaped(ERROR_DATA_SHAPES, method, body["data"])
        return {"id": req_id, "status": error.status, "error": body}

    def _rate_limits(self, s: _Session, method: str, out: Outcome) -> list[dict]:
        rows: list[dict] = []
        if method in ORDER_METHODS and out.key is not None:
            rows += self.ex.limits.order_limits(out.key.account.account_id)
        rows.append(self.ex.limits.weight_limit(s.ip))
        return rows


def _http_error(error: errors.ApiError, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(error.body()),
        status=error.status,
        headers=headers,
        content_type="application/json",
    )
