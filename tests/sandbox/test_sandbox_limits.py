"""Rate-limit enforcement: 429 + Retry-After over the weight or order limits, 418 bans that
escalate for IPs that keep sending. Limits are lowered through the admin API and the sandbox
clock is pinned to the start of a minute so no window rolls over mid-test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, signed, start, stop


@pytest.fixture(scope="module")
def limited_url() -> Iterator[str]:
    proc, base = start("--tick-ms", "0", "--enforce-limits", seed=13)
    yield base
    stop(proc)


def pin_clock(base: str, server_time: int) -> None:
    admin(base, "POST", "/clock", {"serverTime": server_time})
    admin(base, "DELETE", "/limits")


def minute_start(base: str) -> int:
    now = admin(base, "GET", "/state").json()["clock"]["serverTime"]
    return (now // 60_000 + 1) * 60_000


def info(base: str) -> requests.Response:
    return requests.get(f"{base}/api/v3/exchangeInfo", timeout=5)  # weight 10


def test_it_throttles_then_bans_with_escalating_durations(limited_url: str) -> None:
    assert admin(limited_url, "GET", "/limits").json()["enforce"] is True
    set_ = admin(
        limited_url,
        "POST",
        "/limits",
        {"weightPerMinute": 30, "banAfter": 2, "firstBanSeconds": 120},
    )
    assert set_.json()["weightPerMinute"] == 30
    assert admin(limited_url, "POST", "/limits", {"weightPerMinute": -1}).status_code == 400
    t0 = minute_start(limited_url)
    pin_clock(limited_url, t0)
    first = info(limited_url)
    weight_limit = [r for r in first.json()["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT"]
    assert weight_limit == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 30}
    ]
    assert [info(limited_url).headers["X-MBX-USED-WEIGHT-1M"] for _ in range(2)] == ["20", "30"]
    throttled = info(limited_url)
    assert throttled.status_code == 429
    assert throttled.json() == {
        "code": -1003,
        "msg": "Too much request weight used; current limit is 30 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    }
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    # Two more inside the 429 window are tolerated (banAfter 2); the next one is banned.
    pings = [requests.get(f"{limited_url}/api/v3/ping", timeout=5) for _ in range(2)]
    assert [r.status_code for r in pings] == [429, 429]
    banned = requests.get(f"{limited_url}/api/v3/ping", timeout=5)
    assert banned.status_code == 418
    assert banned.json()["code"] == -1003 and "IP banned until" in banned.json()["msg"]
    assert banned.headers["Retry-After"] == "120"
    still = requests.get(f"{limited_url}/api/v3/time", timeout=5)
    assert still.status_code == 418 and int(still.headers["Retry-After"]) <= 120
    # After the ban (sandbox clock), the IP is served again; a repeat offence bans for longer.
    admin(limited_url, "POST", "/clock", {"serverTime": t0 + 180_000})
    assert requests.get(f"{limited_url}/api/v3/ping", timeout=5).status_code == 200
    statuses = [info(limited_url).status_code for _ in range(7)]
    assert statuses[:3] == [200, 200, 429]
    second = info(limited_url)
    assert second.status_code == 418 and second.headers["Retry-After"] in ("240", "239")
    admin(limited_url, "DELETE", "/limits")
    assert requests.get(f"{limited_url}/api/v3/ping", timeout=5).status_code == 200


def test_it_limits_orders_per_account(limited_url: str) -> None:
    admin(limited_url, "POST", "/limits", {"weightPerMinute": 1200, "ordersPer10s": 2})
    t0 = minute_start(limited_url)
    pin_clock(limited_url, t0)
    acct = new_account(limited_url)
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "1000",
    }
    counts = []
    for _ in range(2):
        resp = signed(limited_url, "POST", "/api/v3/order", acct, order, timestamp=t0 + 100)
        assert resp.status_code == 200, resp.text
        counts.append(resp.headers["X-MBX-ORDER-COUNT-10S"])
    assert counts == ["1", "2"]
    refused = signed(limited_url, "POST", "/api/v3/order", acct, order, timestamp=t0 + 100)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": -1015,
        "msg": "Too many new orders; current limit is 2 orders per 10 SECOND.",
    }
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    open_orders = signed(limited_url, "GET", "/api/v3/openOrders", acct, timestamp=t0 + 100)
    assert len(open_orders.json()) == 2
    # Another account has its own order count.
    other = new_account(limited_url)
    assert (
        signed(limited_url, "POST", "/api/v3/order", other, order, timestamp=t0 + 100).status_code
        == 200
    )
