"""Amending an open order (cancel-replace) from the orders table, as a new user would try it:
an amendment the desk can tell will fail is refused field by field and nothing is sent (the
order keeps its place in the queue); one the exchange still refuses after canceling says so
plainly and offers the original order back."""

import itertools
from decimal import Decimal

import pytest
import requests

from accounts.services.balances import connection_sync_balances
from tests.factories import login, make_user, sandbox_connection
from tests.support import exchange_client
from trading.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
REPLACE_PATH = "/api/v3/order/cancelReplace"
_seq = itertools.count(1)


class Account:
    def __init__(self, base: str, doc: dict):
        self.base, self.key, self.secret = base, doc["apiKey"], doc["secretKey"]

    def orders(self) -> dict[str, str]:
        """{client order id: status} of every BTCUSD order the exchange holds for the account."""
        with exchange_client(self.key, self.secret, self.base) as client:
            return {o.client_order_id: o.status for o in client.all_orders(symbol="BTCUSD")}

    def sent(self, path: str = REPLACE_PATH) -> int:
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byPath"].get(path, 0)


@pytest.fixture
def resting(client, sandbox_url):
    """A user with 25 005 USD who has a BUY LIMIT 0.0001 BTC @ 50 000 resting: 25 000 USD free."""
    conn, doc = sandbox_connection(sandbox_url, make_user(), balances={"USD": "25005"})
    login(client, conn.user)
    placed = client.post(
        f"/market/orders/{conn.pk}/place/",
        {
            "symbol": "BTCUSD",
            "client_order_id": f"amend-me-{next(_seq)}",
            "side": "BUY",
            "type": "LIMIT",
            "price": "50000",
            "quantity": "0.0001",
            "time_in_force": "GTC",
        },
        **JSON,
    ).json()
    assert placed["ok"], placed
    order = Order.objects.get(pk=placed["order"]["id"])
    return client, conn, order, Account(sandbox_url, doc)


def _amend(client, order, **fields):
    data = {"client_order_id": f"amended-{next(_seq)}", **fields}
    return client.post(f"/market/orders/{order.connection_id}/{order.pk}/replace/", data, **JSON)


def _untouched(order: Order, account: Account) -> None:
    """Still open, same exchange id (its place in the queue), on the desk and on the exchange."""
    before = order.order_id
    order.refresh_from_db()
    assert (order.status, order.order_id) == (OrderStatus.NEW, before)
    assert account.orders()[order.client_order_id] == "NEW"


def test_it_refuses_an_amendment_the_free_balance_cannot_cover_and_sends_nothing(resting):
    client, conn, order, account = resting
    connection_sync_balances(connection_id=conn.pk)  # 25 000 USD free, 5 held by the order
    sent = account.sent()
    resp = _amend(client, order, price="50000", quantity="1")
    body = resp.json()
    assert resp.status_code == 400 and body["ok"] is False
    assert set(body["errors"]) == {"quantity"}
    [why] = body["errors"]["quantity"]
    assert "Not enough USD" in why and "50000 USD" in why and "25000 USD is free" in why
    assert "gives back 5 " in why  # what the cancel would release is counted in
    assert body["message"].startswith("Not replaced, nothing was sent")
    assert account.sent() == sent
    _untouched(order, account)
    assert not Order.objects.filter(client_order_id__startswith="amended-").exists()


def test_it_refuses_an_amendment_off_the_tick_or_under_the_minimum_notional(resting):
    client, _conn, order, account = resting
    sent = account.sent()
    off_tick = _amend(client, order, price="50000.005").json()
    assert "tick size 0.01" in off_tick["errors"]["price"][0]
    too_small = _amend(client, order, quantity="0.00001").json()  # 0.5 USD < 1 USD minimum
    assert "minimum notional 1" in too_small["errors"]["quantity"][0]
    assert account.sent() == sent
    _untouched(order, account)


