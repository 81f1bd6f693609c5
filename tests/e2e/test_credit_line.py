"""The Credit line tab in Chromium: a price shock in the sandbox moves the LTV gauge and raises
a margin call that appears as a banner on every open page of the owner, without a reload; a
bad transfer is refused on its field with nothing sent."""

from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_wallet import Tab, _admin

pytestmark = pytest.mark.e2e

SYMBOL = "SOLUSD"
TRANSFER = "/sapi/v1/cl/transfer"
# seed_demo's credit line: 200 SOL pledged against 16,500 USD lent.
COLLATERAL, LOAN = Decimal("200"), Decimal("16500")


@pytest.fixture
def tab(page) -> Tab:
    from tests.e2e.conftest import login

    tab = Tab(page)
    login(page)
    return tab


@pytest.fixture
def sol_price(stack):
    """The SOL price the test found, put back afterwards (other tests trade on it)."""
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/ticker/price", params={"symbol": SYMBOL}, timeout=5
    ).json()
    start = Decimal(doc["price"])
    yield start
    _admin(stack, "prices", {"symbol": SYMBOL, "price": f"{start:.2f}"})
    _admin(stack, "accounts/demo@sandbox.local/credit-line", {"balances": {"SOL": "200"}})


def _credit_tab(tab: Tab) -> str:
    tab.goto("/connections/")
    tab.leave_by("text=Demo credit line (sandbox)")
    tab.leave_by("nav.connection-tabs >> text=Credit line")
    return tab.page.url


def test_a_price_shock_moves_the_gauge_and_raises_a_banner_everywhere(tab, stack, sol_price):
    page = tab.page
    _credit_tab(tab)
    gauge = page.locator("#ltv-gauge")
    expect(gauge).to_have_attribute("data-level", "ok", timeout=20_000)
    # A second page of the owner, on the dashboard: the banner must reach it too.
    other = page.context.new_page()
    other.goto("/")
    expect(other.locator("#alert-banners .alert-MARGIN_CALL")).to_have_count(0)
    # LTV = 16,500 / (200 x price): 0.85 at this price, past the margin call (0.8).
    shocked = (LOAN / (COLLATERAL * Decimal("0.85"))).quantize(Decimal("0.01"))
    _admin(stack, "prices", {"symbol": SYMBOL, "price": f"{shocked}"})
    expect(gauge).to_have_attribute("data-level", "margin_call", timeout=20_000)
    ltv = Decimal(gauge.get_attribute("data-ltv"))
    assert Decimal("0.8") <= ltv < Decimal("0.9")
    for p in (page, other):
        banner = p.locator("#alert-banners .alert-MARGIN_CALL")
        expect(banner).to_have_count(1, timeout=20_000)
        expect(banner).to_contain_text("Margin call on Demo credit line (sandbox)")
    expect(page.locator("#credit-alerts tr[data-type=MARGIN_CALL]")).to_have_count(1)
    # Dismissed on one page, it is gone there and not drawn again on the next page load.
    other.locator("#alert-banners .alert-MARGIN_CALL button.dismiss").click()
    expect(other.locator("#alert-banners .alert-MARGIN_CALL")).to_have_count(0)
    other.reload()
    expect(other.locator("#alert-banners .alert-banner")).to_have_count(0)
    other.close()


def test_a_bad_transfer_is_refused_on_its_field_and_sends_nothing(tab, stack):
    page = tab.page
    _credit_tab(tab)
    before = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    page.select_option("#id_transfer_type", "TRANSFER_OUT")
    page.select_option("#id_asset", "SOL")
    for quantity, why in [("-1", "must be more than zero"), ("5000", "more than the free SOL")]:
        page.fill("#id_quantity", quantity)
        tab.leave_by("#credit-transfer-form button[type=submit]")
        expect(page.locator("#credit-transfer-form #errors-quantity")).to_contain_text(why)
        expect(page.locator("#id_quantity")).to_have_attribute("aria-invalid", "true")
    tab.settle()
    after = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    assert after["byPath"].get(TRANSFER, 0) == before["byPath"].get(TRANSFER, 0)
