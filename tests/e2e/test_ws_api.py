"""Orders over the WebSocket API in Chromium against the whole stack: the stream process holds
the demo connection's session; the market page's ticket places, amends and cancels through it,
and with the session killed (the exchange drops it and refuses new ones) the ticket goes over
REST and says so. The stream-health page shows the session going down and up."""

import re
from decimal import Decimal

import pytest
import requests

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

SYMBOL = "BTCUSD"
QTY = "0.001"
OVER_WS = "Sent over the WebSocket API."
OVER_REST = "Sent over REST: the WebSocket API"
# Why, as the desk knew it: no live session, or (the session's report not yet expired) the
# session tried to reopen its socket for the request and the exchange refused it.
WHY_REST = re.compile(
    r"Sent over REST: the WebSocket API (session is down|refused the connection \(HTTP 503\))\.$"
)


def _price(stack, percent: int) -> str:
    doc = requests.get(f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": SYMBOL}, timeout=5)
    return str((Decimal(doc.json()["price"]) * (100 + percent) / 100).quantize(Decimal("0.01")))


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _faults(stack, **doc) -> None:
    requests.post(f"{stack.sandbox_url}/sandbox/v1/faults", json=doc, timeout=5).raise_for_status()


def _session_shown(page, state: str) -> None:
    """The stream-health page (polled every 2 s) shows the demo connection's session so."""
    page.goto("/market/health/")
    page.wait_for_selector(f"#ws-api-rows tr[data-state='{state}']", timeout=30_000)


def _place_resting(page, stack, percent: int) -> str:
    price = _price(stack, percent)
    page.check("#ticket-form input[name=side][value=BUY]")
    page.select_option("#id_type", "LIMIT")
    page.fill("#id_price", price)
    page.fill("#id_quantity", QTY)
    page.click("#ticket-submit")
    page.wait_for_selector("#ticket-result.ok:has-text('BUY LIMIT BTCUSD')")
    return price


def _open_market(page) -> None:
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#ticket-form")
    page.wait_for_selector("#open-orders[data-live='open']")


def test_the_ticket_trades_over_the_websocket_api_and_falls_back_to_rest(page, stack):
    login(page)
    _session_shown(page, "up")
    _open_market(page)

    # Placed, amended and canceled over the session.
    far = _place_resting(page, stack, -5)
    assert page.inner_text("#ticket-result").endswith(OVER_WS)
    assert page.get_attribute("#ticket-result", "data-via") == "ws"
    row = page.locator("#open-order-rows tr", has_text=_trim(far)).first
    row.get_by_role("button", name="Amend").click()
    new_price = _price(stack, -6)
    page.fill(".amend-form input[name=price]", new_price)
    page.click(".amend-form button[type=submit]")
    page.wait_for_selector(f"#orders-result.ok:has-text('Replaced'):has-text('{OVER_WS}')")
    amended = page.locator("#open-order-rows tr", has_text=_trim(new_price)).first
    amended.get_by_role("button", name="Cancel").click()
    page.wait_for_selector(f"#orders-result.ok:has-text('canceled'):has-text('{OVER_WS}')")
    page.wait_for_selector(f"#open-order-rows tr:has-text('{_trim(new_price)}')", state="detached")

    # The session killed: the ticket still places, over REST, and says so.
    _faults(stack, wsApiDown=True)
    try:
        _session_shown(page, "down")
        _open_market(page)
        rested = _place_resting(page, stack, -7)
        assert WHY_REST.search(page.inner_text("#ticket-result"))
        assert page.get_attribute("#ticket-result", "data-via") == "rest"
        page.locator("#open-order-rows tr", has_text=_trim(rested)).first.get_by_role(
            "button", name="Cancel"
        ).click()
        page.wait_for_selector(f"#orders-result.ok:has-text('canceled'):has-text('{OVER_REST}')")
    finally:
        _faults(stack, wsApiDown=None)
    # The exchange takes sockets again: the session comes back on its own.
    _session_shown(page, "up")