def test_it_says_plainly_when_the_exchange_canceled_it_and_offers_it_back(resting):
    client, conn, order, account = resting
    # The desk does not know this account's balance (never synced): the exchange decides.
    resp = _amend(client, order, quantity="1")
    body = resp.json()
    assert resp.status_code == 400 and body["ok"] is False and body["canceled"] is True
    assert body["message"].startswith("The original order was canceled and not replaced")
    assert "-2010" in body["message"]
    assert body["replaced"]["status"] == "CANCELED"
    assert account.orders()[order.client_order_id] == "CANCELED"
    offer = body["placeAgain"]
    assert offer["url"] == f"/market/orders/{conn.pk}/place/"
    fields = offer["fields"]
    assert fields["client_order_id"] not in (order.client_order_id, body["order"]["clientOrderId"])
    assert (fields["side"], fields["type"], fields["symbol"]) == ("BUY", "LIMIT", "BTCUSD")
    assert (Decimal(fields["price"]), Decimal(fields["quantity"])) == (
        Decimal("50000"),
        Decimal("0.0001"),
    )
    # "Place it again": the ticket's own route, once however often it is clicked.
    again = client.post(offer["url"], fields, **JSON).json()
    twice = client.post(offer["url"], fields, **JSON).json()
    assert again["ok"] and again["order"]["status"] == "NEW"
    assert twice["order"]["id"] == again["order"]["id"]
    assert account.orders()[fields["client_order_id"]] == "NEW"
    placed = Order.objects.get(pk=again["order"]["id"])
    assert (placed.price, placed.orig_qty) == (Decimal("50000"), Decimal("0.0001"))


BAD_AMOUNTS = {
    "zero": ("0", "must be greater than zero"),
    "negative": ("-1", "must be greater than zero"),
    "minus zero": ("-0", "must be greater than zero"),
    "garbage": ("abc", "enter a number"),
    "NaN": ("NaN", "enter a number"),
    "Infinity": ("Infinity", "enter a number"),
    "emoji": ("🙂", "enter a number"),
    "NUL": ("1\x002", "enter a number"),
    "1e400": ("1e400", "too large"),
    "huge": ("9" * 23, "too large"),
    "tiny": ("1e-30", "more than 18 decimal places"),
    "over-precise": ("0.123456789012345678901", "more than 18 decimal places"),
    "10,000 characters": ("9" * 10_000, "too large"),
}


@pytest.mark.parametrize("field", ["price", "quantity"])
def test_it_refuses_zero_negative_and_garbage_field_by_field(resting, field):
    client, _conn, order, account = resting
    label = {"price": "New price", "quantity": "New quantity"}[field]
    sent = account.sent()
    for kind, (value, why) in BAD_AMOUNTS.items():
        resp = _amend(client, order, **{field: value})
        body = resp.json()
        assert resp.status_code == 400, kind
        assert list(body["errors"]) == [field], kind
        [message] = body["errors"][field]  # one clear message, naming the field
        assert message.startswith(label) and why in message.lower(), (kind, message)
    assert account.sent() == sent
    _untouched(order, account)


@pytest.mark.parametrize(
    "fields",
    [
        {"price": "", "quantity": ""},
        {"price": " \t ", "quantity": "  "},
        {},
        {"price": "50000.00", "quantity": "0.00010"},  # the order's own values
        {"price": "50000"},
        {"quantity": "0.0001"},
    ],
    ids=["empty", "blank", "absent", "same-values", "same-price", "same-quantity"],
)
def test_it_says_nothing_to_change_and_sends_nothing(resting, fields):
    client, _conn, order, account = resting
    sent = account.sent()
    resp = _amend(client, order, **fields)
    body = resp.json()
    assert resp.status_code == 400 and body["ok"] is False
    assert body["message"].startswith("Nothing to change")
    assert account.sent() == sent
    _untouched(order, account)


def test_it_amends_a_real_change_and_keeps_what_was_left_empty(resting):
    client, _conn, order, account = resting
    resp = _amend(client, order, price="49000.5", quantity="")
    body = resp.json()
    assert resp.status_code == 200 and body["message"].startswith("Replaced")
    new = Order.objects.get(pk=body["order"]["id"])
    assert (new.price, new.orig_qty, new.status) == (
        Decimal("49000.5"),
        Decimal("0.0001"),
        OrderStatus.NEW,
    )
    assert account.orders()[order.client_order_id] == "CANCELED"
