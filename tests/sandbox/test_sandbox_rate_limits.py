"""Rate limits (spec "LIMITS"): the used-weight header on every answer with each endpoint's
weight, exchangeInfo's rateLimits following the limits in force, the daily order limit, and
418 bans that double up to the 3-day cap. The sandbox clock is pinned to the start of a
minute so no window rolls over mid-test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, signed, start, stop

MAX_BAN_S = 3 * 86_400


@pytest.fixture(scope="module")
def limited_url() -> Iterator[str]:
    proc, base = start("--tick-ms", "0", "--enforce-limits", seed=17)
    yield base
    stop(proc)


@pytest.fixture(autouse=True)
def fresh_minute(limited_url: str) -> Iterator[int]:
    """Defaults, no counts, the clock at the start of the next minute; yields that time."""
    admin(
        limited_url,
        "POST",
        "/limits",
        {
            "weightPerMinute": 1200,
            "ordersPer10s": 100,
            "ordersPerDay": 200000,
            "banAfter": 5,
            "firstBanSeconds": 120,
        },
    )
    now = admin(limited_url, "GET", "/state").json()["clock"]["serverTime"]
    t0 = (now // 60_000 + 1) * 60_000
    admin(limited_url, "POST", "/clock", {"serverTime": t0})
    admin(limited_url, "DELETE", "/limits")
    yield t0
    admin(limited_url, "POST", "/clock", {"offsetMs": 0})
    admin(limited_url, "DELETE", "/limits")


def used(resp: requests.Response) -> int:
    assert resp.headers["X-MBX-USED-WEIGHT-1M"] == resp.headers["X-MBX-USED-WEIGHT"]
    return int(resp.headers["X-MBX-USED-WEIGHT-1M"])


def test_it_counts_each_endpoints_weight_in_the_header(limited_url: str, fresh_minute: int) -> None:
    acct = new_account(limited_url)
    ts = fresh_minute + 10
    get = lambda path, **p: requests.get(f"{limited_url}{path}", params=p, timeout=5)  # noqa: E731
    steps = [
        (lambda: get("/api/v3/ping"), 1),
        (lambda: get("/api/v3/exchangeInfo"), 10),
        (lambda: get("/api/v3/depth", symbol="BTCUSD", limit=500), 5),
        (lambda: get("/api/v3/depth", symbol="BTCUSD", limit=5000), 50),
        (lambda: get("/api/v3/ticker/price"), 2),
        (lambda: signed(limited_url, "GET", "/api/v3/account", acct, timestamp=ts), 10),
        (lambda: signed(limited_url, "GET", "/api/v3/openOrders", acct, timestamp=ts), 40),
        (lambda: signed(limited_url, "GET", "/api/v3/rateLimit/order", acct, timestamp=ts), 20),
        # Errors are weighed and carry the header too.
        (lambda: get("/api/v3/depth", symbol="NOPE"), 1),
    ]
    total = 0
    for send, weight in steps:
        resp = send()
        total += weight
        assert used(resp) == total, resp.url


def test_it_advertises_the_limits_in_force(limited_url: str) -> None:
    admin(limited_url, "POST", "/limits", {"weightPerMinute": 600, "ordersPer10s": 7})
    info = requests.get(f"{limited_url}/api/v3/exchangeInfo", timeout=5).json()
    assert info["rateLimits"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 600},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 7},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    ]


def test_it_limits_orders_per_day_and_reports_both_windows(
    limited_url: str, fresh_minute: int
) -> None:
    admin(limited_url, "POST", "/limits", {"ordersPerDay": 3})
    acct = new_account(limited_url)
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "50000",
    }

    def place(ts: int) -> requests.Response:
        return signed(limited_url, "POST", "/api/v3/order", acct, order, timestamp=ts)

    first = place(fresh_minute + 10)
    assert (first.headers["X-MBX-ORDER-COUNT-10S"], first.headers["X-MBX-ORDER-COUNT-1D"]) == (
        "1",
        "1",
    )
    # Eleven seconds later the 10-second window is new; the day's count goes on.
    admin(limited_url, "POST", "/clock", {"serverTime": fresh_minute + 11_000})
    later = [place(fresh_minute + 11_000) for _ in range(2)]
    assert [
        (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) for r in later
    ] == [
        ("1", "2"),
        ("2", "3"),
    ]
    refused = place(fresh_minute + 11_000)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": -1015,
        "msg": "Too many new orders; current limit is 3 orders per 1 DAY.",
    }
    assert "X-MBX-ORDER-COUNT-1D" not in refused.headers
    assert 1 <= int(refused.headers["Retry-After"]) <= 86_400
    counts = signed(
        limited_url, "GET", "/api/v3/rateLimit/order", acct, timestamp=fresh_minute + 11_000
    )
    assert [r["count"] for r in counts.json()] == [2, 3]


def test_it_doubles_bans_up_to_three_days(limited_url: str, fresh_minute: int) -> None:
    admin(
        limited_url,
        "POST",
        "/limits",
        {"weightPerMinute": 1, "banAfter": 0, "firstBanSeconds": 100_000},
    )
    now = fresh_minute
    bans = []
    for _ in range(3):
        assert requests.get(f"{limited_url}/api/v3/ping", timeout=5).status_code == 200
        throttled = requests.get(f"{limited_url}/api/v3/ping", timeout=5)
        assert throttled.status_code == 429
        banned = requests.get(f"{limited_url}/api/v3/ping", timeout=5)
        assert banned.status_code == 418
        assert banned.json()["msg"].startswith("Way too much request weight used; IP banned until ")
        bans.append(int(banned.headers["Retry-After"]))
        # The next minute after the ban: the weight window is new as well.
        now = ((now + bans[-1] * 1000) // 60_000 + 1) * 60_000
        admin(limited_url, "POST", "/clock", {"serverTime": now})
    assert bans == [100_000, 200_000, MAX_BAN_S]
