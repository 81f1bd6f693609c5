"""Trading faults set through the admin API: delayed order visibility, faults on a share or a
count of calls, cancel faults, and clock skew against a client's stale time offset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, now_ms, signed

UNKNOWN = {
    "code": -1007,
    "msg": "Timeout waiting for a response from the backend server. Send status unknown; "
    "execution status unknown.",
}
REST_ORDER = {
    "symbol": "BTCUSD",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "50000",
}
# An IOC far below the book: accepted, never fills, never rests.
IOC = {**REST_ORDER, "timeInForce": "IOC", "price": "20000"}


@pytest.fixture(autouse=True)
def clean_faults(private_url: str) -> Iterator[None]:
    admin(private_url, "DELETE", "/faults")
    yield
    admin(private_url, "DELETE", "/faults")


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def query(base: str, acct: dict, order_id: int, method: str = "GET") -> requests.Response:
    params = {"symbol": "BTCUSD", "orderId": order_id}
    return signed(base, method, "/api/v3/order", acct, params, timestamp=server_time(base))


def test_it_hides_new_orders_from_queries_and_cancels_for_the_lag(private_url: str) -> None:
    acct = new_account(private_url)
    set_ = admin(
        private_url, "POST", "/faults", {"orderVisibility": {"lagSeconds": 30, "count": 1}}
    )
    assert set_.json()["orderVisibility"] == {"lagSeconds": 30, "count": 1}
    placed = signed(private_url, "POST", "/api/v3/order", acct, REST_ORDER)
    assert placed.status_code == 200
    order_id = placed.json()["orderId"]
    # count 1 is used up by that placement.
    assert "orderVisibility" not in admin(private_url, "GET", "/faults").json()
    hidden = query(private_url, acct, order_id)
    assert (hidden.status_code, hidden.json()) == (
        400,
        {"code": -2013, "msg": "Order does not exist."},
    )
    cancel = query(private_url, acct, order_id, "DELETE")
    assert cancel.json() == {"code": -2011, "msg": "Unknown order sent."}
    # It exists all the same: it is open, and funds stay locked for it.
    open_ids = [o["orderId"] for o in signed(private_url, "GET", "/api/v3/openOrders", acct).json()]
    assert open_ids == [order_id]
    # The next placement is visible at once; the hidden one once the lag has passed.
    second = signed(private_url, "POST", "/api/v3/order", acct, REST_ORDER).json()["orderId"]
    assert query(private_url, acct, second).json()["status"] == "NEW"
    admin(private_url, "POST", "/clock", {"advanceMs": 30_001})
    assert query(private_url, acct, order_id).json()["status"] == "NEW"
    assert query(private_url, acct, order_id, "DELETE").json()["status"] == "CANCELED"


def place_many(base: str, acct: dict, n: int) -> list[int]:
    return [signed(base, "POST", "/api/v3/order", acct, IOC).status_code for _ in range(n)]


def test_it_faults_a_share_of_calls_until_the_count_is_used(private_url: str) -> None:
    acct = new_account(private_url)
    admin(
        private_url,
        "POST",
        "/faults",
        {"order": {"mode": "unavailable_503", "count": 5, "probability": 0.25}},
    )
    statuses = place_many(private_url, acct, 60)
    assert statuses.count(503) == 5
    # The five faulted calls are spread out, not the first five.
    assert statuses[:5] != [503] * 5
    last = max(i for i, s in enumerate(statuses) if s == 503)
    assert set(statuses[last + 1 :]) <= {200}
    assert "order" not in admin(private_url, "GET", "/faults").json()


def test_it_faults_every_call_until_cleared_without_a_count(private_url: str) -> None:
    acct = new_account(private_url)
    admin(private_url, "POST", "/faults", {"order": {"mode": "execute_then_500", "count": None}})
    assert admin(private_url, "GET", "/faults").json()["order"] == {
        "mode": "execute_then_500",
        "count": None,
    }
    resp = [signed(private_url, "POST", "/api/v3/order", acct, REST_ORDER) for _ in range(3)]
    assert [(r.status_code, r.json()) for r in resp] == [(500, UNKNOWN)] * 3
    # Executed all the same.
    assert len(signed(private_url, "GET", "/api/v3/openOrders", acct).json()) == 3
    admin(private_url, "POST", "/faults", {"order": None})
    assert signed(private_url, "POST", "/api/v3/order", acct, REST_ORDER).status_code == 200


def test_it_faults_cancels(private_url: str) -> None:
    acct = new_account(private_url)
    order_id = signed(private_url, "POST", "/api/v3/order", acct, REST_ORDER).json()["orderId"]
    admin(private_url, "POST", "/faults", {"cancel": {"mode": "execute_then_500"}})
    resp = query(private_url, acct, order_id, "DELETE")
    assert (resp.status_code, resp.json()) == (500, UNKNOWN)
    assert query(private_url, acct, order_id).json()["status"] == "CANCELED"


@pytest.mark.parametrize("skew", [-10_000, 10_000])
def test_it_skews_the_exchange_clock(private_url: str, skew: int) -> None:
    acct = new_account(private_url)
    before = server_time(private_url)
    assert (
        admin(private_url, "POST", "/faults", {"clockSkewMs": skew}).json()["clockSkewMs"] == skew
    )
    assert abs(server_time(private_url) - before - skew) < 2000
    stale = signed(private_url, "GET", "/api/v3/account", acct, timestamp=now_ms())
    assert stale.json()["code"] == -1021
    expected = (
        "Timestamp for this request was 1000ms ahead of the server's time."
        if skew < 0
        else "Timestamp for this request is outside of the recvWindow."
    )
    assert stale.json()["msg"] == expected
    # A client that resyncs from GET /api/v3/time gets through.
    synced = signed(private_url, "GET", "/api/v3/account", acct, timestamp=server_time(private_url))
    assert synced.status_code == 200
    admin(private_url, "DELETE", "/faults")
    assert "clockSkewMs" not in admin(private_url, "GET", "/faults").json()
    assert signed(private_url, "GET", "/api/v3/account", acct).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        {"order": {"mode": "execute_then_500", "probability": 0}},
        {"order": {"mode": "execute_then_500", "probability": 1.5}},
        {"order": {"mode": "execute_then_500", "count": "all"}},
        {"order": {"mode": "execute_then_500", "retries": 1}},
        {"orderVisibility": {"lagSeconds": -1}},
        {"orderVisibility": {"lagSeconds": 1, "count": -1}},
        {"orderVisibility": 5},
        {"clockSkewMs": "10"},
        {"clockSkewMs": 10**12},
        {"clockSkewMs": 5, "order": {"mode": "nope"}},
    ],
)
def test_it_refuses_bad_faults_and_changes_nothing(private_url: str, bad: dict) -> None:
    resp = admin(private_url, "POST", "/faults", bad)
    assert resp.status_code == 400 and resp.json()["error"]
    assert admin(private_url, "GET", "/faults").json() == {"historyLagSeconds": 0}
