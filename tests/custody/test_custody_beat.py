"""The Custody tab's periodic tasks beside a poisoned row: a connection whose stored keys cannot
be decrypted, or decrypt to text no header can carry, is made first; the sweep and the sync
still settle and sync the healthy one, and raise nothing."""

import pytest
import requests

from accounts import crypto
from accounts.models import ExchangeConnection
from custody import reconcile, selectors, sync
from tests.custody.conftest import (
    custody_synced,
    custody_watched,
    unknown_custody_transfer,
)
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token", ["gAAAAAB-not-a-token", "unsendable"])
def test_the_sweep_settles_the_healthy_row(sandbox_url, token):
    poisoned, healthy = _pair(sandbox_url)
    rows = {c.pk: unknown_custody_transfer(c) for c in (poisoned, healthy)}
    _poison_with(poisoned, token)
    counts = reconcile.custody_reconcile()
    rows[healthy.pk].refresh_from_db()
    assert rows[healthy.pk].status == "failed" and counts["failed"] >= 1


@pytest.mark.parametrize("token", ["gAAAAAB-not-a-token", "unsendable"])
def test_the_sync_syncs_the_healthy_row(sandbox_url, token):
    poisoned, healthy = _pair(sandbox_url)
    rows = {c.pk: custody_watched(c) for c in (poisoned, healthy)}
    _poison_with(poisoned, token)
    for pk in selectors.custody_connections():
        sync.custody_sync(connection_id=pk)
    assert custody_synced(healthy, rows[healthy.pk])
    rows[poisoned.pk].refresh_from_db()
    assert rows[poisoned.pk].synced_at is None and rows[poisoned.pk].last_error


def _pair(sandbox_url):
    """(poisoned, healthy): two stored connections of one real sandbox account."""
    import time

    email = f"beat-{time.monotonic_ns()}@example.test"
    account = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts", json={"email": email, "balances": {}}, timeout=5
    ).json()
    owner = make_user()
    poisoned = make_connection(owner)  # first: a loop that dies on it never reaches the other
    healthy = make_connection(owner, api_key=account["apiKey"], api_secret=account["secretKey"])
    ExchangeConnection.objects.filter(user=owner).update(account_email=email)
    return poisoned, healthy


def _poison_with(connection, token: str) -> None:
    if token == "unsendable":
        token = crypto.encrypt("ключ\r\nX: 1")
    ExchangeConnection.objects.filter(pk=connection.pk).update(
        api_key_encrypted=token, api_secret_encrypted=token
    )
