import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from accounts import crypto
from accounts.models import ExchangeConnection
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_re_encrypts_every_row_under_the_new_key(settings, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.DESK_ENCRYPTION_KEYS = [old]
    user = make_user()
    conns = [make_connection(user, api_secret=f"SECRET{i:058d}") for i in range(3)]
    settings.DESK_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")
    assert "connections: 3 · re-encrypted: 3 · undecryptable: 0" in capsys.readouterr().out
    settings.DESK_ENCRYPTION_KEYS = [new]  # the old key is retired
    for i, conn in enumerate(conns):
        conn.refresh_from_db()
        assert crypto.decrypt(conn.api_secret_encrypted) == f"SECRET{i:058d}"
        assert crypto.decrypt(conn.api_key_encrypted).startswith("TESTKEY")


def test_it_reports_tampered_rows_and_rotates_the_rest(settings, capsys):
    user = make_user()
    good, bad = make_connection(user), make_connection(user)
    ExchangeConnection.objects.filter(pk=bad.pk).update(api_secret_encrypted="gAAAAAtampered")
    settings.DESK_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.DESK_ENCRYPTION_KEYS]
    with pytest.raises(CommandError, match=f"1 connection\\(s\\) need new keys: {bad.pk}"):
        call_command("rotate_encryption_keys")
    assert "re-encrypted: 1 · undecryptable: 1" in capsys.readouterr().out
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.needs_new_keys and not good.needs_new_keys
    settings.DESK_ENCRYPTION_KEYS = settings.DESK_ENCRYPTION_KEYS[:1]
    assert crypto.decrypt(good.api_secret_encrypted)
