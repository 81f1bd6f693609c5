"""Referral rewards (L6834), the API Partner Program (L9804, L9886, the partner-id client order
id rule L3302) and broker referral (api-referral R7-R226), over real HTTP against a quiet
sandbox of this module's own (the export test moves its clock).

The quiet book has BTCUSD bids from 59999 down and asks from 60001 up, so a trade at 60000
between two test accounts fills exactly as placed."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, signed

DAY = 86_400_000
REWARD_ROW = ["userId", "rewardAmount", "receiveDateTime", "rewardType"]
ELIGIBILITY = ["isEligible", "ifNewUser", "vipLevel", "referrerId"]
REBATE_ROW = ["qty", "asset", "date"]
BROKER_REBATE_ROW = [
    "customerId",
    "email",
    "income",
    "asset",
    "symbol",
    "time",
    "orderId",
    "tradeId",
]
KICKBACK_ROW = ["income", "asset", "symbol", "time"]
REF = "/sapi/v1/apiReferral"
REJECTED = -2015
INVALID = -1130
CODES = itertools.count(1)  # this module has its own sandbox: no other test registers


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def call(base: str, method: str, path: str, key: dict, **params: object) -> requests.Response:
    """A signed request stamped with the sandbox's own (possibly moved) clock."""
    return signed(
        base, method, path, key, params, in_body=method == "POST", timestamp=server_time(base)
    )


