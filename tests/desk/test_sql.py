"""desk.db.sql: rows read with SQL written once are the rows the ORM reads, field by field."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ExchangeConnection
from desk.db.sql import model_rows, model_update, row_key
from tests.factories import make_connection, make_order, make_user
from trading.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def _fields(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.fields}


def test_an_order_reads_as_the_orm_reads_it_money_times_json_and_all():
    conn = make_connection(make_user())
    stored = make_order(
        conn,
        order_id=2**40 + 7,
        price=Decimal("27000.12345678"),
        orig_qty=Decimal("0.00100000"),
        is_working=True,
        request={"symbol": "BTCUSD", "quantity": "0.001"},
        exchange_updated_at=datetime(2026, 12, 7, 12, 30, 1, 234000, tzinfo=UTC),
    )
    (row,) = model_rows(Order, "{id} = %s", [stored.pk])
    orm = Order.objects.get(pk=stored.pk)
    assert _fields(row) == _fields(orm)
    assert isinstance(row.price, Decimal) and row.price == Decimal("27000.12345678")
    assert row.exchange_updated_at.tzinfo is not None and row.is_working is True
    assert row.request == {"symbol": "BTCUSD", "quantity": "0.001"}
    assert row._state.adding is False and row._state.db == connection.alias


def test_a_connection_reads_its_keys_decrypted_as_the_orm_does():
    conn = make_connection(make_user(), api_secret="S" * 64)
    (row,) = model_rows(ExchangeConnection, "{id} = %s AND {user} = %s", [conn.pk, conn.user_id])
    assert _fields(row) == _fields(ExchangeConnection.objects.get(pk=conn.pk))


def test_rows_come_in_the_models_order_and_extra_columns_as_attributes():
    conn = make_connection(make_user())
    first, second = make_order(conn), make_order(conn)
    Order.objects.filter(pk=first.pk).update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    name = connection.ops.quote_name("doubled")
    rows = model_rows(Order, "{connection} = %s", [conn.pk], also=f"2 * 21 AS {name}")
    assert [r.pk for r in rows] == [second.pk, first.pk]  # newest first ("-created_at")
    assert [r.doubled for r in rows] == [42, 42]


def test_an_update_writes_the_fields_named_as_save_would_and_stamps_auto_now():
    row = make_order(make_connection(make_user()), price=Decimal("1.5"))
    before = row.updated_at
    row.executed_qty, row.status, row.price = Decimal("0.25000001"), OrderStatus.PARTIALLY_FILLED, 9
    model_update(row, ["executed_qty", "status", "updated_at"])
    stored = Order.objects.get(pk=row.pk)
    assert stored.executed_qty == Decimal("0.25000001") and stored.status == "PARTIALLY_FILLED"
    assert stored.price == Decimal("1.5")  # not named: not written
    assert row.updated_at > before and stored.updated_at == row.updated_at


def test_an_update_of_a_row_gone_fails_as_save_does():
    row = make_order(make_connection(make_user()))
    Order.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        model_update(row, ["status"])


def test_nothing_matched_is_no_rows():
    assert model_rows(Order, "{id} = %s", [987654321]) == []


@pytest.mark.parametrize(
    ("value", "key"),
    [(7, 7), ("42", 42), (2**63 - 1, 2**63 - 1)]
    + [(bad, None) for bad in ("abc", None, "", "1e3", "²", 0, -1, 2**63, 10**30, 1.5e300)],
)
def test_a_row_key_is_a_number_a_bigint_column_can_hold(value, key):
    assert row_key(value) == key


def test_only_the_fields_named_are_read_and_the_rest_on_first_use_as_only_leaves_them():
    conn = make_connection(make_user())
    synced = datetime(2026, 12, 7, 17, 0, 1, tzinfo=UTC)
    ExchangeConnection.objects.filter(pk=conn.pk).update(balances_synced_at=synced)
    with CaptureQueriesContext(connection) as queries:
        (row,) = model_rows(
            ExchangeConnection, "{id} = %s", [conn.pk], only=("balances_synced_at",)
        )
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "api_secret_encrypted" not in sql and "key_fingerprint" not in sql
    assert row.pk == conn.pk and row.balances_synced_at == synced
    assert row.get_deferred_fields() == {
        f.attname for f in ExchangeConnection._meta.concrete_fields
    } - {"id", "balances_synced_at"}
    with CaptureQueriesContext(connection) as later:
        assert row.label == conn.label  # read when asked for, as the ORM would
    assert len(later.captured_queries) == 1
