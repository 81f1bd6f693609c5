"""The WebSocket API client against canned frames: a scripted WebSocket API on loopback.

Envelopes, errors and rate limits are the spec's own examples (L10130-L13900).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.server import ServerConnection, serve

import binanceus as bu
from binanceus._endpoints import ENDPOINTS
from binanceus._signing import ws_signature_payload
from binanceus._wslink import RequestLink

# The spec's signing example (L10330-L10383).
SPEC_WS_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPEC_WS_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SPEC_WS_TIMESTAMP = 1645423376532
SPEC_WS_SIGNATURE = "cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a"
SPEC_WS_PAYLOAD = (
    "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
    "&newOrderRespType=ACK&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL"
    "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
)


def limits(weight: int, orders_10s: int | None = None, orders_day: int | None = None) -> list:
    rows = [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1200}
        | {"count": weight}
    ]
    if orders_10s is not None:
        rows.insert(0, {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10})
        rows[0] |= {"limit": 50, "count": orders_10s}
    if orders_day is not None:
        rows.insert(1, {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1})
        rows[1] |= {"limit": 160000, "count": orders_day}
    return rows


# order.place's answer (L10196-L10240)
PLACED = {
    "status": 200,
    "result": {
        "symbol": "BTCUSDT",
        "orderId": 12510053279,
        "orderListId": -1,
        "clientOrderId": "a097fe6304b20a7e4fc436",
        "transactTime": 1655716096505,
        "price": "0.10000000",
        "origQty": "10.00000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": 1655716096505,
        "selfTradePreventionMode": "NONE",
    },
    "rateLimits": limits(321, 12, 4043),
}
# the failed answer (L10241-L10270)
INSUFFICIENT = {
    "status": 400,
    "error": {"code": -2010, "msg": "Account has insufficient balance for requested action."},
    "rateLimits": limits(322, 13, 4044),
}
# the 418 answer (L10588-L10610)
BANNED = {
    "status": 418,
    "error": {
        "code": -1003,
        "msg": "Way too much request weight used; IP banned until 1659146400000. Please use "
        "WebSocket Streams for live updates to avoid bans.",
        "data": {"serverTime": 1659142907531, "retryAfter": 1659146400000},
    },
    "rateLimits": limits(2411),
}
# cancelReplace's 409: the cancel went through, the new order did not (L12558-L12610)
HALF_REPLACED = {
    "status": 409,
    "error": {
        "code": -2021,
        "msg": "Order cancel-replace partially failed.",
        "data": {
            "cancelResult": "SUCCESS",
            "newOrderResult": "FAILURE",
            "cancelResponse": {
                "symbol": "BTCUSDT",
                "origClientOrderId": "4d96324ff9d44481926157",
                "orderId": 125690984230,
                "orderListId": -1,
                "clientOrderId": "91fe37ce9e69c90d6358c0",
                "price": "23450.00000000",
                "origQty": "0.00847000",
                "executedQty": "0.00001000",
                "cummulativeQuoteQty": "0.23450000",
                "status": "CANCELED",
                "timeInForce": "GTC",
                "type": "LIMIT",
                "side": "SELL",
                "selfTradePreventionMode": "NONE",
            },
            "newOrderResponse": {"code": -2010, "msg": "Order would immediately match and take."},
        },
    },
    "rateLimits": limits(1, 1, 1),
}
DEPTH = {
    "status": 200,
    "result": {"lastUpdateId": 2731179239, "bids": [["0.01379900", "3.43200000"]], "asks": []},
    "rateLimits": limits(1),
}

DROP = object()
"""Script answer: cut the connection (no close frame) instead of answering."""
SILENT = object()
"""Script answer: never answer."""

Script = Callable[[dict], Any]


def ok(request: dict) -> dict:
    if request["method"] == "time":
        return {"status": 200, "result": {"serverTime": time.time_ns() // 1_000_000}}
    return {"status": 200, "result": {}, "rateLimits": limits(1)}


def once(first: Any, then: Script = ok) -> Script:
    """Answer ``first`` to the first request of the method, ``then`` to the later ones."""
    calls = []

    def answer(request: dict) -> Any:
        calls.append(request)
        return first if len(calls) == 1 else then(request)

    return answer


class FakeWsApi:
    """A WebSocket API on loopback, in a thread of its own (so sync clients can use it too):
    each request is answered as ``script[method]`` says (``ok`` by default)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.connections: list[ServerConnection] = []
        self.script: dict[str, Script] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeWsApi:
        self._thread.start()
        self._server = self._run(self._serve())
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws-api/v3"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        self._run(self._server.wait_closed())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    async def _serve(self) -> Any:
        return await serve(self._handle, "127.0.0.1", 0)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(5)

    def sent(self, method: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method]

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        async for raw in ws:
            request = json.loads(raw)
            self.requests.append(request)
            reply = self.script.get(request["method"], ok)(request)
            if reply is DROP:
                ws.transport.abort()
                return
            if reply is not SILENT:
                await ws.send(json.dumps({"id": request["id"], **reply}))

    def ping_clients(self) -> bool:
        """Ping every open connection as the exchange does; True if each answered a pong."""

        async def ping_all() -> bool:
            waiters = [await ws.ping() for ws in self.connections if ws.state.name == "OPEN"]
            await asyncio.wait_for(asyncio.gather(*waiters), 2)
            return bool(waiters)

        return self._run(ping_all())


