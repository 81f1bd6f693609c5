from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Balance
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _balance(free: str, locked: str = "0", asset: str = "SHIB") -> Balance:
    conn = make_connection(make_user())
    return Balance.objects.create(
        connection=conn, asset=asset, free=Decimal(free), locked=Decimal(locked), updated_at=NOW
    )


@pytest.mark.parametrize(
    "amount",
    [
        "12345678.12345678",  # 16 significant digits: SQLite's REAL would keep 15
        "98765432109876543210.123456789012345678",  # 38 digits, the column's whole range
        "0.000000000000000001",
        "-4.5",
    ],
)
def test_it_stores_money_exactly(amount):
    row = _balance(amount)
    stored = Balance.objects.get(pk=row.pk)
    assert stored.free == Decimal(amount)
    assert stored.free.as_tuple().exponent == -18


def test_it_keeps_money_out_of_floating_point_in_the_database():
    row = _balance("12345678.12345678")
    with connection.cursor() as cur:
        cur.execute("SELECT free FROM accounts_balance WHERE id = %s", [row.pk])
        (raw,) = cur.fetchone()
    assert not isinstance(raw, float)
    assert Decimal(str(raw)) == Decimal("12345678.12345678")


def test_it_finds_zero_balances_however_zero_was_written():
    _balance("0E-8", "0.000", asset="ZERO")
    _balance("0.1", "0", asset="SOME")
    held = Balance.objects.exclude(free=0, locked=0).values_list("asset", flat=True)
    assert list(held) == ["SOME"]
    assert Balance.objects.filter(free=Decimal("0.10")).count() == 1
