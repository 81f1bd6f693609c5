"""The Convert and Dust tabs in Chromium: a quote expires in front of the user and cannot be
accepted (the button is disabled, and a forced submit is refused on the server); a fresh quote
is accepted, its order followed to SUCCESS and the balances change without a reload; two dust
assets are converted with the fee shown before sending."""

import re
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_wallet import Tab, _admin

pytestmark = pytest.mark.e2e

ORDERS = "POST /sapi/v1/otc/orders"
DEMO = "demo@sandbox.local"


@pytest.fixture
def tab(page) -> Tab:
    from tests.e2e.conftest import login

    tab = Tab(page)
    login(page)
    return tab


@pytest.fixture
def otc_settings(stack):
    before = requests.get(f"{stack.sandbox_url}/sandbox/v1/otc", timeout=5).json()
    yield
    _admin(stack, "otc", {"quoteValidityMs": before["quoteValidityMs"]})


def _placed(stack) -> int:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    return doc["byEndpoint"].get(ORDERS, 0)


def _free(stack, email: str, asset: str) -> Decimal:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/accounts/{email}", timeout=5).json()
    return Decimal(doc["balances"].get(asset, {}).get("free", "0"))


def _convert_tab(tab: Tab) -> None:
    from tests.e2e.conftest import demo_exchange_pk

    tab.settle()
    pk = demo_exchange_pk(tab.page)
    tab.goto(f"/connections/{pk}/convert/")


def _ask(tab: Tab, amount: str) -> None:
    page = tab.page
    page.select_option("#id_from_coin", "BTC")
    page.select_option("#id_to_coin", "USD")
    page.fill("#id_request_amount", amount)
    tab.leave_by("#quote-ask")
    expect(page.locator("#quote-from")).to_have_text(f"{amount} BTC")


def test_a_quote_expires_in_front_of_the_user_and_cannot_be_accepted(tab, stack, otc_settings):
    page = tab.page
    _admin(stack, "otc", {"quoteValidityMs": 3000})
    _convert_tab(tab)
    _ask(tab, "0.01")
    expect(page.locator("#quote-countdown")).to_contain_text("left")
    accept = page.locator("#quote-accept")
    expect(accept).to_be_disabled(timeout=10_000)
    expect(page.locator("#quote-countdown")).to_have_text("expired")
    expect(page.locator("#quote-refresh")).to_be_visible()
    placed = _placed(stack)
    # Past the disabled button, as a stale tab would: the server refuses it too.
    page.evaluate("document.getElementById('accept-form').submit()")
    expect(page.locator("#errors-quote_id")).to_contain_text("expired")
    assert _placed(stack) == placed


def test_a_fresh_quote_is_accepted_and_the_balances_change_live(tab, stack, otc_settings):
    page = tab.page
    _convert_tab(tab)
    _ask(tab, "0.01")
    btc_before = _free(stack, DEMO, "BTC")
    receives = Decimal(page.inner_text("#quote-to").split()[0])
    usd_before = _free(stack, DEMO, "USD")
    tab.leave_by("#quote-accept")
    page.wait_for_url(re.compile(r"/convert/$"))
    row = page.locator("#convert-conversions tbody tr").first
    expect(row).to_have_attribute("data-order-status", "SUCCESS", timeout=20_000)
    btc = page.locator("#convert-balances tr[data-asset=BTC] .free")
    expect(btc).to_have_text(f"{btc_before - Decimal('0.01'):f}".rstrip("0"), timeout=20_000)
    usd = page.locator("#convert-balances tr[data-asset=USD] .free")
    expect(usd).to_have_text(f"{usd_before + receives:f}".rstrip("0").rstrip("."))


def test_two_dust_assets_are_converted_with_the_fee_shown(tab, stack):
    page = tab.page
    email = "dusty@example.test"
    account = _admin(
        stack,
        "accounts",
        {"email": email, "balances": {"USD": "10", "ETH": "0.001", "SOL": "0.02"}},
    )
    tab.goto("/connections/add/")
    page.fill("#id_label", "Dusty account")
    page.fill("#id_api_key", account["apiKey"])
    page.fill("#id_api_secret", account["secretKey"])
    tab.leave_by("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))
    tab.leave_by("nav.connection-tabs >> text=Dust")
    for asset in ("ETH", "SOL"):
        page.check(f"#dust-{asset}")
    fees = [Decimal(page.get_attribute(f"#dust-{a}", "data-fee") or "") for a in ("ETH", "SOL")]
    expect(page.locator("#dust-total-fee")).to_have_text(f"{sum(fees):f}".rstrip("0"))
    tab.leave_by("#dust-convert")
    row = page.locator("#dust-conversions tbody tr").first
    expect(row).to_have_attribute("data-status", "done", timeout=20_000)
    expect(page.locator("#dust-none")).to_be_visible(timeout=10_000)
    assert _free(stack, email, "ETH") == 0 and _free(stack, email, "SOL") == 0
    assert _free(stack, email, "BTC") > 0
