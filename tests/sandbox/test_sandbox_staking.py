"""Staking endpoints over real HTTP: the catalogue, stake/unstake with limits and funds, the
unstaking period and daily rewards on the sandbox clock (moved by the admin API), the exact
envelopes, history lag, faults, and the user-data events of stake/unstake and withdrawals."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import requests
from websockets.asyncio.client import connect

from tests.sandbox.sandbox_support import admin, new_account, recv_until, signed, ws_url

ASSET = "/sapi/v1/staking/asset"
STAKE = "/sapi/v1/staking/stake"
UNSTAKE = "/sapi/v1/staking/unstake"
BALANCE = "/sapi/v1/staking/stakingBalance"
HISTORY = "/sapi/v1/staking/history"
REWARDS = "/sapi/v1/staking/stakingRewardsHistory"
DAY = 86_400_000
HOUR = 3_600_000
INSUFFICIENT = "Account has insufficient balance for requested action."


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def call(base: str, method: str, path: str, acct: dict, **params: object) -> requests.Response:
    """A signed request stamped with the sandbox's own (possibly moved) clock."""
    return signed(
        base, method, path, acct, params, in_body=method == "POST", timestamp=server_time(base)
    )


def ok(resp: requests.Response) -> object:
    assert resp.status_code == 200, resp.text
    return resp.json()


def refused(resp: requests.Response, code: int, msg: str | None = None) -> None:
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == code, resp.text
    if msg is not None:
        assert resp.json()["msg"] == msg


def advance(base: str, ms: int) -> None:
    admin(base, "POST", "/clock", {"advanceMs": ms}).raise_for_status()


def free(base: str, acct: dict, asset: str) -> Decimal:
    rows = ok(call(base, "GET", "/api/v3/account", acct))["balances"]  # type: ignore[index]
    return next(Decimal(b["free"]) for b in rows if b["asset"] == asset)


def staked(base: str, acct: dict, asset: str) -> Decimal:
    rows = ok(call(base, "GET", BALANCE, acct, asset=asset))["data"]  # type: ignore[index]
    return Decimal(rows[0]["stakingAmount"]) if rows else Decimal(0)


@pytest.fixture
def base(private_url: str) -> str:
    admin(private_url, "DELETE", "/staking/catalog").raise_for_status()
    admin(private_url, "DELETE", "/wallet/catalog").raise_for_status()
    admin(private_url, "DELETE", "/faults").raise_for_status()
    return private_url


def test_the_catalogue_is_a_bare_list_and_admin_settable(base: str) -> None:
    acct = new_account(base)
    rows = ok(call(base, "GET", ASSET, acct))
    assert isinstance(rows, list) and {r["stakingAsset"] for r in rows} == {"ETH", "SOL"}
    eth = ok(call(base, "GET", ASSET, acct, stakingAsset="ETH"))
    assert eth == [
        {
            "stakingAsset": "ETH",
            "rewardAsset": "ETH",
            "apr": "0.0325",
            "apy": "0.033",
            "unstakingPeriod": 168,
            "minStakingLimit": "0.01",
            "maxStakingLimit": "10000",
            "autoRestake": True,
        }
    ]
    assert ok(call(base, "GET", ASSET, acct, stakingAsset="DOGE")) == []
    shown = admin(
        base,
        "POST",
        "/staking/catalog",
        {
            "ETH": {"apr": "0.05", "unstakingPeriod": 24},
            "USDT": {
                "rewardAsset": "USD",
                "apr": "0.1",
                "apy": "0.105",
                "unstakingPeriod": 0,
                "minStakingLimit": "1",
                "maxStakingLimit": "100",
                "autoRestake": False,
            },
            "SOL": None,
        },
    ).json()
    assert shown["ETH"]["apr"] == "0.05" and shown["USDT"]["rewardAsset"] == "USD"
    assert {r["stakingAsset"] for r in ok(call(base, "GET", ASSET, acct))} == {"ETH", "USDT"}  # type: ignore[union-attr]
    before = admin(base, "GET", "/staking/catalog").json()
    for bad in (
        {"ADA": {"apr": "0.1"}},
        {"ETH": {"apr": "-1"}},
        {"ETH": {"unstakingPeriod": 1.5}},
        {"ETH": {"minStakingLimit": "20000"}},
        {"ETH": {"nope": 1}},
        {"ETH": {"apr": "0.2"}, "SOL": "x"},
    ):
        resp = admin(base, "POST", "/staking/catalog", bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    assert admin(base, "GET", "/staking/catalog").json() == before


def test_stake_and_unstake_envelopes_limits_and_funds(base: str) -> None:
    acct = new_account(base)  # 50 ETH
    doc = ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="10"))
    assert doc == {
        "code": "000000",
        "message": "success",
        "data": {"result": "SUCCESS", "purchaseRecordId": doc["data"]["purchaseRecordId"]},  # type: ignore[index]
        "success": True,
    }
    assert doc["data"]["purchaseRecordId"].isdigit()  # type: ignore[index]
    assert free(base, acct, "ETH") == 40 and staked(base, acct, "ETH") == 10
    balance = ok(call(base, "GET", BALANCE, acct))
    assert balance == {
        "code": "000000",
        "message": "success",
        "data": [
            {
                "asset": "ETH",
                "stakingAmount": "10",
                "rewardAsset": "ETH",
                "apr": "0.0325",
                "apy": "0.033",
                "autoRestake": True,
            }
        ],
        "status": ["holding"],
        "success": True,
    }
    assert ok(call(base, "GET", BALANCE, acct, asset="SOL"))["data"] == []  # type: ignore[index]

    invalid = "Data sent for parameter '{}' is not valid."
    refused(
        call(base, "POST", STAKE, acct, stakingAsset="DOGE", amount="1"),
        -1130,
        invalid.format("stakingAsset"),
    )
    refused(call(base, "POST", STAKE, acct, asset="ETH", amount="1"), -1102)
    refused(call(base, "POST", STAKE, acct, stakingAsset="ETH"), -1102)
    refused(
        call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="0.001"),
        -1130,
        invalid.format("amount"),
    )
    refused(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="0"), -1130)
    refused(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="1.000000001"), -1111)
    refused(
        call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="1", autoRestake="yes"), -1130
    )
    refused(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="41"), -2010, INSUFFICIENT)
    admin(base, "POST", "/staking/catalog", {"ETH": {"maxStakingLimit": "15"}})
    # The maximum counts what is already staked.
    refused(
        call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="6"),
        -1130,
        invalid.format("amount"),
    )
    ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="5"))

    done = ok(call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="4"))
    assert done == {
        "code": "000000",
        "message": "success",
        "data": {"result": "SUCCESS"},
        "success": True,
    }
    refused(
        call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="11.5"), -2010, INSUFFICIENT
    )
    refused(call(base, "POST", UNSTAKE, acct, stakingAsset="SOL", amount="1"), -2010)
    refused(call(base, "POST", UNSTAKE, acct, stakingAsset="ADA", amount="1"), -1130)
    assert staked(base, acct, "ETH") == 11 and free(base, acct, "ETH") == 35


