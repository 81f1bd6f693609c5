"""Bad input to every order form and filter: each value kind is refused on its own field, with
no 5XX, no row written and no request the exchange counts against the user's key."""

import re

import pytest

from tests.trading.bad_values import BAD_AMOUNTS, BAD_TEXT, NOT_NUMBERS
from trading.models import Order, OrderList, TradingPreference

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
AMOUNTS = {**NOT_NUMBERS, **BAD_AMOUNTS}
# The ticket that takes each amount field (a field the chosen type does not take is dropped).
TICKET_AMOUNTS = {
    "price": {},
    "quantity": {},
    "iceberg_qty": {},
    "stop_price": {"type": "STOP_LOSS_LIMIT", "trigger": "stop_price"},
    "quote_order_qty": {"type": "MARKET", "market_by": "quote"},
}
OPTIONAL = {"iceberg_qty", "time_in_force", "self_trade_prevention_mode", "market_by", "trigger"}


def _ticket(**fields) -> dict:
    return {
        "symbol": "BTCUSD",
        "client_order_id": "bad-input-1",
        "side": "BUY",
        "type": "LIMIT",
        "price": "50000",
        "quantity": "0.001",
        "time_in_force": "GTC",
        **fields,
    }


def _refused(resp, field: str, what) -> str:
    """The one message ``resp`` gives ``field`` (a JSON answer, 400 or the live check's 200)."""
    assert resp.status_code in (200, 400), (what, resp.status_code)
    body = resp.json()
    assert body["ok"] is False, (what, body)
    assert field in body["errors"], (what, body["errors"])
    [message] = body["errors"][field]
    return message


def _nothing_happened(conn, ex, requests_before: int) -> None:
    assert ex.requests() == requests_before  # nothing reached the exchange with the user's key
    assert not Order.objects.filter(connection=conn).exists()
    assert not OrderList.objects.filter(connection=conn).exists()


@pytest.mark.parametrize("route", ["place", "test", "check"])
@pytest.mark.parametrize("field", list(TICKET_AMOUNTS))
def test_it_refuses_a_bad_ticket_amount_on_its_field(desk, route, field):
    client, conn, ex = desk
    before = ex.requests()
    for kind, value in AMOUNTS.items():
        if field in OPTIONAL and kind in ("empty", "whitespace"):
            continue  # nothing typed into an optional field is no value, not a bad one
        data = _ticket(**TICKET_AMOUNTS[field], **{field: value})
        resp = client.post(f"/market/orders/{conn.pk}/{route}/", data, **JSON)
        _refused(resp, field, kind)
    _nothing_happened(conn, ex, before)


def test_it_refuses_a_bad_trailing_delta_on_its_field(desk):
    client, conn, ex = desk
    before = ex.requests()
    stop = {"type": "STOP_LOSS_LIMIT", "trigger": "trailing_delta"}
    for kind, value in {**AMOUNTS, "over-max": "2001", "fraction": "1.5"}.items():
        data = _ticket(**stop, trailing_delta=value)
        _refused(
            client.post(f"/market/orders/{conn.pk}/place/", data, **JSON), "trailing_delta", kind
        )
    _nothing_happened(conn, ex, before)


@pytest.mark.parametrize(
    "field",
    ["side", "type", "time_in_force", "self_trade_prevention_mode", "market_by", "trigger"],
)
def test_it_refuses_a_choice_not_offered_without_repeating_it(desk, field):
    client, conn, ex = desk
    before = ex.requests()
    for kind, value in BAD_TEXT.items():
        if field in OPTIONAL and kind in ("empty", "whitespace"):
            continue
        data = _ticket(**{field: value})
        message = _refused(
            client.post(f"/market/orders/{conn.pk}/place/", data, **JSON), field, kind
        )
        assert len(message) < 100, message  # never the 10,000 characters sent
    _nothing_happened(conn, ex, before)


@pytest.mark.parametrize("field", ["symbol", "client_order_id"])
def test_it_refuses_a_bad_symbol_or_client_order_id(desk, field):
    client, conn, ex = desk
    before = ex.requests()
    values = {**BAD_TEXT, "unknown": "NOPEUSD", "punctuated": "BTC/USD", "too-long": "A" * 37}
    for kind, value in values.items():
        if field == "client_order_id" and kind in ("unknown", "punctuated"):
            continue  # fine client order ids ("/" is one of the exchange's characters)
        data = _ticket(**{field: value})
        for route in ("check", "test", "place"):
            resp = client.post(f"/market/orders/{conn.pk}/{route}/", data, **JSON)
            _refused(resp, field, (route, kind))
    _nothing_happened(conn, ex, before)


