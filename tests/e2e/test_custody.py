"""The Custody tab in Chromium: a partner transfer made from the page shows up in the list
without a reload, received and then processed on the sandbox clock; its undo from the form; a
bad amount refused on its field with nothing sent."""

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_wallet import Tab, _admin

pytestmark = pytest.mark.e2e

PARTNER_TRANSFER = "/sapi/v1/custodian/custodianTransfer"
WALLET_TRANSFER = "/sapi/v1/custodian/walletTransfer"
UNDO = "/sapi/v1/custodian/undoTransfer"


@pytest.fixture
def tab(page) -> Tab:
    from tests.e2e.conftest import login

    tab = Tab(page)
    login(page)
    return tab


@pytest.fixture
def custody_pk(tab, stack) -> str:
    """A custodial connection of the demo user, added through the page, for a fresh sandbox
    account set up for custody."""
    email = f"custody-e2e-{time.monotonic_ns()}@example.test"
    _admin(stack, "accounts", {"email": email, "balances": {"USD": "100", "BTC": "1"}})
    _admin(
        stack,
        f"accounts/{email}/custody",
        {"rail": "ANCHORAGE", "balances": {"BTC": "0.5"}, "partnerBalances": {"BTC": "10"}},
    )
    key = _admin(stack, "keys", {"email": email, "type": "custodial"})
    page = tab.page
    tab.goto("/connections/add/")
    page.fill("#id_label", f"Custody {email[12:26]}")
    page.select_option("#id_key_type", "custodial")
    page.fill("#id_rail", "ANCHORAGE")
    page.fill("#id_api_key", key["apiKey"])
    page.fill("#id_api_secret", key["secretKey"])
    tab.leave_by("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))
    return re.search(r"/connections/(\d+)/$", page.url).group(1)


def _calls(stack, path: str) -> int:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get(path, 0)


def _submit(tab: Tab, kind: str, amount: str) -> None:
    page = tab.page
    page.select_option(f"#id_{kind}_asset", "BTC")
    page.fill(f"#id_{kind}_amount", amount)
    tab.leave_by(f"#{kind}-form button[type=submit]")


def test_a_bad_transfer_is_refused_on_its_field_and_sends_nothing(tab, stack, custody_pk):
    page = tab.page
    before = _calls(stack, WALLET_TRANSFER)
    for amount, why in [("1e3", "plain digits"), ("5", "more than is free in the exchange")]:
        tab.goto(f"/connections/{custody_pk}/custody/")
        _submit(tab, "wallet", amount)
        expect(page.locator("#wallet-form #errors-amount")).to_contain_text(why)
        expect(page.locator("#id_wallet_amount")).to_have_attribute("aria-invalid", "true")
        # The refused page fetches its live part itself: the balances still show.
        expect(page.locator("#custodial-balances")).to_be_visible()
    tab.settle()
    assert _calls(stack, WALLET_TRANSFER) == before


def test_a_partner_transfer_then_its_undo_follow_without_reload(tab, stack, custody_pk):
    page = tab.page
    tab.goto(f"/connections/{custody_pk}/custody/")
    expect(page.locator("#custody-supported tr[data-asset='BTC']")).to_be_visible()
    before = _calls(stack, PARTNER_TRANSFER)

    _submit(tab, "custodian", "2")
    page.wait_for_url(re.compile(rf"/connections/{custody_pk}/custody/$"))
    page.evaluate("window.__sameDocument = true")
    row = page.locator("#custody-transfers tbody tr[data-kind='custodian']").first
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "done", timeout=30_000)
    # Received, then processed a few sandbox seconds later: the sync follows it there.
    expect(row.locator(".exchange-status")).to_have_text("SUCCESS", timeout=30_000)
    custodial = page.locator("#custodial-balances tr[data-asset='BTC'] td.free")
    expect(custodial).to_have_text("2.5", timeout=15_000)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert _calls(stack, PARTNER_TRANSFER) - before == 1

    tab.goto(f"/connections/{custody_pk}/custody/")  # the undo form lists processed transfers
    undo_calls = _calls(stack, UNDO)
    expect(page.locator("#id_undo_origin option")).to_have_count(1)
    tab.leave_by("#undo-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/connections/{custody_pk}/custody/$"))
    undo = page.locator("#custody-transfers tbody tr[data-kind='undo']").first
    expect(undo.locator("[data-status]")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(custodial).to_have_text("0.5", timeout=15_000)
    assert _calls(stack, UNDO) - undo_calls == 1
    tab.settle()
