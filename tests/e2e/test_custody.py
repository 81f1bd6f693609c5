"""The Custody tab in Chromium: a partner transfer made from the page shows up in the list
without a reload, received and then processed on the sandbox clock; its undo from the form; a
bad amount refused on its field with nothing sent; a custodial order placed from the ticket,
shown open and canceled without a reload, and a bad ticket refused on its fields."""

import re
import time
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import connection_add
from tests.e2e.test_trading import _trim
from tests.e2e.test_wallet import Tab, _admin

pytestmark = pytest.mark.e2e

PARTNER_TRANSFER = "/sapi/v1/custodian/custodianTransfer"
WALLET_TRANSFER = "/sapi/v1/custodian/walletTransfer"
UNDO = "/sapi/v1/custodian/undoTransfer"
CUSTODIAL_ORDER = "/sapi/v1/custodian/order"


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
    label = f"Custody {email[12:26]}"
    return connection_add(tab, label=label, key_type="custodial", key=key, rail="ANCHORAGE")


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


def _demo_custody(tab: Tab) -> None:
    """The demo user's custodial connection (seeded: BTC 2, ETH 20, USD 50000 in custody)."""
    tab.goto("/connections/")
    tab.leave_by("text=Demo custody (sandbox)")
    tab.leave_by("nav.connection-tabs >> text=Custody")
    expect(tab.page.locator("#ticket-form")).to_be_visible()


def _low_bid(stack) -> str:
    """Well below BTCUSD's market, within its percent-price band (0.2x the average)."""
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": "BTCUSD"}, timeout=5
    ).json()
    return f"{(Decimal(doc['price']) * Decimal('0.7')).quantize(Decimal('0.01'))}"


def _ticket(page, *, price: str, quantity: str) -> None:
    page.select_option("#id_symbol", "BTCUSD")
    page.check("input[name=side][value=BUY]")
    page.select_option("#id_type", "LIMIT")
    page.fill("#id_price", price)
    page.fill("#id_quantity", quantity)


def test_a_custodial_limit_order_is_placed_shown_and_canceled_without_reload(tab, stack):
    page = tab.page
    _demo_custody(tab)
    page.evaluate("window.__sameDocument = true")
    before = _calls(stack, CUSTODIAL_ORDER)
    price = _low_bid(stack)
    _ticket(page, price=price, quantity="0.001")
    page.click("#ticket-submit")
    expect(page.locator("#ticket-result")).to_contain_text("Placing BUY LIMIT BTCUSD")
    row = page.locator("#custodial-open-orders tbody tr[data-order-id]")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row.first).to_contain_text(_trim(price))  # shown without trailing zeros
    assert _calls(stack, CUSTODIAL_ORDER) - before == 1

    row.first.locator("button", has_text="Cancel").click()
    expect(row).to_have_count(0, timeout=15_000)
    expect(page.locator("#custodial-open-orders")).to_contain_text("No open custodial orders")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    tab.settle()


def test_a_bad_custodial_ticket_shows_field_errors_and_sends_nothing(tab, stack):
    page = tab.page
    _demo_custody(tab)
    before = _calls(stack, CUSTODIAL_ORDER)
    _ticket(page, price="50000.001", quantity="0.001")
    expect(page.locator("#id_price-error")).to_contain_text("tick", timeout=10_000)
    page.click("#ticket-submit")
    expect(page.locator("#ticket-result")).to_contain_text("Not placed")
    expect(page.locator("#id_price")).to_have_attribute("aria-invalid", "true")
    _ticket(page, price=_low_bid(stack), quantity="5")  # far more USD than the 50000 in custody
    page.click("#ticket-submit")
    expect(page.locator("#id_quantity-error")).to_contain_text("Not enough USD")
    tab.settle()
    assert _calls(stack, CUSTODIAL_ORDER) == before
