"""The periodic tasks of orders, each with a poisoned row ahead of good ones: a connection whose
keys cannot be decrypted, one whose key decrypts to text no HTTP header can carry, an intent of
a symbol the exchange does not know. The good rows are still done, in the same run."""

import itertools
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from accounts import services
from accounts.models import Environment, ExchangeConnection, KeyType
from tests.factories import make_user
from trading import tasks
from trading.models import Order, OrderList, OrderOrigin, OrderStatus
from trading.orders import reconcile, userdata
from trading.orders import services as order_services
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


def _connection(api_key: str, api_secret: str) -> ExchangeConnection:
    return services.connection_import(
        user=make_user(),
        label=f"Poison {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=api_key,
        api_secret=api_secret,
    )


def _poisoned_connections() -> list[ExchangeConnection]:
    """Keys that cannot be decrypted (a retired encryption key), and keys that decrypt to text
    no request can carry (pasted with Cyrillic look-alikes)."""
    undecryptable = _connection("A" * 64, "B" * 64)
    ExchangeConnection.objects.filter(pk=undecryptable.pk).update(
        api_key_encrypted="not a fernet token", api_secret_encrypted="not a fernet token"
    )
    unsendable = _connection("ключ" * 16, "секрет" * 10)
    return [undecryptable, unsendable]


def _healthy(sandbox_url: str) -> ExchangeConnection:
    """A funded account and its connection, stored after the poisoned ones."""
    resp = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts",
        json={"email": f"healthy-{time.monotonic_ns()}@example.test", "balances": {"USD": "1000"}},
        timeout=5,
    )
    resp.raise_for_status()
    account = resp.json()
    return _connection(account["apiKey"], account["secretKey"])


def _unknown(conn, coid: str, *, symbol="BTCUSD", age_seconds: float = 5) -> Order:
    order = Order.objects.create(
        connection=conn,
        symbol=symbol,
        client_order_id=coid,
        origin=OrderOrigin.DESK,
        side="BUY",
        type="LIMIT",
        status=OrderStatus.UNKNOWN,
        unknown_since=timezone.now() - timedelta(seconds=age_seconds),
    )
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return order


def _unknown_list(conn, coid: str) -> OrderList:
    return OrderList.objects.create(
        connection=conn,
        symbol="BTCUSD",
        list_client_order_id=coid,
        origin=OrderOrigin.DESK,
        list_status_type="UNKNOWN",
    )


def test_it_sweeps_every_other_intent_past_a_poisoned_row(sandbox_url, settings):
    settings.ORDER_RECONCILE_GRACE_SECONDS = 10
    poisoned = [_unknown(c, f"poison-{c.pk}") for c in _poisoned_connections()]
    poisoned_lists = [_unknown_list(o.connection, f"poison-list-{o.pk}") for o in poisoned]
    conn = _healthy(sandbox_url)
    no_such_symbol = _unknown(conn, "poison-symbol", symbol="NOSUCHUSD")
    requests.post(
        f"{sandbox_url}/sandbox/v1/faults",
        json={"order": {"mode": "execute_then_500", "count": 1}},
        timeout=5,
    ).raise_for_status()
    try:
        found = order_services.order_place(
            user=conn.user,
            connection=conn,
            client_order_id="sweep-good-found",
            request=OrderRequest(
                symbol="BTCUSD",
                side="BUY",
                type="LIMIT",
                quantity=Decimal("0.001"),
                price=Decimal("50000"),
                time_in_force="GTC",
            ),
        )
    finally:
        requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)
    gone = _unknown(conn, "sweep-good-gone", age_seconds=30)
    assert found.status == OrderStatus.UNKNOWN
    assert max(o.pk for o in [*poisoned, no_such_symbol]) < found.pk  # the poison comes first

    tasks.reconcile_orders.apply().get()

    found.refresh_from_db()
    gone.refresh_from_db()
    assert (found.status, gone.status) == (OrderStatus.NEW, OrderStatus.FAILED)
    # The poisoned rows are left for the next sweep, untouched by the failure.
    for row in [*poisoned, no_such_symbol]:
        row.refresh_from_db()
        assert row.status == OrderStatus.UNKNOWN
    for row in poisoned_lists:
        row.refresh_from_db()
        assert row.list_status_type == "UNKNOWN"


def test_it_keeps_every_other_listen_key_alive_past_a_poisoned_connection(sandbox_url):
    poisoned = _poisoned_connections()
    conn = _healthy(sandbox_url)
    assert conn.pk > max(c.pk for c in poisoned)

    tasks.keep_listen_keys_alive.apply().get()

    assert userdata.listen_key_get(connection_id=conn.pk)
    assert all(userdata.listen_key_get(connection_id=c.pk) is None for c in poisoned)
    userdata.listen_key_forget(connection_id=conn.pk)


def test_it_counts_a_failed_row_apart_and_logs_it_without_the_key(sandbox_url, caplog):
    [_, unsendable] = _poisoned_connections()
    _unknown(unsendable, "poison-counted")
    counts = reconcile.orders_reconcile()
    assert counts["error"] == 1 and counts["failed"] == 0  # "failed" = not placed: not known
    [logged] = [r for r in caplog.records if "going on with the others" in r.getMessage()]
    assert "UnicodeEncodeError" in logged.getMessage()
    assert "ключ" not in caplog.text  # the exception's own message quotes the API key
