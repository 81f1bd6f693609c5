"""The ticket's endpoints and the order actions over HTTP, against the sandbox."""

import re
from decimal import Decimal

import pytest

from accounts.models import KeyType
from tests.factories import login, make_connection, make_user
from tests.support import free_port
from trading.models import Order, OrderList, OrderStatus, TradingPreference

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def _ticket(ex, **fields) -> dict:
    return {
        "symbol": "BTCUSD",
        "client_order_id": "desk-view-1",
        "side": "BUY",
        "type": "LIMIT",
        "price": str(ex.below()),
        "quantity": "0.01",
        "time_in_force": "GTC",
        **fields,
    }


def test_it_renders_a_ticket_with_a_fresh_client_order_id(desk):
    client, conn, _ = desk
    page = client.get("/market/BTCUSD/").content.decode()
    assert 'id="ticket-form"' in page and f'action="/market/orders/{conn.pk}/place/"' in page
    first = re.search(r'name="client_order_id" value="([^"]+)"', page).group(1)
    again = client.get("/market/BTCUSD/").content.decode()
    assert first not in again
    assert client.session["trading_connection"] == conn.pk


def test_it_offers_no_ticket_without_exchange_keys(client):
    user = make_user()
    conn = make_connection(user)
    conn.key_type = KeyType.CUSTODIAL
    conn.save(update_fields=["key_type"])
    login(client, user)
    page = client.get("/market/BTCUSD/").content.decode()
    assert 'id="ticket-form"' not in page and "Add or fix a connection" in page
    assert client.post(f"/market/orders/{conn.pk}/place/", {}).status_code == 404


def test_it_checks_a_ticket_against_the_symbols_filters(desk):
    client, conn, ex = desk
    url = f"/market/orders/{conn.pk}/check/"
    bad = client.post(url, _ticket(ex, price=str(ex.below()) + "1", quantity="")).json()
    assert bad["ok"] is False
    assert bad["errors"]["quantity"] == ["Quantity is required for LIMIT orders."]
    off_tick = client.post(url, _ticket(ex, price=str(ex.below()) + "1")).json()
    assert off_tick["ok"] is False and "tick size 0.01" in off_tick["errors"]["price"][0]
    ticket = _ticket(ex)
    good = client.post(url, ticket).json()
    assert (good["ok"], good["errors"], good["confirm"]) == (True, {}, None)
    assert Decimal(good["notional"]) == Decimal(ticket["price"]) * Decimal("0.01")
    assert not Order.objects.exists()


def test_it_asks_for_confirmation_of_a_large_order_before_sending(desk):
    client, conn, ex = desk
    TradingPreference.objects.create(user=conn.user, confirm_notional_over=Decimal("100"))
    ticket = _ticket(ex, client_order_id="desk-large-1")
    checked = client.post(f"/market/orders/{conn.pk}/check/", ticket).json()
    assert "over your confirmation threshold of 100 USD" in checked["confirm"]
    refused = client.post(f"/market/orders/{conn.pk}/place/", ticket, **JSON)
    assert refused.status_code == 400 and "confirm_large" in refused.json()["errors"]
    assert not Order.objects.exists() and ex.orders() == []
    placed = client.post(
        f"/market/orders/{conn.pk}/place/", {**ticket, "confirm_large": "on"}, **JSON
    )
    assert placed.status_code == 200 and placed.json()["order"]["status"] == "NEW"


def test_it_places_once_however_often_the_form_is_posted(desk):
    client, conn, ex = desk
    url = f"/market/orders/{conn.pk}/place/"
    first = client.post(url, _ticket(ex), **JSON).json()
    second = client.post(url, _ticket(ex), **JSON).json()
    assert first["ok"] and first["order"]["id"] == second["order"]["id"]
    assert first["nextClientOrderId"] != "desk-view-1"
    assert len(ex.orders(client_order_id="desk-view-1")) == 1


def test_it_shows_the_exchanges_code_and_message_on_a_rejection(desk):
    client, conn, ex = desk
    too_big = _ticket(ex, quantity="50", confirm_large="on")
    resp = client.post(f"/market/orders/{conn.pk}/place/", too_big, **JSON)
    body = resp.json()
    assert resp.status_code == 400 and body["order"]["status"] == "FAILED"
    assert body["message"].startswith("Not placed. The exchange answered -2010:")


