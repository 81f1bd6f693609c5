import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts import crypto
from accounts.models import ExchangeConnection, KeyType

pytestmark = pytest.mark.django_db


def _seed(path):
    call_command("seed_demo", "--bootstrap", str(path))
    return json.loads(path.read_text())["accounts"][0]["keys"][0]


def test_it_creates_the_demo_user_and_a_matching_sandbox_key(tmp_path):
    path = tmp_path / "bootstrap.json"
    key = _seed(path)
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo-desk-2026")
    conn = ExchangeConnection.objects.get(user=user, key_type=KeyType.EXCHANGE)
    assert crypto.decrypt(conn.api_key_encrypted) == key["apiKey"]
    assert crypto.decrypt(conn.api_secret_encrypted) == key["secretKey"]
    assert path.stat().st_mode & 0o077 == 0, "bootstrap file holds secrets: owner-only"
    # The demo master comes with sub-accounts, and the app knows the master's own email.
    accounts = json.loads(path.read_text())["accounts"]
    master = accounts[0]["email"]
    assert conn.account_email == master
    assert [a["master"] for a in accounts[1:]] == [master, master]


def test_it_is_idempotent(tmp_path):
    path = tmp_path / "bootstrap.json"
    first, second = _seed(path), _seed(path)
    assert first == second
    assert ExchangeConnection.objects.count() == 3


def test_it_follows_a_regenerated_bootstrap_file(tmp_path):
    path = tmp_path / "bootstrap.json"
    _seed(path)
    path.unlink()
    key = _seed(path)
    conn = ExchangeConnection.objects.get(key_type=KeyType.EXCHANGE)
    assert crypto.decrypt(conn.api_key_encrypted) == key["apiKey"]


def test_it_gives_the_demo_a_custodial_and_a_credit_line_connection(tmp_path):
    path = tmp_path / "bootstrap.json"
    _seed(path)
    master = json.loads(path.read_text())["accounts"][0]
    keys = {k["type"]: k["apiKey"] for k in master["keys"]}
    for key_type in (KeyType.CUSTODIAL, KeyType.CREDIT_LINE):
        conn = ExchangeConnection.objects.get(key_type=key_type)
        assert crypto.decrypt(conn.api_key_encrypted) == keys[key_type]
    assert (
        ExchangeConnection.objects.get(key_type=KeyType.CUSTODIAL).custodian_rail
        == (master["custody"]["rail"])
    )
    assert master["creditLine"]["loanAssets"] and master["custody"]["balances"]
