"""listenKey lifetime on the sandbox clock (spec "User Data Streams"): valid 60 minutes after
creation, PUT or a repeated POST extends it by 60 minutes, an expired key's socket is closed
and the key answers -1125. The admin clock jumps instead of waiting an hour."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.sandbox.sandbox_support import admin, new_account, ws_url

MINUTE_MS = 60_000
STREAM = "/api/v3/userDataStream"
NO_KEY = {"code": -1125, "msg": "This listenKey does not exist."}


@pytest.fixture(autouse=True)
def host_clock(private_url: str) -> Iterator[None]:
    admin(private_url, "POST", "/clock", {"offsetMs": 0})
    yield
    admin(private_url, "POST", "/clock", {"offsetMs": 0})


def advance(base: str, minutes: float) -> None:
    resp = admin(base, "POST", "/clock", {"advanceMs": int(minutes * MINUTE_MS)})
    assert resp.status_code == 200


def user_stream(base: str, acct: dict, method: str, key: str | None = None) -> requests.Response:
    params = {"listenKey": key} if key else None
    headers = {"X-MBX-APIKEY": acct["apiKey"]}
    return requests.request(method, base + STREAM, params=params, headers=headers, timeout=5)


def start_key(base: str, acct: dict) -> str:
    return user_stream(base, acct, "POST").json()["listenKey"]


def test_it_expires_a_key_60_minutes_after_creation(private_url: str) -> None:
    acct = new_account(private_url)
    key = start_key(private_url, acct)
    advance(private_url, 59.9)
    assert user_stream(private_url, acct, "PUT", key).json() == {}  # still valid: extended
    advance(private_url, 59.9)
    assert user_stream(private_url, acct, "PUT", key).json() == {}
    advance(private_url, 60.1)
    expired = user_stream(private_url, acct, "PUT", key)
    assert (expired.status_code, expired.json()) == (400, NO_KEY)
    assert user_stream(private_url, acct, "DELETE", key).json() == NO_KEY
    fresh = start_key(private_url, acct)
    assert fresh != key


def test_it_extends_the_active_key_on_a_repeated_post(private_url: str) -> None:
    acct = new_account(private_url)
    key = start_key(private_url, acct)
    advance(private_url, 45)
    assert start_key(private_url, acct) == key
    advance(private_url, 45)  # 90 minutes after creation, 45 after the second POST
    assert user_stream(private_url, acct, "PUT", key).json() == {}


def test_it_closes_the_socket_of_an_expired_key_and_refuses_new_ones(private_url: str) -> None:
    acct = new_account(private_url)
    key = start_key(private_url, acct)

    async def scenario() -> None:
        async with connect(ws_url(private_url, f"/ws/{key}")) as ws:
            advance(private_url, 61)
            # The exchange checks expiry every second.
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        with pytest.raises(InvalidStatus):
            async with connect(ws_url(private_url, f"/ws/{key}")):
                pass

    asyncio.run(scenario())
    assert user_stream(private_url, acct, "PUT", key).json() == NO_KEY


def test_it_keeps_another_accounts_key_out_of_reach(private_url: str) -> None:
    owner, stranger = new_account(private_url), new_account(private_url)
    key = start_key(private_url, owner)
    assert user_stream(private_url, stranger, "PUT", key).json() == NO_KEY
    assert user_stream(private_url, stranger, "DELETE", key).json() == NO_KEY
    assert user_stream(private_url, owner, "PUT", key).json() == {}


def test_it_moves_the_clock_by_offset_server_time_or_advance(private_url: str) -> None:
    host = admin(private_url, "POST", "/clock", {"offsetMs": 0}).json()["serverTime"]
    moved = admin(private_url, "POST", "/clock", {"advanceMs": 3_600_000}).json()
    assert moved["offsetMs"] == 3_600_000
    assert moved["serverTime"] - host >= 3_600_000
    again = admin(private_url, "POST", "/clock", {"advanceMs": -600_000}).json()
    assert again["offsetMs"] == 3_000_000
    served = requests.get(f"{private_url}/api/v3/time", timeout=5).json()["serverTime"]
    assert served - host >= 3_000_000
    for bad in ({"advanceMs": "1"}, {"advanceMs": True}, {}):
        assert admin(private_url, "POST", "/clock", bad).status_code == 400