def test_unstaked_funds_arrive_after_the_unstaking_period(base: str) -> None:
    acct = new_account(base)
    ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="10"))
    ok(call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="4"))
    assert staked(base, acct, "ETH") == 6 and free(base, acct, "ETH") == 40
    rows = ok(call(base, "GET", HISTORY, acct))
    assert isinstance(rows, list)
    assert [(r["type"], r["amount"], r["status"]) for r in rows] == [
        ("staked", "10", "SUCCESS"),
        ("unstaked", "4", "PENDING"),
    ]
    assert list(rows[0]) == ["asset", "amount", "type", "initiatedTime", "status"]
    advance(base, 168 * HOUR - 60_000)
    assert free(base, acct, "ETH") == 40 + rewards_paid(base, acct)
    advance(base, 60_000)
    assert free(base, acct, "ETH") == 44 + rewards_paid(base, acct)
    assert ok(call(base, "GET", HISTORY, acct))[1]["status"] == "SUCCESS"  # type: ignore[index]


def rewards_paid(base: str, acct: dict) -> Decimal:
    rows = ok(call(base, "GET", REWARDS, acct))["data"]  # type: ignore[index]
    return sum((Decimal(r["amount"]) for r in rows if not r["autoRestaked"]), start=Decimal(0))


def test_daily_rewards_are_restaked_or_paid(base: str) -> None:
    acct = new_account(base, {"ETH": "100", "SOL": "1000"})
    ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="36.5"))
    ok(call(base, "POST", STAKE, acct, stakingAsset="SOL", amount="365"))
    advance(base, DAY - 1_000)
    assert ok(call(base, "GET", REWARDS, acct))["data"] == []  # type: ignore[index]
    advance(base, 3 * DAY)  # three rewards each
    doc = ok(call(base, "GET", REWARDS, acct))
    assert list(doc) == ["code", "message", "data", "total", "success"]  # type: ignore[arg-type]
    assert doc["total"] == 6 and doc["success"] is True  # type: ignore[index]
    rows = doc["data"]  # type: ignore[index]
    assert list(rows[0]) == ["asset", "amount", "usdValue", "time", "tranId", "autoRestaked"]
    eth = [r for r in rows if r["asset"] == "ETH"]
    sol = [r for r in rows if r["asset"] == "SOL"]
    # ETH restakes (36.5 x 0.0325 / 365 = 0.00325, then on the grown stake).
    assert [r["amount"] for r in eth] == ["0.00325", "0.00325028", "0.00325057"]
    assert all(r["autoRestaked"] for r in eth)
    assert staked(base, acct, "ETH") == Decimal("36.5") + Decimal("0.00975085")
    # SOL pays out (365 x 0.0617 / 365 = 0.0617 a day, on the unchanged stake).
    assert [r["amount"] for r in sol] == ["0.0617"] * 3 and not any(r["autoRestaked"] for r in sol)
    assert free(base, acct, "SOL") == Decimal("635") + Decimal("0.1851")
    assert len({r["tranId"] for r in rows}) == 6
    assert eth[1]["time"] - eth[0]["time"] == DAY
    assert Decimal(sol[0]["usdValue"]) > 0 and len(sol[0]["usdValue"].split(".")[1]) == 2
    # Filters and pages; the total counts what matched.
    only_sol = ok(call(base, "GET", REWARDS, acct, asset="SOL", limit=2, page=2))
    assert only_sol["total"] == 3 and len(only_sol["data"]) == 1  # type: ignore[index]
    window = ok(call(base, "GET", REWARDS, acct, startTime=eth[1]["time"], endTime=eth[1]["time"]))
    assert window["data"] == [eth[1]] and window["total"] == 1  # type: ignore[index]
    # Asking for no autoRestake pays ETH rewards out too.
    ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="1", autoRestake="false"))
    assert ok(call(base, "GET", BALANCE, acct, asset="ETH"))["data"][0]["autoRestake"] is False  # type: ignore[index]
    before = free(base, acct, "ETH")
    advance(base, DAY)
    assert free(base, acct, "ETH") > before


