"""Convert dust over real HTTP (spec "Convert Dust", L6474-6760): what is convertible and at
what fee (dust-assets), the conversion itself with fromAsset sent as a repeated key (L6562),
the restricted time after a conversion, and the conversion history's mandatory window.

Expected amounts follow the spec's arithmetic: the fee is feeRate x the converted amount
(0.0028987 x 0.02 -> 0.00005797, L6721-6723) and the received amount the rest. Prices are the
quiet book's mids (--tick-ms 0: nothing trades here)."""

from __future__ import annotations

import asyncio
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from websockets.asyncio.client import connect

from tests.sandbox.sandbox_support import (
    admin,
    new_account,
    recv_until,
    sign,
    signed,
    ws_url,
)

DISABLED = {"code": -2010, "msg": "This action is disabled on this account."}
DUPLICATE = {"code": -1101, "msg": "Duplicate values for a parameter detected."}
EIGHT = Decimal("0.00000001")
FEE_RATE = Decimal("0.02")
# The fields of the spec's examples, in their order.
CONVERTIBLE = [
    "fromAsset",
    "toAsset",
    "availableBalance",
    "convertedAsset",
    "usdValueConvertedAsset",
    "conversionFee",
    "receivedAsset",
]
ASSETS = [
    "convertibleAssets",
    "totalConvertedAsset",
    "usdValueTotalConvertedAsset",
    "totalConversionFee",
    "totalReceivedAsset",
    "feeRate",
    "withinRestrictedTime",
]
CONVERTED = ["totalTransferred", "totalServiceCharge", "transferResult"]
RESULT = [
    "tranId",
    "fromAsset",
    "toAsset",
    "amount",
    "transferredAmount",
    "serviceChargeAmount",
    "operateTime",
    "result",
]
LOG = ["operateTime", "totalServiceChargeAmount", "totalTransferredAmount"]
DETAIL = [
    "fromAsset",
    "toAsset",
    "amount",
    "transferredAmount",
    "serviceChargeAmount",
    "operateTime",
    "tranId",
]
# SOL and USDT worth a few USD, ETH far above any dust threshold, USD fiat.
DUSTY = {"BTC": "0.0001", "ETH": "1", "SOL": "0.01", "USDT": "5", "USD": "3"}


def server_time(base: str) -> int:
    return requests.get(f"{base}/api/v3/time", timeout=5).json()["serverTime"]


def call(base: str, method: str, path: str, key: dict, **params: object) -> requests.Response:
    """A signed request stamped with the sandbox's own (possibly moved) clock."""
    return signed(
        base, method, path, key, params, in_body=method == "POST", timestamp=server_time(base)
    )


def convert(base: str, key: dict, *pairs: tuple[str, str]) -> requests.Response:
    """POST /sapi/v1/asset/dust with a form body built from `pairs`, so a name may repeat."""
    payload = urlencode([*pairs, ("timestamp", server_time(base))])
    payload += "&signature=" + sign(key["secretKey"], payload)
    headers = {"X-MBX-APIKEY": key["apiKey"], "Content-Type": "application/x-www-form-urlencoded"}
    return requests.post(f"{base}/sapi/v1/asset/dust", data=payload, headers=headers, timeout=5)


