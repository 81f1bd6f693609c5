"""Admin-set faults on transfers and orders, and the history ("Data Source: Database") lag."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.sandbox_support import admin, balances, new_account, new_sub, signed

TRANSFER = "/sapi/v3/sub-account/transfer"
HISTORY = "/sapi/v3/sub-account/transfer/history"
UNKNOWN = {
    "code": -1007,
    "msg": "Timeout waiting for a response from the backend server. Send status unknown; "
    "execution status unknown.",
}
UNAVAILABLE = {"code": -1008, "msg": "Service Unavailable."}


@pytest.fixture(autouse=True)
def clean_faults(private_url: str) -> Iterator[None]:
    admin(private_url, "DELETE", "/faults")
    yield
    admin(private_url, "DELETE", "/faults")


def pair(base: str) -> tuple[dict, dict, dict]:
    master = new_account(base, {"USD": "1000"})
    sub = new_sub(base, master)
    params = {"fromEmail": master["email"], "toEmail": sub["email"], "asset": "USD", "amount": "10"}
    return master, sub, params


def usd(base: str, acct: dict) -> str:
    return balances(base, acct)["USD"][0]


def test_it_shows_sets_and_clears_faults(private_url: str) -> None:
    assert admin(private_url, "GET", "/faults").json() == {"historyLagSeconds": 0}
    set_ = admin(
        private_url,
        "POST",
        "/faults",
        {"transfer": {"mode": "execute_then_500", "count": 2}, "historyLagSeconds": 5},
    )
    assert set_.json() == {
        "transfer": {"mode": "execute_then_500", "count": 2},
        "historyLagSeconds": 5,
    }
    admin(private_url, "POST", "/faults", {"order": {"mode": "execute_then_timeout", "count": 1}})
    assert admin(private_url, "GET", "/faults").json() == {
        "order": {"mode": "execute_then_timeout", "count": 1, "holdSeconds": 30},
        "transfer": {"mode": "execute_then_500", "count": 2},
        "historyLagSeconds": 5,
    }
    assert admin(private_url, "GET", "/state").json()["faults"]["transfer"]["count"] == 2
    admin(private_url, "POST", "/faults", {"transfer": None})
    assert "transfer" not in admin(private_url, "GET", "/faults").json()
    for bad in (
        {"transfer": {"mode": "explode"}},
        {"transfer": {"mode": "execute_then_500", "count": -1}},
        {"transfer": "on"},
        {"withdraw": {"mode": "execute_then_500"}},
        {"historyLagSeconds": -1},
    ):
        resp = admin(private_url, "POST", "/faults", bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    assert admin(private_url, "DELETE", "/faults").json() == {"historyLagSeconds": 0}


def test_it_executes_then_answers_500(private_url: str) -> None:
    master, sub, params = pair(private_url)
    admin(private_url, "POST", "/faults", {"transfer": {"mode": "execute_then_500", "count": 1}})
    resp = signed(private_url, "POST", TRANSFER, master, params)
    assert resp.status_code == 500 and resp.json() == UNKNOWN
    assert (usd(private_url, master), usd(private_url, sub)) == ("990.00000000", "10.00000000")
    assert len(signed(private_url, "GET", HISTORY, master).json()["transfers"]) == 1
    # count 1: the next call is normal again.
    assert signed(private_url, "POST", TRANSFER, master, params).status_code == 200
    assert usd(private_url, sub) == "20.00000000"
    assert "transfer" not in admin(private_url, "GET", "/faults").json()


def test_it_answers_503_without_executing(private_url: str) -> None:
    master, sub, params = pair(private_url)
    admin(private_url, "POST", "/faults", {"transfer": {"mode": "unavailable_503", "count": 2}})
    for _ in range(2):
        resp = signed(private_url, "POST", TRANSFER, master, params)
        assert resp.status_code == 503 and resp.json() == UNAVAILABLE
    assert (usd(private_url, master), usd(private_url, sub)) == ("1000.00000000", "0.00000000")
    assert signed(private_url, "GET", HISTORY, master).json()["transfers"] == []
    assert signed(private_url, "POST", TRANSFER, master, params).status_code == 200
    assert usd(private_url, sub) == "10.00000000"


def test_it_executes_then_holds_the_response_past_the_client_timeout(private_url: str) -> None:
    master, sub, params = pair(private_url)
    admin(
        private_url, "POST", "/faults", {"transfer": {"mode": "execute_then_timeout", "count": 2}}
    )
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        signed(private_url, "POST", TRANSFER, master, params, timeout=1.0)
    assert time.monotonic() - started < 3
    # The exchange is not blocked meanwhile, and the transfer did happen.
    assert (usd(private_url, master), usd(private_url, sub)) == ("990.00000000", "10.00000000")
    # A short hold shows what a patient client would finally get: the unknown-outcome 5XX.
    admin(
        private_url,
        "POST",
        "/faults",
        {"transfer": {"mode": "execute_then_timeout", "count": 1, "holdSeconds": 0.3}},
    )
    resp = signed(private_url, "POST", TRANSFER, master, params)
    assert resp.status_code == 500 and resp.json() == UNKNOWN
    assert usd(private_url, sub) == "20.00000000"


def test_it_faults_orders_the_same_way(private_url: str) -> None:
    acct = new_account(private_url)
    order = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "1000",
        "newClientOrderId": "faulted-1",
    }
    admin(private_url, "POST", "/faults", {"order": {"mode": "execute_then_500", "count": 1}})
    resp = signed(private_url, "POST", "/api/v3/order", acct, order)
    assert resp.status_code == 500 and resp.json() == UNKNOWN
    placed = signed(
        private_url,
        "GET",
        "/api/v3/order",
        acct,
        {"symbol": "BTCUSD", "origClientOrderId": "faulted-1"},
    )
    assert placed.status_code == 200 and placed.json()["status"] == "NEW"
    admin(private_url, "POST", "/faults", {"order": {"mode": "unavailable_503", "count": 1}})
    refused = signed(
        private_url, "POST", "/api/v3/order", acct, {**order, "newClientOrderId": "faulted-2"}
    )
    assert refused.status_code == 503 and refused.json() == UNAVAILABLE
    assert [
        o["clientOrderId"] for o in signed(private_url, "GET", "/api/v3/openOrders", acct).json()
    ] == ["faulted-1"]


def test_it_shows_transfers_in_history_only_after_the_lag(private_url: str) -> None:
    master, sub, params = pair(private_url)
    admin(private_url, "POST", "/faults", {"historyLagSeconds": 1})
    assert signed(private_url, "POST", TRANSFER, master, params).status_code == 200
    assert usd(private_url, sub) == "10.00000000"  # balances move at once
    assert signed(private_url, "GET", HISTORY, master).json()["transfers"] == []
    # The lag runs on the exchange's clock (set back by clean_faults).
    admin(private_url, "POST", "/clock", {"advanceMs": 1_000}).raise_for_status()
    rows = signed(private_url, "GET", HISTORY, master).json()["transfers"]
    assert [(r["from"], r["to"], r["qty"]) for r in rows] == [(master["email"], sub["email"], "10")]
