from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts.models import Balance, ExchangeConnection
from accounts.selectors import balances_payload, connection_owned_by
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_knows_the_owner_owns_the_connection():
    owner = make_user()
    conn = make_connection(owner)
    assert connection_owned_by(user=owner, pk=conn.pk)


def test_it_does_not_count_a_stranger_as_owner():
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner)
    assert not connection_owned_by(user=stranger, pk=conn.pk)


def test_the_balances_payload_lists_each_asset_by_name_with_money_as_plain_text():
    conn = make_connection(make_user())
    synced = datetime(2026, 12, 7, 17, 0, 1, 250000, tzinfo=UTC)
    ExchangeConnection.objects.filter(pk=conn.pk).update(balances_synced_at=synced)
    for asset, free, locked in [("USD", "1500.50000000", "0E-8"), ("BTC", "0.00100000", "2")]:
        Balance.objects.create(
            connection=conn, asset=asset, free=Decimal(free), locked=Decimal(locked),
            updated_at=synced,
        )  # fmt: skip
    make_connection(conn.user).balances.create(
        asset="ETH", free=Decimal(1), locked=Decimal(0), updated_at=synced
    )  # another connection's: not in this one's payload
    assert balances_payload(connection_id=conn.pk) == {
        "connection": conn.pk,
        "synced_at": "2026-12-07T17:00:01.250000+00:00",
        "balances": [
            {"asset": "BTC", "free": "0.001", "locked": "2"},
            {"asset": "USD", "free": "1500.5", "locked": "0"},
        ],
    }


def test_the_balances_payload_of_a_connection_never_synced_or_gone():
    conn = make_connection(make_user())
    assert balances_payload(connection_id=conn.pk) == {
        "connection": conn.pk,
        "synced_at": None,
        "balances": [],
    }
    with pytest.raises(ExchangeConnection.DoesNotExist):
        balances_payload(connection_id=conn.pk + 1000)
