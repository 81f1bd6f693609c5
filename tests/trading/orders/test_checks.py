"""The ticket's checks as the place view applies them: a ticket that could not be checked
is never sent without the confirmation a large one would need."""

import pytest

from tests.factories import login
from trading.models import Order

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_it_asks_for_confirmation_when_the_exchanges_rules_cannot_be_read(client, trader, settings):
    conn, ex = trader
    login(client, conn.user)
    ticket = {
        "symbol": "SOLUSD",  # no rules cached for it by any other test
        "client_order_id": "unchecked-1",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "100000",
    }
    settings.SANDBOX_REST_URL = "http://127.0.0.1:9"  # nothing listens: unreachable
    checked = client.post(f"/market/orders/{conn.pk}/check/", ticket).json()
    assert checked["unavailable"] == "The exchange's rules are unavailable."
    assert "not checked" in checked["confirm"]
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON)
    assert refused.status_code == 400
    assert "not checked" in refused.json()["errors"]["confirm_large"][0]
    assert not Order.objects.filter(connection=conn).exists()  # nothing sent, nothing stored
    assert ex.orders("SOLUSD") == []
