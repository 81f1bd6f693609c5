"""The orders page of one connection: what it shows, what it costs in queries, and its
confirmation preferences form — for the owner only."""

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from tests.factories import login, make_connection, make_user
from trading.models import AccountTrade, Order, OrderList, OrderOrigin, TradingPreference

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_ids = itertools.count(1000)


def _orders(conn, n: int) -> None:
    """``n`` open orders, ``n`` finished ones, ``n`` OCO lists with two legs, ``n`` fills."""
    for i in range(n):
        order_list = OrderList.objects.create(
            connection=conn,
            symbol="BTCUSD",
            order_list_id=next(_ids),
            list_client_order_id=f"list-{i}",
            origin=OrderOrigin.EXCHANGE,
            list_status_type="EXEC_STARTED",
            list_order_status="EXECUTING",
        )
        for status, leg in (("NEW", None), ("FILLED", None), ("NEW", order_list)):
            for _ in range(2 if leg else 1):
                Order.objects.create(
                    connection=conn,
                    order_list=leg,
                    symbol="BTCUSD",
                    order_id=next(_ids),
                    client_order_id=f"c-{next(_ids)}",
                    origin=OrderOrigin.EXCHANGE,
                    side="BUY",
                    type="LIMIT",
                    price=Decimal("59000.01"),
                    orig_qty=Decimal("0.01"),
                    executed_qty=Decimal("0.01") if status == "FILLED" else Decimal(0),
                    status=status,
                    exchange_updated_at=T0 + timedelta(seconds=i),
                )
        AccountTrade.objects.create(
            connection=conn,
            symbol="BTCUSD",
            trade_id=next(_ids),
            order_id=1,
            price=Decimal("60000.12345678"),
            qty=Decimal("0.00100000"),
            quote_qty=Decimal("60.00012346"),
            commission=Decimal("0.00000100"),
            commission_asset="BTC",
            time=T0 + timedelta(seconds=i),
            is_buyer=True,
            is_maker=False,
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(db) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_renders_the_page_in_the_same_number_of_queries_for_many_orders(client):
    user = make_user()
    few, many = make_connection(user), make_connection(user)
    _orders(few, 1)
    _orders(many, 12)
    login(client, user)
    assert _queries(client, f"/market/orders/{many.pk}/") == _queries(
        client, f"/market/orders/{few.pk}/"
    )


def test_it_shows_exact_money_and_every_kind_of_order(client):
    user = make_user()
    conn = make_connection(user)
    _orders(conn, 2)
    login(client, user)
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    assert "60000.12345678" in page and "60.00012346" in page  # no float rounding
    assert page.count('"status": "NEW"') == 6  # two plain and four legs, for the live table
    recent = re.search(r'id="recent-orders".*?</table>', page, re.S).group(0)
    assert recent.count('<tr class="status-filled"') == 2


def test_it_saves_the_confirmation_thresholds_of_the_user(client):
    user = make_user()
    conn = make_connection(user)
    login(client, user)
    url = f"/market/orders/{conn.pk}/preferences/"
    resp = client.post(
        url, {"confirm_notional_over": "2500.5", "confirm_balance_percent_over": "12.25"}, **JSON
    )
    assert resp.status_code == 200 and resp.json()["ok"] is True
    pref = TradingPreference.objects.get(user=user)
    assert (pref.confirm_notional_over, pref.confirm_balance_percent_over) == (
        Decimal("2500.5"),
        Decimal("12.25"),
    )
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    assert 'value="2500.5"' in page and 'value="12.25"' in page
    # From the page's own form (no script): back to the page with a message.
    resp = client.post(
        url, {"confirm_notional_over": "100", "confirm_balance_percent_over": "50"}, follow=True
    )
    assert resp.redirect_chain[-1][0] == f"/market/orders/{conn.pk}/"
    assert "Trading preferences saved." in resp.content.decode()
    pref.refresh_from_db()
    assert pref.confirm_notional_over == Decimal("100")
    assert TradingPreference.objects.filter(user=user).count() == 1


def test_it_saves_the_form_as_the_page_fills_it_in(client):
    user = make_user()
    conn = make_connection(user)
    TradingPreference.objects.create(user=user, confirm_notional_over=Decimal("0.12345678"))
    login(client, user)
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    shown = dict(re.findall(r'name="(confirm_[a-z_]+)" value="([^"]*)"', page))
    assert shown == {"confirm_notional_over": "0.12345678", "confirm_balance_percent_over": "50"}
    resp = client.post(f"/market/orders/{conn.pk}/preferences/", shown, **JSON)
    assert resp.status_code == 200, resp.json()


def test_it_saves_the_way_orders_go_and_a_form_without_it_keeps_it(client):
    user = make_user()
    conn = make_connection(user)
    login(client, user)
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    chosen = re.search(r'<option value="(\w+)" selected>', page).group(1)
    assert chosen == "ws"  # the WebSocket API unless the user says otherwise
    url = f"/market/orders/{conn.pk}/preferences/"
    thresholds = {"confirm_notional_over": "100", "confirm_balance_percent_over": "50"}
    assert client.post(url, {**thresholds, "order_transport": "rest"}, **JSON).status_code == 200
    assert TradingPreference.objects.get(user=user).order_transport == "rest"
    assert client.post(url, thresholds, **JSON).status_code == 200
    assert TradingPreference.objects.get(user=user).order_transport == "rest"
    refused = client.post(url, {**thresholds, "order_transport": "fax"}, **JSON)
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert errors == {"order_transport": ["Send orders over: choose one of the options."]}
    assert TradingPreference.objects.get(user=user).order_transport == "rest"


def test_it_refuses_bad_thresholds_field_by_field_and_keeps_the_old_ones(client):
    user = make_user()
    conn = make_connection(user)
    TradingPreference.objects.create(user=user, confirm_notional_over=Decimal("700"))
    login(client, user)
    resp = client.post(
        f"/market/orders/{conn.pk}/preferences/",
        {"confirm_notional_over": "-1", "confirm_balance_percent_over": "101"},
        **JSON,
    )
    errors = resp.json()["errors"]
    assert resp.status_code == 400 and set(errors) == {
        "confirm_notional_over",
        "confirm_balance_percent_over",
    }
    assert "greater than or equal to 0" in errors["confirm_notional_over"][0]
    assert "less than or equal to 100" in errors["confirm_balance_percent_over"][0]
    pref = TradingPreference.objects.get(user=user)
    assert (pref.confirm_notional_over, pref.confirm_balance_percent_over) == (
        Decimal("700"),
        Decimal("50"),
    )


def test_it_keeps_strangers_off_the_page_and_the_preferences(client):
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner)
    _orders(conn, 1)
    login(client, stranger)
    assert client.get(f"/market/orders/{conn.pk}/").status_code == 404
    resp = client.post(
        f"/market/orders/{conn.pk}/preferences/",
        {"confirm_notional_over": "1", "confirm_balance_percent_over": "1"},
        **JSON,
    )
    assert resp.status_code == 404
    assert not TradingPreference.objects.exists()  # neither the owner's nor the stranger's