def test_it_answers_a_form_posted_without_its_script_with_the_fields_error(desk):
    client, conn, ex = desk
    before = ex.requests()
    resp = client.post(f"/market/orders/{conn.pk}/place/", _ticket(quantity="-1"))
    page = resp.content.decode()
    assert resp.status_code == 400 and "Nothing was sent" in page
    error = re.search(r'<p[^>]*data-error-for="quantity"[^>]*>([^<]*)</p>', page).group(1)
    assert error.strip() == "Quantity must be greater than zero."
    assert f'href="/market/orders/{conn.pk}/"' in page  # the way back to the form
    _nothing_happened(conn, ex, before)


def test_it_refuses_a_bad_symbol_to_cancel_all(desk):
    client, conn, ex = desk
    before = ex.requests()
    for kind, value in {**BAD_TEXT, "unknown": "NOPEUSD"}.items():
        resp = client.post(f"/market/orders/{conn.pk}/cancel-all/", {"symbol": value}, **JSON)
        assert resp.status_code == 400, kind
        _refused(resp, "symbol", kind)
    assert ex.requests() == before


@pytest.mark.parametrize("field", ["quantity", "price", "stop_price", "stop_limit_price"])
def test_it_refuses_a_bad_oco_amount_on_its_field(desk, field):
    client, conn, ex = desk
    before = ex.requests()
    oco = {
        "symbol": "BTCUSD",
        "list_client_order_id": "bad-oco-1",
        "side": "SELL",
        "quantity": "0.001",
        "price": "70000",
        "stop_price": "50000",
        "stop_limit_price": "49000",
        "stop_limit_time_in_force": "GTC",
    }
    for kind, value in AMOUNTS.items():
        resp = client.post(f"/market/orders/{conn.pk}/oco/", {**oco, field: value}, **JSON)
        assert resp.status_code == 400, kind
        _refused(resp, field, kind)
    for name in ("side", "stop_limit_time_in_force", "symbol", "list_client_order_id"):
        resp = client.post(f"/market/orders/{conn.pk}/oco/", {**oco, name: "🙂"}, **JSON)
        _refused(resp, name, name)
    _nothing_happened(conn, ex, before)


@pytest.mark.parametrize("field", ["confirm_notional_over", "confirm_balance_percent_over"])
def test_it_refuses_a_bad_threshold_and_keeps_none_of_it(desk, field):
    client, conn, _ = desk
    for kind, value in AMOUNTS.items():
        if kind in ("zero", "minus-zero"):
            continue  # "confirm every order" is a threshold of zero
        form = {"confirm_notional_over": "700", "confirm_balance_percent_over": "50"}
        resp = client.post(f"/market/orders/{conn.pk}/preferences/", {**form, field: value}, **JSON)
        assert resp.status_code == 400, kind
        _refused(resp, field, kind)
    assert not TradingPreference.objects.filter(user=conn.user).exists()


def test_it_refuses_a_bad_symbol_filter_on_the_open_orders(desk):
    client, conn, _ = desk
    url = f"/market/orders/{conn.pk}/open.json"
    for nothing in ("", " \t "):
        assert client.get(url, {"symbol": nothing}).status_code == 200  # no filter
    for kind, value in {**BAD_TEXT, "unknown": "NOPEUSD"}.items():
        if kind in ("empty", "whitespace"):
            continue
        resp = client.get(url, {"symbol": value})
        assert resp.status_code == 400, kind
        _refused(resp, "symbol", kind)


@pytest.mark.parametrize("wanted", ["²", "١", "1" * 10_000, "-1", "🙂", "", "0x1"])
def test_it_shows_the_market_page_whatever_connection_is_asked_for(desk, wanted):
    client, conn, _ = desk
    resp = client.get("/market/BTCUSD/", {"connection": wanted})
    assert resp.status_code == 200
    assert resp.context["trading_connection"] == conn  # the user's own, as before


@pytest.mark.parametrize("url", ["/market/BTCUSD/", "/market/orders/{pk}/"])
def test_it_ties_every_field_on_the_page_to_an_element_for_its_error(desk, url):
    client, conn, _ = desk
    page = client.get(url.format(pk=conn.pk)).content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert len(described) >= (15 if "BTCUSD" in url else 2)
    assert [d for d in described if d not in ids] == []


@pytest.mark.parametrize("target", ["", "a\x00b", "🙂", "x" * 10_000, "//evil.example/", "\n"])
def test_it_goes_back_only_to_its_own_pages_whatever_next_says(desk, target):
    client, conn, _ = desk
    form = {"confirm_notional_over": "700", "confirm_balance_percent_over": "50", "next": target}
    saved = client.post(f"/market/orders/{conn.pk}/preferences/", form)
    assert saved.status_code == 302
    assert "evil" not in saved.url and "\x00" not in saved.url and "\n" not in saved.url
    refused = client.post(f"/market/orders/{conn.pk}/cancel-all/", {"symbol": "", "next": target})
    assert refused.status_code == 400 and "evil" not in refused.content.decode()