def test_it_gives_the_exchanges_test_verdict(desk):
    client, conn, ex = desk
    ok = client.post(f"/market/orders/{conn.pk}/test/", _ticket(ex)).json()
    assert ok["ok"] is True and ok["message"] == "The exchange would accept this order."
    assert ex.orders() == []


def test_it_cancels_replaces_and_cancels_all_through_the_views(desk):
    client, conn, ex = desk
    place = f"/market/orders/{conn.pk}/place/"
    one = client.post(place, _ticket(ex, client_order_id="v-1"), **JSON).json()["order"]
    two = client.post(place, _ticket(ex, client_order_id="v-2"), **JSON).json()["order"]
    canceled = client.post(f"/market/orders/{conn.pk}/{one['id']}/cancel/", **JSON).json()
    assert canceled["ok"] and canceled["order"]["status"] == "CANCELED"
    again = client.post(f"/market/orders/{conn.pk}/{one['id']}/cancel/", **JSON)
    assert again.status_code == 400 and again.json()["code"] == -2011
    new_price = str(ex.below(percent=7))
    replaced = client.post(
        f"/market/orders/{conn.pk}/{two['id']}/replace/",
        {"client_order_id": "v-3", "price": new_price},
        **JSON,
    ).json()
    assert replaced["ok"] and replaced["canceled"]
    assert Decimal(replaced["order"]["price"]) == Decimal(new_price)
    swept = client.post(f"/market/orders/{conn.pk}/cancel-all/", {"symbol": "BTCUSD"}, **JSON)
    # No stream process holds a WebSocket API session here: REST, and the answer says why.
    assert swept.json() == {
        "ok": True,
        "message": "Canceled 1 open BTCUSD orders. "
        "Sent over REST: the WebSocket API session is down.",
        "via": "rest",
        "fallback": "the WebSocket API session is down",
    }
    assert not Order.objects.filter(connection=conn, status=OrderStatus.NEW).exists()


def test_it_places_and_cancels_an_oco_through_the_views(desk):
    client, conn, ex = desk
    form = {
        "symbol": "BTCUSD",
        "list_client_order_id": "v-oco-1",
        "side": "SELL",
        "quantity": "0.01",
        "price": str(ex.above()),
        "stop_price": str(ex.below()),
        "stop_limit_price": str(ex.below(percent=6)),
        "stop_limit_time_in_force": "GTC",
    }
    missing = client.post(f"/market/orders/{conn.pk}/oco/", {**form, "stop_price": ""}, **JSON)
    assert missing.status_code == 400
    assert missing.json()["errors"]["stop_price"] == ["Stop price is required."]
    placed = client.post(f"/market/orders/{conn.pk}/oco/", form, **JSON).json()
    assert placed["ok"] and placed["orderList"]["listStatusType"] == "EXEC_STARTED"
    row = OrderList.objects.get(connection=conn)
    done = client.post(f"/market/orders/{conn.pk}/oco/{row.pk}/cancel/", **JSON).json()
    assert done["ok"] and done["orderList"]["listStatusType"] == "ALL_DONE"


def test_it_lists_a_connections_orders_on_its_page(desk):
    client, conn, ex = desk
    too_big = _ticket(ex, quantity="50", confirm_large="on")
    client.post(f"/market/orders/{conn.pk}/place/", too_big, **JSON)
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    assert "Orders of " + conn.label in page and "-2010" in page


def test_it_answers_try_again_while_redis_is_down_and_places_nothing(desk, settings):
    client, conn, ex = desk
    # Nothing listens there: every cache read raises redis's ConnectionError, as during a restart.
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}
    }
    coid = "desk-redis-down"
    r = client.post(f"/market/orders/{conn.pk}/place/", _ticket(ex, client_order_id=coid), **JSON)
    assert r.status_code == 503 and r["Retry-After"] == "5"
    assert r.json() == {"ok": False, "message": r.json()["message"]}
    assert "cannot reach Redis" in r.json()["message"]
    assert not Order.objects.filter(client_order_id=coid).exists()
    assert ex.orders(client_order_id=coid) == []
