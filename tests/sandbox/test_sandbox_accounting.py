"""Request accounting, key permissions and admin-set account/trading status."""

from __future__ import annotations

import requests

from tests.sandbox.sandbox_support import admin, new_account, new_key, signed

ORDER = {
    "symbol": "BTCUSD",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "1000",
}


def test_it_counts_requests_by_key_and_path_and_resets(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    assert admin(quiet_url, "DELETE", "/requests").json() == {
        "total": 0,
        "byApiKey": {},
        "byPath": {},
        "byEndpoint": {},
    }
    requests.get(f"{quiet_url}/api/v3/ping", timeout=5)
    signed(quiet_url, "GET", "/api/v3/account", acct)
    signed(quiet_url, "GET", "/api/v3/account", acct)
    signed(quiet_url, "GET", "/sapi/v3/accountStatus", acct)
    requests.get(f"{quiet_url}/api/v3/nothing-here", timeout=5)
    admin(quiet_url, "GET", "/state")  # admin calls are not exchange requests
    counts = admin(quiet_url, "GET", "/requests").json()
    assert counts == {
        "total": 5,
        "byApiKey": {acct["apiKey"]: 3},
        "byPath": {
            "/api/v3/account": 2,
            "/api/v3/nothing-here": 1,
            "/api/v3/ping": 1,
            "/sapi/v3/accountStatus": 1,
        },
        "byEndpoint": {
            "GET /api/v3/account": 2,
            "GET /api/v3/nothing-here": 1,
            "GET /api/v3/ping": 1,
            "GET /sapi/v3/accountStatus": 1,
        },
    }
    assert admin(quiet_url, "DELETE", "/requests").json()["total"] == 0
    assert admin(quiet_url, "GET", "/requests").json() == {
        "total": 0,
        "byApiKey": {},
        "byPath": {},
        "byEndpoint": {},
    }


def test_it_refuses_trade_routes_to_a_key_without_trade(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    ro = new_key(quiet_url, acct, permissions={"trade": False, "withdraw": False})
    assert ro["permissions"] == {"trade": False, "withdraw": False, "deposit": True}
    placed = signed(quiet_url, "POST", "/api/v3/order", ro, ORDER)
    assert placed.status_code == 401
    assert placed.json() == {
        "code": -2015,
        "msg": "Invalid API-key, IP, or permissions for action.",
    }
    canceled = signed(quiet_url, "DELETE", "/api/v3/order", ro, {"symbol": "BTCUSD", "orderId": 1})
    assert canceled.status_code == 401 and canceled.json()["code"] == -2015
    info = signed(quiet_url, "GET", "/api/v3/account", ro).json()
    assert (info["canTrade"], info["canWithdraw"], info["canDeposit"]) == (False, False, True)
    assert signed(quiet_url, "GET", "/api/v3/openOrders", ro).json() == []  # reads still work
    # The account's default key still trades, and reports full permissions.
    assert signed(quiet_url, "POST", "/api/v3/order", acct, ORDER).status_code == 200
    full = signed(quiet_url, "GET", "/api/v3/account", acct).json()
    assert (full["canTrade"], full["canWithdraw"], full["canDeposit"]) == (True, True, True)
    bad = admin(quiet_url, "POST", "/keys", {"email": acct["email"], "permissions": {"x": 1}})
    assert bad.status_code == 400


def test_it_serves_admin_set_account_and_trading_status(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    assert signed(quiet_url, "GET", "/sapi/v3/accountStatus", acct).json() == {
        "msg": "Normal",
        "success": True,
    }
    assert admin(quiet_url, "POST", f"/accounts/{acct['email']}/status", {"msg": "Disabled"}).ok
    assert signed(quiet_url, "GET", "/sapi/v3/accountStatus", acct).json() == {
        "msg": "Disabled",
        "success": True,
    }
    indicators = {"BTCUSD": [{"i": "UFR", "c": 20, "v": 0.05, "t": 0.995}]}
    set_status = admin(
        quiet_url,
        "POST",
        f"/accounts/{acct['email']}/trading-status",
        {"isLocked": True, "plannedRecoverTime": 1700000000000, "indicators": indicators},
    )
    assert set_status.ok
    doc = signed(quiet_url, "GET", "/sapi/v3/apiTradingStatus", acct).json()
    assert list(doc) == ["success", "status"]
    status = doc["status"]
    assert list(status) == [
        "isLocked",
        "plannedRecoverTime",
        "triggerCondition",
        "indicators",
        "updateTime",
    ]
    assert status["isLocked"] is True
    assert status["plannedRecoverTime"] == 1700000000000
    assert status["triggerCondition"] == {"GCR": 150, "IFER": 150, "UFR": 300}
    assert status["indicators"] == indicators
    bad = admin(quiet_url, "POST", f"/accounts/{acct['email']}/trading-status", {"isLocked": "yes"})
    assert bad.status_code == 400
    missing = admin(quiet_url, "POST", "/accounts/nobody@example.test/status", {"msg": "Normal"})
    assert missing.status_code == 404
