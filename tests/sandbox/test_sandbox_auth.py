"""Signing (the spec's known answers), timing, keys and key types."""

from __future__ import annotations

import pytest
import requests

from sandbox import auth
from tests.sandbox.sandbox_support import new_account, now_ms, sign, signed

# The spec's example key pair ("Signature Authentication").
SPEC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPEC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
EX1_BODY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
EX1_SIG = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
EX3_QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
EX3_BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
EX3_SIG = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def test_it_signs_example_1_request_body() -> None:
    total, sig = auth.total_params("", f"{EX1_BODY}&signature={EX1_SIG}")
    assert total == EX1_BODY and sig == EX1_SIG
    assert auth.sign(SPEC_SECRET, total) == EX1_SIG


def test_it_signs_example_2_query_string() -> None:
    # The spec prints c8db... for Example 2 too; that is Example 1's signature pasted again.
    # The real HMAC-SHA256 of this query string with the example secret is d971...
    total, _ = auth.total_params("symbol=BTCUSDT&timestamp=1499827319559&signature=x", "")
    assert total == "symbol=BTCUSDT&timestamp=1499827319559"
    assert auth.sign(SPEC_SECRET, total) == (
        "d97112c82a46aae604c384663068433947147d01a3c8cfad4a53903682ec2eca"
    )


def test_it_signs_example_3_query_plus_body_without_separator() -> None:
    total, sig = auth.total_params(EX3_QUERY, f"{EX3_BODY}&signature={EX3_SIG}")
    assert total == EX3_QUERY + EX3_BODY  # "...timeInForce=GTCquantity=1..." as in the spec
    assert sig == EX3_SIG
    assert auth.verify(SPEC_SECRET, total, EX3_SIG.upper())  # not case sensitive


def test_it_applies_the_spec_timing_rule() -> None:
    server = 1_000_000
    auth.check_timing(server + 999, 5000, server)
    auth.check_timing(server - 5000, 5000, server)
    with pytest.raises(auth.errors.ApiError) as ahead:
        auth.check_timing(server + 1000, 5000, server)
    with pytest.raises(auth.errors.ApiError) as late:
        auth.check_timing(server - 5001, 5000, server)
    assert ahead.value.code == late.value.code == -1021


