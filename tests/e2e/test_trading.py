"""Trading in Chromium against the whole stack: place each kind of order from the market page,
see it in open orders, get filled by the sandbox's flow, see the fill toast and the balance
change, cancel-replace one, place and cancel an OCO."""

from decimal import Decimal

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

SYMBOL = "BTCUSD"
QTY = "0.001"
BTC_FREE = "#ticket-balances [data-asset-free=BTC]"


def _avg(stack) -> Decimal:
    doc = requests.get(f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": SYMBOL}, timeout=5)
    return Decimal(doc.json()["price"])


def _price(stack, percent: int) -> str:
    """The average price moved by ``percent`` (within PERCENT_PRICE), on the 0.01 tick."""
    return str((_avg(stack) * (100 + percent) / 100).quantize(Decimal("0.01")))


def _ticket(page, *, side: str, type: str, **fields: str) -> None:
    page.check(f"#ticket-form input[name=side][value={side}]")
    page.select_option("#id_type", type)
    for name, value in fields.items():
        selector = f"#id_{name}"
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#ticket-submit")


def _result(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('ticket-result').textContent.includes(t)", arg=text
    )


def _free(page, asset: str) -> str:
    return page.inner_text(f"#ticket-balances [data-asset-free={asset}]")


def test_it_trades_from_the_market_page(page, stack):
    login(page)
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#ticket-form")
    page.wait_for_function(f"() => document.querySelector('{BTC_FREE}').textContent !== '—'")
    rows = page.locator("#open-order-rows tr")
    before = rows.count()

    # A LIMIT away from the market rests on the book: it shows as open.
    _ticket(page, side="BUY", type="LIMIT", price=_price(stack, -5), quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD: open.")
    page.wait_for_function(
        f"() => document.querySelectorAll('#open-order-rows tr').length > {before}"
    )

    # A MARKET order crosses the sandbox's book: a fill toast and a new BTC balance.
    btc = _free(page, "BTC")
    _ticket(page, side="BUY", type="MARKET", quantity=QTY)
    page.wait_for_selector(".toast:has-text('Filled: BUY')")
    page.wait_for_function(
        f"(was) => document.querySelector('{BTC_FREE}').textContent !== was", arg=btc
    )
    assert Decimal(_free(page, "BTC")) > Decimal(btc)

    # Amend the resting LIMIT: cancel-replace at a new price.
    new_price = _price(stack, -6)
    first = page.locator("#open-order-rows tr", has_text="LIMIT").first
    first.get_by_role("button", name="Amend").click()
    page.fill(".amend-form input[name=price]", new_price)
    page.click(".amend-form button[type=submit]")
    page.wait_for_selector("#orders-result.ok:has-text('Replaced')")
    page.wait_for_selector(f"#open-order-rows tr:has-text('{new_price.rstrip('0').rstrip('.')}')")

    # A stop-limit waits for its trigger: open, but not working.
    _ticket(
        page,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        stop_price=_price(stack, -3),
        price=_price(stack, -4),
        quantity=QTY,
    )
    _result(page, "SELL STOP_LOSS_LIMIT BTCUSD: open.")
    page.wait_for_selector("#open-order-rows tr:has-text('not working')")

    # An OCO: both legs placed, then canceled together.
    page.click("#oco-new summary")
    page.select_option("#oco_side", "SELL")
    page.fill("#oco_quantity", QTY)
    page.fill("#oco_price", _price(stack, 5))
    page.fill("#oco_stop_price", _price(stack, -5))
    page.fill("#oco_stop_limit_price", _price(stack, -6))
    page.click("#oco-submit")
    page.wait_for_selector("#oco-rows tr:has-text('exec started')")
    page.locator("#oco-rows tr", has_text="exec started").first.get_by_role(
        "button", name="Cancel OCO"
    ).click()
    page.wait_for_selector("#oco-rows tr:has-text('all done')")
