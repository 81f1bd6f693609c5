"""Connection services against the real sandbox exchange over loopback."""

import logging
from decimal import Decimal

import pytest
import requests
from django.db import connection as db
from django.utils import timezone

import binanceus
from accounts import services
from accounts.models import Balance, Environment, ExchangeConnection, KeyType
from accounts.services.balances import balances_store
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _create(user, account, **overrides):
    fields = dict(
        user=user,
        label="Main",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )
    return services.connection_create(**{**fields, **overrides})


def _all_rows_text() -> str:
    """Every value in every table, as text: what an attacker holding the DB would see."""
    chunks = []
    with db.cursor() as cur:
        for table in db.introspection.table_names(cur):
            cur.execute(f'SELECT * FROM "{table}"')
            chunks.extend(repr(row) for row in cur.fetchall())
    return "\n".join(chunks)


def test_it_verifies_and_stores_a_working_key(use_sandbox, sandbox_account):
    user = make_user()
    conn = _create(user, sandbox_account)
    conn.refresh_from_db()
    assert conn.verified_at is not None
    assert conn.can_trade is True
    assert conn.account_status
    balances = {b.asset: b for b in conn.balances.all()}
    assert balances["USD"].free == Decimal("100000")
    assert balances["BTC"].free == Decimal("5")
    assert isinstance(balances["BTC"].free, Decimal)


def test_it_keeps_the_secret_out_of_the_database(use_sandbox, sandbox_account):
    _create(make_user(), sandbox_account)
    text = _all_rows_text()
    assert sandbox_account["secretKey"] not in text
    assert sandbox_account["apiKey"] not in text


def test_it_saves_nothing_when_the_exchange_refuses_the_key(use_sandbox, sandbox_account):
    user = make_user()
    with pytest.raises(services.ConnectionVerificationError) as exc_info:
        _create(user, sandbox_account, api_secret="x" * 64)
    assert exc_info.value.code == -1022
    assert "-1022" in str(exc_info.value)
    assert not ExchangeConnection.objects.exists()
    assert not Balance.objects.exists()


def test_it_reports_an_unknown_key_with_the_exchange_code(use_sandbox, sandbox_account):
    with pytest.raises(services.ConnectionVerificationError) as exc_info:
        _create(make_user(), sandbox_account, api_key="Z" * 64)
    assert exc_info.value.code in (-2014, -2015)


def test_it_syncs_balances_and_drops_emptied_assets(use_sandbox, sandbox_account, sandbox_url):
    conn = _create(make_user(), sandbox_account)
    requests.post(
        f"{sandbox_url}/sandbox/v1/deposit",
        json={"email": sandbox_account["email"], "asset": "SOL", "amount": "12.5"},
        timeout=5,
    ).raise_for_status()
    services.connection_sync_balances(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.balances.get(asset="SOL").free == Decimal("12.5")
    assert conn.last_sync_error == ""


def test_it_marks_undecryptable_keys_without_calling_out(use_sandbox, sandbox_account, settings):
    from cryptography.fernet import Fernet

    conn = _create(make_user(), sandbox_account)
    synced_before = conn.balances_synced_at
    settings.DESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    services.connection_sync_balances(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.needs_new_keys is True
    assert conn.balances_synced_at == synced_before


def test_it_never_logs_the_secret(use_sandbox, sandbox_account, caplog):
    caplog.set_level(logging.DEBUG)
    conn = _create(make_user(), sandbox_account)
    services.connection_sync_balances(connection_id=conn.pk)
    with pytest.raises(services.ConnectionVerificationError):
        _create(make_user(), sandbox_account, label="bad", api_secret="y" * 64)
    assert caplog.records, "expected some log output to search"
    for record in caplog.records:
        assert sandbox_account["secretKey"] not in record.getMessage()
    assert sandbox_account["secretKey"] not in caplog.text


def test_it_sends_nothing_for_a_tampered_row_and_pages_still_render(client, sandbox_url):
    from accounts.models import ExchangeConnection
    from tests.factories import login, make_connection

    owner = make_user()
    conn = make_connection(owner)
    ExchangeConnection.objects.filter(pk=conn.pk).update(api_secret_encrypted="gAAAAA-tampered")
    before = requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()["total"]
    services.connection_sync_balances(connection_id=conn.pk)
    services.subaccounts_sync(connection_id=conn.pk)
    after = requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()["total"]
    assert after == before, "a request went out with an undecryptable key"
    login(client, owner)
    detail = client.get(f"/connections/{conn.pk}/")
    assert detail.status_code == 200 and "needs new keys" in detail.content.decode()
    assert client.get("/").status_code == 200


def test_a_connection_deleted_while_its_balances_were_read_takes_no_rows(
    use_sandbox, sandbox_account
):
    """The user deletes the connection while the sync is on the exchange for it: the sync's
    write finds no row and stores nothing, instead of raising in the worker."""
    conn = _create(make_user(), sandbox_account)
    read_before_the_call = ExchangeConnection.objects.get(pk=conn.pk)
    conn.delete()
    btc = binanceus.Balance(asset="BTC", free=Decimal("1.5"), locked=Decimal("0"))
    stored = balances_store(
        connection=read_before_the_call, balances=[btc], synced_at=timezone.now()
    )
    assert stored is False
    assert not Balance.objects.filter(connection_id=read_before_the_call.pk).exists()
