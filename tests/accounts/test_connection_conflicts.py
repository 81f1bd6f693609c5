"""A label already in use and an API key already stored: field errors, nothing written, nothing
sent to the exchange (issue 17, items 3 and 11)."""

import importlib
import logging

import pytest
import requests
from cryptography.fernet import Fernet
from django.apps import apps
from django.urls import reverse

from accounts import crypto, services
from accounts.models import AuditRecord, Environment, ExchangeConnection, KeyType
from accounts.services.keys import encryption_keys_rotate
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db

LABEL_IN_USE = "You already have a connection with this label."


@pytest.fixture
def owner(client):
    user = make_user()
    login(client, user)
    return user


@pytest.fixture
def exchange_requests(sandbox_url):
    """How many requests the sandbox has answered so far (call it before and after)."""
    return lambda: requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()["total"]


def _create_form(label, account, **overrides):
    return {
        "label": label,
        "key_type": "exchange",
        "environment": "sandbox",
        "api_key": account["apiKey"],
        "api_secret": account["secretKey"],
        **overrides,
    }


# --- 3: a label in use ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["fresh-1", " fresh-1 ", "\tfresh-1\u00a0"])
def test_it_refuses_renaming_to_a_label_in_use_next_to_the_field(client, owner, typed):
    make_connection(owner, label="fresh-1")
    conn = make_connection(owner, label="other")
    resp = client.post(reverse("accounts:rename", args=[conn.pk]), {"label": typed})
    assert resp.status_code == 400
    assert resp.context["rename_form"].errors["label"] == [LABEL_IN_USE]
    body = resp.content.decode()
    assert 'aria-describedby="id_label_error"' in body and 'id="id_label_error"' in body
    conn.refresh_from_db()
    assert conn.label == "other"
    assert not AuditRecord.objects.filter(action="connection.rename").exists()


def test_it_renames_to_a_label_differing_only_in_case_as_the_database_does(client, owner):
    make_connection(owner, label="fresh-1")
    conn = make_connection(owner, label="other")
    resp = client.post(reverse("accounts:rename", args=[conn.pk]), {"label": " FRESH-1 "})
    assert resp.status_code == 302
    conn.refresh_from_db()
    assert conn.label == "FRESH-1"


def test_it_keeps_a_connections_own_label_on_rename(client, owner):
    conn = make_connection(owner, label="fresh-1")
    resp = client.post(reverse("accounts:rename", args=[conn.pk]), {"label": "fresh-1 "})
    assert resp.status_code == 302
    conn.refresh_from_db()
    assert conn.label == "fresh-1"


def test_it_refuses_a_label_in_use_on_create_without_asking_the_exchange(
    client, owner, sandbox_account, exchange_requests
):
    make_connection(owner, label="fresh-1")
    before = exchange_requests()
    resp = client.post(reverse("accounts:create"), _create_form(" fresh-1 ", sandbox_account))
    assert resp.status_code == 200
    assert resp.context["form"].errors["label"] == [LABEL_IN_USE]
    assert exchange_requests() == before
    assert list(owner.connections.values_list("label", flat=True)) == ["fresh-1"]
    assert not AuditRecord.objects.filter(user=owner).exists()


def test_it_creates_a_label_differing_only_in_case(client, owner, sandbox_account):
    make_connection(owner, label="fresh-1")
    resp = client.post(reverse("accounts:create"), _create_form("FRESH-1", sandbox_account))
    assert resp.status_code == 302
    assert sorted(owner.connections.values_list("label", flat=True)) == ["FRESH-1", "fresh-1"]


def test_it_refuses_a_label_taken_while_the_exchange_was_verifying(
    client, owner, sandbox_account, monkeypatch
):
    """Two tabs: the other one stores the label while this one waits for the exchange."""
    from accounts.services import connections

    real_verify = connections.credentials_verify

    def verify_while_the_other_tab_saves(**kwargs):
        answer = real_verify(**kwargs)
        make_connection(owner, label="fresh-1")
        return answer

    monkeypatch.setattr(connections, "credentials_verify", verify_while_the_other_tab_saves)
    resp = client.post(reverse("accounts:create"), _create_form("fresh-1", sandbox_account))
    assert resp.context["form"].errors["label"] == [LABEL_IN_USE]
    assert owner.connections.count() == 1
    assert not owner.connections.get().balances.exists()


def test_it_refuses_a_label_in_use_from_every_entry_point(owner):
    make_connection(owner, label="fresh-1")
    with pytest.raises(services.ConnectionInputError) as exc_info:
        make_connection(owner, label="fresh-1 ")
    assert exc_info.value.errors == {"label": LABEL_IN_USE}
    other = make_connection(owner, label="other")
    with pytest.raises(services.ConnectionInputError):
        services.connection_rename(connection=other, label="\nfresh-1")
    assert other.label == "other"
    assert make_connection(make_user(), label="fresh-1")  # another user's labels are their own


# --- 11: an API key already stored ---------------------------------------------------------------