def test_it_verifies_the_spec_example_3_request_over_http(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    resp = requests.post(
        f"{quiet_url}/sandbox/v1/keys",
        timeout=5,
        json={
            "email": acct["email"],
            "type": "exchange",
            "apiKey": SPEC_KEY,
            "secretKey": SPEC_SECRET,
        },
    )
    assert resp.status_code == 200, resp.text
    # Put the exchange clock at the example's timestamp so the signature check is reached.
    requests.post(
        f"{quiet_url}/sandbox/v1/clock", json={"serverTime": 1499827319600}, timeout=5
    ).raise_for_status()
    try:
        ok = requests.post(
            f"{quiet_url}/api/v3/order?{EX3_QUERY}",
            timeout=5,
            data=f"{EX3_BODY}&signature={EX3_SIG}",
            headers={"X-MBX-APIKEY": SPEC_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        )
        bad = requests.post(
            f"{quiet_url}/api/v3/order?{EX3_QUERY}",
            timeout=5,
            data=f"{EX3_BODY}&signature={EX1_SIG}",
            headers={"X-MBX-APIKEY": SPEC_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        )
    finally:
        requests.post(f"{quiet_url}/sandbox/v1/clock", json={"offsetMs": 0}, timeout=5)
    # The signature is accepted; LTCBTC is not listed on the sandbox.
    assert (ok.status_code, ok.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})
    assert bad.json()["code"] == -1022 and bad.status_code == 400


def test_it_accepts_params_in_body_and_query(sandbox_url: str, sandbox_account: dict) -> None:
    for in_body in (False, True):
        resp = signed(
            sandbox_url,
            "GET" if not in_body else "POST",
            "/api/v3/userDataStream" if in_body else "/api/v3/account",
            sandbox_account,
            in_body=in_body,
        )
        assert resp.status_code == 200, resp.text


def test_it_rejects_timestamps_outside_the_window(sandbox_url: str, sandbox_account: dict) -> None:
    old = signed(sandbox_url, "GET", "/api/v3/account", sandbox_account, timestamp=now_ms() - 6000)
    ahead = signed(
        sandbox_url, "GET", "/api/v3/account", sandbox_account, timestamp=now_ms() + 5000
    )
    assert (old.status_code, old.json()) == (
        400,
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
    )
    assert (ahead.status_code, ahead.json()["code"]) == (400, -1021)
    assert "ahead" in ahead.json()["msg"]
    wide = signed(
        sandbox_url,
        "GET",
        "/api/v3/account",
        sandbox_account,
        {"recvWindow": 20000},
        timestamp=now_ms() - 6000,
    )
    assert wide.status_code == 200
    too_wide = signed(sandbox_url, "GET", "/api/v3/account", sandbox_account, {"recvWindow": 60001})
    assert too_wide.status_code == 400


def test_it_rejects_bad_signatures_and_missing_timestamp(
    sandbox_url: str, sandbox_account: dict
) -> None:
    ts = now_ms()
    query = f"timestamp={ts}&signature={sign('wrong' * 8, f'timestamp={ts}')}"
    resp = requests.get(
        f"{sandbox_url}/api/v3/account?{query}",
        timeout=5,
        headers={"X-MBX-APIKEY": sandbox_account["apiKey"]},
    )
    assert (resp.status_code, resp.json()) == (
        400,
        {"code": -1022, "msg": "Signature for this request is not valid."},
    )
    payload = "recvWindow=5000"
    resp = requests.get(
        f"{sandbox_url}/api/v3/account?{payload}&signature="
        f"{sign(sandbox_account['secretKey'], payload)}",
        timeout=5,
        headers={"X-MBX-APIKEY": sandbox_account["apiKey"]},
    )
    assert resp.json()["code"] == -1102 and "timestamp" in resp.json()["msg"]


def test_it_rejects_missing_and_unknown_keys(sandbox_url: str) -> None:
    missing = requests.post(f"{sandbox_url}/api/v3/userDataStream", timeout=5)
    unknown = requests.post(
        f"{sandbox_url}/api/v3/userDataStream", timeout=5, headers={"X-MBX-APIKEY": "A" * 64}
    )
    assert (missing.status_code, missing.json()) == (
        401,
        {"code": -2014, "msg": "API-key format invalid."},
    )
    assert (unknown.status_code, unknown.json()) == (
        401,
        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
    )


def test_it_restricts_key_types_to_their_endpoints(sandbox_url: str, sandbox_account: dict) -> None:
    resp = requests.post(
        f"{sandbox_url}/sandbox/v1/keys",
        timeout=5,
        json={"email": sandbox_account["email"], "type": "custodial"},
    )
    custodial = resp.json()
    assert custodial["type"] == "custodial"
    on_exchange = signed(sandbox_url, "GET", "/api/v3/account", custodial)
    assert (on_exchange.status_code, on_exchange.json()["code"]) == (401, -2015)
    exchange_on_custody = signed(
        sandbox_url, "GET", "/sapi/v1/custodian/balance", sandbox_account, {"rail": "ANCHORAGE"}
    )
    assert exchange_on_custody.json()["code"] == -2015
    credit = requests.post(
        f"{sandbox_url}/sandbox/v1/keys",
        timeout=5,
        json={"email": sandbox_account["email"], "type": "credit_line"},
    ).json()
    assert (
        signed(sandbox_url, "GET", "/sapi/v2/cl/account", sandbox_account).json()["code"] == -2015
    )
    assert signed(sandbox_url, "GET", "/api/v3/account", credit).json()["code"] == -2015
    assert signed(sandbox_url, "GET", "/api/v3/account", sandbox_account).status_code == 200


def test_it_counts_request_weight(sandbox_url: str) -> None:
    first = requests.get(f"{sandbox_url}/api/v3/depth?symbol=BTCUSD&limit=500", timeout=5)
    second = requests.get(f"{sandbox_url}/api/v3/exchangeInfo", timeout=5)
    used_1 = int(first.headers["X-MBX-USED-WEIGHT-1M"])
    used_2 = int(second.headers["X-MBX-USED-WEIGHT-1M"])
    assert used_2 - used_1 >= 10  # other tests may share the IP, never less
    assert second.headers["X-MBX-USED-WEIGHT"] == second.headers["X-MBX-USED-WEIGHT-1M"]