async def eventually(condition: Callable[[], bool], within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture
def fake() -> Iterator[FakeWsApi]:
    with FakeWsApi() as server:
        yield server


@pytest_asyncio.fixture
async def ws(fake):
    async with bu.AsyncWsApiClient(
        SPEC_WS_KEY, SPEC_WS_SECRET, url=fake.url, timeout=2, retry_backoff=(0.01, 0.01)
    ) as client:
        yield client


def signature_valid(params: dict, secret: str = SPEC_WS_SECRET) -> bool:
    return bu.sign(secret, ws_signature_payload(params)) == params["signature"]


def buy(**extra: Any) -> dict:
    return dict(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal("10"),
        price=Decimal("0.1"),
        **extra,
    )


# -- signing -----------------------------------------------------------------------------------


def test_it_signs_the_spec_example_with_every_param_sorted_and_the_api_key_in():
    params = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01000000",
        "price": "52000.00",
        "newOrderRespType": "ACK",
        "recvWindow": 100,
        "timestamp": SPEC_WS_TIMESTAMP,
        "apiKey": SPEC_WS_KEY,
    }
    assert ws_signature_payload(params) == SPEC_WS_PAYLOAD
    assert bu.sign(SPEC_WS_SECRET, SPEC_WS_PAYLOAD) == SPEC_WS_SIGNATURE
    assert ws_signature_payload({**params, "signature": "x", "icebergQty": None}) == SPEC_WS_PAYLOAD


def test_the_client_puts_the_spec_signature_into_the_request_params():
    clock = bu.ServerClock(lambda: SPEC_WS_TIMESTAMP)
    client = bu.AsyncWsApiClient(SPEC_WS_KEY, SPEC_WS_SECRET, recv_window=100, server_clock=clock)
    own = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC"}
    own |= {"quantity": Decimal("0.01000000"), "price": Decimal("52000.00")}
    wire = client._wire_params(ENDPOINTS["POST /api/v3/order"], {**own, "newOrderRespType": "ACK"})
    assert wire["signature"] == SPEC_WS_SIGNATURE
    assert (wire["quantity"], wire["price"]) == ("0.01000000", "52000.00")  # as the spec sends
    assert (wire["apiKey"], wire["timestamp"], wire["recvWindow"]) == (
        SPEC_WS_KEY,
        SPEC_WS_TIMESTAMP,
        100,
    )
    assert "SECRET" not in repr(client) and SPEC_WS_SECRET not in repr(client)


@pytest.mark.asyncio
async def test_an_envelope_link_resolves_to_the_whole_answer_whatever_its_status():
    sent: list[dict] = []

    async def send(text: str) -> None:
        sent.append(json.loads(text))

    link = RequestLink(send, envelopes=True)
    ok_answer, failed, gap = [await link.send(m, {"a": 1}) for m in ("time", "depth", "x")]
    one, two, three = (m["id"] for m in sent)
    assert link.resolve({"id": two, "status": 429, "error": {"code": -1003, "msg": "slow"}})
    assert link.resolve({"id": three, "status": 200, "response": {}})  # the spec's ping / stop
    assert link.resolve({"id": one, "status": 200, "result": {"serverTime": 1}})
    assert not link.resolve({"id": None, "status": 400, "error": {"code": -1135}})
    assert (await link.wait(ok_answer))["result"] == {"serverTime": 1}
    assert (await link.wait(failed))["status"] == 429  # not raised: the client types it
    assert (await link.wait(gap))["response"] == {}


# -- the table ---------------------------------------------------------------------------------


