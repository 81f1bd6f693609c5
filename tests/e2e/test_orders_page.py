"""The orders page in Chromium against the whole stack: an order that fills and one that is
canceled reach its recent orders and fills tables live, without a reload."""

import time
from decimal import Decimal

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

PLACE = """async ([url, fields]) => {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const resp = await fetch(url, {method: "POST", body: new URLSearchParams(fields),
    headers: {"X-CSRFToken": csrf, Accept: "application/json"}});
  return resp.json();
}"""


def _below(stack) -> str:
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": "BTCUSD"}, timeout=5
    ).json()
    return str((Decimal(doc["price"]) * 95 / 100).quantize(Decimal("0.01")))


def test_it_shows_new_fills_and_ended_orders_live(page, stack):
    login(page)
    page.goto("/market/BTCUSD/")
    base = page.get_attribute("#open-orders", "data-base-url")  # /market/orders/<pk>/
    page.goto(base)
    # The open orders follow the connection's socket: wait until it is up.
    page.evaluate("() => { window.seen = true; }")
    page.wait_for_selector("#open-orders[data-live='open']")
    fills = page.locator("#recent-fills tbody tr[data-trade-id]")
    fills_before = fills.count()

    stamp = time.monotonic_ns()
    market = page.evaluate(
        PLACE,
        [
            f"{base}place/",
            {
                "symbol": "BTCUSD",
                "client_order_id": f"e2e-live-m-{stamp}",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "0.001",
            },
        ],
    )
    assert market["ok"], market
    filled = f"#recent-orders tbody tr[data-order-id='{market['order']['id']}']"
    page.wait_for_selector(f"{filled}:has-text('filled')")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#recent-fills tbody tr[data-trade-id]').length > n",
        arg=fills_before,
    )
    top = page.locator("#recent-fills tbody tr").first.inner_text()
    assert "BUY" in top and "BTCUSD" in top and "taker" in top

    resting = page.evaluate(
        PLACE,
        [
            f"{base}place/",
            {
                "symbol": "BTCUSD",
                "client_order_id": f"e2e-live-l-{stamp}",
                "side": "BUY",
                "type": "LIMIT",
                "time_in_force": "GTC",
                "price": _below(stack),
                "quantity": "0.001",
            },
        ],
    )
    assert resting["ok"], resting
    row = page.locator(f"#open-order-rows tr[data-order-id='{resting['order']['id']}']")
    row.get_by_role("button", name="Cancel").click()
    canceled = f"#recent-orders tbody tr[data-order-id='{resting['order']['id']}']"
    page.wait_for_selector(f"{canceled}:has-text('canceled')")
    assert page.evaluate("() => window.seen !== undefined")  # the same page all along
    # The ended orders are in the recent tables; the open-orders list holds only its rows.
    held = page.get_attribute("#open-orders", "data-held")
    assert held == str(page.locator("#open-order-rows tr[data-order-id]").count())
