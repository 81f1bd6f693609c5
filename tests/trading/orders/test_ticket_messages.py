"""What the ticket and the OCO form tell a new user, checked before anything is sent: an order
over the free balance is refused on its field before any confirmation is asked; each field
gets one clear message; an OCO breaking the symbol's filters or the price order its side needs
is refused field by field."""

from decimal import Decimal

import pytest
import requests

from accounts.services.balances import connection_sync_balances
from trading.models import Order, OrderList

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def desk(desk):
    """The signed-in trader, with balances the desk knows (100 000 USD and 5 BTC free)."""
    connection_sync_balances(connection_id=desk[1].pk)
    return desk


def _ticket(ex, **fields) -> dict:
    return {
        "symbol": "BTCUSD",
        "client_order_id": "desk-msg-1",
        "side": "BUY",
        "type": "LIMIT",
        "price": str(ex.below()),
        "quantity": "0.01",
        "time_in_force": "GTC",
        **fields,
    }


def _sent(ex, path: str) -> int:
    return requests.get(f"{ex.base}/sandbox/v1/requests", timeout=5).json()["byPath"].get(path, 0)


@pytest.mark.parametrize(
    ("fields", "field", "short"),
    [
        ({"quantity": "50"}, "quantity", "Not enough USD"),  # ~2.9M USD for 100 000 free
        ({"side": "SELL", "quantity": "6", "price": "ABOVE"}, "quantity", "Not enough BTC"),
        (
            {"type": "MARKET", "market_by": "quote", "quote_order_qty": "200000"},
            "quote_order_qty",
            "Not enough USD",
        ),
        ({"type": "MARKET", "quantity": "3"}, "quantity", "Not enough USD: this order needs about"),
    ],
    ids=["limit-buy", "limit-sell", "market-by-quote", "market-by-quantity"],
)
def test_it_refuses_an_order_over_the_free_balance_on_its_field_before_asking_to_confirm(
    desk, fields, field, short
):
    client, conn, ex = desk
    ticket = _ticket(ex, **fields)
    if ticket["price"] == "ABOVE":  # a SELL resting above the market
        ticket["price"] = str(ex.above())
    checked = client.post(f"/market/orders/{conn.pk}/check/", ticket).json()
    assert checked["ok"] is False and checked["confirm"] is None
    assert list(checked["errors"]) == [field] and checked["errors"][field][0].startswith(short)
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON)
    body = refused.json()
    assert refused.status_code == 400 and list(body["errors"]) == [field]
    assert body.get("confirm") is None  # the balance first: no confirmation to tick in vain
    assert body["message"].startswith("Not placed: ") and short in body["message"]
    assert not Order.objects.filter(connection=conn).exists() and ex.orders() == []


def test_it_still_asks_to_confirm_a_large_order_the_balance_covers(desk):
    client, conn, ex = desk
    ticket = _ticket(ex, quantity="1")  # ~57 000 USD of 100 000: over both thresholds
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON).json()
    assert list(refused["errors"]) == ["confirm_large"] and refused["confirm"]
    assert refused["message"].startswith("Not placed yet:")
    assert "Tick “I confirm this large order”" in refused["message"]
    assert "highlighted" not in refused["message"]


@pytest.mark.parametrize("value", ["-5", "0", "-0.01"])
def test_it_gives_one_clear_message_for_a_price_that_is_not_positive(desk, value):
    client, conn, ex = desk
    ticket = _ticket(ex, price=value)
    checked = client.post(f"/market/orders/{conn.pk}/check/", ticket).json()
    assert checked["errors"] == {"price": ["Limit price must be greater than zero."]}
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"price": ["Limit price must be greater than zero."]}
    assert ex.orders() == []


def test_it_gives_one_message_per_field_when_several_filters_fail(desk):
    client, conn, ex = desk
    # Below the minimum quantity, off the step, and under the minimum notional: one message.
    checked = client.post(
        f"/market/orders/{conn.pk}/check/", _ticket(ex, quantity="0.0000015")
    ).json()
    [message] = checked["errors"]["quantity"]
    assert message.startswith("Quantity 0.0000015 is below the minimum quantity")


def test_it_refuses_an_iceberg_slice_as_large_as_the_order_and_sends_nothing(desk):
    client, conn, ex = desk
    ticket = _ticket(ex, iceberg_qty="1")  # of 0.01: the exchange answers -1013
    sent = _sent(ex, "/api/v3/order")
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON)
    assert refused.status_code == 400
    [message] = refused.json()["errors"]["iceberg_qty"]
    assert message == "Iceberg quantity 1 must be less than the quantity"
    assert _sent(ex, "/api/v3/order") == sent and ex.orders() == []


def _oco(ex, **fields) -> dict:
    return {
        "symbol": "BTCUSD",
        "list_client_order_id": "oco-check-1",
        "side": "SELL",
        "quantity": "0.01",
        "price": str(ex.above()),
        "stop_price": str(ex.below()),
        "stop_limit_price": str(ex.below(percent=6)),
        "stop_limit_time_in_force": "GTC",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "field", "why"),
    [
        ({"price": "OFF_TICK"}, "price", "tick size 0.01"),
        ({"stop_price": "OFF_TICK_STOP"}, "stop_price", "tick size 0.01"),
        ({"stop_limit_price": "OFF_TICK_LIMIT"}, "stop_limit_price", "tick size 0.01"),
        ({"quantity": "0.000015"}, "quantity", "step size 0.00001"),
        ({"quantity": "0.000001"}, "quantity", "below the minimum quantity"),
        ({"price": "BELOW_STOP"}, "price", "needs the limit price"),
        ({"quantity": "6"}, "quantity", "Not enough BTC"),  # 5 BTC free
        (
            {"side": "BUY", "quantity": "50", "price": "BELOW_MARKET", "stop_price": "ABOVE"},
            "quantity",
            "Not enough USD",
        ),
    ],
    ids=[
        *("price-tick", "stop-tick", "stop-limit-tick", "lot-step", "lot-min", "price-order"),
        *("sell-funds", "buy-funds"),
    ],
)
def test_it_checks_an_oco_field_by_field_and_sends_nothing(desk, fields, field, why):
    client, conn, ex = desk
    form = _oco(ex)
    off = {
        "OFF_TICK": form["price"] + "1",
        "OFF_TICK_STOP": form["stop_price"] + "1",
        "OFF_TICK_LIMIT": form["stop_limit_price"] + "1",
        "BELOW_STOP": str(Decimal(form["stop_price"]) - 10),
        "BELOW_MARKET": str(ex.below()),
        "ABOVE": str(ex.above()),
    }
    form.update({k: off.get(v, v) for k, v in fields.items()})
    sent = _sent(ex, "/api/v3/order/oco")
    resp = client.post(f"/market/orders/{conn.pk}/oco/", form, **JSON)
    body = resp.json()
    assert resp.status_code == 400 and body["ok"] is False
    assert field in body["errors"] and why in body["errors"][field][0]
    assert all(len(messages) == 1 for messages in body["errors"].values())
    assert body["message"].startswith("OCO not placed, nothing was sent")
    assert _sent(ex, "/api/v3/order/oco") == sent
    assert not OrderList.objects.filter(connection=conn).exists()
