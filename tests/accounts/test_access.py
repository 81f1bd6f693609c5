"""The one door to a connection: owner, stranger, and what each key type may do.

Which key type may call which area comes from the spec's "API Key Types" (the sandbox enforces
the same split: custodial keys call only the custody area, credit-line keys only credit line)."""

import pytest
from django.http import Http404

from accounts.access import (
    CREDIT_LINE,
    CUSTODY,
    HISTORY,
    TRADE,
    TRANSFER,
    WITHDRAW,
    CapabilityRefused,
    connection_get_for_user,
    connection_list_with,
)
from accounts.models import KeyType
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db

EXCHANGE_ONLY = (TRADE, TRANSFER, WITHDRAW, HISTORY)


def _connection(user, key_type=KeyType.EXCHANGE, **fields):
    conn = make_connection(user)
    conn.key_type = key_type
    for name, value in fields.items():
        setattr(conn, name, value)
    conn.save()
    return conn


def test_it_returns_the_owners_connection_for_every_capability_of_its_key():
    owner = make_user()
    conn = _connection(owner)
    assert connection_get_for_user(user=owner, pk=conn.pk) == conn
    for capability in EXCHANGE_ONLY:
        assert connection_get_for_user(user=owner, pk=conn.pk, capability=capability) == conn
    custodial = _connection(owner, KeyType.CUSTODIAL)
    assert connection_get_for_user(user=owner, pk=custodial.pk, capability=CUSTODY) == custodial
    credit = _connection(owner, KeyType.CREDIT_LINE)
    assert connection_get_for_user(user=owner, pk=credit.pk, capability=CREDIT_LINE) == credit


@pytest.mark.parametrize("capability", [None, TRADE, CUSTODY])
def test_it_hides_a_strangers_connection_as_missing(capability):
    owner, stranger = make_user(), make_user()
    conn = _connection(owner)
    with pytest.raises(Http404) as raised:
        connection_get_for_user(user=stranger, pk=conn.pk, capability=capability)
    # Not a refusal: that would tell the stranger the id exists, and which key type it has.
    assert not isinstance(raised.value, CapabilityRefused)


@pytest.mark.parametrize("pk", ["abc", None, 10**12, 2**64, -1, 0, "²", "1e3"])
def test_it_404s_on_missing_and_garbage_ids(pk):
    with pytest.raises(Http404):
        connection_get_for_user(user=make_user(), pk=pk)


@pytest.mark.parametrize(
    ("key_type", "named", "refused"),
    [
        (KeyType.CUSTODIAL, "a custodial key", (*EXCHANGE_ONLY, CREDIT_LINE)),
        (KeyType.CREDIT_LINE, "a credit-line key", (*EXCHANGE_ONLY, CUSTODY)),
        (KeyType.EXCHANGE, "an exchange key", (CUSTODY, CREDIT_LINE)),
    ],
)
def test_it_refuses_what_the_key_type_cannot_do_naming_the_type(key_type, named, refused):
    owner = make_user()
    conn = _connection(owner, key_type)
    for capability in refused:
        with pytest.raises(CapabilityRefused) as raised:
            connection_get_for_user(user=owner, pk=conn.pk, capability=capability)
        assert f"This is {named}: it cannot" in str(raised.value), capability
        assert raised.value.connection == conn


def test_it_says_a_custodial_key_cannot_trade_on_the_exchange():
    owner = make_user()
    conn = _connection(owner, KeyType.CUSTODIAL)
    with pytest.raises(CapabilityRefused, match="custodial key: it cannot trade on the exchange"):
        connection_get_for_user(user=owner, pk=conn.pk, capability=TRADE)


@pytest.mark.parametrize(
    ("fields", "why"),
    [({"is_active": False}, "disabled"), ({"needs_new_keys": True}, "keys need replacing")],
)
def test_it_refuses_trading_with_an_unusable_key_but_not_its_other_pages(fields, why):
    owner = make_user()
    conn = _connection(owner, **fields)
    with pytest.raises(CapabilityRefused, match=why):
        connection_get_for_user(user=owner, pk=conn.pk, capability=TRADE)
    assert connection_get_for_user(user=owner, pk=conn.pk, capability=HISTORY) == conn
    assert list(connection_list_with(user=owner, capability=TRADE)) == []


def test_it_lists_only_the_users_connections_that_can():
    owner = make_user()
    exchange = _connection(owner)
    _connection(owner, KeyType.CUSTODIAL)
    _connection(make_user())
    assert list(connection_list_with(user=owner, capability=TRANSFER)) == [exchange]


def test_it_rejects_an_unknown_capability_loudly():
    owner = make_user()
    conn = _connection(owner)
    with pytest.raises(ValueError, match="unknown capability"):
        connection_get_for_user(user=owner, pk=conn.pk, capability="trading")


# --- what the pages answer ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/market/orders/{pk}/",
        "/transfers/{pk}/",
        "/connections/{pk}/history/",
    ],
)
def test_it_shows_the_refusal_on_the_page_as_a_404(client, url):
    owner = make_user()
    conn = _connection(owner, KeyType.CREDIT_LINE)
    login(client, owner)
    resp = client.get(url.format(pk=conn.pk))
    assert resp.status_code == 404
    assert "This is a credit-line key: it cannot" in resp.content.decode()


def test_it_answers_a_refusal_to_scripts_as_json(client):
    owner = make_user()
    conn = _connection(owner, KeyType.CUSTODIAL)
    login(client, owner)
    resp = client.post(f"/market/orders/{conn.pk}/place/", {}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 404
    assert resp.json() == {
        "ok": False,
        "message": "This is a custodial key: it cannot trade on the exchange.",
    }


def test_it_keeps_strangers_on_the_plain_404_page(client):
    conn = _connection(make_user(), KeyType.CUSTODIAL)
    login(client, make_user())
    resp = client.get(f"/market/orders/{conn.pk}/")
    assert resp.status_code == 404 and "custodial" not in resp.content.decode()


def test_it_refuses_to_list_sub_accounts_of_a_custodial_key(client):
    owner = make_user()
    conn = _connection(owner, KeyType.CUSTODIAL)
    login(client, owner)
    resp = client.post(f"/connections/{conn.pk}/subaccounts/refresh/")
    assert resp.status_code == 404
    assert "This is a custodial key: it cannot list sub-accounts" in resp.content.decode()
