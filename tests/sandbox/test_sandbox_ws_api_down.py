"""The wsApiDown fault: while set, the WebSocket API is down (open connections cut, handshakes
refused with 503) and everything else is up; cleared, it takes connections again."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Response

from tests.sandbox.order_support import trade_at
from tests.sandbox.sandbox_support import admin, recv_json, recv_until, ws_url
from tests.sandbox.test_sandbox_ws_api import Api, open_api, reset

DOWN = {"wsApiDown": True}


@pytest.fixture(autouse=True)
def clean(private_url: str) -> Iterator[None]:
    reset(private_url)
    yield
    reset(private_url)


def faults(base: str) -> dict:
    return admin(base, "GET", "/faults").json()


async def dropped(api: Api) -> bool:
    """Whether the connection was cut (no close frame); waits up to 5 s for it."""
    try:
        await recv_json(api.ws)
    except ConnectionClosed as closed:
        return closed.rcvd is None
    return False  # a message came instead


async def refused(base: str) -> Response:
    """The HTTP answer to a handshake the sandbox refuses."""
    with pytest.raises(InvalidStatus) as refusal:
        async with open_api(base):
            pass
    return refusal.value.response


async def answers_ping(base: str) -> bool:
    async with open_api(base) as api:
        return (await api.call("ping"))["status"] == 200


@pytest.mark.asyncio
async def test_it_cuts_open_connections_and_refuses_handshakes(private_url: str) -> None:
    async with open_api(private_url) as first, open_api(private_url) as second:
        assert (await first.call("ping"))["status"] == 200
        assert (await second.call("time"))["status"] == 200
        assert admin(private_url, "POST", "/faults", DOWN).json()["wsApiDown"] is True
        assert await dropped(first) and await dropped(second)
    response = await refused(private_url)
    assert (response.status_code, response.body) == (503, b"Service Unavailable.")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert faults(private_url) == {"historyLagSeconds": 0, "wsApiDown": True}


@pytest.mark.asyncio
async def test_rest_and_market_streams_stay_up(private_url: str) -> None:
    trades = ws_url(private_url, "/stream?streams=btcusd@trade")
    async with connect(trades) as before:
        admin(private_url, "POST", "/faults", DOWN)
        assert requests.get(f"{private_url}/api/v3/ping", timeout=5).json() == {}
        async with connect(ws_url(private_url, "/ws/btcusd@trade")) as during:
            trade_at(private_url, "60000.5")
            event = await recv_until(before, lambda m: m.get("stream") == "btcusd@trade")
            assert Decimal(event["data"]["p"]) == Decimal("60000.5")
            assert Decimal((await recv_json(during))["p"]) == Decimal("60000.5")
    assert (await refused(private_url)).status_code == 503  # still down


@pytest.mark.parametrize(
    "clear", [("POST", {"wsApiDown": False}), ("POST", {"wsApiDown": None}), ("DELETE", None)]
)
@pytest.mark.asyncio
async def test_clearing_it_takes_connections_again(
    private_url: str, clear: tuple[str, dict | None]
) -> None:
    admin(private_url, "POST", "/faults", DOWN)
    assert (await refused(private_url)).status_code == 503
    assert "wsApiDown" not in admin(private_url, clear[0], "/faults", clear[1]).json()
    assert "wsApiDown" not in faults(private_url)
    assert await answers_ping(private_url)


@pytest.mark.asyncio
async def test_bad_values_are_refused_and_change_nothing(private_url: str) -> None:
    bad_values = ("yes", 1, 0, "true", {}, [])
    for value in bad_values:
        resp = admin(private_url, "POST", "/faults", {"wsApiDown": value})
        assert resp.status_code == 400 and resp.json()["error"], value
    mixed = {"wsApiDown": True, "wsApi": {"mode": "explode"}}  # all or nothing
    assert admin(private_url, "POST", "/faults", mixed).status_code == 400
    assert "wsApiDown" not in faults(private_url)
    assert await answers_ping(private_url)
    admin(private_url, "POST", "/faults", DOWN)
    mixed = {"wsApiDown": False, "wsApi": {"mode": "explode"}}
    assert admin(private_url, "POST", "/faults", mixed).status_code == 400
    for value in bad_values:
        assert admin(private_url, "POST", "/faults", {"wsApiDown": value}).status_code == 400
    assert faults(private_url)["wsApiDown"] is True
    assert (await refused(private_url)).status_code == 503


def test_it_shows_in_the_sandbox_state(private_url: str) -> None:
    admin(private_url, "POST", "/faults", DOWN)
    assert admin(private_url, "GET", "/state").json()["faults"]["wsApiDown"] is True
    assert admin(private_url, "DELETE", "/faults").json() == {"historyLagSeconds": 0}
