"""The WebSocket API at /ws-api/v3: the envelope, signatures (the spec's test vector), the
weight counter it shares with REST, 429/418 with retryAfter, returnRateLimits, listen keys
shared with REST, keepalive and maximum age, its faults, and the `/ws/0` + SUBSCRIBE case of
the market streams. The answer shapes of the 33 methods: test_sandbox_ws_api_orders.py."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

import aiohttp
import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.sandbox.sandbox_support import (
    admin,
    new_account,
    new_key,
    now_ms,
    recv_json,
    recv_until,
    signed,
    start,
    stop,
    ws_url,
)

WS_API = "/ws-api/v3"
UNKNOWN = {
    "code": -1007,
    "msg": "Timeout waiting for a response from the backend server. Send status unknown; "
    "execution status unknown.",
}
UNAVAILABLE = {"code": -1008, "msg": "Service Unavailable."}
# The spec's signing example (L10330-10383), copied here: tests never read the spec.
SPEC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPEC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SPEC_PARAMS = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01000000",
    "price": "52000.00",
    "newOrderRespType": "ACK",
    "recvWindow": 100,
    "timestamp": 1645423376532,
    "apiKey": SPEC_KEY,
}
SPEC_PAYLOAD = (
    "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    "&newOrderRespType=ACK&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL"
    "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
)
SPEC_SIGNATURE = "cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a"


# ---- a small WebSocket API client, shared with test_sandbox_ws_api_orders.py ----------------


def text(value: object) -> str:
    """A parameter's text as the signature payload has it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def payload(params: dict) -> str:
    """The spec's payload: every parameter but signature, sorted by name, name=value&..."""
    return "&".join(f"{k}={text(v)}" for k, v in sorted(params.items()) if k != "signature")


def ws_sign(secret: str, params: dict) -> dict:
    return {**params, "signature": hmac_hex(secret, payload(params))}