def test_every_websocket_api_method_of_the_endpoint_table_has_a_client_method():
    table = json.loads(resources.files("binanceus").joinpath("endpoints.json").read_text())
    methods = set(table["websocket_api_methods"])
    assert len(methods) == 33
    for cls in (bu.AsyncWsApiClient, bu.WsApiClient):
        coverage = bu.ws_api_coverage(cls)
        assert coverage.unmodeled == ()
        assert set(coverage.modeled) == methods
        for names in coverage.modeled.values():
            rest = getattr(bu.Client, names[0])
            assert getattr(rest, "__endpoint__", None) is not None  # a REST method's namesake


# -- envelopes ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_it_places_a_signed_order_and_types_the_answer(fake, ws):
    fake.script["order.place"] = lambda r: PLACED
    order = await ws.new_order(**buy())
    assert isinstance(order, bu.Order) and order.order_id == 12510053279
    assert order.price == Decimal("0.1") and type(order.orig_qty) is Decimal
    assert order.transact_time.tzinfo is not None
    (sent,) = fake.sent("order.place")
    params = sent["params"]
    assert isinstance(sent["id"], int) and signature_valid(params)
    assert params["apiKey"] == SPEC_WS_KEY and params["recvWindow"] == 5000
    assert (params["price"], params["quantity"]) == ("0.1", "10")
    assert len(params["newClientOrderId"]) == 32  # generated, so that a lost answer is findable
    assert fake.sent("time"), "the clock is measured before the first signed request"
    assert ws.used_weight == {
        "X-MBX-ORDER-COUNT-10S": 12,
        "X-MBX-ORDER-COUNT-1D": 4043,
        "X-MBX-USED-WEIGHT-1M": 321,
    }
    assert ws.order_counts == {"10S": 12, "1D": 4043}
    assert [(r.window, r.count, r.limit) for r in ws.rate_limits][2] == ("1M", 321, 1200)


@pytest.mark.asyncio
async def test_it_sends_user_stream_and_market_data_methods_with_the_key_only(fake, ws):
    fake.script["userDataStream.start"] = lambda r: {"status": 200, "result": {"listenKey": "LK"}}
    # The spec's ping / stop answers say "response" where every other answer says "result".
    fake.script["userDataStream.ping"] = lambda r: {"status": 200, "response": {}}
    fake.script["trades.historical"] = lambda r: {"status": 200, "result": []}
    assert await ws.create_listen_key() == "LK"
    assert await ws.keepalive_listen_key("LK") is None
    await ws.historical_trades("BTCUSD", limit=5)
    for method in ("userDataStream.start", "userDataStream.ping", "trades.historical"):
        (sent,) = fake.sent(method)
        assert sent["params"]["apiKey"] == SPEC_WS_KEY
        assert "signature" not in sent["params"] and "timestamp" not in sent["params"]
    assert fake.sent("userDataStream.ping")[0]["params"]["listenKey"] == "LK"
    assert not fake.sent("time")  # nothing signed, no clock needed


@pytest.mark.asyncio
async def test_public_methods_send_no_key_and_arrays_as_json_arrays(fake, ws):
    fake.script["ticker.book"] = lambda r: {
        "status": 200,
        "result": [
            {"symbol": s, "bidPrice": "1", "bidQty": "2", "askPrice": "3", "askQty": "4"}
            for s in ("BTCUSD", "ETHUSD")
        ],
    }
    tickers = await ws.book_ticker(symbols=["BTCUSD", "ETHUSD"])
    assert [t.symbol for t in tickers] == ["BTCUSD", "ETHUSD"]
    assert fake.sent("ticker.book")[0]["params"] == {"symbols": ["BTCUSD", "ETHUSD"]}
    await ws.ping()
    assert "params" not in fake.sent("ping")[0]  # "May be omitted if there are no parameters"


@pytest.mark.asyncio
async def test_it_raises_the_rest_errors_for_error_answers(fake, ws):
    fake.script["order.place"] = lambda r: INSUFFICIENT
    with pytest.raises(bu.InsufficientBalance) as info:
        await ws.new_order(**buy())
    assert (info.value.status, info.value.code, info.value.endpoint) == (400, -2010, "order.place")
    assert ws.used_weight["X-MBX-USED-WEIGHT-1M"] == 322  # the error's rateLimits count too

    fake.script["order.cancelReplace"] = lambda r: HALF_REPLACED
    with pytest.raises(bu.CancelReplaceFailed) as half:
        await ws.cancel_replace(
            cancel_replace_mode="ALLOW_FAILURE", cancel_order_id=125690984230, **buy()
        )
    assert half.value.status == 409 and half.value.result.canceled
    assert not half.value.result.placed and half.value.result.new_order_error.code == -2010


