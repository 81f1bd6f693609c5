"""The dashboard's portfolio in Chromium against the whole stack: the demo's total value moves
when a price moves on the exchange, without a reload; a stake made on the Staking tab shows in
the "staked" part."""

import json
import re
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import login, new_desk
from tests.e2e.test_wallet import Tab
from tests.support import until

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


def _staked_on_the_exchange(page) -> Decimal:
    """The Staking tab's SOL position, as the tab last read it from the exchange."""
    cell = page.locator("#staking-positions tr[data-asset='SOL'] td.staked")
    return Decimal(cell.inner_text()) if cell.count() else Decimal(0)


def _staked_on_the_dashboard(tab: Tab) -> Decimal:
    tab.goto("/")
    doc = json.loads(tab.page.text_content("#portfolio-data"))
    lines = [ln for ln in doc["lines"] if (ln["part"], ln["asset"]) == ("staked", "SOL")]
    return sum((Decimal(ln["amount"]) for ln in lines), Decimal(0))


def _part(page, part: str) -> Decimal:
    text = page.inner_text(f"#portfolio-parts tr[data-part='{part}'] td")
    return Decimal(text.replace(",", ""))


def test_a_stake_made_on_the_staking_tab_shows_in_the_staked_part(page, stack):
    # A user of their own: the demo's staking is the Staking tab test's, whose figures a
    # position (and its rewards) of this test would change.
    tab = Tab(page)
    pk = new_desk(tab, stack, balances={"USD": "1000", "SOL": "20"})
    assert _staked_on_the_dashboard(tab) == 0
    expect(page.locator("#portfolio-parts tr[data-part='staked'] th")).to_have_text("Staked")
    assert _part(page, "staked") == 0

    tab.goto(f"/connections/{pk}/staking/")
    page.select_option("#id_stake_asset", "SOL")
    page.fill("#id_stake_amount", "3")
    tab.leave_by("#stake-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/connections/{pk}/staking/$"))
    op = page.locator("#staking-operations tbody tr").first
    expect(op).to_contain_text("3 SOL")
    expect(op.locator("[data-status]")).to_have_attribute("data-status", "done", timeout=30_000)
    until(
        lambda: _staked_on_the_exchange(page) == 3,
        timeout=15,
        interval=0.2,
        message="the Staking tab to show the new position",
    )

    # The settled stake queued the staking sync that stores the position; the dashboard shows
    # what is stored, so it has the stake once that sync has run.
    until(
        lambda: _staked_on_the_dashboard(tab) == 3,
        timeout=30,
        interval=0.5,
        message="the dashboard's staked part to hold the stake",
    )
    assert _part(page, "staked") > 0
    assert _part(page, "spot") > 0  # the 17 SOL and the USD left
    tab.settle()