def hmac_hex(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


def signed_params(acct: dict, params: dict | None = None, *, skew_ms: int = 0) -> dict:
    """`params` with apiKey, timestamp (host clock + skew_ms) and the signature."""
    full = {**(params or {}), "apiKey": acct["apiKey"], "timestamp": now_ms() + skew_ms}
    return ws_sign(acct["secretKey"], full)


AUTO = object()  # the next request id


class Api:
    """One WebSocket API connection: sends requests, matches answers to them by id."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next = 0
        self._early: dict[object, dict] = {}
        self.skew_ms = 0  # added to signed requests' timestamps (a sandbox clock moved ahead)

    async def send(self, method: str, params: dict | None = None, req_id: object = AUTO) -> object:
        if req_id is AUTO:
            self._next += 1
            req_id = self._next
        doc: dict = {"id": req_id, "method": method}
        if params is not None:
            doc["params"] = params
        await self.ws.send(json.dumps(doc))
        return req_id

    async def answer(self, req_id: object, timeout: float = 5.0) -> dict:
        if req_id in self._early:
            return self._early.pop(req_id)
        while True:
            msg = await recv_json(self.ws, timeout)
            if msg.get("id") == req_id:
                return msg
            self._early[msg.get("id")] = msg

    async def call(self, method: str, params: dict | None = None) -> dict:
        return await self.answer(await self.send(method, params))

    async def signed(self, method: str, acct: dict, **params: object) -> dict:
        return await self.call(method, signed_params(acct, params, skew_ms=self.skew_ms))

    async def keyed(self, method: str, acct: dict, **params: object) -> dict:
        """A USER_STREAM / MARKET_DATA call: apiKey, no signature."""
        return await self.call(method, {**params, "apiKey": acct["apiKey"]})

    async def ok(self, method: str, acct: dict | None = None, **params: object) -> object:
        """The result of a successful call (signed when an account is given)."""
        doc = await (self.signed(method, acct, **params) if acct else self.call(method, params))
        assert doc["status"] == 200, doc
        return doc["result"]


@contextlib.asynccontextmanager
async def open_api(base: str, query: str = "") -> AsyncIterator[Api]:
    async with connect(ws_url(base, WS_API + query)) as ws:
        yield Api(ws)


# ---- fixtures -------------------------------------------------------------------------------


DEFAULT_LIMITS = {
    "enforce": False,
    "weightPerMinute": 1200,
    "ordersPer10s": 100,
    "ordersPerDay": 200000,
    "banAfter": 5,
}


def reset(base: str) -> None:
    """No faults, the clock on the host's (DELETE /faults does both), limits off, no counts."""
    admin(base, "DELETE", "/faults")
    admin(base, "POST", "/limits", DEFAULT_LIMITS)
    admin(base, "DELETE", "/limits")


@pytest.fixture(autouse=True)
def clean(private_url: str) -> Iterator[None]:
    reset(private_url)
    yield
    reset(private_url)


def pin_minute(base: str) -> int:
    """Move the sandbox clock to the start of the next minute (no window rolls over during
    the test) and forget the counts; the clock's lead over the host's, in ms."""
    now = admin(base, "GET", "/state").json()["clock"]["serverTime"]
    t0 = (now // 60_000 + 1) * 60_000
    admin(base, "POST", "/clock", {"serverTime": t0})
    admin(base, "DELETE", "/limits")
    return t0 - now


def used(resp: requests.Response) -> int:
    return int(resp.headers["X-MBX-USED-WEIGHT-1M"])


def weight_count(answer: dict) -> int:
    [row] = [r for r in answer["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    return row["count"]


# ---- envelope -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_it_answers_with_the_envelope_and_echoes_any_id(private_url: str) -> None:
    async with open_api(private_url) as api:
        for req_id in ("e2a85d9f-07a5-4f94-8d5f-789dc3deb097", 7, None):
            await api.send("time", req_id=req_id)
            doc = await recv_json(api.ws)
            assert list(doc) == ["id", "status", "result", "rateLimits"]
            assert doc["id"] == req_id and doc["status"] == 200
            assert list(doc["result"]) == ["serverTime"]
            assert doc["rateLimits"] == [
                {
                    "rateLimitType": "REQUEST_WEIGHT",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": 1200,
                    "count": doc["rateLimits"][0]["count"],
                }
            ]
        assert (await api.call("v3/ping"))["result"] == {}  # the explicit version prefix


@pytest.mark.asyncio
async def test_it_answers_malformed_requests_with_errors(private_url: str) -> None:
    async with open_api(private_url) as api:
        for frame, req_id, error in (
            ("{not json", None, {"code": -1135, "msg": "Invalid JSON Request"}),
            ("[1, 2]", None, {"code": -1135, "msg": "Invalid JSON Request"}),
            ('{"method": "ping"}', None, mandatory("id")),
            ('{"id": true, "method": "ping"}', None, mandatory("id")),
            ('{"id": 3}', 3, mandatory("method")),
            ('{"id": 4, "method": "v1/ping"}', 4, UNSUPPORTED),
            ('{"id": 5, "method": "order.list"}', 5, UNSUPPORTED),
            (
                '{"id": 6, "method": "time", "params": [1]}',
                6,
                {"code": -1130, "msg": "Data sent for parameter 'params' is not valid."},
            ),
        ):
            await api.ws.send(frame)
            doc = await recv_json(api.ws)
            assert (doc["id"], doc["status"], doc["error"]) == (req_id, 400, error), frame
            assert list(doc) == ["id", "status", "error", "rateLimits"]


UNSUPPORTED = {"code": -1020, "msg": "This operation is not supported."}


def mandatory(name: str) -> dict:
    return {
        "code": -1102,
        "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, or was malformed.",
    }


@pytest.mark.asyncio
async def test_it_runs_the_rest_handlers_with_their_errors(private_url: str) -> None:
    async with open_api(private_url) as api:
        doc = await api.call("depth", {"symbol": "NOPE"})
        assert (doc["status"], doc["error"]) == (400, {"code": -1121, "msg": "Invalid symbol."})
        doc = await api.call("depth", {"symbol": "BTCUSD", "limit": 5, "extra": 1})
        assert doc["error"]["code"] == -1104
        doc = await api.call("ticker.price", {"symbols": ["BTCUSD", "ETHUSD"]})
        assert [r["symbol"] for r in doc["result"]] == ["BTCUSD", "ETHUSD"]
        doc = await api.call("ticker", {})
        assert doc["error"] == {
            "code": -1102,
            "msg": "Param 'symbol' or 'symbols' must be sent, but both were empty/null.",
        }
        doc = await api.call("exchangeInfo", {"symbol": "BTCUSD", "permissions": "SPOT"})
        assert doc["error"] == {"code": -1128, "msg": "Combination of optional parameters invalid."}


# ---- signatures -----------------------------------------------------------------------------


def test_the_spec_test_vector_signs_every_parameter_sorted() -> None:
    from sandbox.auth import sign, ws_credentials

    assert payload(SPEC_PARAMS) == SPEC_PAYLOAD
    assert hmac_hex(SPEC_SECRET, SPEC_PAYLOAD) == SPEC_SIGNATURE
    creds = ws_credentials({k: text(v) for k, v in SPEC_PARAMS.items()})
    assert creds.api_key == SPEC_KEY and creds.payloads[0] == SPEC_PAYLOAD
    assert sign(SPEC_SECRET, creds.payloads[0]) == SPEC_SIGNATURE


@pytest.mark.asyncio
async def test_it_accepts_the_spec_example_request(private_url: str) -> None:
    acct = new_account(private_url, {"BTC": "1"})
    new_key(private_url, acct, apiKey=SPEC_KEY, secretKey=SPEC_SECRET)
    # The example's timestamp is in 2022: the sandbox clock goes there (0.9 s behind it,
    # which the 1 s "ahead" allowance covers) so that recvWindow 100 is met.
    admin(private_url, "POST", "/clock", {"serverTime": SPEC_PARAMS["timestamp"] - 900})
    async with open_api(private_url) as api:
        doc = await api.call("order.place", {**SPEC_PARAMS, "signature": SPEC_SIGNATURE.upper()})
    assert doc["status"] == 200, doc
    assert list(doc["result"]) == [
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    ]


@pytest.mark.asyncio
async def test_it_checks_keys_signatures_and_timing(private_url: str) -> None:
    acct = new_account(private_url)
    good = signed_params(acct, {"symbol": "BTCUSD", "orderId": 1})
    async with open_api(private_url) as api:
        doc = await api.call("order.status", {**good, "signature": "0" * 64})
        assert (doc["status"], doc["error"]) == (
            400,
            {"code": -1022, "msg": "Signature for this request is not valid."},
        )
        # the signature covers apiKey too: the same signature with another key fails
        other = new_key(private_url, acct)
        doc = await api.call("order.status", {**good, "apiKey": other["apiKey"]})
        assert doc["error"]["code"] == -1022
        no_key = {k: v for k, v in good.items() if k != "apiKey"}
        assert (await api.call("order.status", no_key))["error"] == mandatory("apiKey")
        no_sig = {k: v for k, v in good.items() if k != "signature"}
        assert (await api.call("order.status", no_sig))["error"] == mandatory("signature")
        doc = await api.call("order.status", {**good, "apiKey": "x" * 10})
        assert (doc["status"], doc["error"]["code"]) == (401, -2014)
        doc = await api.call("order.status", {**good, "apiKey": "A" * 64})
        assert (doc["status"], doc["error"]["code"]) == (401, -2015)
        stale = signed_params(acct, {"symbol": "BTCUSD", "orderId": 1}, skew_ms=-6000)
        doc = await api.call("order.status", stale)
        assert doc["error"] == {
            "code": -1021,
            "msg": "Timestamp for this request is outside of the recvWindow.",
        }
        late = signed_params(
            acct, {"symbol": "BTCUSD", "orderId": 1, "recvWindow": 60000}, skew_ms=-6000
        )
        assert (await api.call("order.status", late))["error"]["code"] == -2013
        assert (await api.call("order.status", good))["error"]["code"] == -2013  # signed right


@pytest.mark.asyncio
async def test_it_accepts_a_signature_of_the_url_encoded_payload(private_url: str) -> None:
    """binance-connector and python-binance sign urlencode(sorted params)."""
    acct = new_account(private_url)
    params = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "30000",
        "newClientOrderId": "desk:a/b",
        "apiKey": acct["apiKey"],
        "timestamp": now_ms(),
    }
    encoded = urlencode(sorted(params.items()))
    assert encoded != payload(params)
    async with open_api(private_url) as api:
        doc = await api.call(
            "order.place", {**params, "signature": hmac_hex(acct["secretKey"], encoded)}
        )
        assert doc["status"] == 200 and doc["result"]["clientOrderId"] == "desk:a/b"
        params["newClientOrderId"] = "desk:c/d"
        doc = await api.call("order.place", ws_sign(acct["secretKey"], params))
        assert doc["status"] == 200 and doc["result"]["clientOrderId"] == "desk:c/d"


@pytest.mark.asyncio
async def test_it_signs_numbers_as_written(private_url: str) -> None:
    """JSON numbers (0.001, 30000) reach the handlers and the signature as written."""
    acct = new_account(private_url)
    async with open_api(private_url) as api:
        placed = await api.ok(
            "order.place",
            acct,
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity=0.001,
            price=30000,
            newOrderRespType="RESULT",
        )
    assert (placed["origQty"], placed["price"]) == ("0.00100000", "30000.00000000")


# ---- rate limits ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rest_and_ws_count_in_one_weight_counter(private_url: str) -> None:
    acct = new_account(private_url)
    skew = pin_minute(private_url)
    rest = requests.get(f"{private_url}/api/v3/depth", params={"symbol": "BTCUSD"}, timeout=5)
    assert used(rest) == 1
    async with open_api(private_url) as api:  # connecting costs 1
        api.skew_ms = skew
        doc = await api.call("exchangeInfo", {"symbol": "BTCUSD"})
        assert weight_count(doc) == 1 + 1 + 10
        doc = await api.signed("account.status", acct)
        assert weight_count(doc) == 22
        resp = signed(private_url, "GET", "/api/v3/openOrders", acct, timestamp=now_ms() + skew)
        assert used(resp) == 22 + 40
        doc = await api.call("ticker.24hr", {"symbols": ["BTCUSD", "ETHUSD"]})
        assert weight_count(doc) == 63


@pytest.mark.asyncio
async def test_it_answers_429_and_418_with_retry_after(private_url: str) -> None:
    skew = pin_minute(private_url)
    t0 = admin(private_url, "GET", "/state").json()["clock"]["serverTime"] // 60_000 * 60_000
    admin(private_url, "POST", "/limits", {"enforce": True, "weightPerMinute": 5, "banAfter": 1})
    async with open_api(private_url) as api:
        api.skew_ms = skew
        for _ in range(4):
            assert (await api.call("ping"))["status"] == 200
        doc = await api.call("depth", {"symbol": "BTCUSD"})
        assert doc["status"] == 429 and list(doc) == ["id", "status", "error", "rateLimits"]
        error = doc["error"]
        assert error["code"] == -1003 and "current limit is 5 request weight" in error["msg"]
        assert list(error["data"]) == ["serverTime", "retryAfter"]
        assert error["data"]["retryAfter"] == t0 + 60_000
        assert weight_count(doc) == 5
        # REST sees the same counter
        resp = requests.get(f"{private_url}/api/v3/ping", timeout=5)
        assert resp.status_code == 429
        doc = await api.call("ping")  # a second request inside the 429 window: banned
        assert doc["status"] == 418 and doc["error"]["code"] == -1003
        assert doc["error"]["data"]["retryAfter"] > t0 + 60_000
        with pytest.raises(ConnectionClosed):  # "you will be disconnected"
            await recv_json(api.ws)
    with pytest.raises(InvalidStatus) as refused:
        async with open_api(private_url):
            pass
    assert refused.value.response.status_code == 418


@pytest.mark.asyncio
async def test_it_refuses_a_connection_over_the_weight_limit(private_url: str) -> None:
    pin_minute(private_url)
    admin(private_url, "POST", "/limits", {"enforce": True, "weightPerMinute": 2})
    requests.get(f"{private_url}/api/v3/time", timeout=5)
    requests.get(f"{private_url}/api/v3/time", timeout=5)
    with pytest.raises(InvalidStatus) as refused:
        async with open_api(private_url):
            pass
    response = refused.value.response
    assert response.status_code == 429 and json.loads(response.body)["code"] == -1003


@pytest.mark.asyncio
async def test_order_counts_are_per_account_and_limited(private_url: str) -> None:
    acct = new_account(private_url)
    skew = pin_minute(private_url)
    admin(private_url, "POST", "/limits", {"enforce": True, "ordersPer10s": 2})
    order = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    order |= {"quantity": "0.001", "price": "30000", "newOrderRespType": "ACK"}
    async with open_api(private_url) as api:
        api.skew_ms = skew
        first = await api.signed("order.place", acct, **order)
        assert [(r["rateLimitType"], r["interval"], r["count"]) for r in first["rateLimits"]] == [
            ("ORDERS", "SECOND", 1),
            ("ORDERS", "DAY", 1),
            ("REQUEST_WEIGHT", "MINUTE", weight_count(first)),
        ]
        rest = signed(private_url, "POST", "/api/v3/order", acct, order, timestamp=now_ms() + skew)
        assert rest.headers["X-MBX-ORDER-COUNT-10S"] == "2"
        third = await api.signed("order.place", acct, **order)
        assert third["status"] == 429 and third["error"]["code"] == -1015
        assert third["error"]["data"]["retryAfter"] % 10_000 == 0
        limits = await api.ok("account.rateLimits.orders", acct)
        assert [r["count"] for r in limits] == [2, 2]
        # queries carry only the weight
        assert [
            r["rateLimitType"] for r in (await api.signed("openOrders.status", acct))["rateLimits"]
        ] == ["REQUEST_WEIGHT"]


@pytest.mark.asyncio
async def test_return_rate_limits_false_omits_them(private_url: str) -> None:
    async with open_api(private_url) as api:
        doc = await api.call("time", {"returnRateLimits": False})
        assert list(doc) == ["id", "status", "result"]
        assert "rateLimits" in await api.call("time", {"returnRateLimits": True})
        doc = await api.call("time", {"returnRateLimits": "maybe"})
        assert doc["error"]["code"] == -1130
    async with open_api(private_url, "?returnRateLimits=false") as api:
        assert list(await api.call("time")) == ["id", "status", "result"]
        assert list(await api.call("nope")) == ["id", "status", "error"]
        doc = await api.call("time", {"returnRateLimits": True})
        assert list(doc) == ["id", "status", "result", "rateLimits"]
    with pytest.raises(InvalidStatus) as refused:
        async with open_api(private_url, "?returnRateLimits=no"):
            pass
    assert refused.value.response.status_code == 400


# ---- listen keys ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_user_data_stream_keys_are_shared_with_rest(private_url: str) -> None:
    acct = new_account(private_url)
    headers = {"X-MBX-APIKEY": acct["apiKey"]}
    url = f"{private_url}/api/v3/userDataStream"
    async with open_api(private_url) as api:
        started = await api.keyed("userDataStream.start", acct)
        assert list(started) == ["id", "status", "result", "rateLimits"]
        key = started["result"]["listenKey"]
        assert requests.put(url, data={"listenKey": key}, headers=headers, timeout=5).json() == {}
        assert requests.post(url, headers=headers, timeout=5).json() == {"listenKey": key}
        pinged = await api.keyed("userDataStream.ping", acct, listenKey=key)
        assert (pinged["status"], pinged["result"]) == (200, {})
        async with connect(ws_url(private_url, f"/ws/{key}")):
            pass  # the streams serve it
        stopped = await api.keyed("userDataStream.stop", acct, listenKey=key)
        assert stopped["result"] == {}
        gone = requests.put(url, data={"listenKey": key}, headers=headers, timeout=5)
        assert gone.json() == {"code": -1125, "msg": "This listenKey does not exist."}
        doc = await api.keyed("userDataStream.ping", acct, listenKey=key)
        assert (doc["status"], doc["error"]["code"]) == (400, -1125)
        assert (await api.call("userDataStream.start", {}))["error"] == mandatory("apiKey")


# ---- connection -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_lived_url() -> Iterator[str]:
    """Pings every 0.3 s (so 1 s without a pong drops a client), connections last 3 s."""
    proc, base = start("--tick-ms", "0", "--ws-ping-s", "0.3", "--ws-max-age-s", "3", seed=23)
    yield base
    stop(proc)


@pytest.mark.asyncio
async def test_it_drops_a_client_that_never_answers_pings(short_lived_url: str) -> None:
    url = ws_url(short_lived_url, WS_API)
    async with aiohttp.ClientSession() as session, session.ws_connect(url, autoping=False) as ws:
        started = time.monotonic()
        pings = 0
        async for msg in ws:
            pings += msg.type == aiohttp.WSMsgType.PING
        assert pings >= 2 and 0.9 < time.monotonic() - started < 2.5


@pytest.mark.asyncio
async def test_it_keeps_a_ponging_client_until_its_max_age(short_lived_url: str) -> None:
    async with open_api(short_lived_url) as api:
        started = time.monotonic()
        await asyncio.sleep(1.5)  # past the pong timeout: the client's pongs keep it
        assert (await api.call("ping"))["status"] == 200
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(api.ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert 2.5 < time.monotonic() - started < 4.5


# ---- faults ---------------------------------------------------------------------------------

ORDER = {
    "symbol": "BTCUSD",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "30000",
}


def open_orders(base: str, acct: dict) -> list[dict]:
    return signed(base, "GET", "/api/v3/openOrders", acct).json()


def test_it_shows_sets_and_checks_the_ws_api_fault(private_url: str) -> None:
    doc = {"wsApi": {"mode": "delay_answer", "method": "order.place", "delaySeconds": 2}}
    assert admin(private_url, "POST", "/faults", doc).json()["wsApi"] == {
        "mode": "delay_answer",
        "count": 1,
        "method": "order.place",
        "delaySeconds": 2,
    }
    for bad in (
        {"wsApi": {"mode": "explode"}},
        {"wsApi": {"mode": "execute_then_drop", "method": "order.list"}},
        {"wsApi": {"mode": "delay_answer", "delaySeconds": -1}},
        {"wsApi": {"mode": "execute_then_drop", "holdSeconds": 1}},
        {"wsApi": "on"},
    ):
        resp = admin(private_url, "POST", "/faults", bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    admin(private_url, "POST", "/faults", {"wsApi": None})
    assert "wsApi" not in admin(private_url, "GET", "/faults").json()


@pytest.mark.asyncio
async def test_execute_then_drop_places_the_order_and_cuts_the_connection(
    private_url: str,
) -> None:
    acct = new_account(private_url)
    fault = {"wsApi": {"mode": "execute_then_drop", "method": "order.place"}}
    admin(private_url, "POST", "/faults", fault)
    async with open_api(private_url) as api:
        assert (await api.call("ping"))["status"] == 200  # other methods are not faulted
        await api.send("order.place", signed_params(acct, {**ORDER, "newClientOrderId": "lost-1"}))
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(api.ws)
        assert closed.value.rcvd is None  # no close frame: the network just went away
    [placed] = open_orders(private_url, acct)
    assert placed["clientOrderId"] == "lost-1"
    async with open_api(private_url) as api:  # the fault was used up
        found = await api.ok("order.status", acct, symbol="BTCUSD", origClientOrderId="lost-1")
        assert found["orderId"] == placed["orderId"]


@pytest.mark.asyncio
async def test_delay_answer_executes_at_once_and_answers_later(private_url: str) -> None:
    acct = new_account(private_url)
    admin(private_url, "POST", "/faults", {"wsApi": {"mode": "delay_answer", "delaySeconds": 1.5}})
    async with open_api(private_url) as api:
        started = time.monotonic()
        placed_id = await api.send("order.place", signed_params(acct, ORDER))
        assert len(open_orders(private_url, acct)) == 1  # executed before any answer
        assert (await api.call("ping"))["status"] == 200  # overtakes the delayed answer
        assert time.monotonic() - started < 1.5
        placed = await api.answer(placed_id)
        assert placed["status"] == 200 and time.monotonic() - started >= 1.5


@pytest.mark.asyncio
async def test_unavailable_503_runs_nothing_and_counts_no_weight(private_url: str) -> None:
    acct = new_account(private_url)
    fault = {"wsApi": {"mode": "unavailable_503", "method": "order.place"}}
    admin(private_url, "POST", "/faults", fault)
    async with open_api(private_url) as api:
        ok = await api.call("time")  # other methods are not faulted
        doc = await api.signed("order.place", acct, **ORDER)
        assert (doc["status"], doc["error"]) == (503, UNAVAILABLE)
        assert weight_count(doc) == weight_count(ok)
        assert open_orders(private_url, acct) == []
        again = await api.signed("order.place", acct, **ORDER)  # count 1: used up
        assert again["status"] == 200
    assert len(open_orders(private_url, acct)) == 1


@pytest.mark.asyncio
async def test_the_rest_operation_faults_apply_to_the_same_calls(private_url: str) -> None:
    acct = new_account(private_url)
    admin(private_url, "POST", "/faults", {"order": {"mode": "execute_then_500"}})
    async with open_api(private_url) as api:
        doc = await api.signed("order.place", acct, **ORDER)
        assert (doc["status"], doc["error"]) == (500, UNKNOWN)
        assert len(open_orders(private_url, acct)) == 1
        fault = {"cancel": {"mode": "execute_then_timeout", "holdSeconds": 1}}
        admin(private_url, "POST", "/faults", fault)
        started = time.monotonic()
        doc = await api.signed("openOrders.cancelAll", acct, symbol="BTCUSD")
        assert (doc["status"], doc["error"]) == (500, UNKNOWN)
        assert time.monotonic() - started >= 1
        assert open_orders(private_url, acct) == []


def test_it_counts_ws_api_requests_by_method(private_url: str) -> None:
    admin(private_url, "DELETE", "/requests")

    async def scenario() -> None:
        async with open_api(private_url) as api:
            await api.call("ping")
            await api.call("v3/ping")
            await api.call("time")

    asyncio.run(scenario())
    counts = admin(private_url, "GET", "/requests").json()
    assert counts["byPath"] == {"/ws-api/v3/ping": 2, "/ws-api/v3/time": 1}
    assert counts["byEndpoint"]["WS /ws-api/v3/ping"] == 2


# ---- market streams: a placeholder name ------------------------------------------------------


@pytest.mark.asyncio
async def test_a_raw_stream_url_with_a_placeholder_name_takes_subscriptions(
    sandbox_url: str,
) -> None:
    async with connect(ws_url(sandbox_url, "/ws/0")) as ws:
        with pytest.raises(TimeoutError):  # nothing is sent for the name
            await recv_json(ws, 0.7)
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusd@bookTicker"], "id": 1}))
        assert await recv_json(ws) == {"result": None, "id": 1}
        event = await recv_until(ws, lambda m: "u" in m and "b" in m)
        assert event["s"] == "BTCUSD"
        await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
        listed = await recv_until(ws, lambda m: m.get("id") == 2)
        assert listed == {"result": ["btcusd@bookTicker"], "id": 2}
    for name in ("xyzusd@trade", "btcusd@kline_7m", "!trade@arr"):
        with pytest.raises(InvalidStatus):  # stream-shaped names still must exist
            async with connect(ws_url(sandbox_url, f"/ws/{name}")):
                pass
