"""Trading in Chromium against the whole stack: place each kind of order from the market page,
see it on the book and in open orders, get filled by the sandbox's flow, see the fill toast and
the balance change, cancel-replace one, place and cancel an OCO, export the trades as CSV."""

import csv
import io
import json
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

SYMBOL = "BTCUSD"
QTY = "0.001"
BTC_FREE = "#ticket-balances [data-asset-free=BTC]"
USD_FREE = "#ticket-balances [data-asset-free=USD]"


def _avg(stack) -> Decimal:
    doc = requests.get(f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": SYMBOL}, timeout=5)
    return Decimal(doc.json()["price"])


def _price(stack, percent: int) -> str:
    """The average price moved by ``percent`` (within PERCENT_PRICE), on the 0.01 tick."""
    return str((_avg(stack) * (100 + percent) / 100).quantize(Decimal("0.01")))


def _book(stack) -> tuple[Decimal, Decimal, Decimal]:
    """Best bid, best ask and the makers' level step, from the sandbox's own book."""
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/depth", params={"symbol": SYMBOL, "limit": 5}, timeout=5
    ).json()
    bids = [Decimal(p) for p, _ in doc["bids"]]
    return bids[0], Decimal(doc["asks"][0][0]), bids[0] - bids[1]


def _gap(stack, price: Decimal) -> None:
    resp = requests.post(
        f"{stack.sandbox_url}/sandbox/v1/prices",
        json={"symbol": SYMBOL, "price": str(price)},
        timeout=5,
    )
    resp.raise_for_status()


def _cents(price: Decimal) -> str:
    return str(price.quantize(Decimal("0.01")))


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


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
    try:
        page.wait_for_function(
            "(t) => document.getElementById('ticket-result').textContent.includes(t)", arg=text
        )
    except PlaywrightTimeout:
        shown = page.inner_text("#ticket-form")
        raise AssertionError(f"ticket never said {text!r}; it shows:\n{shown}") from None


def _free(page, asset: str) -> str:
    return page.inner_text(f"#ticket-balances [data-asset-free={asset}]")


def _changes(page, selector: str, was: str) -> None:
    page.wait_for_function(
        "([sel, was]) => document.querySelector(sel).textContent !== was", arg=[selector, was]
    )


