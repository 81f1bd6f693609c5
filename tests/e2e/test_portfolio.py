"""The dashboard's portfolio in Chromium against the whole stack: the demo's total value moves
when a price moves on the exchange, without a reload."""

from decimal import Decimal

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

SYMBOL = "SOLUSD"  # the demo holds SOL; no other browser test trades it


def _price(stack, **doc) -> str:
    resp = requests.post(
        f"{stack.sandbox_url}/sandbox/v1/prices", json={"symbol": SYMBOL, **doc}, timeout=5
    )
    resp.raise_for_status()
    return resp.json()["price"]


def _last(stack) -> str:
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/ticker/price", params={"symbol": SYMBOL}, timeout=5
    ).json()
    return doc["price"]


def test_the_total_follows_a_price_move_without_a_reload(page, stack):
    login(page)
    page.goto("/")
    page.wait_for_selector("#portfolio-state[data-state='open']")
    route = page.get_attribute("#portfolio-assets tr[data-asset='SOL'] td", "title")
    assert route == f"Valued as SOL → USD ({SYMBOL})"
    page.evaluate("window.__sameDocument = true")
    before = page.inner_text("#portfolio-total")
    sol_before = page.inner_text("#portfolio-assets tr[data-asset='SOL'] .value")
    start = _last(stack)
    try:
        _price(stack, changePercent="10")
        page.wait_for_function(
            "(was) => document.getElementById('portfolio-total').textContent !== was",
            arg=before,
            timeout=30_000,
        )
        sol_after = page.inner_text("#portfolio-assets tr[data-asset='SOL'] .value")
        assert Decimal(sol_after.replace(",", "")) > Decimal(sol_before.replace(",", ""))
        assert Decimal(page.inner_text("#portfolio-total").replace(",", "")) > Decimal(
            before.replace(",", "")
        )
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    finally:
        _price(stack, price=format(Decimal(start).normalize(), "f"))
