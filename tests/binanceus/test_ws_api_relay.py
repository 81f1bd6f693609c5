"""WsApiRelay: requests prepared and signed in one place, carried over a socket another holds
(AsyncWsApiClient.forward on an event loop of its own), against the real sandbox."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

import binanceus as bu

from .test_sandbox_accounts_integration import admin
from .test_ws_api_sandbox import QTY, ws_api_url


def ws_calls(sandbox_url: str, method: str) -> int:
    return admin(sandbox_url, "GET", "requests")["byEndpoint"].get(f"WS /ws-api/v3/{method}", 0)


class Holder:
    """The socket's side: an AsyncWsApiClient without key or secret on its own loop."""

    def __init__(self, url: str, **options) -> None:
        self.client = bu.AsyncWsApiClient(url=url, timeout=5, **options)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def forward(self, method: str, params: dict, timeout: float):
        call = self.client.forward(method, params, timeout=timeout)
        return asyncio.run_coroutine_threadsafe(call, self.loop).result()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def rest(sandbox_url, sandbox_account) -> Iterator[bu.Client]:
    key, secret = sandbox_account["apiKey"], sandbox_account["secretKey"]
    budget = bu.InMemoryWeightBudget(12_000)  # the sandbox reports the whole suite's weight
    with bu.Client(key, secret, base_url=sandbox_url, timeout=5, weight_budget=budget) as c:
        yield c


@pytest.fixture
def holder(sandbox_url) -> Iterator[Holder]:
    held = Holder(ws_api_url(sandbox_url))
    yield held
    held.close()


def test_every_method_of_the_websocket_api_has_a_relay_method():
    assert not bu.ws_api_coverage(bu.WsApiRelay).unmodeled


def test_it_places_reads_and_cancels_through_the_holders_socket(sandbox_url, rest, holder):
    relay = bu.WsApiRelay.from_client(rest, holder.forward)
    before = ws_calls(sandbox_url, "order.place")
    price = (relay.avg_price("BTCUSD").price * Decimal("0.9")).quantize(Decimal("0.01"))
    placed = relay.new_order(
        symbol="BTCUSD", side="BUY", type="LIMIT", time_in_force="GTC", quantity=QTY, price=price
    )
    assert isinstance(placed, bu.Order) and placed.status == "NEW" and placed.price == price
    assert ws_calls(sandbox_url, "order.place") == before + 1
    assert relay.get_order(symbol="BTCUSD", order_id=placed.order_id).status == "NEW"
    canceled = relay.cancel_order(symbol="BTCUSD", order_id=placed.order_id)
    assert canceled.status == "CANCELED"
    # The exchange's rateLimits reached the relay (its budget) and the holder (its stats).
    assert relay.used_weight["X-MBX-USED-WEIGHT-1M"] > 0
    assert holder.client.stats().used_weight["X-MBX-USED-WEIGHT-1M"] > 0


def test_the_holder_leaves_the_weight_budget_to_the_relaying_side(sandbox_url, rest):
    """The relay feeds the answer's rateLimits to the budget it shares; the holder keeps them
    for its stats only (feeding them too was a blocking Redis round trip on its loop)."""
    budget = bu.InMemoryWeightBudget(12_000)
    held = Holder(ws_api_url(sandbox_url), weight_budget=budget)
    try:
        bu.WsApiRelay.from_client(rest, held.forward).avg_price("BTCUSD")
        reported = held.client.stats().used_weight["X-MBX-USED-WEIGHT-1M"]
        assert reported >= 2  # the socket's connection and the request, at least
        assert budget.spent < reported  # what it spent connecting, not the exchange's figure
    finally:
        held.close()


def test_the_exchanges_refusal_comes_back_typed(rest, holder):
    relay = bu.WsApiRelay.from_client(rest, holder.forward)
    with pytest.raises(bu.APIError) as refused:
        relay.cancel_order(symbol="BTCUSD", order_id=999_999_999)
    assert refused.value.code == -2011


def test_a_placement_whose_answer_is_lost_is_unknown_with_its_client_order_id(rest):
    def lost(method: str, params: dict, timeout: float):
        raise bu.ConnectionLost("the socket dropped after sending")

    relay = bu.WsApiRelay.from_client(rest, lost)
    with pytest.raises(bu.ExecutionUnknown) as unknown:
        relay.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=Decimal("1000"),
            new_client_order_id="relay-lost-1",
        )
    assert unknown.value.client_order_id == "relay-lost-1"


def test_nothing_forwarded_is_its_own_error(rest):
    def down(method: str, params: dict, timeout: float):
        raise bu.NotForwarded("no session", endpoint=method)

    with pytest.raises(bu.NotForwarded):
        bu.WsApiRelay.from_client(rest, down).ping()


def test_a_503_not_executed_is_sent_again_as_rest_would(sandbox_url, rest, holder):
    relay = bu.WsApiRelay.from_client(rest, holder.forward)
    fault = {"mode": "unavailable_503", "method": "order.place", "count": 1}
    admin(sandbox_url, "POST", "faults", {"wsApi": fault})
    try:
        before = ws_calls(sandbox_url, "order.place")
        price = (relay.avg_price("BTCUSD").price * Decimal("0.9")).quantize(Decimal("0.01"))
        placed = relay.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=price,
        )
        assert placed.status == "NEW"
        assert ws_calls(sandbox_url, "order.place") == before + 2  # refused once, then placed
    finally:
        admin(sandbox_url, "DELETE", "faults")
    relay.cancel_order(symbol="BTCUSD", order_id=placed.order_id)
