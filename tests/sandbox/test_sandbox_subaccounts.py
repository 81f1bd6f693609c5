"""Sub-accounts: list/status/assets/spotSummary, transfers, history, deposit wallet."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import connect

from tests.sandbox.sandbox_support import admin, balances, new_account, new_sub, signed

TRANSFER = "/sapi/v3/sub-account/transfer"


def family(base: str) -> tuple[dict, dict, dict]:
    master = new_account(base, {"USD": "1000", "BTC": "0.5"})
    one = new_sub(base, master, {"USD": "201"})
    two = new_sub(base, master, {"USDT": "200", "BTC": "0.01"})
    return master, one, two


def mid(base: str, symbol: str) -> Decimal:
    book = requests.get(f"{base}/api/v3/depth", params={"symbol": symbol}, timeout=5).json()
    return (Decimal(book["bids"][0][0]) + Decimal(book["asks"][0][0])) / 2


def test_it_lists_sub_accounts_with_status_and_assets(quiet_url: str) -> None:
    master, one, two = family(quiet_url)
    admin(quiet_url, "POST", f"/accounts/{two['email']}/status", {"enabled": False})
    listed = signed(quiet_url, "GET", "/sapi/v3/sub-account/list", master).json()
    assert listed["success"] is True
    rows = listed["subAccounts"]
    assert [(r["email"], r["status"]) for r in rows] == [
        (one["email"], "enabled"),
        (two["email"], "disabled"),
    ]
    assert list(rows[0]) == ["email", "status", "activated", "mobile", "gAuth", "createTime"]
    assert isinstance(rows[0]["createTime"], int) and rows[0]["activated"] is True
    only = signed(quiet_url, "GET", "/sapi/v3/sub-account/list", master, {"status": "disabled"})
    assert [r["email"] for r in only.json()["subAccounts"]] == [two["email"]]
    paged = signed(quiet_url, "GET", "/sapi/v3/sub-account/list", master, {"page": 2, "limit": 1})
    assert [r["email"] for r in paged.json()["subAccounts"]] == [two["email"]]
    # A sub-account has no sub-accounts of its own.
    assert signed(quiet_url, "GET", "/sapi/v3/sub-account/list", one).json() == {
        "success": True,
        "subAccounts": [],
    }

    status = signed(
        quiet_url, "GET", "/sapi/v1/sub-account/status", master, {"email": one["email"]}
    )
    assert status.json() == [
        {
            "email": one["email"],
            "insertTime": status.json()[0]["insertTime"],
            "mobile": "",
            "isUserActive": True,
            "isMarginEnabled": False,
            "isSubUserEnabled": True,
            "isFutureEnabled": False,
        }
    ]
    no_email = signed(quiet_url, "GET", "/sapi/v1/sub-account/status", master)
    assert no_email.status_code == 400 and no_email.json()["code"] == -1102

    assets = signed(
        quiet_url, "GET", "/sapi/v3/sub-account/assets", master, {"email": two["email"]}
    )
    assert assets.json() == {
        "balances": [
            {"asset": "BTC", "free": 0.01, "locked": 0},
            {"asset": "USDT", "free": 200, "locked": 0},
        ],
        "success": True,
    }
    # Not the caller's sub-account (another master's, or unknown).
    stranger = new_account(quiet_url)
    for who, email in ((stranger, one["email"]), (master, "nobody@example.test")):
        resp = signed(quiet_url, "GET", "/sapi/v3/sub-account/assets", who, {"email": email})
        assert resp.status_code == 400
        assert resp.json() == {
            "code": -1130,
            "msg": "Data sent for parameter 'email' is not valid.",
        }


def test_it_values_the_master_account_in_usd(quiet_url: str) -> None:
    master, one, two = family(quiet_url)
    btc = mid(quiet_url, "BTCUSD")
    doc = signed(quiet_url, "GET", "/sapi/v1/sub-account/spotSummary", master).json()
    assert list(doc) == ["totalCount", "masterAccountTotalAsset", "spotSubUserAssetBtcVoList"]
    assert doc["totalCount"] == 2
    sub_two = Decimal("200") + Decimal("0.01") * btc
    assert doc["spotSubUserAssetBtcVoList"] == [
        {"email": one["email"], "totalAsset": 201},
        {"email": two["email"], "totalAsset": pytest.approx(float(sub_two))},
    ]
    total = Decimal("1000") + Decimal("0.5") * btc + 201 + sub_two
    assert doc["masterAccountTotalAsset"] == pytest.approx(float(total))
    filtered = signed(
        quiet_url, "GET", "/sapi/v1/sub-account/spotSummary", master, {"email": one["email"]}
    ).json()
    assert filtered["totalCount"] == 1
    assert filtered["spotSubUserAssetBtcVoList"] == [{"email": one["email"], "totalAsset": 201}]


@pytest.mark.asyncio
async def test_it_transfers_both_ways_exactly_and_streams_both_sides(quiet_url: str) -> None:
    master, one, _ = family(quiet_url)
    ws_base = quiet_url.replace("http://", "ws://")
    keys = [
        signed(quiet_url, "POST", "/api/v3/userDataStream", a).json()["listenKey"]
        for a in (master, one)
    ]
    async with (
        connect(f"{ws_base}/ws/{keys[0]}") as ws_m,
        connect(f"{ws_base}/ws/{keys[1]}") as ws_s,
    ):
        down = await asyncio.to_thread(
            signed,
            quiet_url,
            "POST",
            TRANSFER,
            master,
            {
                "fromEmail": master["email"],
                "toEmail": one["email"],
                "asset": "BTC",
                "amount": "0.12345678",
            },
        )
        assert down.status_code == 200
        body = down.json()
        assert list(body) == ["msg", "success", "txnId"]
        assert body["msg"] == "Success" and body["success"] is True
        assert isinstance(body["txnId"], str) and body["txnId"].isdigit()
        for ws, delta, free in (
            (ws_m, "-0.12345678", "0.37654322"),
            (ws_s, "0.12345678", "0.12345678"),
        ):
            update = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert (update["e"], update["a"], update["d"]) == ("balanceUpdate", "BTC", delta)
            position = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert position["e"] == "outboundAccountPosition"
            assert position["B"] == [{"a": "BTC", "f": free, "l": "0.00000000"}]
    up = signed(
        quiet_url,
        "POST",
        TRANSFER,
        master,
        {"fromEmail": one["email"], "toEmail": master["email"], "asset": "USD", "amount": "200.5"},
        in_body=True,
    )
    assert up.status_code == 200 and int(up.json()["txnId"]) > int(body["txnId"])
    assert balances(quiet_url, master)["BTC"] == ("0.37654322", "0.00000000")
    assert balances(quiet_url, master)["USD"] == ("1200.50000000", "0.00000000")
    assert balances(quiet_url, one)["BTC"] == ("0.12345678", "0.00000000")
    assert balances(quiet_url, one)["USD"] == ("0.50000000", "0.00000000")

    history = signed(quiet_url, "GET", "/sapi/v3/sub-account/transfer/history", master).json()
    assert list(history) == ["msg", "success", "transfers"]
    rows = history["transfers"]
    assert [(r["from"], r["to"], r["asset"], r["qty"]) for r in rows] == [
        (master["email"], one["email"], "BTC", "0.12345678"),
        (one["email"], master["email"], "USD", "200.5"),
    ]
    assert list(rows[0]) == ["asset", "from", "qty", "time", "to"]
    assert rows[0]["time"] <= rows[1]["time"]
    filtered = signed(
        quiet_url,
        "GET",
        "/sapi/v3/sub-account/transfer/history",
        master,
        {"startTime": rows[1]["time"], "limit": 1},
    ).json()["transfers"]
    assert [r["asset"] for r in filtered] == ["USD"]
    # The sub-account sees its own transfers too.
    own = signed(quiet_url, "GET", "/sapi/v3/sub-account/transfer/history", one).json()
    assert len(own["transfers"]) == 2


def test_it_rejects_bad_transfers_without_moving_anything(quiet_url: str) -> None:
    master, one, two = family(quiet_url)
    stranger = new_account(quiet_url)
    m, s = master["email"], one["email"]
    cases = [
        ({"fromEmail": "nobody@example.test", "toEmail": s}, -1130, "fromEmail"),
        ({"fromEmail": m, "toEmail": "nobody@example.test"}, -1130, "toEmail"),
        ({"fromEmail": m, "toEmail": stranger["email"]}, -1130, "toEmail"),
        ({"fromEmail": m, "toEmail": m}, -1130, "toEmail"),
        ({"fromEmail": s, "toEmail": two["email"]}, -1130, "toEmail"),
        ({"fromEmail": m, "toEmail": s, "amount": "0"}, -1130, "amount"),
        ({"fromEmail": m, "toEmail": s, "amount": "1001"}, -2010, None),
    ]
    for override, code, param in cases:
        params = {"asset": "USD", "amount": "10", **override}
        resp = signed(quiet_url, "POST", TRANSFER, master, params)
        assert resp.status_code == 400, override
        assert resp.json()["code"] == code, override
        if param:
            assert resp.json()["msg"] == f"Data sent for parameter '{param}' is not valid."
    insufficient = signed(
        quiet_url,
        "POST",
        TRANSFER,
        master,
        {"fromEmail": m, "toEmail": s, "asset": "USD", "amount": "1001"},
    )
    assert insufficient.json() == {
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }
    malformed = signed(
        quiet_url,
        "POST",
        TRANSFER,
        master,
        {"fromEmail": m, "toEmail": s, "asset": "USD", "amount": "1e3"},
    )
    assert malformed.json()["code"] == -1100
    missing = signed(
        quiet_url, "POST", TRANSFER, master, {"fromEmail": m, "toEmail": s, "asset": "USD"}
    )
    assert missing.json()["code"] == -1102
    # A stranger cannot move the master's funds; a sub cannot pull from its master.
    theft = signed(
        quiet_url,
        "POST",
        TRANSFER,
        stranger,
        {"fromEmail": m, "toEmail": s, "asset": "USD", "amount": "1"},
    )
    assert theft.json()["code"] == -1130
    pull = signed(
        quiet_url,
        "POST",
        TRANSFER,
        one,
        {"fromEmail": m, "toEmail": s, "asset": "USD", "amount": "1"},
    )
    assert pull.json()["code"] == -1130
    assert balances(quiet_url, master)["USD"] == ("1000.00000000", "0.00000000")
    assert balances(quiet_url, one)["USD"] == ("201.00000000", "0.00000000")
    assert (
        signed(quiet_url, "GET", "/sapi/v3/sub-account/transfer/history", master).json()[
            "transfers"
        ]
        == []
    )


def test_it_serves_sub_account_deposit_address_and_history(quiet_url: str) -> None:
    master, one, _ = family(quiet_url)
    addr = signed(
        quiet_url,
        "GET",
        "/sapi/v1/capital/sub-account/deposit/address",
        master,
        {"email": one["email"], "coin": "ETH"},
    ).json()
    assert list(addr) == ["coin", "address", "tag", "url"]
    assert addr["coin"] == "ETH" and addr["address"].startswith("0x") and addr["tag"] == ""
    assert addr["url"].endswith(addr["address"])
    admin(quiet_url, "POST", "/deposit", {"email": one["email"], "asset": "ETH", "amount": "1.5"})
    hist = signed(
        quiet_url,
        "GET",
        "/sapi/v1/capital/sub-account/deposit/history",
        master,
        {"email": one["email"]},
    ).json()
    assert len(hist) == 1
    assert list(hist[0]) == [
        "amount",
        "coin",
        "network",
        "status",
        "address",
        "addressTag",
        "txId",
        "insertTime",
        "transferType",
        "confirmTimes",
    ]
    assert (hist[0]["amount"], hist[0]["coin"], hist[0]["status"], hist[0]["address"]) == (
        "1.5",
        "ETH",
        1,
        addr["address"],
    )
    none = signed(
        quiet_url,
        "GET",
        "/sapi/v1/capital/sub-account/deposit/history",
        master,
        {"email": one["email"], "coin": "BTC"},
    )
    assert none.json() == []


def test_it_validates_sub_account_creation(quiet_url: str) -> None:
    master = new_account(quiet_url)
    sub = new_sub(quiet_url, master)
    assert sub["master"] == master["email"]
    shown = admin(quiet_url, "GET", f"/accounts/{master['email']}").json()
    assert shown["subAccounts"] == [sub["email"]] and shown["master"] is None
    nested = admin(
        quiet_url, "POST", "/accounts", {"email": "n@example.test", "master": sub["email"]}
    )
    assert nested.status_code == 400
    orphan = admin(
        quiet_url, "POST", "/accounts", {"email": "o@example.test", "master": "nobody@x.test"}
    )
    assert orphan.status_code == 404
