"""Market and user data streams over real WebSockets."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.sandbox.sandbox_support import new_account, signed

PAYLOAD_A_FIELDS = set(
    [
        "e",
        "E",
        "s",
        "c",
        "S",
        "o",
        "f",
        "q",
        "p",
        "P",
        "F",
        "g",
        "C",
        "x",
        "X",
        "r",
        "i",
        "l",
        "z",
        "L",
        "n",
        "N",
        "T",
        "t",
        "I",
        "w",
        "m",
        "M",
        "O",
        "Z",
        "Y",
        "Q",
        "V",
        "W",
    ]
)


def ws_base(http_url: str) -> str:
    return http_url.replace("http://", "ws://")


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(ws: ClientConnection, pred, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if pred(msg):
            return msg


async def get_json(url: str) -> dict:
    resp = await asyncio.to_thread(requests.get, url, timeout=5)
    return resp.json()


def apply(book: dict[str, dict[Decimal, Decimal]], event: dict) -> None:
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, qty in event[key]:
            if Decimal(qty) == 0:
                book[side].pop(Decimal(price), None)
            else:
                book[side][Decimal(price)] = Decimal(qty)


def as_book(snapshot: dict) -> dict[str, dict[Decimal, Decimal]]:
    return {side: {Decimal(p): Decimal(q) for p, q in snapshot[side]} for side in ("bids", "asks")}


@pytest.mark.asyncio
async def test_it_rebuilds_the_rest_book_from_depth_diffs(sandbox_url: str) -> None:
    """The spec's "Managing a Local Order Book" procedure, checked against fresh snapshots."""
    depth_url = f"{sandbox_url}/api/v3/depth?symbol=BTCUSD&limit=1000"
    async with connect(ws_base(sandbox_url) + "/ws/btcusd@depth@100ms") as ws:
        buffered = [await recv_json(ws)]
        snapshot = await get_json(depth_url)
        last_id = snapshot["lastUpdateId"]
        book, prev_u, matches = as_book(snapshot), None, 0
        deadline = time.monotonic() + 15
        while matches < 3 and time.monotonic() < deadline:
            event = buffered.pop(0) if buffered else await recv_json(ws)
            assert event["e"] == "depthUpdate" and event["s"] == "BTCUSD"
            if event["u"] <= last_id:
                continue
            if prev_u is None:
                assert event["U"] <= last_id + 1 <= event["u"]
            else:
                assert event["U"] == prev_u + 1
            apply(book, event)
            prev_u = event["u"]
            fresh = await get_json(depth_url)
            if fresh["lastUpdateId"] == prev_u:
                assert book == as_book(fresh)
                matches += 1
        assert matches >= 3


@pytest.mark.asyncio
async def test_it_wraps_combined_streams(sandbox_url: str) -> None:
    names = {"ethusd@trade", "ethusd@depth5@100ms", "ethusd@bookTicker", "ethusd@aggTrade"}
    async with connect(ws_base(sandbox_url) + "/stream?streams=" + "/".join(names)) as ws:
        seen: dict[str, dict] = {}
        deadline = time.monotonic() + 10
        while set(seen) != names and time.monotonic() < deadline:
            msg = await recv_json(ws)
            assert set(msg) == {"stream", "data"} and msg["stream"] in names
            seen[msg["stream"]] = msg["data"]
    assert set(seen) == names
    assert seen["ethusd@trade"]["e"] == "trade" and seen["ethusd@trade"]["s"] == "ETHUSD"
    assert seen["ethusd@aggTrade"]["e"] == "aggTrade"
    assert len(seen["ethusd@depth5@100ms"]["bids"]) == 5
    assert set(seen["ethusd@bookTicker"]) == {"u", "s", "b", "B", "a", "A"}


@pytest.mark.asyncio
async def test_it_handles_stream_control_messages(sandbox_url: str) -> None:
    async with connect(ws_base(sandbox_url) + "/ws") as ws:

        async def call(payload: object) -> dict:
            await asyncio.sleep(0.21)  # stay under 5 incoming messages per second
            await ws.send(payload if isinstance(payload, str) else json.dumps(payload))
            return await recv_until(ws, lambda m: "result" in m or "code" in m)

        sub = {"method": "SUBSCRIBE", "params": ["solusd@trade", "solusd@bookTicker"], "id": 1}
        assert await call(sub) == {"result": None, "id": 1}
        listed = await call({"method": "LIST_SUBSCRIPTIONS", "id": 2})
        assert listed == {"result": ["solusd@trade", "solusd@bookTicker"], "id": 2}
        event = await recv_until(ws, lambda m: m.get("e") == "trade")
        assert event["s"] == "SOLUSD"
        assert (await call({"method": "GET_PROPERTY", "params": ["combined"], "id": 3}))[
            "result"
        ] is False
        assert await call({"method": "SET_PROPERTY", "params": ["combined", True], "id": 4}) == {
            "result": None,
            "id": 4,
        }
        wrapped = await recv_until(ws, lambda m: "stream" in m)
        assert wrapped["stream"] in {"solusd@trade", "solusd@bookTicker"}
        await call({"method": "SET_PROPERTY", "params": ["combined", False], "id": 5})
        assert await call({"method": "UNSUBSCRIBE", "params": ["solusd@trade"], "id": 6}) == {
            "result": None,
            "id": 6,
        }
        assert (await call({"method": "LIST_SUBSCRIPTIONS", "id": 7}))["result"] == [
            "solusd@bookTicker"
        ]
        bad_json = await call("{not json")
        assert bad_json["code"] == 3 and bad_json["msg"].startswith("Invalid JSON")
        unknown = await call({"method": "FOO", "id": 8})
        assert unknown["code"] == 2
        assert unknown["msg"].startswith("Invalid request: unknown variant FOO, expected one of")
        assert (await call({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 9}))[
            "code"
        ] == 1
        assert await call({"method": "GET_PROPERTY", "params": ["colour"], "id": 10}) == {
            "code": 0,
            "msg": "Unknown property",
            "ID": 10,
        }
        assert (await call({"method": "LIST_SUBSCRIPTIONS", "id": -1}))["code"] == 2
        assert (await call({"method": "SUBSCRIBE", "params": ["nope@trade"], "id": 11}))[
            "code"
        ] == 2