def test_it_refuses_adding_a_key_already_stored_naming_its_connection(
    client, owner, sandbox_account, exchange_requests, caplog
):
    caplog.set_level(logging.DEBUG)
    make_connection(
        owner,
        label="Main <desk>",
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    before = exchange_requests()
    resp = client.post(reverse("accounts:create"), _create_form("Second", sandbox_account))
    assert resp.status_code == 200
    [error] = resp.context["form"].errors["api_key"]
    assert error == "This API key is already stored in your connection “Main <desk>”."
    body = resp.content.decode()
    assert "Main &lt;desk&gt;" in body
    assert sandbox_account["apiKey"] not in body  # not even back in its own field
    assert sandbox_account["secretKey"] not in body
    assert sandbox_account["apiKey"] not in caplog.text
    assert exchange_requests() == before
    assert list(owner.connections.values_list("label", flat=True)) == ["Main <desk>"]


def test_it_reports_a_label_and_a_key_in_use_together(client, owner, sandbox_account):
    make_connection(owner, label="Main", api_key=sandbox_account["apiKey"])
    resp = client.post(reverse("accounts:create"), _create_form("Main", sandbox_account))
    errors = resp.context["form"].errors
    assert errors["label"] == [LABEL_IN_USE]
    assert errors["api_key"] == ["This API key is already stored in your connection “Main”."]


def test_it_refuses_replacing_keys_with_a_key_another_connection_stores(
    client, owner, sandbox_account, exchange_requests
):
    make_connection(owner, label="Main", api_key=sandbox_account["apiKey"])
    other = make_connection(owner, label="Other")
    stored = other.api_key_encrypted
    before = exchange_requests()
    resp = client.post(
        reverse("accounts:replace-keys", args=[other.pk]),
        {"api_key": sandbox_account["apiKey"], "api_secret": sandbox_account["secretKey"]},
    )
    assert resp.context["form"].errors["api_key"] == [
        "This API key is already stored in your connection “Main”."
    ]
    assert exchange_requests() == before
    other.refresh_from_db()
    assert other.api_key_encrypted == stored
    assert not AuditRecord.objects.filter(action="connection.replace_keys").exists()


def test_it_replaces_keys_with_the_connections_own_key(client, owner, sandbox_account):
    conn = make_connection(
        owner,
        label="Main",
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    resp = client.post(
        reverse("accounts:replace-keys", args=[conn.pk]),
        {"api_key": sandbox_account["apiKey"], "api_secret": sandbox_account["secretKey"]},
    )
    assert resp.status_code == 302
    conn.refresh_from_db()
    assert conn.verified_at is not None


def test_it_allows_the_same_key_for_another_user_or_environment(owner):
    key = "SHAREDKEY" + "0" * 55
    make_connection(owner, label="Sandbox", api_key=key)
    services.connection_import(
        user=owner,
        label="Live",
        key_type=KeyType.EXCHANGE,
        environment=Environment.LIVE,
        api_key=key,
        api_secret="S" * 64,
    )
    make_connection(make_user(), label="Theirs", api_key=key)
    assert ExchangeConnection.objects.count() == 3
    with pytest.raises(services.ConnectionInputError) as exc_info:
        make_connection(owner, label="Again", api_key=key)
    assert exc_info.value.errors == {
        "api_key": "This API key is already stored in your connection “Sandbox”."
    }


def test_it_stores_a_keyed_lookup_never_the_key_or_its_plain_hash(owner):
    import hashlib

    key = "LOOKUPKEY" + "1" * 55
    conn = make_connection(owner, api_key=key)
    assert conn.api_key_lookup == crypto.key_lookup(key)
    assert len(conn.api_key_lookup) == 64
    assert conn.api_key_lookup != hashlib.sha256(key.encode()).hexdigest()
    assert key not in conn.api_key_lookup


def test_it_recognises_a_stored_key_across_an_encryption_key_rotation(owner, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.DESK_ENCRYPTION_KEYS = [old]
    key = "ROTATEDKEY" + "2" * 54
    conn = make_connection(owner, label="Main", api_key=key)
    settings.DESK_ENCRYPTION_KEYS = [new, old]  # rows still carry lookups made under `old`
    with pytest.raises(services.ConnectionInputError):
        make_connection(owner, label="Twin", api_key=key)
    encryption_keys_rotate()
    settings.DESK_ENCRYPTION_KEYS = [new]  # `old` retired
    conn.refresh_from_db()
    assert conn.api_key_lookup == crypto.key_lookup(key)
    with pytest.raises(services.ConnectionInputError):
        make_connection(owner, label="Twin", api_key=key)


def test_it_backfills_the_lookup_of_rows_stored_before_it_existed(owner):
    key = "OLDROWKEY" + "3" * 55
    conn = make_connection(owner, api_key=key)
    broken = make_connection(owner)
    ExchangeConnection.objects.filter(pk__in=[conn.pk, broken.pk]).update(api_key_lookup="")
    ExchangeConnection.objects.filter(pk=broken.pk).update(api_key_encrypted="gAAAAA-tampered")
    migration = importlib.import_module(
        "accounts.migrations.0003_exchangeconnection_api_key_lookup"
    )
    migration.backfill(apps, None)
    conn.refresh_from_db()
    broken.refresh_from_db()
    assert conn.api_key_lookup == crypto.key_lookup(key)
    assert broken.api_key_lookup == ""
    with pytest.raises(services.ConnectionInputError):
        make_connection(owner, label="Twin", api_key=key)
