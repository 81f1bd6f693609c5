"""The sandbox admin API, the HTML page and --bootstrap."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from sandbox.admin_http import is_loopback
from tests.sandbox.sandbox_support import signed, start, stop

KEY = "K" * 32 + "k" * 32
SECRET = "S" * 32 + "s" * 32


def test_it_creates_accounts_and_rejects_bad_input(sandbox_url: str) -> None:
    url = f"{sandbox_url}/sandbox/v1/accounts"
    made = requests.post(
        url, json={"email": "admin-1@example.test", "balances": {"USD": "10000"}}, timeout=5
    )
    assert made.status_code == 200
    body = made.json()
    assert set(body) == {"email", "accountId", "apiKey", "secretKey"}
    dup = requests.post(url, json={"email": "admin-1@example.test"}, timeout=5)
    assert dup.status_code == 409 and "exists" in dup.json()["error"]
    for bad in (
        {"balances": {"USD": "1"}},
        {"email": "x@y", "balances": {"USD": "abc"}},
        {"email": "x@y", "balances": {"usd": "1"}},
        {"email": "x@y", "balances": {"USD": "-1"}},
        {"email": "x@y", "balances": ["USD"]},
    ):
        resp = requests.post(url, json=bad, timeout=5)
        assert resp.status_code == 400 and resp.json()["error"]
    assert requests.post(url, data="nope", timeout=5).status_code == 400
    shown = requests.get(f"{url}/admin-1@example.test", timeout=5).json()
    assert shown["balances"]["USD"] == {"free": "10000.00000000", "locked": "0.00000000"}
    assert shown["keys"] == [
        {
            "type": "exchange",
            "apiKey": body["apiKey"],
            "permissions": {"trade": True, "withdraw": True, "deposit": True},
        }
    ]
    assert "secretKey" not in json.dumps(shown)
    assert requests.get(f"{url}/nobody@example.test", timeout=5).status_code == 404


def test_it_issues_keys_and_deposits(sandbox_url: str, sandbox_account: dict) -> None:
    email = sandbox_account["email"]
    keys = f"{sandbox_url}/sandbox/v1/keys"
    bad_type = requests.post(keys, json={"email": email, "type": "gold"}, timeout=5)
    bad_key = requests.post(keys, json={"email": email, "apiKey": "short"}, timeout=5)
    assert bad_type.status_code == bad_key.status_code == 400
    explicit = requests.post(
        keys,
        json={"email": email, "type": "exchange", "apiKey": KEY, "secretKey": SECRET},
        timeout=5,
    )
    assert explicit.json() == {
        "email": email,
        "type": "exchange",
        "apiKey": KEY,
        "secretKey": SECRET,
        "permissions": {"trade": True, "withdraw": True, "deposit": True},
    }
    assert requests.post(keys, json={"email": email, "apiKey": KEY}, timeout=5).status_code == 409
    dep = requests.post(
        f"{sandbox_url}/sandbox/v1/deposit",
        timeout=5,
        json={"email": email, "asset": "SOL", "amount": "3"},
    )
    assert dep.json()["free"] == "3.00000000"
    acct = {"apiKey": KEY, "secretKey": SECRET}
    sol = [
        b
        for b in signed(sandbox_url, "GET", "/api/v3/account", acct).json()["balances"]
        if b["asset"] == "SOL"
    ]
    assert sol == [{"asset": "SOL", "free": "3.00000000", "locked": "0.00000000"}]
    assert (
        requests.post(
            f"{sandbox_url}/sandbox/v1/deposit",
            timeout=5,
            json={"email": email, "asset": "SOL", "amount": "0"},
        ).status_code
        == 400
    )


def test_it_serves_the_html_form(sandbox_url: str) -> None:
    page = requests.get(f"{sandbox_url}/sandbox/", timeout=5)
    assert page.status_code == 200 and "<form" in page.text
    made = requests.post(
        f"{sandbox_url}/sandbox/",
        timeout=5,
        data={"email": "form-user@example.test", "USD": "500", "BTC": ""},
    )
    assert made.status_code == 200 and "Secret key" in made.text
    again = requests.post(
        f"{sandbox_url}/sandbox/", timeout=5, data={"email": "form-user@example.test", "USD": "500"}
    )
    assert again.status_code == 409 and "already exists" in again.text


def test_it_serves_admin_to_loopback_only() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5") and not is_loopback(None)


def test_it_loads_a_bootstrap_file(tmp_path: Path) -> None:
    boot = tmp_path / "bootstrap.json"
    boot.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "email": "demo@example.test",
                        "balances": {"USD": "25000", "BTC": "1.5"},
                        "keys": [{"type": "exchange", "apiKey": KEY, "secretKey": SECRET}],
                    }
                ]
            }
        )
    )
    proc, base = start("--bootstrap", str(boot), "--tick-ms", "0")
    try:
        resp = signed(base, "GET", "/api/v3/account", {"apiKey": KEY, "secretKey": SECRET})
        got = {b["asset"]: b["free"] for b in resp.json()["balances"]}
        assert (got["USD"], got["BTC"]) == ("25000.00000000", "1.50000000")
    finally:
        stop(proc)


def test_it_bootstraps_sub_accounts_under_their_master(tmp_path):
    import json

    from tests.sandbox.sandbox_support import admin, start, stop

    path = tmp_path / "bootstrap.json"
    path.write_text(
        json.dumps(
            {
                "accounts": [
                    {"email": "boss@example.test", "balances": {"USD": "10"}, "keys": []},
                    {
                        "email": "kid@example.test",
                        "master": "boss@example.test",
                        "balances": {"USD": "2"},
                    },
                ]
            }
        )
    )
    proc, base = start("--bootstrap", str(path), "--tick-ms", "0")
    try:
        boss = admin(base, "GET", "/accounts/boss@example.test").json()
        kid = admin(base, "GET", "/accounts/kid@example.test").json()
    finally:
        stop(proc)
    assert boss["subAccounts"] == ["kid@example.test"]
    assert kid["master"] == "boss@example.test" and kid["balances"]["USD"]["free"] == "2.00000000"


def _boot(tmp_path: Path, staking: list) -> Path:
    path = tmp_path / "bootstrap.json"
    account = {
        "email": "staker@example.test",
        "balances": {"ETH": "10", "SOL": "100"},
        "keys": [{"type": "exchange", "apiKey": KEY, "secretKey": SECRET}],
    }
    path.write_text(json.dumps({"accounts": [{**account, "staking": staking}]}))
    return path


def test_it_stakes_what_a_bootstrap_file_says_from_the_balances_it_gives(tmp_path: Path) -> None:
    path = _boot(
        tmp_path,
        [
            {"stakingAsset": "ETH", "amount": "4"},
            {"stakingAsset": "SOL", "amount": "60", "autoRestake": False},
        ],
    )
    proc, base = start("--bootstrap", str(path), "--tick-ms", "0")
    try:
        acct = requests.get(f"{base}/sandbox/v1/accounts/staker@example.test", timeout=5).json()
        keys = {"apiKey": KEY, "secretKey": SECRET}
        staked = signed(base, "GET", "/sapi/v1/staking/stakingBalance", keys).json()["data"]
    finally:
        stop(proc)
    assert {(r["asset"], r["stakingAmount"], r["autoRestake"]) for r in staked} == {
        ("ETH", "4", True),  # the stake request's default
        ("SOL", "60", False),
    }
    assert acct["balances"]["ETH"]["free"] == "6.00000000"
    assert acct["balances"]["SOL"]["free"] == "40.00000000"


def test_it_refuses_a_bootstrap_stake_the_stake_request_would_refuse(tmp_path: Path) -> None:
    from sandbox.state import Exchange

    for stake, why in (
        ({"stakingAsset": "SOL", "amount": "101"}, "free balance"),  # more than held
        ({"stakingAsset": "SOL", "amount": "0.01"}, "limits"),  # below minStakingLimit 0.1
        ({"stakingAsset": "BTC", "amount": "1"}, "catalogue"),  # not stakable
        ({"stakingAsset": "ETH", "amount": "1", "autoRestake": "no"}, "true or false"),
    ):
        ex = Exchange()
        try:
            ex.load_bootstrap(_boot(tmp_path, [stake]))
        except ValueError as exc:
            assert why in str(exc)
        else:
            raise AssertionError(f"{stake} was staked")