@pytest.mark.asyncio
async def test_it_rejects_unknown_stream_names(sandbox_url: str) -> None:
    with pytest.raises(InvalidStatus):
        async with connect(ws_base(sandbox_url) + "/ws/xyzusd@trade"):
            pass


@pytest.mark.asyncio
async def test_it_streams_user_data_after_orders_and_deposits(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    key = signed(quiet_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]
    assert signed(quiet_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"] == key
    async with connect(f"{ws_base(quiet_url)}/ws/{key}") as ws:
        placed = await asyncio.to_thread(
            signed,
            quiet_url,
            "POST",
            "/api/v3/order",
            acct,
            {
                "symbol": "ETHUSD",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "2500",
                "newClientOrderId": "uds-1",
            },
        )
        assert placed.status_code == 200
        new = await recv_json(ws)
        assert new["e"] == "executionReport"
        assert set(new) >= PAYLOAD_A_FIELDS
        assert (new["x"], new["X"], new["c"], new["i"], new["q"], new["p"], new["w"]) == (
            "NEW",
            "NEW",
            "uds-1",
            placed.json()["orderId"],
            "1.00000000",
            "2500.00000000",
            True,
        )
        position = await recv_until(ws, lambda m: m["e"] == "outboundAccountPosition")
        assert {"a": "USD", "f": "97500.00000000", "l": "2500.00000000"} in position["B"]
        await asyncio.to_thread(
            signed,
            quiet_url,
            "DELETE",
            "/api/v3/order",
            acct,
            {"symbol": "ETHUSD", "origClientOrderId": "uds-1"},
        )
        canceled = await recv_until(ws, lambda m: m["e"] == "executionReport")
        assert (canceled["x"], canceled["X"], canceled["C"]) == ("CANCELED", "CANCELED", "uds-1")
        await asyncio.to_thread(
            signed,
            quiet_url,
            "POST",
            "/api/v3/order",
            acct,
            {"symbol": "ETHUSD", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
        )
        trade = await recv_until(ws, lambda m: m["e"] == "executionReport" and m["x"] == "TRADE")
        assert (trade["X"], trade["l"], trade["N"], trade["m"]) == (
            "FILLED",
            "0.01000000",
            "ETH",
            False,
        )
        assert trade["t"] > 0 and Decimal(trade["L"]) > 0
        await asyncio.to_thread(
            requests.post,
            f"{quiet_url}/sandbox/v1/deposit",
            timeout=5,
            json={"email": acct["email"], "asset": "SOL", "amount": "12.5"},
        )
        deposit = await recv_until(ws, lambda m: m["e"] == "balanceUpdate")
        assert (deposit["a"], deposit["d"]) == ("SOL", "12.50000000")
        after = await recv_until(ws, lambda m: m["e"] == "outboundAccountPosition")
        assert after["B"] == [{"a": "SOL", "f": "12.50000000", "l": "0.00000000"}]


@pytest.mark.asyncio
async def test_it_runs_the_listen_key_lifecycle(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    key = signed(quiet_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]
    assert len(key) == 64
    headers = {"X-MBX-APIKEY": acct["apiKey"]}
    url = f"{quiet_url}/api/v3/userDataStream"
    assert requests.put(url, params={"listenKey": key}, headers=headers, timeout=5).json() == {}
    unknown = requests.put(url, params={"listenKey": "x" * 64}, headers=headers, timeout=5)
    assert (unknown.status_code, unknown.json()) == (
        400,
        {"code": -1125, "msg": "This listenKey does not exist."},
    )
    async with connect(f"{ws_base(quiet_url)}/stream?streams={key}") as ws:
        closed = await asyncio.to_thread(
            requests.delete, url, data={"listenKey": key}, headers=headers, timeout=5
        )
        assert closed.json() == {}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    with pytest.raises(InvalidStatus):
        async with connect(f"{ws_base(quiet_url)}/ws/{key}"):
            pass
    fresh = signed(quiet_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]
    assert fresh != key