@pytest.mark.asyncio
async def test_a_5xx_on_a_placing_call_is_an_unknown_outcome_with_its_client_order_id(fake, ws):
    fake.script["order.place"] = lambda r: {"status": 500, "error": {"code": -1000, "msg": "?"}}
    with pytest.raises(bu.ExecutionUnknown) as info:
        await ws.new_order(**buy(new_client_order_id="mine-1"))
    assert info.value.client_order_id == "mine-1" and info.value.status == 500
    assert len(fake.sent("order.place")) == 1  # never resent blind
    fake.script["depth"] = lambda r: {"status": 500, "error": {"code": -1000, "msg": "?"}}
    with pytest.raises(bu.ServerError):
        await ws.depth("BTCUSD")


@pytest.mark.asyncio
async def test_a_418_bans_with_the_retry_after_of_its_data_and_nothing_more_is_sent(fake, ws):
    fake.script["depth"] = lambda r: BANNED
    with pytest.raises(bu.IPBanned) as info:
        await ws.depth("BTCUSD")
    assert info.value.retry_after == pytest.approx((1659146400000 - 1659142907531) / 1000)
    with pytest.raises(bu.IPBanned, match="not sent"):
        await ws.depth("BTCUSD")
    assert len(fake.sent("depth")) == 1


@pytest.mark.asyncio
async def test_a_429_backs_off_here_and_in_the_shared_budget(fake):
    class Budget(bu.InMemoryWeightBudget):
        backed_off: list = []

        def back_off(self, retry_after, *, status):
            self.backed_off.append((retry_after, status))

    budget = Budget()
    retry_at = time.time_ns() // 1_000_000 + 1500
    fake.script["depth"] = once(
        {
            "status": 429,
            "error": {"code": -1003, "msg": "Too much request weight used; current limit is "}
            | {"data": {"retryAfter": retry_at}},
        }
    )
    async with bu.AsyncWsApiClient(url=fake.url, weight_budget=budget) as ws:
        with pytest.raises(bu.RateLimited) as info:
            await ws.depth("BTCUSD")
        assert 0 < info.value.retry_after <= 1.5
        assert budget.backed_off == [(info.value.retry_after, 429)]
        with pytest.raises(bu.RateLimited, match="not sent"):
            await ws.depth("BTCUSD")
    assert len(fake.sent("depth")) == 1


@pytest.mark.asyncio
async def test_rate_limits_feed_the_weight_budget_shared_with_rest(fake):
    rest = bu.Client(SPEC_WS_KEY, SPEC_WS_SECRET)
    ws = bu.AsyncWsApiClient.from_client(rest, url=fake.url)
    assert ws.weight_budget is rest.weight_budget
    fake.script["depth"] = lambda r: DEPTH | {"rateLimits": limits(700)}
    async with ws:
        await ws.connect()
        assert rest.weight_budget.spent == 1  # "Connecting to WebSocket API costs 1 weight"
        await ws.depth("BTCUSD", limit=1000)
        assert rest.weight_budget.spent == 700  # the exchange's count, larger than ours (11)
        fake.script["depth"] = lambda r: DEPTH | {"rateLimits": limits(1075)}
        await ws.depth("BTCUSD", limit=100)
        with pytest.raises(bu.WeightLimitExceeded):  # 1075 + 10 > 90 % of 1200
            await ws.depth("BTCUSD", limit=1000)
    assert len(fake.sent("depth")) == 2
    rest.close()


@pytest.mark.asyncio
async def test_it_resyncs_the_clock_once_on_1021_and_retries(fake, ws):
    stale = {"status": 400, "error": {"code": -1021, "msg": "Timestamp outside of recvWindow."}}
    fake.script["account.status"] = once(stale, lambda r: {"status": 200, "result": {}})
    account = await ws.account()
    assert isinstance(account, bu.Account)
    assert len(fake.sent("account.status")) == 2 and len(fake.sent("time")) == 2


@pytest.mark.asyncio
async def test_it_needs_the_key_and_secret_its_methods_need_before_sending(fake):
    async with bu.AsyncWsApiClient(url=fake.url) as ws:
        with pytest.raises(ValueError, match="needs an api_key"):
            await ws.create_listen_key()
        with pytest.raises(ValueError, match="pass order_id or orig_client_order_id"):
            await ws.get_order(symbol="BTCUSD")
        with pytest.raises(TypeError):
            await ws.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantiy=Decimal(1))
    assert fake.requests == []