def ok(resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def code(resp: requests.Response) -> int:
    assert resp.status_code >= 400, resp.text
    return resp.json()["code"]


def admin_ok(base: str, path: str, doc: dict) -> Any:
    resp = admin(base, "POST", path, doc)
    assert resp.status_code == 200, resp.text
    return resp.json()


def unique_code(prefix: str) -> str:
    """8 letters/digits, different on every call (registered ids must be unique)."""
    return f"{prefix}{next(CODES):06d}"


def partner(base: str, **doc: object) -> tuple[str, dict]:
    owner = new_account(base)
    partner_id = unique_code("PA")
    admin_ok(base, "/partners", {"partnerId": partner_id, "email": owner["email"], **doc})
    return partner_id, owner


def broker(base: str, **doc: object) -> tuple[str, dict]:
    acct = new_account(base)
    agent_code = unique_code("BR")
    admin_ok(base, f"/accounts/{acct['email']}/broker", {"apiAgentCode": agent_code, **doc})
    return agent_code, acct


def fees(base: str, acct: dict, maker: str, taker: str) -> None:
    admin_ok(base, f"/accounts/{acct['email']}/fees", {"maker": maker, "taker": taker})


def buy_from_a_seller(base: str, buyer: dict, qty: str, **extra: object) -> dict:
    """`buyer` takes `qty` BTC at 60000 from a fresh seller's resting order."""
    seller = new_account(base)
    common = {"symbol": "BTCUSD", "type": "LIMIT", "quantity": qty, "price": "60000"}
    resting = ok(
        call(base, "POST", "/api/v3/order", seller, side="SELL", timeInForce="GTC", **common)
    )
    assert resting["status"] == "NEW"
    taken = ok(
        call(base, "POST", "/api/v3/order", buyer, side="BUY", timeInForce="IOC", **common, **extra)
    )
    assert taken["status"] == "FILLED"
    return taken


@pytest.fixture
def base(private_url: str) -> str:
    return private_url


# ---- referral rewards -------------------------------------------------------------------------


def test_it_pages_referral_rewards_newest_first(base: str) -> None:
    acct = new_account(base)
    rows = [
        {"userId": 350991650 + n, "rewardAmount": str(n), "receiveDateTime": 1651131084000 + n}
        for n in (1, 3, 2)
    ]
    referee = {"userId": 7, "rewardAmount": "8.5", "receiveDateTime": 1, "rewardType": "BTC"}
    seeded = admin_ok(
        base, f"/accounts/{acct['email']}/referral", {"referrer": rows, "referee": [referee]}
    )
    assert (seeded["referrer"], seeded["referee"]) == (3, 1)

    path = "/sapi/v1/marketing/referral/reward/history"
    first = ok(call(base, "GET", path, acct, userBizType=0, page=1, rows=2))
    assert first["total"] == 3
    assert all(list(r) == REWARD_ROW for r in first["rows"])
    assert [r["rewardAmount"] for r in first["rows"]] == ["3", "2"]
    assert first["rows"][0] == {
        "userId": 350991653,
        "rewardAmount": "3",
        "receiveDateTime": 1651131084003,
        "rewardType": "USD",
    }
    second = ok(call(base, "GET", path, acct, userBizType=0, page=2, rows=2))
    assert (second["total"], [r["userId"] for r in second["rows"]]) == (3, [350991651])
    assert ok(call(base, "GET", path, acct, userBizType=0, page=3, rows=2))["rows"] == []
    assert ok(call(base, "GET", path, acct, userBizType=1, page=1, rows=200)) == {
        "total": 1,
        "rows": [referee],
    }
    fresh = new_account(base)
    assert ok(call(base, "GET", path, fresh, userBizType=1, page=1, rows=1)) == {
        "total": 0,
        "rows": [],
    }


def test_it_validates_the_referral_parameters(base: str) -> None:
    acct = new_account(base)
    path = "/sapi/v1/marketing/referral/reward/history"
    assert code(call(base, "GET", path, acct, userBizType=0, page=1, rows=0)) == INVALID
    assert code(call(base, "GET", path, acct, userBizType=0, page=1, rows=201)) == INVALID
    assert code(call(base, "GET", path, acct, userBizType=2, page=1, rows=10)) == INVALID
    assert code(call(base, "GET", path, acct, userBizType=0, page=0, rows=10)) == INVALID
    for missing in ("userBizType", "page", "rows"):
        params = {"userBizType": 0, "page": 1, "rows": 10}
        del params[missing]
        resp = call(base, "GET", path, acct, **params)
        assert resp.json() == {
            "code": -1102,
            "msg": f"Mandatory parameter '{missing}' was not sent, was empty/null, or was "
            "malformed.",
        }


# ---- API partner ------------------------------------------------------------------------------


def test_it_answers_eligibility_for_new_and_old_users(base: str) -> None:
    old_user = new_account(base)
    partner_id, owner = partner(base)
    new_user = new_account(base)
    path = "/sapi/v1/apipartner/checkEligibility"

    fresh = ok(call(base, "GET", path, new_user, partnerId=partner_id))
    assert list(fresh) == ELIGIBILITY
    assert fresh == {
        "isEligible": True,
        "ifNewUser": True,
        "vipLevel": 0,
        "referrerId": owner["accountId"],
    }
    assert ok(call(base, "GET", path, old_user, partnerId=partner_id))["ifNewUser"] is False

    admin_ok(
        base,
        "/partners",
        {
            "partnerId": partner_id,
            "users": {new_user["email"]: {"isEligible": False, "vipLevel": 1}},
        },
    )
    changed = ok(call(base, "GET", path, new_user, partnerId=partner_id))
    assert (changed["isEligible"], changed["vipLevel"]) == (False, 1)

    assert code(call(base, "GET", path, new_user, partnerId="NOPE0000")) == INVALID
    assert code(call(base, "GET", path, new_user)) == -1102


def test_it_credits_a_rebate_only_for_fills_with_the_partner_prefix(base: str) -> None:
    partner_id, _ = partner(base, rate="0.25")
    trader = new_account(base)
    fees(base, trader, "0", "0.002")
    path = "/sapi/v1/apipartner/rebateHistory"

    buy_from_a_seller(base, trader, "0.01")  # no client id of the partner's
    buy_from_a_seller(base, trader, "0.01", newClientOrderId="ZZZZ9999-not-a-partner")
    assert ok(call(base, "GET", path, trader, partnerId=partner_id)) == []

    taken = buy_from_a_seller(base, trader, "0.01", newClientOrderId=f"{partner_id}-ticket-1")
    # Taker commission 0.01 x 0.002 = 0.00002 BTC (the received asset); a quarter of it.
    rebates = ok(call(base, "GET", path, trader, partnerId=partner_id))
    assert all(list(r) == REBATE_ROW for r in rebates)
    assert rebates == [{"qty": "0.000005", "asset": "BTC", "date": taken["transactTime"]}]

    later = buy_from_a_seller(base, trader, "0.02", newClientOrderId=f"{partner_id}-ticket-2")
    rows = ok(call(base, "GET", path, trader, partnerId=partner_id))
    assert [(r["qty"], r["date"]) for r in rows] == [
        ("0.00001", later["transactTime"]),
        ("0.000005", taken["transactTime"]),
    ]
    paged = ok(call(base, "GET", path, trader, partnerId=partner_id, limit=1, page=2))
    assert paged == rows[1:]
    before = ok(
        call(base, "GET", path, trader, partnerId=partner_id, endTime=taken["transactTime"] - 1)
    )
    assert before == []


def test_it_credits_no_rebate_to_an_ineligible_user(base: str) -> None:
    trader = new_account(base)
    partner_id, _ = partner(base, users={trader["email"]: {"isEligible": False}})
    buy_from_a_seller(base, trader, "0.01", newClientOrderId=f"{partner_id}-x")
    assert (
        ok(call(base, "GET", "/sapi/v1/apipartner/rebateHistory", trader, partnerId=partner_id))
        == []
    )


# ---- broker referral --------------------------------------------------------------------------


def test_it_keeps_customer_ids_unique_per_broker_and_updates_in_place(base: str) -> None:
    agent_code, brk = broker(base)
    alice, bob = new_account(base), new_account(base)

    made = ok(
        call(base, "POST", f"{REF}/customization", brk, customerId="abc123", email=alice["email"])
    )
    assert made == {"customerId": "abc123", "email": alice["email"]}
    taken = call(base, "POST", f"{REF}/customization", brk, customerId="abc123", email=bob["email"])
    assert code(taken) == INVALID
    moved = call(
        base, "POST", f"{REF}/customization", brk, customerId="abc345", email=alice["email"]
    )
    assert ok(moved) == {"customerId": "abc345", "email": alice["email"]}

    listed = ok(call(base, "GET", f"{REF}/customization", brk, email=alice["email"]))
    assert listed == [{"customerId": "abc345", "email": alice["email"]}]
    assert ok(call(base, "GET", f"{REF}/customization", brk, customerId="abc123")) == []
    both = call(base, "GET", f"{REF}/customization", brk, customerId="abc345", email=alice["email"])
    assert both.json() == {"code": -1128, "msg": "Combination of optional parameters invalid."}

    # The client side of the same map: bob takes the id alice gave up.
    mine = call(
        base, "POST", f"{REF}/userCustomization", bob, customerId="abc123", apiAgentCode=agent_code
    )
    assert ok(mine) == {"customerId": "abc123"}
    assert ok(call(base, "GET", f"{REF}/userCustomization", bob, apiAgentCode=agent_code)) == {
        "customerId": "abc123"
    }
    clash = call(
        base, "POST", f"{REF}/userCustomization", bob, customerId="abc345", apiAgentCode=agent_code
    )
    assert code(clash) == INVALID
    assert ok(call(base, "GET", f"{REF}/customization", brk)) == [
        {"customerId": "abc345", "email": alice["email"]},
        {"customerId": "abc123", "email": bob["email"]},
    ]
    stranger = new_account(base)
    assert ok(call(base, "GET", f"{REF}/userCustomization", stranger, apiAgentCode=agent_code)) == {
        "customerId": ""
    }


def test_it_refuses_broker_calls_from_a_non_broker_and_bad_input(base: str) -> None:
    _, brk = broker(base)
    client = new_account(base)
    assert code(call(base, "GET", f"{REF}/customization", client)) == REJECTED
    assert code(call(base, "GET", f"{REF}/rebate/recentRecord", client)) == REJECTED
    no_email = call(base, "POST", f"{REF}/customization", brk, customerId="c1")
    assert code(no_email) == -1102
    unknown = call(
        base, "POST", f"{REF}/customization", brk, customerId="c1", email="nobody@x.test"
    )
    assert code(unknown) == INVALID
    assert code(call(base, "GET", f"{REF}/ifNewUser", client, apiAgentCode="NOSUCH")) == INVALID
    assert (
        code(call(base, "GET", f"{REF}/userCustomization", client, apiAgentCode="NOSUCH"))
        == INVALID
    )


def test_it_answers_if_new_user_for_a_broker(base: str) -> None:
    old_user = new_account(base)
    agent_code, brk = broker(base)
    new_user = new_account(base)
    doc = ok(call(base, "GET", f"{REF}/ifNewUser", new_user, apiAgentCode=agent_code))
    assert doc == {
        "apiAgentCode": agent_code,
        "rebateWorking": True,
        "ifNewUser": True,
        "referrerId": brk["accountId"],
    }
    admin_ok(base, f"/accounts/{brk['email']}/broker", {"rebateWorking": False})
    old = ok(call(base, "GET", f"{REF}/ifNewUser", old_user, apiAgentCode=agent_code))
    assert (old["rebateWorking"], old["ifNewUser"]) == (False, False)


def test_it_windows_broker_rebates_within_seven_days(base: str) -> None:
    _, brk = broker(base)
    now = server_time(base)
    seeded = [
        {
            "email": "test12345@126.com",
            "income": "0.02063898",
            "asset": "BTC",
            "symbol": "ETHBTC",
            "time": now - DAY,
            "orderId": 10491232,
            "tradeId": 611123,
        },
        {
            "email": "abcdef@gmail.com",
            "customerId": "abd433",
            "income": "1.2063898",
            "asset": "USDT",
            "symbol": "BTCUSDT",
            "time": now - 3 * DAY,
        },
        {
            "email": "old@x.test",
            "income": "1",
            "asset": "USD",
            "symbol": "BTCUSD",
            "time": now - 9 * DAY,
        },
    ]
    admin_ok(base, f"/accounts/{brk['email']}/broker", {"rebates": seeded})
    path = f"{REF}/rebate/recentRecord"

    recent = ok(call(base, "GET", path, brk))  # both omitted: the last 7 days
    assert all(list(r) == BROKER_REBATE_ROW for r in recent)
    assert recent[0] == {
        "customerId": "",
        "email": "test*****@126.com",
        "income": "0.02063898",
        "asset": "BTC",
        "symbol": "ETHBTC",
        "time": now - DAY,
        "orderId": 10491232,
        "tradeId": 611123,
    }
    assert [r["email"] for r in recent] == ["test*****@126.com", "abcd*****@gmail.com"]
    assert [r["income"] for r in ok(call(base, "GET", path, brk, customerId="abd433"))] == [
        "1.2063898"
    ]
    assert len(ok(call(base, "GET", path, brk, limit=1))) == 1

    week = ok(call(base, "GET", path, brk, startTime=now - 10 * DAY, endTime=now - 3 * DAY))
    assert [r["income"] for r in week] == ["1.2063898", "1"]
    too_long = call(base, "GET", path, brk, startTime=now - 10 * DAY, endTime=now - 3 * DAY + 1)
    assert too_long.json() == {
        "code": -1127,
        "msg": "More than 168 hours between startTime and endTime.",
    }
    assert code(call(base, "GET", path, brk, startTime=now - DAY)) == -1128
    assert code(call(base, "GET", path, brk, endTime=now)) == -1128


def test_it_credits_the_broker_and_the_trader_from_a_customized_clients_fills(base: str) -> None:
    agent_code, brk = broker(base, rate="0.5", kickbackRate="0.25")
    client = new_account(base)
    fees(base, client, "0", "0.002")
    ok(
        call(
            base,
            "POST",
            f"{REF}/userCustomization",
            client,
            customerId="desk-1",
            apiAgentCode=agent_code,
        )
    )

    taken = buy_from_a_seller(base, client, "0.01")
    (trade,) = ok(call(base, "GET", "/api/v3/myTrades", client, symbol="BTCUSD"))
    # Commission 0.01 x 0.002 = 0.00002 BTC: half to the broker, a quarter back to the trader.
    (row,) = ok(call(base, "GET", f"{REF}/rebate/recentRecord", brk))
    local = client["email"].split("@")[0][:4]
    assert row == {
        "customerId": "desk-1",
        "email": f"{local}*****@example.test",
        "income": "0.00001",
        "asset": "BTC",
        "symbol": "BTCUSD",
        "time": taken["transactTime"],
        "orderId": taken["orderId"],
        "tradeId": trade["id"],
    }
    kickbacks = ok(call(base, "GET", f"{REF}/kickback/recentRecord", client))
    assert all(list(r) == KICKBACK_ROW for r in kickbacks)
    assert kickbacks == [
        {"income": "0.000005", "asset": "BTC", "symbol": "BTCUSD", "time": taken["transactTime"]}
    ]
    # The seller was not customized: nothing for the broker from its side.
    assert len(ok(call(base, "GET", f"{REF}/rebate/recentRecord", brk))) == 1


def test_it_exports_kickback_history_to_a_csv_after_the_delay(base: str) -> None:
    trader = new_account(base)
    now = server_time(base)
    rows = [
        {"income": "0.5", "asset": "USDT", "symbol": "BTCUSDT", "time": now - DAY},
        {"income": "0.02063898", "asset": "BTC", "symbol": "ETHBTC", "time": now - 10 * DAY},
        {"income": "9", "asset": "USD", "symbol": "BTCUSD", "time": now - 31 * DAY},
    ]
    admin_ok(
        base, f"/accounts/{trader['email']}/kickbacks", {"rows": rows, "exportDelayMs": 60_000}
    )
    path = f"{REF}/kickback/historicalRecord"

    assert ok(call(base, "GET", path, trader)) == {"status": "NONE", "url": None}
    # Only the last 7 days for the recent list, the last 30 for the export.
    recent = ok(call(base, "GET", f"{REF}/kickback/recentRecord", trader))
    assert [r["income"] for r in recent] == ["0.5"]
    started = ok(call(base, "POST", path, trader))
    assert started == {"code": 200, "msg": "Historical data is collecting"}
    assert ok(call(base, "GET", path, trader)) == {"status": "COLLECTING", "url": None}

    admin(base, "POST", "/clock", {"advanceMs": 60_000}).raise_for_status()
    done = ok(call(base, "GET", path, trader))
    assert done["status"] == "READY"
    assert done["url"].startswith(f"{base}/") and done["url"].endswith(".csv")
    download = requests.get(done["url"], timeout=5)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(download.text))) == [
        ["income", "asset", "symbol", "time"],
        ["0.5", "USDT", "BTCUSDT", str(now - DAY)],
        ["0.02063898", "BTC", "ETHBTC", str(now - 10 * DAY)],
    ]

    # A new export replaces the old one and its URL.
    ok(call(base, "POST", path, trader))
    assert requests.get(done["url"], timeout=5).status_code == 404
    assert ok(call(base, "GET", path, trader))["status"] == "COLLECTING"


def test_it_keeps_admin_documents_all_or_nothing(base: str) -> None:
    acct = new_account(base)
    bad = admin(base, "POST", "/partners", {"partnerId": "SHORT", "email": acct["email"]})
    assert bad.status_code == 400
    taken, _ = broker(base)
    clash = admin(base, "POST", f"/accounts/{acct['email']}/broker", {"apiAgentCode": taken})
    assert clash.status_code == 409
    half = {"referrer": [{"userId": 1, "rewardAmount": "1"}], "referee": [{"userId": "x"}]}
    assert admin(base, "POST", f"/accounts/{acct['email']}/referral", half).status_code == 400
    counts = admin_ok(base, f"/accounts/{acct['email']}/referral", {})
    assert (counts["referrer"], counts["referee"]) == (0, 0)
    assert admin_ok(base, f"/accounts/{acct['email']}/kickbacks", {})["kickbacks"] == 0