def test_it_trades_from_the_market_page(page, stack):
    login(page)
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#ticket-form")
    page.wait_for_function(f"() => document.querySelector('{BTC_FREE}').textContent !== '—'")
    rows = page.locator("#open-order-rows tr")
    before = rows.count()

    # A LIMIT between two of the makers' levels: a row of its own on the ladder, and open.
    bid, ask, step = _book(stack)
    on_book = _cents(bid - step * 2 - step / 2)
    _ticket(page, side="BUY", type="LIMIT", price=on_book, quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD: open.")
    page.wait_for_function(
        f"() => document.querySelectorAll('#open-order-rows tr').length > {before}"
    )
    page.wait_for_selector(f"#bids tr:has(td.price:text-is('{on_book}'))")
    page.wait_for_selector(f"#open-order-rows tr:has-text('{_trim(on_book)}')")

    # A LIMIT inside the spread is the best bid. The sandbox's takers may sell into it, but the
    # walk may also carry the market away from it, so the price is then gapped to just below
    # it: an exchange fills a bid left above the market at its own price.
    bid, ask, step = _book(stack)
    inside = _cents((bid + ask) / 2)
    _ticket(page, side="BUY", type="LIMIT", price=inside, quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD:")
    _gap(stack, Decimal(inside) - step)
    page.wait_for_selector(f".toast:has-text('Filled: BUY'):has-text('@ {_trim(inside)}')")

    # A MARKET order crosses the sandbox's book: a fill toast and a new BTC balance.
    btc = _free(page, "BTC")
    _ticket(page, side="BUY", type="MARKET", quantity=QTY)
    _result(page, "BUY MARKET BTCUSD: filled.")
    _changes(page, BTC_FREE, btc)
    assert Decimal(_free(page, "BTC")) > Decimal(btc)

    # MARKET by quote amount spends that much USD.
    usd = _free(page, "USD")
    _ticket(page, side="BUY", type="MARKET", market_by="quote", quote_order_qty="100")
    _result(page, "BUY MARKET BTCUSD: filled.")
    _changes(page, USD_FREE, usd)
    spent = Decimal(usd) - Decimal(_free(page, "USD"))
    assert Decimal("0") < spent <= Decimal("100")  # the quantity is rounded down to the step

    # The resting types: LIMIT_MAKER, a take-profit, a trailing stop and an iceberg.
    _ticket(page, side="BUY", type="LIMIT_MAKER", price=_cents(bid - step * 4), quantity=QTY)
    _result(page, "BUY LIMIT_MAKER BTCUSD: open.")
    _ticket(
        page,
        side="SELL",
        type="TAKE_PROFIT_LIMIT",
        trigger="stop_price",
        stop_price=_price(stack, 3),
        price=_price(stack, 3),
        quantity=QTY,
    )
    _result(page, "SELL TAKE_PROFIT_LIMIT BTCUSD: open.")
    _ticket(
        page,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        trigger="trailing_delta",
        trailing_delta="200",
        price=_price(stack, -4),
        quantity=QTY,
    )
    _result(page, "SELL STOP_LOSS_LIMIT BTCUSD: open.")
    _ticket(
        page, side="BUY", type="LIMIT", price=_price(stack, -4), quantity="0.004", iceberg_qty=QTY
    )
    _result(page, "BUY LIMIT BTCUSD: open.")
    page.fill("#id_iceberg_qty", "")

    # Amend a resting LIMIT far from the market: cancel-replace at a new price.
    far = _price(stack, -5)
    _ticket(page, side="BUY", type="LIMIT", price=far, quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD: open.")
    new_price = _price(stack, -6)
    first = page.locator("#open-order-rows tr", has_text=_trim(far)).first
    first.get_by_role("button", name="Amend").click()
    page.fill(".amend-form input[name=price]", new_price)
    page.click(".amend-form button[type=submit]")
    page.wait_for_selector("#orders-result.ok:has-text('Replaced')")
    page.wait_for_selector(f"#open-order-rows tr:has-text('{_trim(new_price)}')")

    # A stop-limit waits for its trigger: open, but not working.
    _ticket(
        page,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        trigger="stop_price",
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

    # The fills are in the trade history; its CSV export has them with exact decimals.
    page.goto("/market/orders/connections.json")
    pk = json.loads(page.inner_text("body"))["connections"][0]["pk"]
    page.goto(f"/connections/{pk}/history/")
    page.wait_for_selector("#history-export")
    with page.expect_download() as download:
        page.click("#history-export")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    mine = [r for r in rows if r["symbol"] == SYMBOL and r["side"] == "BUY"]
    assert any(Decimal(r["price"]) == Decimal(inside) for r in mine)
    assert sum(Decimal(r["qty"]) for r in mine) >= Decimal(QTY) * 2


# From now on, the desk order ids of the rows put in or taken out of the open-orders table.
WATCH_ROWS = """() => {
  window.__touched = [];
  new MutationObserver((changes) => {
    for (const c of changes) {
      for (const tr of [...c.addedNodes, ...c.removedNodes]) {
        window.__touched.push(tr.dataset.orderId);
      }
    }
  }).observe(document.getElementById('open-order-rows'), {childList: true});
}"""


def test_a_push_redraws_the_row_of_its_own_order_only(page, stack):
    """Every push of an order rebuilt the whole table, a live region, so each change of one
    order had every row laid out and announced again. Now the rows that did not change stay as
    they are: canceling one order takes out its row and touches no other."""
    login(page)
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#ticket-form")
    resting = _price(stack, -5)
    _ticket(page, side="BUY", type="LIMIT", price=resting, quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD: open.")
    kept = page.wait_for_selector(f"#open-order-rows tr:has-text('{_trim(resting)}')")
    other = _price(stack, -6)
    _ticket(page, side="BUY", type="LIMIT", price=other, quantity=QTY)
    _result(page, "BUY LIMIT BTCUSD: open.")
    row = page.locator(f"#open-order-rows tr:has-text('{_trim(other)}')")
    other_id = row.get_attribute("data-order-id")

    kept.evaluate("(tr) => { tr.dataset.kept = 'yes'; }")
    page.evaluate(WATCH_ROWS)
    row.get_by_role("button", name="Cancel").click()
    page.wait_for_selector(f"#open-order-rows tr[data-order-id='{other_id}']", state="detached")

    assert kept.get_attribute("data-kept") == "yes"  # the same element, never rebuilt
    assert set(page.evaluate("() => window.__touched")) == {other_id}