# -- lost answers, reconnects ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_drop_mid_order_is_an_unknown_outcome_and_the_next_call_reconnects(fake, ws):
    fake.script["order.place"] = lambda r: DROP
    with pytest.raises(bu.ExecutionUnknown) as info:
        await ws.new_order(**buy())
    (sent,) = fake.sent("order.place")
    assert info.value.client_order_id == sent["params"]["newClientOrderId"]
    assert info.value.endpoint == "order.place" and info.value.params["symbol"] == "BTCUSDT"
    fake.script["order.status"] = lambda r: PLACED
    found = await ws.get_order(symbol="BTCUSDT", orig_client_order_id=info.value.client_order_id)
    assert found.order_id == 12510053279
    assert len(fake.connections) == 2 and ws.stats().reconnects == 1
    ids = [r["id"] for r in fake.requests]
    assert len(ids) == len(set(ids))  # unique across the two connections


@pytest.mark.asyncio
async def test_a_timeout_mid_order_is_an_unknown_outcome_and_a_read_one_a_network_error(fake, ws):
    fake.script["orderList.place"] = lambda r: SILENT
    with pytest.raises(bu.ExecutionUnknown) as info:
        await ws.new_oco(
            symbol="BTCUSD",
            side="SELL",
            quantity=Decimal(1),
            price=Decimal(2),
            stop_price=Decimal(1),
            timeout=0.2,
        )
    assert (
        info.value.client_order_id == fake.sent("orderList.place")[0]["params"]["listClientOrderId"]
    )
    fake.script["depth"] = lambda r: SILENT
    with pytest.raises(bu.NetworkError):
        await ws.depth("BTCUSD", timeout=0.1)
    assert len(fake.sent("depth")) == 3  # retried twice (retry_backoff has two delays)


@pytest.mark.asyncio
async def test_a_read_lost_in_a_drop_is_retried_on_a_new_connection(fake, ws):
    fake.script["depth"] = once(DROP, lambda r: DEPTH)
    book = await ws.depth("BTCUSD", limit=5)
    assert book.bids == [(Decimal("0.01379900"), Decimal("3.43200000"))]
    assert len(fake.connections) == 2


@pytest.mark.asyncio
async def test_it_reconnects_after_the_server_closes_the_connection(fake, ws):
    await ws.ping()
    await asyncio.to_thread(fake._run, fake.connections[0].close(1000, "24 hours are up"))
    await eventually(lambda: not ws.stats().connected)
    await ws.ping()
    assert len(fake.connections) == 2 and ws.stats().connected


@pytest.mark.asyncio
async def test_an_old_connection_is_retired_after_its_pending_requests(fake):
    async with bu.AsyncWsApiClient(url=fake.url, max_connection_age=0.2) as ws:
        await ws.ping()
        await asyncio.sleep(0.25)
        await ws.ping()
        assert len(fake.connections) == 2 and ws.stats().rollovers == 1
        await eventually(lambda: fake.connections[0].state.name == "CLOSED")
        assert fake.connections[1].state.name == "OPEN"


@pytest.mark.asyncio
async def test_it_answers_the_servers_pings_with_pongs(fake, ws):
    await ws.ping()
    # websockets sends the pong as it reads the ping (the client's loop must be free for that)
    assert await asyncio.to_thread(fake.ping_clients)
    assert await asyncio.to_thread(fake.ping_clients)
    assert ws.stats().pings_answered == 2


# -- the synchronous client --------------------------------------------------------------------


def test_the_sync_client_runs_the_same_methods_on_its_own_loop(fake):
    fake.script["order.place"] = lambda r: PLACED
    fake.script["depth"] = lambda r: DEPTH
    with bu.WsApiClient(SPEC_WS_KEY, SPEC_WS_SECRET, url=fake.url) as ws:
        assert ws.new_order(**buy()).order_id == 12510053279
        results: list = []
        threads = [
            threading.Thread(target=lambda: results.append(ws.depth("BTCUSD"))) for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 4 and all(isinstance(b, bu.DepthSnapshot) for b in results)
        assert ws.stats().connected and len(fake.connections) == 1
        fake.script["order.place"] = lambda r: DROP
        with pytest.raises(bu.ExecutionUnknown):
            ws.new_order(**buy())
    with pytest.raises(RuntimeError, match="closed"):
        ws.ping()