def test_it_lists_recent_orders_latest_change_first_whoever_made_it(client):
    user = make_user()
    conn = make_connection(user)
    now = datetime.now(UTC)

    def order(coid: str, status: str, updated: datetime | None) -> None:
        Order.objects.create(
            connection=conn,
            symbol="BTCUSD",
            client_order_id=coid,
            origin=OrderOrigin.DESK,
            side="BUY",
            type="LIMIT",
            status=status,
            exchange_updated_at=updated,
        )

    order("hour-ago", "FILLED", now - timedelta(hours=1))
    order("not-placed", "FAILED", None)  # changed just now, on the desk's side only
    order("in-a-minute", "CANCELED", now + timedelta(minutes=1))
    login(client, user)
    page = client.get(f"/market/orders/{conn.pk}/").content.decode()
    recent = re.search(r'id="recent-orders".*?</table>', page, re.S).group(0)
    rows = re.findall(r'<tr class="status-([a-z_]+)"', recent)
    assert rows == ["canceled", "failed", "filled"]


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("confirm_notional_over", "-1", "greater than or equal to 0"),
        ("confirm_notional_over", "NaN", "Enter a number"),
        ("confirm_notional_over", "1e400", "no more than 30 digits"),
        ("confirm_notional_over", "0.123456789", "no more than 8 decimal places"),
        ("confirm_notional_over", "", "This field is required"),
        ("confirm_balance_percent_over", "101", "less than or equal to 100"),
        ("confirm_balance_percent_over", "x" * 10_000, "Enter a number"),
    ],
)
def test_it_shows_a_bad_threshold_next_to_its_field_when_the_page_posts_it(
    client, field, value, why
):
    user = make_user()
    conn = make_connection(user)
    TradingPreference.objects.create(user=user, confirm_notional_over=Decimal("700"))
    login(client, user)
    form = {"confirm_notional_over": "700", "confirm_balance_percent_over": "50", field: value}
    resp = client.post(f"/market/orders/{conn.pk}/preferences/", form)  # no script: the form
    page = resp.content.decode()
    assert resp.status_code == 400  # the page again, not a redirect that loses the error
    widget = re.search(rf'<[^>]*name="{field}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in widget
    described = re.search(r'aria-describedby="([^"]+)"', widget).group(1)
    error = re.search(rf'<p[^>]*id="{described}"[^>]*>([^<]*)</p>', page).group(1)
    assert why in error
    flash = re.search(r'class="flash flash-error"[^>]*>([^<]*)<', page).group(1)
    assert flash.startswith("Not saved: ") and why in flash and "Done." not in page
    pref = TradingPreference.objects.get(user=user)
    assert (pref.confirm_notional_over, pref.confirm_balance_percent_over) == (
        Decimal("700"),
        Decimal("50"),
    )
