"""The Convert and Dust pages as a person uses them: a quote shown with the exchange's deadline,
accepting it only after a fresh sign-in, and a refused accept or dust submission saying which
field and why with nothing sent to the exchange."""

import re

import pytest
from django.urls import reverse

from convert.models import DustConversion, OtcConversion, OtcQuote
from tests.factories import login

pytestmark = pytest.mark.django_db


def _ask(client, conn, amount="0.01"):
    return client.post(
        reverse("convert:quote", args=[conn.pk]),
        {"from_coin": "BTC", "to_coin": "USD", "request_amount": amount, "amount_in": "from"},
    )


def test_a_quote_is_shown_with_its_deadline_on_the_exchanges_clock(convert_desk):
    client, conn, _ = convert_desk
    resp = _ask(client, conn)
    assert resp.status_code == 302
    quote = OtcQuote.objects.get(connection=conn)
    assert resp["Location"].endswith(f"?quote={quote.pk}")
    page = client.get(resp["Location"]).content.decode()
    deadline = int(re.search(r'data-valid-until-ms="(\d+)"', page).group(1))
    assert deadline == int(quote.valid_until.timestamp() * 1000)
    assert f'value="{quote.quote_id}"' in page
    assert 'id="quote-accept"' in page


def test_a_quote_over_the_pairs_maximum_is_refused_on_the_amount(convert_desk):
    client, conn, exchange = convert_desk
    asked = exchange.calls("quote")
    resp = _ask(client, conn, amount="100000")
    page = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="errors-request_amount"' in page
    assert exchange.calls("quote") == asked
    assert not OtcQuote.objects.filter(connection=conn).exists()


def test_accepting_asks_for_a_fresh_sign_in_and_sends_nothing_before(client, convert_account):
    conn, exchange = convert_account
    login(client, conn.user)
    _ask(client, conn)
    quote = OtcQuote.objects.get(connection=conn)
    login(client, conn.user, fresh=False)
    sent = exchange.calls("order")
    resp = client.post(reverse("convert:accept", args=[conn.pk]), {"quote_id": quote.quote_id})
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("reauth"))
    assert exchange.calls("order") == sent
    assert not OtcConversion.objects.exists()


def test_accepting_a_quote_the_desk_never_gave_is_refused_on_the_quote(convert_desk):
    client, conn, exchange = convert_desk
    sent = exchange.calls("order")
    resp = client.post(reverse("convert:accept", args=[conn.pk]), {"quote_id": "f" * 32})
    page = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="errors-quote_id"' in page
    assert exchange.calls("order") == sent
    assert not OtcConversion.objects.exists()


def test_ticking_a_balance_that_is_not_dust_is_refused_and_nothing_is_sent(client, dust_account):
    conn, exchange = dust_account
    login(client, conn.user)
    sent = exchange.calls("dust")
    resp = client.post(
        reverse("convert:dust-convert", args=[conn.pk]),
        {"to_asset": "BTC", "from_assets": ["USD", "SOL"], "request_key": "a" * 32},
    )
    page = resp.content.decode()
    assert resp.status_code == 200
    errors = re.search(r'id="errors-from_assets"[^>]*>(.*?)</div>', page, re.S)
    assert errors and "USD" in errors.group(1)
    assert exchange.calls("dust") == sent
    assert not DustConversion.objects.exists()
