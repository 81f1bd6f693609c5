"""Accounts and security in Chromium: 2FA sign-in, keys of every type, sub-accounts, audit log."""

import base64
import re
import time
from pathlib import Path

import pytest
import requests
from django_otp.oath import totp

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

PASSWORD = "alice-Pass-2026!"


def _code(manual_key: str, *, steps_ahead: int = 0) -> str:
    raw = manual_key.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    return f"{totp(key, t0=-30 * steps_ahead):06d}"


def _admin(stack, path: str, body: dict) -> dict:
    resp = requests.post(f"{stack.sandbox_url}/sandbox/v1/{path}", json=body, timeout=5)
    assert resp.ok, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def alice(stack):
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.create_user('alice', password={PASSWORD!r})",
    )
    return "alice"


@pytest.fixture(scope="module")
def exchange_accounts(stack):
    master = _admin(
        stack,
        "accounts",
        {"email": "master@example.test", "balances": {"USD": "5000", "BTC": "0.5"}},
    )
    for i, usd in ((1, "100"), (2, "250.5")):
        _admin(
            stack,
            "accounts",
            {"email": f"sub{i}@example.test", "master": master["email"], "balances": {"USD": usd}},
        )
    _admin(
        stack,
        "accounts/master@example.test/custody",
        {"rail": "ANCHORAGE", "balances": {"BTC": "2"}},
    )
    custodial = _admin(stack, "keys", {"email": master["email"], "type": "custodial"})
    _admin(stack, "accounts/master@example.test/credit-line", {})
    credit = _admin(stack, "keys", {"email": master["email"], "type": "credit_line"})
    return {"exchange": master, "custodial": custodial, "credit_line": credit}


def _add_key(page, *, label, key_type, creds, rail=""):
    page.goto("/connections/add/")
    page.fill("#id_label", label)
    page.select_option("#id_key_type", key_type)
    if rail:
        page.fill("#id_rail", rail)
    page.fill("#id_api_key", creds["apiKey"])
    page.fill("#id_api_secret", creds["secretKey"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))


def test_it_walks_2fa_keys_subaccounts_and_the_audit_log(page, stack, alice, exchange_accounts):
    # Enrol an authenticator.
    login(page, alice, PASSWORD)
    page.goto("/account/")
    page.click("text=Set up two-factor authentication")
    page.click("summary")
    manual_key = page.inner_text("#totp-key")
    page.fill("#id_token", _code(manual_key))
    page.click("main button[type=submit]")
    assert page.locator("#backup-codes li").count() == 10

    # Sign in again: password, then the code.
    page.click("button:text('Log out')")
    login(page, alice, PASSWORD)
    assert "/account/2fa/verify/" in page.url
    page.fill("#id_token", _code(manual_key, steps_ahead=1))
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/2fa/" not in url)

    # A master Exchange key: verified with its permissions, then its sub-accounts.
    _add_key(page, label="Master", key_type="exchange", creds=exchange_accounts["exchange"])
    assert "can trade: yes" in page.inner_text("#permissions")
    assert page.inner_text("#account-status") == "Normal"
    deadline = time.monotonic() + 20
    while "sub2@example.test" not in page.inner_text("#subaccounts"):
        assert time.monotonic() < deadline, "sub-accounts never appeared"
        page.wait_for_timeout(500)
        page.reload()
    subs = page.inner_text("#subaccounts")
    assert "sub1@example.test" in subs and "USD 250.5" in subs

    # The other two key types.
    _add_key(
        page,
        label="Custody",
        key_type="custodial",
        creds=exchange_accounts["custodial"],
        rail="ANCHORAGE",
    )
    assert page.inner_text("#key-type") == "Custodial Solution"
    _add_key(
        page, label="Credit line", key_type="credit_line", creds=exchange_accounts["credit_line"]
    )
    assert page.inner_text("#key-type") == "Credit Line"
    html = page.content()
    for creds in exchange_accounts.values():
        assert creds["secretKey"] not in html

    # Rename, then delete.
    page.fill("input[name=label]", "Credit line (renamed)")
    page.click("button:text('Rename')")
    assert page.inner_text("h1") == "Credit line (renamed)"
    page.once("dialog", lambda d: d.accept())
    page.click("button:text('Delete')")
    page.wait_for_url("**/connections/")
    assert "Credit line (renamed)" not in page.inner_text("main")

    # The audit log tells the story, and exports it.
    page.goto("/audit/")
    rows = page.inner_text("#audit-rows")
    for action in ("connection.create", "connection.rename", "connection.delete"):
        assert action in rows
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text()
    assert text.count("connection.create") == 3