def ok(resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def error(resp: requests.Response) -> dict:
    assert resp.status_code == 400, resp.text
    return resp.json()


def advance(base: str, ms: int) -> None:
    admin(base, "POST", "/clock", {"advanceMs": ms}).raise_for_status()


def usd(base: str, asset: str) -> Decimal:
    """The asset's USD price at its USD book's mid."""
    if asset in ("USD", "USDT"):
        return Decimal(1)
    params = {"symbol": asset + "USD"}
    depth = requests.get(f"{base}/api/v3/depth", params=params, timeout=5).json()
    return (Decimal(depth["bids"][0][0]) + Decimal(depth["asks"][0][0])) / 2


def expected(base: str, asset: str, amount: str, to_asset: str) -> tuple[Decimal, ...]:
    """(converted, fee, received) per the spec's arithmetic."""
    value = Decimal(amount) * usd(base, asset) / usd(base, to_asset)
    converted = value.quantize(EIGHT, ROUND_DOWN)
    fee = (converted * FEE_RATE).quantize(EIGHT, ROUND_HALF_UP)
    return converted, fee, converted - fee


def free(base: str, key: dict) -> dict[str, Decimal]:
    rows = ok(call(base, "GET", "/api/v3/account", key))["balances"]
    return {r["asset"]: Decimal(r["free"]) for r in rows}


def assets(base: str, key: dict, to_asset: str) -> dict:
    return ok(call(base, "GET", "/sapi/v1/asset/query/dust-assets", key, toAsset=to_asset))


def logs(base: str, key: dict, **window: int) -> dict:
    return ok(call(base, "GET", "/sapi/v1/asset/query/dust-logs", key, **window))


@pytest.fixture
def base(private_url: str) -> str:
    admin(private_url, "DELETE", "/faults").raise_for_status()
    settings = {"thresholdUsd": "20", "cooldownMs": 0, "feeRate": "0.02"}
    admin(private_url, "POST", "/dust", settings).raise_for_status()
    return private_url


def test_it_lists_the_dust_convertible_into_a_target(base: str) -> None:
    key = new_account(base, DUSTY)
    doc = assets(base, key, "BTC")
    assert list(doc) == ASSETS
    assert (doc["feeRate"], doc["withinRestrictedTime"]) == ("0.02", False)
    rows = doc["convertibleAssets"]
    assert all(list(r) == CONVERTIBLE for r in rows)
    # Not BTC (the target), not ETH (3000 USD is no dust), not USD.
    assert [r["fromAsset"] for r in rows] == ["SOL", "USDT"]
    for row in rows:
        amount = DUSTY[row["fromAsset"]]
        converted, fee, received = expected(base, row["fromAsset"], amount, "BTC")
        assert row["toAsset"] == "BTC" and Decimal(row["availableBalance"]) == Decimal(amount)
        assert (Decimal(row["convertedAsset"]), Decimal(row["conversionFee"])) == (converted, fee)
        assert Decimal(row["receivedAsset"]) == received
        usd_value = Decimal(row["usdValueConvertedAsset"])
        assert abs(usd_value - Decimal(amount) * usd(base, row["fromAsset"])) < Decimal("0.01")
    for total, part in (
        ("totalConvertedAsset", "convertedAsset"),
        ("totalConversionFee", "conversionFee"),
        ("totalReceivedAsset", "receivedAsset"),
        ("usdValueTotalConvertedAsset", "usdValueConvertedAsset"),
    ):
        assert Decimal(doc[total]) == sum(Decimal(r[part]) for r in rows)

    into_usdt = assets(base, key, "USDT")["convertibleAssets"]
    assert [r["fromAsset"] for r in into_usdt] == ["BTC", "SOL"]
    admin(base, "POST", "/dust", {"thresholdUsd": "2"})
    assert [r["fromAsset"] for r in assets(base, key, "USDT")["convertibleAssets"]] == ["SOL"]

    for target in ("USD", "SOL"):
        refused = call(base, "GET", "/sapi/v1/asset/query/dust-assets", key, toAsset=target)
        assert error(refused) == {
            "code": -1130,
            "msg": "Data sent for parameter 'toAsset' is not valid.",
        }


def test_it_converts_dust_sent_as_a_repeated_from_asset(base: str) -> None:
    key = new_account(base, DUSTY)
    before = server_time(base)
    resp = convert(base, key, ("fromAsset", "SOL"), ("fromAsset", "USDT"), ("toAsset", "BTC"))
    doc = ok(resp)
    assert list(doc) == CONVERTED
    results = doc["transferResult"]
    assert [r["fromAsset"] for r in results] == ["SOL", "USDT"]
    total, total_fee, total_received = Decimal(0), Decimal(0), Decimal(0)
    for r in results:
        assert list(r) == RESULT
        converted, fee, received = expected(base, r["fromAsset"], DUSTY[r["fromAsset"]], "BTC")
        assert (r["toAsset"], r["result"], Decimal(r["amount"])) == (
            "BTC",
            "S",
            Decimal(DUSTY[r["fromAsset"]]),
        )
        # Gross in this answer (L6546 is the logs' net L6634 plus the fee).
        assert Decimal(r["transferredAmount"]) == converted
        assert Decimal(r["serviceChargeAmount"]) == fee
        assert before <= r["operateTime"] <= server_time(base)
        total, total_fee, total_received = (
            total + converted,
            total_fee + fee,
            total_received + received,
        )
    assert (Decimal(doc["totalTransferred"]), Decimal(doc["totalServiceCharge"])) == (
        total,
        total_fee,
    )
    after = free(base, key)
    assert (after["SOL"], after["USDT"]) == (0, 0)
    assert after["BTC"] == Decimal(DUSTY["BTC"]) + total_received
    assert after["ETH"] == Decimal(DUSTY["ETH"])  # untouched
    assert assets(base, key, "BTC")["convertibleAssets"] == []
    # Weight(UID) 10 per call, counted for the account.
    assert resp.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "10"
    again = convert(base, key, ("fromAsset", "SOL"), ("toAsset", "BTC"))
    assert again.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "20"


def test_it_still_refuses_other_repeated_names(base: str) -> None:
    key = new_account(base, DUSTY)
    twice = convert(base, key, ("fromAsset", "SOL"), ("toAsset", "BTC"), ("toAsset", "ETH"))
    assert error(twice) == DUPLICATE
    same = convert(base, key, ("fromAsset", "SOL"), ("fromAsset", "SOL"), ("toAsset", "BTC"))
    assert error(same) == DUPLICATE
    query = "toAsset=BTC&toAsset=ETH"
    elsewhere = requests.get(
        f"{base}/sapi/v1/asset/query/dust-assets?{query}",
        headers={"X-MBX-APIKEY": key["apiKey"]},
        timeout=5,
    )
    assert error(elsewhere) == DUPLICATE
    assert free(base, key)["SOL"] == Decimal(DUSTY["SOL"])


def test_it_refuses_what_is_not_dust_and_converts_nothing(base: str) -> None:
    key = new_account(base, DUSTY)
    bad = "Data sent for parameter '{}' is not valid."
    for asset in ("ETH", "USD", "BTC", "XRP"):
        resp = convert(base, key, ("fromAsset", "SOL"), ("fromAsset", asset), ("toAsset", "BTC"))
        assert error(resp) == {"code": -1130, "msg": bad.format("fromAsset")}
    assert error(convert(base, key, ("fromAsset", "SOL"), ("toAsset", "USD")))["msg"] == bad.format(
        "toAsset"
    )
    missing = error(convert(base, key, ("toAsset", "BTC")))
    assert missing == {
        "code": -1102,
        "msg": "Mandatory parameter 'fromAsset' was not sent, was empty/null, or was malformed.",
    }
    assert error(convert(base, key, ("fromAsset", "SOL")))["code"] == -1102
    assert free(base, key) == {a: Decimal(v) for a, v in DUSTY.items()}


def test_it_refuses_a_conversion_within_the_restricted_time(base: str) -> None:
    admin(base, "POST", "/dust", {"cooldownMs": 60_000})
    key = new_account(base, DUSTY)
    ok(convert(base, key, ("fromAsset", "SOL"), ("toAsset", "BTC")))
    assert assets(base, key, "BTC")["withinRestrictedTime"] is True
    assert error(convert(base, key, ("fromAsset", "USDT"), ("toAsset", "BTC"))) == DISABLED
    assert free(base, key)["USDT"] == Decimal(DUSTY["USDT"])
    other = new_account(base, DUSTY)  # the restriction is the account's
    assert assets(base, other, "BTC")["withinRestrictedTime"] is False

    advance(base, 60_000)
    assert assets(base, key, "BTC")["withinRestrictedTime"] is False
    ok(convert(base, key, ("fromAsset", "USDT"), ("toAsset", "BTC")))


def test_it_logs_conversions_in_a_mandatory_window(base: str) -> None:
    key = new_account(base, DUSTY)
    start = server_time(base)
    placed = ok(convert(base, key, ("fromAsset", "SOL"), ("fromAsset", "USDT"), ("toAsset", "ETH")))
    end = server_time(base)

    doc = logs(base, key, startTime=start, endTime=end)
    assert list(doc) == ["total", "userDustConvertHistory"] and doc["total"] == 1
    (row,) = doc["userDustConvertHistory"]
    assert list(row) == [*LOG, "userAssetDribbletDetails"]
    details = row["userAssetDribbletDetails"]
    assert all(list(d) == DETAIL for d in details)
    results = {r["fromAsset"]: r for r in placed["transferResult"]}
    for d in details:
        answered = results[d["fromAsset"]]
        assert d["tranId"] == answered["tranId"] and d["amount"] == answered["amount"]
        # Net here: the answer's (gross) amount less the fee, as L6634 vs L6546.
        net = Decimal(answered["transferredAmount"]) - Decimal(answered["serviceChargeAmount"])
        assert Decimal(d["transferredAmount"]) == net
        assert d["serviceChargeAmount"] == answered["serviceChargeAmount"]
        # Shown to the second, as L6626 (1659583487000) vs L6548 (1659583487273).
        assert d["operateTime"] == answered["operateTime"] // 1000 * 1000 == row["operateTime"]
    assert Decimal(row["totalTransferredAmount"]) == sum(
        Decimal(d["transferredAmount"]) for d in details
    )
    assert Decimal(row["totalServiceChargeAmount"]) == Decimal(placed["totalServiceCharge"])

    assert logs(base, key, startTime=start - 60_000, endTime=start - 1) == {
        "total": 0,
        "userDustConvertHistory": [],
    }
    for missing in ("startTime", "endTime"):
        window = {"startTime": start, "endTime": end}
        del window[missing]
        refused = call(base, "GET", "/sapi/v1/asset/query/dust-logs", key, **window)
        assert error(refused)["msg"] == (
            f"Mandatory parameter '{missing}' was not sent, was empty/null, or was malformed."
        )


def test_it_hides_new_conversions_for_the_history_lag(base: str) -> None:
    admin(base, "POST", "/faults", {"historyLagSeconds": 30})
    key = new_account(base, DUSTY)
    start = server_time(base)
    ok(convert(base, key, ("fromAsset", "SOL"), ("toAsset", "BTC")))
    window = {"startTime": start, "endTime": start + 3_600_000}
    assert logs(base, key, **window)["total"] == 0
    advance(base, 30_000)
    assert logs(base, key, **window)["total"] == 1


def test_it_converts_under_the_fault_then_answers_500(base: str) -> None:
    key = new_account(base, DUSTY)
    start = server_time(base)
    admin(base, "POST", "/faults", {"dust": {"mode": "execute_then_500", "count": 1}})
    lost = convert(base, key, ("fromAsset", "SOL"), ("toAsset", "BTC"))
    assert lost.status_code == 500 and lost.json()["code"] == -1007
    assert logs(base, key, startTime=start, endTime=server_time(base))["total"] == 1
    assert free(base, key)["SOL"] == 0


@pytest.mark.asyncio
async def test_it_pushes_the_balances_on_the_user_data_stream(base: str) -> None:
    key = new_account(base, DUSTY)
    listen = signed(base, "POST", "/api/v3/userDataStream", key).json()["listenKey"]
    async with connect(ws_url(base, f"/ws/{listen}")) as ws:
        pairs = (("fromAsset", "SOL"), ("toAsset", "BTC"))
        doc = await asyncio.to_thread(lambda: ok(convert(base, key, *pairs)))
        event = await recv_until(ws, lambda m: m["e"] == "outboundAccountPosition")
    (result,) = doc["transferResult"]
    received = Decimal(result["transferredAmount"]) - Decimal(result["serviceChargeAmount"])
    assert {b["a"]: Decimal(b["f"]) for b in event["B"]} == {
        "BTC": Decimal(DUSTY["BTC"]) + received,
        "SOL": 0,
    }
