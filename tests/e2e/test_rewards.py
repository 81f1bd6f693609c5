"""The Rewards tab and the Broker page in Chromium: a partner id saved on the tab (checked with
the exchange), an order placed from the ticket with its prefix fills, and its rebate appears on
the tab when the sync's push arrives; a kickback export shows its progress, completes on its own and
downloads as the exchange's CSV."""

from __future__ import annotations

import csv
import io
import time
import uuid

import pytest
from playwright.sync_api import expect

import binanceus
from tests.e2e.test_wallet import Tab, _admin
from tests.support import exchange_client

pytestmark = pytest.mark.e2e

DEMO = "demo@sandbox.local"  # seed_demo's exchange account
KICKBACKS = [
    {"income": "0.0123", "asset": "USD", "symbol": "BTCUSD"},
    {"income": "0.00000042", "asset": "BTC", "symbol": "ETHBTC"},
]


@pytest.fixture
def tab(page) -> Tab:
    from tests.e2e.conftest import login

    tab = Tab(page)
    login(page)
    return tab


def _open(tab: Tab, area: str) -> str:
    from tests.e2e.conftest import demo_exchange_pk

    tab.settle()
    pk = demo_exchange_pk(tab.page)
    tab.goto(f"/connections/{pk}/{area}/")
    return pk


def _partner(stack) -> str:
    """A new API partner of the stack's sandbox (its own account): its id."""
    owner = f"partner-{time.monotonic_ns()}@example.test"
    _admin(stack, "accounts", {"email": owner, "balances": {"USD": "1"}})
    partner_id = ("E" + uuid.uuid4().hex.upper())[:8]
    _admin(stack, "partners", {"partnerId": partner_id, "email": owner})
    return partner_id


def _demo_client(stack) -> binanceus.Client:
    key = _admin(stack, "keys", {"email": DEMO})
    return exchange_client(key["apiKey"], key["secretKey"], stack.sandbox_url)


def test_a_rebate_appears_after_an_order_with_the_partner_prefix_fills(tab, stack):
    page = tab.page
    partner_id = _partner(stack)
    pk = _open(tab, "rewards")
    page.fill("#id_partner_id", partner_id)
    tab.leave_by("#partner-save")
    expect(page.locator("#partner-eligible")).to_have_attribute("data-eligible", "true")
    expect(page.locator("#partner-current")).to_contain_text(f"{partner_id}-")
    tab.settle()
    rebates = page.locator("#partner-rebates tr[data-rebate]")
    expect(rebates).to_have_count(0)
    # An order from the market page's ticket: its client order id starts with the partner id.
    tab.goto(f"/market/BTCUSD/?connection={pk}")
    page.wait_for_selector("#ticket-form")
    assert page.input_value("#id_client_order_id").startswith(f"{partner_id}-")
    page.check("#ticket-form input[name=side][value=BUY]")
    page.select_option("#id_type", "MARKET")
    page.fill("#id_quantity", "0.001")
    page.click("#ticket-submit")
    expect(page.locator(".toast", has_text="Filled: BUY")).to_be_visible(timeout=30_000)
    with _demo_client(stack) as client:
        ours = [
            o
            for o in client.all_orders(symbol="BTCUSD", limit=50)
            if o.client_order_id.startswith(f"{partner_id}-")
        ]
        assert len(ours) == 1 and ours[0].status == "FILLED"
        fills = client.my_trades(symbol="BTCUSD", order_id=ours[0].order_id)
    tab.goto(f"/connections/{pk}/rewards/")
    tab.settle()
    # "Sync now" from outside the page: only the push can bring the rebate to it (its fallback
    # re-read comes after 30 s, past this wait).
    token = page.locator("#rewards-sync-form input[name=csrfmiddlewaretoken]").input_value()
    answer = page.request.post(
        f"/connections/{pk}/rewards/sync/",
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert answer.json() == {"queued": True}
    expect(rebates).to_have_count(len(fills), timeout=20_000)
    expect(rebates.first).to_contain_text(partner_id)
    expect(page.locator("#rewards-chart")).not_to_have_attribute("data-points", "0")


def test_a_broker_export_completes_and_downloads(tab, stack):
    page = tab.page
    now = int(time.time() * 1000)
    _admin(
        stack,
        f"accounts/{DEMO}/kickbacks",
        {
            "rows": [{**row, "time": now - 60_000 * i} for i, row in enumerate(KICKBACKS)],
            "exportDelayMs": 4000,
        },
    )
    _open(tab, "broker")
    tab.leave_by("#export-start")
    newest = page.locator("#broker-exports tbody tr").first
    expect(newest).to_have_attribute("data-status", "collecting")
    expect(newest.locator("progress")).to_be_visible()
    expect(newest).to_have_attribute("data-status", "ready", timeout=30_000)
    with page.expect_download() as download:
        newest.locator("a.export-download").click()
    body = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert set(rows[0]) == {"income", "asset", "symbol", "time"}
    got = {(r["income"], r["asset"], r["symbol"]) for r in rows}
    assert {(k["income"], k["asset"], k["symbol"]) for k in KICKBACKS} <= got
    assert "/sandbox/v1/partners/exports/" not in page.content()