def test_staking_histories_lag_and_page(base: str) -> None:
    acct = new_account(base)
    for _ in range(3):
        ok(call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="1"))
    paged = ok(call(base, "GET", HISTORY, acct, asset="ETH", page=2, limit=2))
    assert len(paged) == 1  # type: ignore[arg-type]
    assert ok(call(base, "GET", HISTORY, acct, asset="SOL")) == []
    refused(call(base, "GET", HISTORY, acct, page=0), -1130)
    advance(base, 10_000)
    admin(base, "POST", "/faults", {"historyLagSeconds": 10}).raise_for_status()
    ok(call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="1"))
    assert len(ok(call(base, "GET", HISTORY, acct))) == 3  # type: ignore[arg-type]
    advance(base, 10_000)
    assert len(ok(call(base, "GET", HISTORY, acct))) == 4  # type: ignore[arg-type]


def test_stake_and_unstake_faults(base: str) -> None:
    acct = new_account(base)
    admin(base, "POST", "/faults", {"stake": {"mode": "execute_then_500"}}).raise_for_status()
    resp = call(base, "POST", STAKE, acct, stakingAsset="ETH", amount="2")
    assert resp.status_code == 500 and resp.json()["code"] == -1007
    assert staked(base, acct, "ETH") == 2  # it ran
    admin(base, "POST", "/faults", {"unstake": {"mode": "unavailable_503"}}).raise_for_status()
    resp = call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="1")
    assert resp.status_code == 503 and resp.json()["msg"] == "Service Unavailable."
    assert staked(base, acct, "ETH") == 2  # it did not
    ok(call(base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="1"))
    assert staked(base, acct, "ETH") == 1


@pytest.mark.asyncio
async def test_balance_changes_reach_the_user_data_stream(base: str) -> None:
    acct = new_account(base)
    admin(base, "POST", "/staking/catalog", {"ETH": {"unstakingPeriod": 0}})
    key = signed(base, "POST", "/api/v3/userDataStream", acct).json()["listenKey"]

    def position(free_eth: str):
        return lambda m: (
            m["e"] == "outboundAccountPosition"
            and m["B"] == [{"a": "ETH", "f": free_eth, "l": "0.00000000"}]
        )

    async with connect(ws_url(base, f"/ws/{key}")) as ws:
        await asyncio.to_thread(call, base, "POST", STAKE, acct, stakingAsset="ETH", amount="5")
        await recv_until(ws, position("45.00000000"))
        await asyncio.to_thread(call, base, "POST", UNSTAKE, acct, stakingAsset="ETH", amount="5")
        await recv_until(ws, position("50.00000000"))
        withdraw = {
            "coin": "ETH",
            "network": "ETH",
            "address": "0x" + "12" * 20,
            "amount": "2",
        }
        await asyncio.to_thread(
            call, base, "POST", "/sapi/v1/capital/withdraw/apply", acct, **withdraw
        )
        update = await recv_until(ws, lambda m: m["e"] == "balanceUpdate")
        assert (update["a"], update["d"]) == ("ETH", "-2.00000000")
        await recv_until(ws, position("48.00000000"))
        await asyncio.to_thread(
            admin,
            base,
            "POST",
            "/wallet/deposits",
            {"email": acct["email"], "coin": "SOL", "amount": "1"},
        )
        await asyncio.to_thread(advance, base, 1_000)  # SOL: one 1 s block
        update = await recv_until(ws, lambda m: m["e"] == "balanceUpdate")
        assert (update["a"], update["d"]) == ("SOL", "1.00000000")
