"""Sub-account transfers in Chromium: a master key, its sub-account, a recurring sweep that the
beat plans and the worker executes, and a "transfer now" the form refuses without sending."""

import re
import time
import uuid

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

PASSWORD = "tess-Transfers-2026!"


def _admin(stack, path: str, body: dict) -> dict:
    resp = requests.post(f"{stack.sandbox_url}/sandbox/v1/{path}", json=body, timeout=5)
    assert resp.ok, resp.text
    return resp.json()


def _free(stack, email: str, asset: str) -> str:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/accounts/{email}", timeout=5).json()
    return doc["balances"].get(asset, {}).get("free", "0")


def _transfer_calls(stack) -> int:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get("/sapi/v3/sub-account/transfer", 0)


def _reload_until(page, selector: str, text: str, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while text not in page.inner_text(selector):
        assert time.monotonic() < deadline, f"{what} never happened"
        page.wait_for_timeout(1000)
        page.reload()


def test_it_sweeps_a_subaccount_on_schedule_and_refuses_an_over_balance_transfer(page, stack):
    tag = uuid.uuid4().hex[:8]
    user = f"tess{tag}"
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.create_user({user!r}, password={PASSWORD!r})",
    )
    master_email, sub_email = f"tmaster-{tag}@example.test", f"tsub-{tag}@example.test"
    master = _admin(stack, "accounts", {"email": master_email, "balances": {"USD": "1000"}})
    _admin(
        stack, "accounts", {"email": sub_email, "master": master_email, "balances": {"USD": "100"}}
    )

    # Add the master key through the Connections page.
    login(page, user, PASSWORD)
    page.goto("/connections/add/")
    page.fill("#id_label", "Transfer master")
    page.select_option("#id_key_type", "exchange")
    page.fill("#id_api_key", master["apiKey"])
    page.fill("#id_api_secret", master["secretKey"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))

    # Transfers → the connection → its sub-accounts page; tell it the master's email.
    page.click("#nav-transfers")
    page.click("#transfer-connections a:text('Transfer master')")
    page.wait_for_url(re.compile(r"/transfers/\d+/$"))
    pk = re.search(r"/transfers/(\d+)/$", page.url).group(1)
    page.fill("#id_account_email", master_email)
    page.click("#account-email-form button")
    assert page.inner_text("#account-email").startswith(master_email)
    _reload_until(page, "#subaccounts", sub_email, timeout=30, what="the sub-account listing")
    assert "USD 100" in page.inner_text("#subaccounts")

    # A recurring sweep from the sub-account to the master, keeping 10, every hour from now.
    page.click("#link-schedules")
    page.click("#schedule-new")
    page.fill("#id_name", "Sweep to master")
    page.select_option("#id_from_party", sub_email)
    page.select_option("#id_to_party", "master")
    page.select_option("#id_asset", "USD")
    page.select_option("#id_amount_kind", "sweep")
    page.fill("#id_amount", "10")
    page.select_option("#id_recurrence", "hourly")
    page.fill("#id_every", "1")
    assert page.input_value("#id_timezone")  # prefilled with the browser's zone
    page.click("#schedule-submit")
    page.wait_for_url(re.compile(rf"/transfers/{pk}/schedules/\d+/$"))
    assert "every hour" in page.inner_text("#schedule-rule")

    # The beat plans it (every 10 s) and the worker sends it.
    _reload_until(page, "#schedule-runs", "executed", timeout=45, what="the scheduled sweep")
    assert _free(stack, sub_email, "USD") == "10.00000000"
    assert _free(stack, master_email, "USD") == "1090.00000000"
    # The pages follow: the sub-account's balance and the transfer history (synced after it).
    page.goto(f"/transfers/{pk}/")
    deadline = time.monotonic() + 30
    while "USD 100" in (text := page.inner_text("#subaccounts")) or "USD 10" not in text:
        assert time.monotonic() < deadline, "the sub-account balance never refreshed"
        page.wait_for_timeout(1000)
        page.reload()
    page.goto(f"/transfers/{pk}/history/")
    _reload_until(page, "#history-rows", "90", timeout=30, what="the transfer in the history")

    # Transfer now, more than the master has: a field error and nothing sent.
    before = _transfer_calls(stack)
    page.click("#link-transfer-new")
    page.select_option("#id_from_party", "master")
    page.select_option("#id_to_party", sub_email)
    page.select_option("#id_asset", "USD")
    page.fill("#id_amount", "5000")
    page.click("#transfer-submit")
    assert "known balance" in page.inner_text("#errors-amount")
    assert _transfer_calls(stack) == before
