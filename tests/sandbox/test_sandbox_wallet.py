"""Wallet endpoints over real HTTP: the coin/network catalogue, deposit addresses, deposits and
withdrawals moving on the sandbox clock (moved by the admin API, never slept on), every withdraw
refusal, refunds, duplicate withdrawOrderId, the histories' filters and windows, fiat."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from tests.sandbox.sandbox_support import admin, new_account, new_key, new_sub, signed

GETALL = "/sapi/v1/capital/config/getall"
APPLY = "/sapi/v1/capital/withdraw/apply"
HISTORY = "/sapi/v1/capital/withdraw/history"
ADDRESS = "/sapi/v1/capital/deposit/address"
HISREC = "/sapi/v1/capital/deposit/hisrec"
FIAT_APPLY = "/sapi/v1/fiatpayment/withdraw/apply"
FIAT_WITHDRAWALS = "/sapi/v1/fiatpayment/query/withdraw/history"
FIAT_DEPOSITS = "/sapi/v1/fiatpayment/query/deposit/history"
DAY = 86_400_000
ETH_ADDRESS = "0x" + "ab" * 20
BTC_ADDRESS = "bc1q" + "0" * 38
UNKNOWN = {
    "code": -1007,
    "msg": "Timeout waiting for a response from the backend server. Send status unknown; "
    "execution status unknown.",
}


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
    assert resp.status_code in (400, 401), resp.text
    assert resp.json()["code"] == code, resp.text
    if msg is not None:
        assert resp.json()["msg"] == msg


def advance(base: str, ms: int) -> None:
    admin(base, "POST", "/clock", {"advanceMs": ms}).raise_for_status()


def free(base: str, acct: dict, asset: str) -> Decimal:
    rows = ok(call(base, "GET", "/api/v3/account", acct))["balances"]  # type: ignore[index]
    return next(Decimal(b["free"]) for b in rows if b["asset"] == asset)


def coin_row(base: str, acct: dict, coin: str) -> dict:
    return next(r for r in ok(call(base, "GET", GETALL, acct)) if r["coin"] == coin)  # type: ignore[union-attr]


@pytest.fixture
def base(private_url: str) -> str:
    admin(private_url, "DELETE", "/wallet/catalog").raise_for_status()
    admin(private_url, "DELETE", "/faults").raise_for_status()
    return private_url


def test_getall_lists_the_catalogue_with_balances(base: str) -> None:
    acct = new_account(base, {"ETH": "2.5", "USD": "100"})
    rows = ok(call(base, "GET", GETALL, acct))
    assert isinstance(rows, list)
    coins = {r["coin"]: r for r in rows}
    assert {"BTC", "ETH", "USDT", "SOL", "USD"} <= set(coins)
    eth = coins["ETH"]
    assert list(eth) == [
        "coin",
        "depositAllEnable",
        "withdrawAllEnable",
        "name",
        "free",
        "locked",
        "freeze",
        "withdrawing",
        "ipoing",
        "ipoable",
        "storage",
        "isLegalMoney",
        "trading",
        "networkList",
    ]
    assert (eth["free"], eth["locked"], eth["withdrawing"], eth["isLegalMoney"]) == (
        "2.5",
        "0",
        "0",
        False,
    )
    net = eth["networkList"][0]
    assert list(net) == [
        "network",
        "coin",
        "withdrawIntegerMultiple",
        "isDefault",
        "depositEnable",
        "withdrawEnable",
        "depositDesc",
        "withdrawDesc",
        "specialTips",
        "name",
        "resetAddressStatus",
        "addressRegex",
        "memoRegex",
        "withdrawFee",
        "withdrawMin",
        "withdrawMax",
        "minConfirm",
        "unLockConfirm",
    ]
    assert (net["network"], net["coin"], net["isDefault"]) == ("ETH", "ETH", True)
    assert isinstance(net["minConfirm"], int) and isinstance(net["withdrawFee"], str)
    assert [n["network"] for n in coins["USDT"]["networkList"]] == ["ETH", "BSC"]
    assert coins["USD"]["isLegalMoney"] is True and coins["USD"]["networkList"] == []
    assert coins["BTC"]["free"] == "0"


def test_the_admin_sets_the_catalogue_all_or_nothing(base: str) -> None:
    acct = new_account(base)
    change = {
        "coins": {
            "ETH": {"networks": {"ETH": {"withdrawFee": "0.01", "withdrawEnable": False}}},
            "XRP": {
                "name": "Ripple",
                "networks": {
                    "XRP": {
                        "isDefault": True,
                        "addressRegex": "^r[1-9A-HJ-NP-Za-km-z]{24,34}$",
                        "memoRegex": "^[0-9]{1,10}$",
                    }
                },
            },
            "SOL": None,
        },
        "fiat": {"withdrawMin": "5"},
    }
    shown = admin(base, "POST", "/wallet/catalog", change).json()
    assert shown["coins"]["ETH"]["networks"]["ETH"]["withdrawFee"] == "0.01"
    assert shown["fiat"]["withdrawMin"] == "5"
    coins = {r["coin"]: r for r in ok(call(base, "GET", GETALL, acct))}  # type: ignore[union-attr]
    assert "SOL" not in coins and coins["XRP"]["networkList"][0]["memoRegex"] == "^[0-9]{1,10}$"
    assert coins["ETH"]["networkList"][0]["withdrawEnable"] is False
    before = admin(base, "GET", "/wallet/catalog").json()
    for bad in (
        {"coins": {"ETH": {"networks": {"ETH": {"withdrawFee": "-1"}}}}},
        {"coins": {"ETH": {"networks": {"ETH": {"addressRegex": "("}}}}},
        {"coins": {"BTC": {"networks": {"BTC": {"nope": 1}}}, "ETH": None}},
        {"fiat": {"withdrawOutcome": "Maybe"}},
        {"other": {}},
    ):
        resp = admin(base, "POST", "/wallet/catalog", bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    assert admin(base, "GET", "/wallet/catalog").json() == before
    restored = admin(base, "DELETE", "/wallet/catalog").json()
    assert "SOL" in restored["coins"] and "XRP" not in restored["coins"]


def test_deposit_addresses_are_stable_and_match_the_network(base: str) -> None:
    acct = new_account(base)
    doc = ok(call(base, "GET", ADDRESS, acct, coin="BTC"))
    assert list(doc) == ["coin", "address", "tag", "url"]  # type: ignore[arg-type]
    assert doc["coin"] == "BTC" and doc["tag"] == ""  # type: ignore[index]
    btc = coin_row(base, acct, "BTC")["networkList"][0]
    assert re.match(btc["addressRegex"], doc["address"])  # type: ignore[index]
    assert doc["url"].endswith(doc["address"])  # type: ignore[index]
    assert ok(call(base, "GET", ADDRESS, acct, coin="BTC")) == doc
    bsc = ok(call(base, "GET", ADDRESS, acct, coin="USDT", network="BSC"))
    eth = ok(call(base, "GET", ADDRESS, acct, coin="USDT"))
    assert bsc["address"] != eth["address"]  # type: ignore[index]
    sol = ok(call(base, "GET", ADDRESS, acct, coin="SOL"))
    assert re.match(coin_row(base, acct, "SOL")["networkList"][0]["addressRegex"], sol["address"])  # type: ignore[index]
    other = new_account(base)
    assert ok(call(base, "GET", ADDRESS, other, coin="BTC"))["address"] != doc["address"]  # type: ignore[index]
    # Without an explorer the url is the bare address (the spec's other shape).
    admin(
        base, "POST", "/wallet/catalog", {"coins": {"BTC": {"networks": {"BTC": {"explorer": ""}}}}}
    )
    bare = ok(call(base, "GET", ADDRESS, acct, coin="BTC"))
    assert bare["url"] == bare["address"] == doc["address"]  # type: ignore[index]

    refused(call(base, "GET", ADDRESS, acct), -1102)
    refused(call(base, "GET", ADDRESS, acct, coin="DOGE"), -1130)
    refused(call(base, "GET", ADDRESS, acct, coin="USD"), -1130)
    refused(
        call(base, "GET", ADDRESS, acct, coin="USDT", network="ERC20"),
        -1130,
        "Data sent for parameter 'network' is not valid.",
    )
    no_deposit = new_key(base, acct, permissions={"deposit": False})
    refused(call(base, "GET", ADDRESS, no_deposit, coin="BTC"), -2015)

    # A sub-account's address, asked by its master, is the one the sub-account gets itself.
    sub = new_sub(base, acct)
    via_master = ok(
        call(
            base,
            "GET",
            "/sapi/v1/capital/sub-account/deposit/address",
            acct,
            email=sub["email"],
            coin="ETH",
        )
    )
    assert via_master == ok(call(base, "GET", ADDRESS, sub, coin="ETH"))


def test_a_deposit_moves_0_6_1_on_the_clock_and_credits_at_min_confirm(base: str) -> None:
    acct = new_account(base, {"USD": "1"})
    resp = admin(
        base, "POST", "/wallet/deposits", {"email": acct["email"], "coin": "ETH", "amount": "1.5"}
    )
    row = resp.json()
    assert resp.status_code == 200 and row["status"] == 0 and row["confirmTimes"] == "0/12"
    address = ok(call(base, "GET", ADDRESS, acct, coin="ETH"))["address"]  # type: ignore[index]
    assert row["address"] == address
    [shown] = ok(call(base, "GET", HISREC, acct, coin="ETH"))  # type: ignore[misc]
    assert list(shown) == [
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
    assert (shown["amount"], shown["network"], shown["status"]) == ("1.5", "ETH", 0)
    assert free(base, acct, "ETH") == 0
    advance(base, 6 * 12_000)  # minConfirm 6 blocks of 12 s: credited, not yet withdrawable
    assert ok(call(base, "GET", HISREC, acct, coin="ETH"))[0]["status"] == 6  # type: ignore[index]
    assert free(base, acct, "ETH") == Decimal("1.5")
    refused(
        call(base, "POST", APPLY, acct, coin="ETH", network="ETH", address=ETH_ADDRESS, amount="1"),
        -2010,
        "Account has insufficient balance for requested action.",
    )
    assert ok(call(base, "GET", HISREC, acct, coin="ETH", status=0)) == []
    advance(base, 6 * 12_000)
    [done] = ok(call(base, "GET", HISREC, acct, coin="ETH"))  # type: ignore[misc]
    assert (done["status"], done["confirmTimes"]) == (1, "12/12")
    assert ok(call(base, "GET", HISREC, acct, coin="ETH", status=1)) == [done]
    assert ok(call(base, "GET", HISREC, acct, coin="BTC")) == []
    assert free(base, acct, "ETH") == Decimal("1.5")
    assert ok(
        call(base, "POST", APPLY, acct, coin="ETH", network="ETH", address=ETH_ADDRESS, amount="1")
    )
    refused(call(base, "GET", HISREC, acct), -1102)


def withdraw(base: str, acct: dict, **params: object) -> requests.Response:
    doc = {"coin": "ETH", "network": "ETH", "address": ETH_ADDRESS, "amount": "1", **params}
    return call(base, "POST", APPLY, acct, **doc)


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"coin": None},
            -1102,
            "Mandatory parameter 'coin' was not sent, was empty/null, or was malformed.",
        ),
        ({"network": None}, -1102, None),
        ({"address": None}, -1102, None),
        ({"amount": None}, -1102, None),
        ({"coin": "DOGE"}, -1130, "Data sent for parameter 'coin' is not valid."),
        ({"coin": "USD", "network": "USD"}, -1130, "Data sent for parameter 'coin' is not valid."),
        ({"network": "ERC20"}, -1130, "Data sent for parameter 'network' is not valid."),
        ({"network": "BSC"}, -1130, "Data sent for parameter 'network' is not valid."),
        ({"address": "0x1234"}, -1130, "Data sent for parameter 'address' is not valid."),
        ({"address": BTC_ADDRESS}, -1130, "Data sent for parameter 'address' is not valid."),
        ({"addressTag": "123"}, -1130, "Data sent for parameter 'addressTag' is not valid."),
        ({"amount": "0.002"}, -1130, "Data sent for parameter 'amount' is not valid."),
        ({"amount": "10001"}, -1130, "Data sent for parameter 'amount' is not valid."),
        ({"amount": "0"}, -1130, "Data sent for parameter 'amount' is not valid."),
        ({"amount": "1.000000001"}, -1111, "Precision is over the maximum defined for this asset."),
        ({"amount": "abc"}, -1100, None),
        ({"amount": "60"}, -2010, "Account has insufficient balance for requested action."),
        ({"withdrawOrderId": "x" * 65}, -1130, None),
    ],
)
def test_withdraw_refusals(base: str, params: dict, code: int, msg: str | None) -> None:
    acct = new_account(base)  # 50 ETH
    doc = {"coin": "ETH", "network": "ETH", "address": ETH_ADDRESS, "amount": "1", **params}
    refused(
        call(base, "POST", APPLY, acct, **{k: v for k, v in doc.items() if v is not None}),
        code,
        msg,
    )
    assert free(base, acct, "ETH") == 50


def test_withdraw_refusals_the_catalogue_decides(base: str) -> None:
    acct = new_account(base)
    admin(
        base,
        "POST",
        "/wallet/catalog",
        {
            "coins": {
                "USDT": {"networks": {"ETH": {"withdrawEnable": False}}},
                "BTC": {"withdrawAllEnable": False},
                "ETH": {"networks": {"ETH": {"withdrawIntegerMultiple": "0.5"}}},
            }
        },
    ).raise_for_status()
    net = "Data sent for parameter 'network' is not valid."
    refused(withdraw(base, acct, coin="USDT", amount="100"), -1130, net)
    refused(
        withdraw(base, acct, coin="BTC", network="BTC", address=BTC_ADDRESS, amount="0.1"),
        -1130,
        "Data sent for parameter 'coin' is not valid.",
    )
    refused(withdraw(base, acct, amount="1.25"), -1111)  # finer than the multiple's scale
    refused(withdraw(base, acct, amount="1.2"), -1130)  # on scale, not a multiple of 0.5
    assert ok(withdraw(base, acct, amount="1.5"))


def test_a_withdrawal_completes_on_the_clock(base: str) -> None:
    acct = new_account(base)
    resp = withdraw(base, acct, amount="2", withdrawOrderId="w-1")
    doc = ok(resp)
    assert list(doc) == ["id"] and re.fullmatch(r"[0-9a-f]{32}", doc["id"])  # type: ignore[index, arg-type]
    assert free(base, acct, "ETH") == 48
    eth = coin_row(base, acct, "ETH")
    assert (eth["free"], eth["withdrawing"]) == ("48", "2")
    [row] = ok(call(base, "GET", HISTORY, acct, coin="ETH"))  # type: ignore[misc]
    assert list(row)[:9] == [
        "id",
        "amount",
        "transactionFee",
        "coin",
        "status",
        "address",
        "applyTime",
        "network",
        "transferType",
    ]
    assert (row["id"], row["amount"], row["transactionFee"], row["status"]) == (
        doc["id"],  # type: ignore[index]
        "1.9985",
        "0.0015",
        4,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["applyTime"])
    assert row["withdrawOrderId"] == "w-1" and "txId" not in row
    advance(base, 30_000)
    [done] = ok(call(base, "GET", HISTORY, acct, coin="ETH"))  # type: ignore[misc]
    assert done["status"] == 6 and re.fullmatch(r"0x[0-9a-f]{64}", done["txId"])
    assert coin_row(base, acct, "ETH")["withdrawing"] == "0"
    assert free(base, acct, "ETH") == 48


def test_a_failed_or_rejected_withdrawal_is_refunded(base: str) -> None:
    acct = new_account(base)
    admin(
        base,
        "POST",
        "/wallet/catalog",
        {"coins": {"ETH": {"networks": {"ETH": {"withdrawOutcome": 5}}}}},
    ).raise_for_status()
    first = ok(withdraw(base, acct, amount="3"))["id"]  # type: ignore[index]
    assert free(base, acct, "ETH") == 47
    advance(base, 30_000)
    assert ok(call(base, "GET", HISTORY, acct, coin="ETH"))[0]["status"] == 5  # type: ignore[index]
    assert free(base, acct, "ETH") == 50
    # The admin ends one early: rejected (refunded), then a second admin call is refused.
    admin(base, "DELETE", "/wallet/catalog")
    second = ok(withdraw(base, acct, amount="4"))["id"]  # type: ignore[index]
    assert free(base, acct, "ETH") == 46
    ended = admin(base, "POST", f"/wallet/withdrawals/{second}", {"status": 3})
    assert ended.status_code == 200 and ended.json()["status"] == 3
    assert free(base, acct, "ETH") == 50
    assert admin(base, "POST", f"/wallet/withdrawals/{second}", {"status": 6}).status_code == 409
    assert admin(base, "POST", f"/wallet/withdrawals/{first}", {"status": 7}).status_code == 400
    assert admin(base, "POST", "/wallet/withdrawals/nope", {"status": 6}).status_code == 404
    third = ok(withdraw(base, acct, amount="1"))["id"]  # type: ignore[index]
    assert admin(base, "POST", f"/wallet/withdrawals/{third}", {"status": 6}).json()["txId"]
    statuses = [r["status"] for r in ok(call(base, "GET", HISTORY, acct, coin="ETH"))]  # type: ignore[union-attr]
    assert statuses == [6, 3, 5]  # newest first
    assert free(base, acct, "ETH") == 49


def test_a_reused_withdraw_order_id_is_refused(base: str) -> None:
    acct = new_account(base)
    first = ok(withdraw(base, acct, withdrawOrderId="intent-42"))
    refused(withdraw(base, acct, withdrawOrderId="intent-42"), -2010, "Duplicate order sent.")
    # Even with other parameters, and after the first completed.
    advance(base, 30_000)
    refused(withdraw(base, acct, amount="0.5", withdrawOrderId="intent-42"), -2010)
    assert free(base, acct, "ETH") == 49
    # Per account: another account may use it.
    assert ok(withdraw(base, new_account(base), withdrawOrderId="intent-42"))
    [row] = ok(call(base, "GET", HISTORY, acct, coin="ETH", withdrawOrderId="intent-42"))  # type: ignore[misc]
    assert row["id"] == first["id"]  # type: ignore[index]


def test_withdraw_history_filters_pages_windows_and_lags(base: str) -> None:
    acct = new_account(base)
    ids = [ok(withdraw(base, acct, amount=str(n)))["id"] for n in (1, 2, 3)]  # type: ignore[index]
    ok(withdraw(base, acct, coin="BTC", network="BTC", address=BTC_ADDRESS, amount="0.1"))
    rows = ok(call(base, "GET", HISTORY, acct, coin="ETH"))
    assert [r["id"] for r in rows] == ids[::-1]  # type: ignore[union-attr]
    paged = ok(call(base, "GET", HISTORY, acct, coin="ETH", offset=1, limit=1))
    assert [r["id"] for r in paged] == [ids[1]]  # type: ignore[union-attr]
    assert ok(call(base, "GET", HISTORY, acct, coin="ETH", status=6)) == []
    assert len(ok(call(base, "GET", HISTORY, acct, coin="ETH", status=4))) == 3  # type: ignore[arg-type]
    refused(call(base, "GET", HISTORY, acct), -1102)
    refused(call(base, "GET", HISTORY, acct, coin="ETH", status=9), -1130)
    refused(call(base, "GET", HISTORY, acct, coin="ETH", offset=-1), -1130)
    now = server_time(base)
    refused(
        call(base, "GET", HISTORY, acct, coin="ETH", startTime=now - 91 * DAY, endTime=now),
        -1127,
        "More than 2160 hours between startTime and endTime.",
    )
    old = ok(
        call(base, "GET", HISTORY, acct, coin="ETH", startTime=now - 2 * DAY, endTime=now - DAY)
    )
    assert old == []
    # Beyond the default 90-day window once the clock moves on.
    advance(base, 91 * DAY)
    assert ok(call(base, "GET", HISTORY, acct, coin="ETH")) == []
    # "Data Source: Database": a new withdrawal shows only after the history lag.
    admin(base, "POST", "/faults", {"historyLagSeconds": 5}).raise_for_status()
    late = ok(withdraw(base, acct))["id"]  # type: ignore[index]
    assert ok(call(base, "GET", HISTORY, acct, coin="ETH")) == []
    advance(base, 5_000)
    assert [r["id"] for r in ok(call(base, "GET", HISTORY, acct, coin="ETH"))] == [late]  # type: ignore[union-attr]


def test_a_key_without_withdraw_permission_is_refused(base: str) -> None:
    acct = new_account(base)
    key = new_key(base, acct, permissions={"withdraw": False})
    refused(withdraw(base, key), -2015, "Invalid API-key, IP, or permissions for action.")
    refused(
        call(base, "POST", FIAT_APPLY, key, paymentMethod="BITGO", paymentAccount="a", amount="10"),
        -2015,
    )
    assert free(base, acct, "ETH") == 50


def test_withdraw_faults_execute_or_not(base: str) -> None:
    acct = new_account(base)
    admin(
        base, "POST", "/faults", {"withdrawApply": {"mode": "execute_then_500"}}
    ).raise_for_status()
    resp = withdraw(base, acct, withdrawOrderId="faulted")
    assert resp.status_code == 500 and resp.json() == UNKNOWN
    # It executed: reconcile by withdrawOrderId; a resend is refused as a duplicate.
    [row] = ok(call(base, "GET", HISTORY, acct, coin="ETH", withdrawOrderId="faulted"))  # type: ignore[misc]
    assert row["status"] == 4
    refused(withdraw(base, acct, withdrawOrderId="faulted"), -2010, "Duplicate order sent.")
    admin(
        base, "POST", "/faults", {"withdrawApply": {"mode": "unavailable_503"}}
    ).raise_for_status()
    resp = withdraw(base, acct, withdrawOrderId="not-run")
    assert resp.status_code == 503 and resp.json()["msg"] == "Service Unavailable."
    assert ok(call(base, "GET", HISTORY, acct, coin="ETH", withdrawOrderId="not-run")) == []
    assert ok(withdraw(base, acct, withdrawOrderId="not-run"))
    admin(
        base, "POST", "/faults", {"fiatWithdrawApply": {"mode": "execute_then_500"}}
    ).raise_for_status()
    resp = call(
        base, "POST", FIAT_APPLY, acct, paymentMethod="BITGO", paymentAccount="a", amount="10"
    )
    assert resp.status_code == 500 and resp.json() == UNKNOWN
    assert len(ok(call(base, "GET", FIAT_WITHDRAWALS, acct))["assetLogRecordList"]) == 1  # type: ignore[index]
    assert free(base, acct, "USD") == 99_990


def test_fiat_withdrawal_goes_init_processing_successful(base: str) -> None:
    acct = new_account(base, {"USD": "1000"})
    admin(base, "POST", "/wallet/catalog", {"fiat": {"withdrawFee": "2.5"}}).raise_for_status()
    doc = ok(
        call(
            base,
            "POST",
            FIAT_APPLY,
            acct,
            paymentMethod="BITGO",
            paymentAccount="bitgo-1",
            amount="100",
        )
    )
    assert list(doc) == ["orderId", "channelCode", "currencyCode", "amount", "orderStatus"]  # type: ignore[arg-type]
    assert doc["channelCode"] == "BITGO" and doc["currencyCode"] == "USD"  # type: ignore[index]
    assert (doc["amount"], doc["orderStatus"]) == ("100.00000000", "INIT")  # type: ignore[index]
    assert free(base, acct, "USD") == 900
    assert coin_row(base, acct, "USD")["withdrawing"] == "100"

    def status() -> dict:
        [row] = ok(call(base, "GET", FIAT_WITHDRAWALS, acct))["assetLogRecordList"]  # type: ignore[index, misc]
        return row

    row = status()
    assert list(row) == [
        "orderId",
        "paymentAccount",
        "paymentChannel",
        "paymentMethod",
        "orderStatus",
        "amount",
        "transactionFee",
        "platformFee",
    ]
    assert (row["orderId"], row["orderStatus"], row["amount"], row["transactionFee"]) == (
        doc["orderId"],  # type: ignore[index]
        "INIT",
        "97.5",
        "2.5",
    )
    advance(base, 5_000)
    assert status()["orderStatus"] == "Processing"
    advance(base, 60_000)
    assert status()["orderStatus"] == "Successful"
    assert free(base, acct, "USD") == 900


def test_a_failed_fiat_withdrawal_is_refunded_and_refusals(base: str) -> None:
    acct = new_account(base, {"USD": "1000"})
    apply = {"paymentMethod": "BITGO", "paymentAccount": "bitgo-1", "amount": "100"}
    order_id = ok(call(base, "POST", FIAT_APPLY, acct, **apply))["orderId"]  # type: ignore[index]
    ended = admin(base, "POST", f"/wallet/fiat-orders/{order_id}", {"orderStatus": "Failed"})
    assert ended.json()["orderStatus"] == "Failed"
    assert free(base, acct, "USD") == 1000
    admin(base, "POST", "/wallet/catalog", {"fiat": {"withdrawOutcome": "Failed"}})
    ok(call(base, "POST", FIAT_APPLY, acct, **apply))
    assert free(base, acct, "USD") == 900
    advance(base, 65_000)
    assert free(base, acct, "USD") == 1000
    for change, code in (
        ({"paymentMethod": "WIRE"}, -1130),
        ({"paymentAccount": None}, -1102),
        ({"amount": "0.5"}, -1130),
        ({"amount": "10.001"}, -1111),
        ({"amount": "2000"}, -2010),
        ({"fiatCurrency": "EUR"}, -1130),
    ):
        doc = {k: v for k, v in {**apply, **change}.items() if v is not None}
        refused(call(base, "POST", FIAT_APPLY, acct, **doc), code)


def test_fiat_deposits_and_the_fiat_window_rule(base: str) -> None:
    acct = new_account(base, {"USD": "0"})
    row = admin(
        base,
        "POST",
        "/wallet/fiat-deposits",
        {"email": acct["email"], "amount": "1", "fee": "0.01"},
    ).json()
    assert row["orderStatus"] == "INIT" and row["fiatCurrency"] == "USD"
    advance(base, 65_000)
    [shown] = ok(call(base, "GET", FIAT_DEPOSITS, acct))["assetLogRecordList"]  # type: ignore[index, misc]
    assert list(shown) == [
        "orderId",
        "paymentAccount",
        "paymentChannel",
        "paymentMethod",
        "orderStatus",
        "fiatCurrency",
        "amount",
        "transactionFee",
        "platformFee",
    ]
    assert (shown["orderStatus"], shown["amount"], shown["transactionFee"]) == (
        "Successful",
        "0.99",
        "0.01",
    )
    assert (shown["paymentChannel"], shown["paymentMethod"]) == ("MODERNTREASURY", "ACH")
    assert free(base, acct, "USD") == Decimal("0.99")
    assert ok(call(base, "GET", FIAT_DEPOSITS, acct, paymentMethod="WIRE")) == {
        "assetLogRecordList": []
    }
    assert ok(call(base, "GET", FIAT_WITHDRAWALS, acct)) == {"assetLogRecordList": []}
    now = server_time(base)
    refused(call(base, "GET", FIAT_DEPOSITS, acct, startTime=now - 90 * DAY, endTime=now), -1127)
    refused(call(base, "GET", FIAT_DEPOSITS, acct, startTime=now, endTime=now), -1130)
    within = ok(call(base, "GET", FIAT_DEPOSITS, acct, startTime=now - 89 * DAY, endTime=now))
    assert len(within["assetLogRecordList"]) == 1  # type: ignore[index]


def test_sub_account_deposit_history_follows_the_same_deposits(base: str) -> None:
    master = new_account(base)
    sub = new_sub(base, master)
    admin(base, "POST", "/wallet/deposits", {"email": sub["email"], "coin": "SOL", "amount": "3"})
    path = "/sapi/v1/capital/sub-account/deposit/history"
    [row] = ok(call(base, "GET", path, master, email=sub["email"]))  # type: ignore[misc]
    assert (row["coin"], row["network"], row["status"]) == ("SOL", "SOL", 0)
    advance(base, 1_000)
    [row] = ok(call(base, "GET", path, master, email=sub["email"]))  # type: ignore[misc]
    assert row["status"] == 1  # SOL: minConfirm = unLockConfirm, so 0 -> 1 directly
    assert free(base, sub, "SOL") == 3
