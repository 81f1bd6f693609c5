"""Admin stream faults: dropped connections, depth gaps, delayed and duplicated events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.sandbox.sandbox_support import (
    admin,
    new_account,
    recv_json,
    signed,
    start,
    stop,
    ws_url,
)


@pytest.fixture(scope="module")
def flowing_url() -> Iterator[str]:
    """A private sandbox with a fast market flow: the faults are exchange-wide."""
    proc, base = start("--tick-ms", "100", seed=13)
    yield base
    stop(proc)


@pytest.fixture(autouse=True)
def clean_faults(flowing_url: str) -> Iterator[None]:
    admin(flowing_url, "DELETE", "/faults")
    yield
    admin(flowing_url, "DELETE", "/faults")


async def aadmin(base: str, method: str, path: str, doc: dict | None = None) -> dict:
    resp = await asyncio.to_thread(admin, base, method, path, doc)
    assert resp.status_code == 200, resp.text
    return resp.json()


def book_of(snapshot: dict) -> dict[str, dict[Decimal, Decimal]]:
    return {s: {Decimal(p): Decimal(q) for p, q in snapshot[s]} for s in ("bids", "asks")}


def apply(book: dict[str, dict[Decimal, Decimal]], event: dict) -> None:
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, qty in event[key]:
            if Decimal(qty) == 0:
                book[side].pop(Decimal(price), None)
            else:
                book[side][Decimal(price)] = Decimal(qty)


def test_it_shows_and_validates_stream_faults(flowing_url: str) -> None:
    doc = {
        "depthGap": {"symbol": "BTCUSD", "count": 2},
        "streamDelayMs": {"ms": 300},
        "streamDuplicate": {"symbol": "ETHUSD", "count": 3},
        "order": {"mode": "execute_then_500", "count": 1},
    }
    assert admin(flowing_url, "POST", "/faults", doc).json() == {
        "order": {"mode": "execute_then_500", "count": 1},
        "historyLagSeconds": 0,
        "depthGap": {"symbol": "BTCUSD", "count": 2},
        "streamDelayMs": {"ms": 300},
        "streamDuplicate": {"symbol": "ETHUSD", "count": 3},
    }
    assert (
        "streamDelayMs" not in admin(flowing_url, "POST", "/faults", {"streamDelayMs": None}).json()
    )
    for bad in (
        {"depthGap": {"count": 1}},
        {"depthGap": {"symbol": "DOGEUSD"}},
        {"streamDelayMs": {"ms": -1}},
        {"streamDuplicate": {"count": "2"}},
    ):
        assert admin(flowing_url, "POST", "/faults", bad).status_code == 400
    assert admin(flowing_url, "DELETE", "/faults").json() == {"historyLagSeconds": 0}
    assert admin(flowing_url, "POST", "/streams/drop", {"symbol": "NOPE"}).status_code == 400


@pytest.mark.asyncio
async def test_it_drops_market_stream_connections(flowing_url: str) -> None:
    acct = new_account(flowing_url)
    key = signed(flowing_url, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]
    async with (
        connect(ws_url(flowing_url, "/ws/btcusd@trade")) as btc,
        connect(ws_url(flowing_url, "/ws/ethusd@bookTicker")) as eth,
        connect(ws_url(flowing_url, f"/ws/{key}")) as user,
    ):
        await recv_json(btc)
        await recv_json(eth)
        assert await aadmin(flowing_url, "POST", "/streams/drop", {"symbol": "BTCUSD"}) == {
            "dropped": 1
        }
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(btc.recv(), 3)
        await recv_json(eth)  # still flowing
        assert (await aadmin(flowing_url, "POST", "/streams/drop"))["dropped"] >= 1
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(eth.recv(), 3)
        await asyncio.to_thread(
            requests.post,
            f"{flowing_url}/sandbox/v1/deposit",
            json={"email": acct["email"], "asset": "SOL", "amount": "1"},
            timeout=5,
        )
        assert (await recv_json(user))["e"] == "balanceUpdate"  # user data stays


@pytest.mark.asyncio
async def test_it_skips_depth_update_ids_while_rest_depth_stays_right(flowing_url: str) -> None:
    depth_url = f"{flowing_url}/api/v3/depth?symbol=BTCUSD&limit=1000"
    async with connect(ws_url(flowing_url, "/ws/btcusd@depth@100ms")) as ws:
        prev = await recv_json(ws)
        for _ in range(3):
            event = await recv_json(ws)
            assert event["U"] == prev["u"] + 1
            prev = event
        await aadmin(flowing_url, "POST", "/faults", {"depthGap": {"symbol": "BTCUSD"}})
        gaps = 0
        for _ in range(4):
            event = await recv_json(ws)
            if event["U"] != prev["u"] + 1:
                gaps += 1
                assert event["U"] > prev["u"] + 1
            prev = event
        assert gaps == 1
        assert "depthGap" not in (await aadmin(flowing_url, "GET", "/faults"))
        # Resync the spec's way: a snapshot, then events after it; it matches fresh snapshots.
        snapshot = (await asyncio.to_thread(requests.get, depth_url, timeout=5)).json()
        book, last, matches = book_of(snapshot), snapshot["lastUpdateId"], 0
        synced = False
        deadline = time.monotonic() + 10
        while matches < 2 and time.monotonic() < deadline:
            event = await recv_json(ws)
            if event["u"] <= last:
                continue
            if not synced:
                assert event["U"] <= last + 1 <= event["u"]
                synced = True
            else:
                assert event["U"] == last + 1
            apply(book, event)
            last = event["u"]
            fresh = (await asyncio.to_thread(requests.get, depth_url, timeout=5)).json()
            if fresh["lastUpdateId"] == last:
                assert book == book_of(fresh)
                matches += 1
        assert matches == 2


@pytest.mark.asyncio
async def test_it_sends_events_twice_when_asked(flowing_url: str) -> None:
    async with connect(ws_url(flowing_url, "/ws/solusd@trade")) as ws:
        await recv_json(ws)
        await aadmin(flowing_url, "POST", "/faults", {"streamDuplicate": {"count": 2}})
        raws = [await asyncio.wait_for(ws.recv(), 5) for _ in range(8)]
    repeats = [i for i in range(1, len(raws)) if raws[i] == raws[i - 1]]
    assert len(repeats) == 2


@pytest.mark.asyncio
async def test_it_delays_events_when_asked(flowing_url: str) -> None:
    def lag_ms(event: dict) -> float:
        return time.time() * 1000 - event["E"]

    async with connect(ws_url(flowing_url, "/ws/btcusd@bookTicker/btcusd@trade")) as ws:
        warm = 0
        while warm < 3:
            event = await recv_json(ws)
            if event.get("e") == "trade":
                assert lag_ms(event) < 150
                warm += 1
        await aadmin(flowing_url, "POST", "/faults", {"streamDelayMs": {"ms": 400}})
        set_at = time.time() * 1000
        lags = []
        while len(lags) < 3:
            event = await recv_json(ws)
            if event.get("e") == "trade" and event["E"] > set_at:
                lags.append(lag_ms(event))
        assert min(lags) >= 350
        await aadmin(flowing_url, "DELETE", "/faults")
        cleared_at = time.time() * 1000
        deadline = time.monotonic() + 5
        while True:
            event = await recv_json(ws)
            if event.get("e") == "trade" and event["E"] > cleared_at + 500:
                assert lag_ms(event) < 150
                break
            assert time.monotonic() < deadline
