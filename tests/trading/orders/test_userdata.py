"""Listen keys, REST resync and the stream process's user data streams, against the sandbox.

Orders here are placed "on Binance.US's own pages": straight through a client with the
account's key, never through the desk, so the desk learns of them only from the exchange."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

import binanceus
from accounts.models import Balance, ExchangeConnection
from tests.support import exchange_client, until_async
from trading.models import AccountTrade, Order, OrderOrigin, OrderStatus
from trading.orders import userdata
from trading.orders.streams import UserDataStreams


def _client(ex) -> binanceus.Client:
    return exchange_client(ex.api_key, ex.secret, ex.base)


def _limit_elsewhere(ex, coid: str) -> binanceus.Order:
    with _client(ex) as client:
        return client.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("0.01"),
            price=ex.below(),
            new_client_order_id=coid,
        )


@pytest.mark.django_db
def test_it_keeps_one_listen_key_per_connection_and_replaces_a_dead_one(trader):
    conn, _ex = trader
    key = userdata.listen_key_ensure(connection_id=conn.pk)
    assert key and userdata.listen_key_get(connection_id=conn.pk) == key
    assert userdata.listen_key_ensure(connection_id=conn.pk) == key  # kept alive, same key
    userdata._redis().set(userdata._key_name(conn.pk), "not-a-listen-key")
    fresh = userdata.listen_key_ensure(connection_id=conn.pk)
    assert fresh not in (None, "not-a-listen-key")
    assert userdata.listen_key_get(connection_id=conn.pk) == fresh


@pytest.mark.django_db
def test_it_resyncs_orders_placed_elsewhere_and_those_that_ended_meanwhile(trader):
    conn, ex = trader
    placed = _limit_elsewhere(ex, "web-1")
    assert userdata.connection_resync(connection_id=conn.pk) == 1
    row = Order.objects.get(connection=conn, order_id=placed.order_id)
    assert (row.origin, row.status, row.client_order_id) == (
        OrderOrigin.EXCHANGE,
        OrderStatus.NEW,
        "web-1",
    )
    assert Balance.objects.get(connection=conn, asset="USD").locked == placed.price * Decimal(
        "0.01"
    )
    with _client(ex) as client:
        client.cancel_order(symbol="BTCUSD", order_id=placed.order_id)
    assert userdata.connection_resync(connection_id=conn.pk) == 0
    row.refresh_from_db()
    assert row.status == OrderStatus.CANCELED


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_it_follows_a_new_connections_stream_within_seconds(trader):
    conn, ex = trader
    started = timezone.now()
    streams = UserDataStreams(poll_seconds=0.2)
    runner = asyncio.create_task(streams.run())
    try:
        await until_async(
            sync_to_async(
                lambda: (
                    conn.pk in streams.followers
                    and userdata.listen_key_get(connection_id=conn.pk) is not None
                )
            ),
            message="the stream of the new connection",
        )
        # Its resync ends by storing balances: an order placed after that comes as an event.
        await until_async(
            sync_to_async(
                lambda: ExchangeConnection.objects.filter(
                    pk=conn.pk, balances_synced_at__gt=started
                ).exists()
            ),
            message="the stream's first resync",
        )
        placed = await asyncio.to_thread(_limit_elsewhere, ex, "web-stream-1")
        await until_async(
            sync_to_async(
                lambda: Order.objects.filter(
                    connection=conn, order_id=placed.order_id, status=OrderStatus.NEW
                ).exists()
            ),
            message="the executionReport of an order placed elsewhere",
        )
        with _client(ex) as client:
            sold = await asyncio.to_thread(
                client.new_order,
                symbol="BTCUSD",
                side="SELL",
                type="MARKET",
                quantity=Decimal("0.02"),
            )
        await until_async(
            sync_to_async(
                lambda: (
                    AccountTrade.objects.filter(connection=conn, order_id=sold.order_id).exists()
                    and Balance.objects.filter(
                        connection=conn, asset="BTC", free=Decimal("4.98")
                    ).exists()
                )
            ),
            message="the fill and the new BTC balance",
        )
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
