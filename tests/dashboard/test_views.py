from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Balance
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_users_to_login(client):
    resp = client.get(reverse("dashboard:home"))
    assert resp.status_code == 302
    assert reverse("login") in resp.url


def test_it_shows_balances_with_their_sync_time(client):
    owner = make_user()
    conn = make_connection(owner)
    synced = timezone.now()
    Balance.objects.create(
        connection=conn,
        asset="BTC",
        free=Decimal("1.50000000"),
        locked=Decimal("0.25"),
        updated_at=synced,
    )
    conn.balances_synced_at = synced
    conn.save(update_fields=["balances_synced_at"])
    login(client, owner)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "<td>BTC</td>" in body
    assert ">1.5<" in body and ">0.25<" in body
    assert synced.strftime("%Y-%m-%d %H:%M:%S") in body
    assert f'data-connection="{conn.pk}"' in body  # the balances card follows its hub


def test_it_will_not_show_a_strangers_connection(client):
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner)
    login(client, stranger)
    resp = client.get(reverse("dashboard:home"), {"connection": conn.pk})
    assert resp.status_code == 404


def test_it_rejects_a_malformed_symbol(client):
    login(client, make_user())
    assert client.get(reverse("dashboard:home"), {"symbol": "BTC/USD"}).status_code == 404


@pytest.mark.parametrize(
    "connection",
    ["²", "٣", "9" * 30, "9" * 5000, "-1", "1.5", " 1", "x" * 10_000],
    ids=[
        "superscript",
        "arabic-indic",
        "huge",
        "beyond-int-parsing",
        "negative",
        "decimal",
        "padded",
        "long",
    ],
)
def test_it_answers_a_malformed_connection_id_with_not_found(client, connection):
    owner = make_user()
    make_connection(owner)
    login(client, owner)
    assert client.get(reverse("dashboard:home"), {"connection": connection}).status_code == 404


def test_it_shows_the_first_connection_for_an_empty_choice(client):
    owner = make_user()
    conn = make_connection(owner, label="Only one")
    login(client, owner)
    resp = client.get(reverse("dashboard:home"), {"connection": ""})
    assert resp.status_code == 200
    assert resp.context["data"].connection == conn


@pytest.mark.parametrize("symbol", ["BTCUSD\n", " BTCUSD", "ünï", "x" * 10_000])
def test_it_rejects_a_symbol_with_anything_around_it(client, symbol):
    login(client, make_user())
    assert client.get(reverse("dashboard:home"), {"symbol": symbol}).status_code == 404


def test_it_shows_the_default_symbol_for_an_empty_choice(client, settings):
    login(client, make_user())
    resp = client.get(reverse("dashboard:home"), {"symbol": ""})
    assert resp.status_code == 200
    assert resp.context["symbol"] == settings.DESK_DEFAULT_SYMBOL
