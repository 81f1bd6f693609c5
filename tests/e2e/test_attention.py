"""The dashboard's "Needs attention" card in Chromium against the whole stack: an order whose
outcome is unknown joins the list, and leaves it once reconciliation settles it, without a
reload.

The order is placed through the desk's own order service (what the ticket's view calls) while
the sandbox answers the next order with HTTP 500 after running it. It is one the exchange
refuses (more than the account's balance), so no execution report settles it at once, as one
would an order the exchange took: only reconciliation can, by finding it absent once the grace
period (10 s in the test stack) has passed."""

import re
import uuid
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import new_desk
from tests.e2e.test_wallet import Tab

pytestmark = pytest.mark.e2e

PLACE = """
from decimal import Decimal
from accounts.models import ExchangeConnection
from trading.orders import services
from trading.orders.services import OrderRequest
conn = ExchangeConnection.objects.get(pk={pk})
request = OrderRequest(symbol="BTCUSD", side="BUY", type="LIMIT", quantity=Decimal("1"),
                       price=Decimal("{price}"), time_in_force="GTC")
order = services.order_place(user=conn.user, connection=conn, client_order_id="{coid}",
                             request=request)
print("ORDER", order.pk, order.status)
"""
STATUS = "from trading.models import Order; print('STATUS', Order.objects.get(pk={pk}).status)"


def _sandbox(stack, method: str, path: str, **kwargs) -> dict:
    resp = requests.request(method, f"{stack.sandbox_url}/sandbox/v1/{path}", timeout=5, **kwargs)
    assert resp.ok, resp.text
    return resp.json()


def _bid(stack) -> str:
    """Just under BTCUSD's average price: within the symbol's filters, far above 1,000 USD."""
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": "BTCUSD"}, timeout=5
    ).json()
    return f"{(Decimal(doc['price']) * Decimal('0.99')).quantize(Decimal('0.01'))}"


def test_an_unknown_order_appears_then_leaves_once_reconciled_without_a_reload(page, stack):
    tab = Tab(page)
    pk = new_desk(tab, stack, balances={"USD": "1000"}, label="Attention")
    tab.goto("/")
    expect(page.locator("#attention-empty")).to_have_text("Nothing needs your attention.")
    page.evaluate("window.__sameDocument = true")

    place = PLACE.format(pk=pk, price=_bid(stack), coid=uuid.uuid4().hex)
    _sandbox(stack, "POST", "faults", json={"order": {"mode": "execute_then_500", "count": 1}})
    try:
        out = stack.manage("shell", "-c", place)
    finally:
        _sandbox(stack, "DELETE", "faults")
    order_pk, status = re.search(r"ORDER (\d+) (\w+)", out).groups()
    assert status == "UNKNOWN", out

    item = page.locator(f"#attention-items li[data-kind='order-unknown'][data-object='{order_pk}']")
    expect(item).to_contain_text("BUY LIMIT BTCUSD 1 on “Attention”: outcome unknown")
    expect(page.locator("#attention-empty")).to_have_count(0)

    # Reconciliation asks the exchange every 3 s; past the grace period absence is an answer.
    expect(item).to_have_count(0, timeout=45_000)
    expect(page.locator("#attention-status")).to_contain_text("No longer needs attention: BUY")
    expect(page.locator("#attention-empty")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert "STATUS FAILED" in stack.manage("shell", "-c", STATUS.format(pk=order_pk))
    tab.settle()
