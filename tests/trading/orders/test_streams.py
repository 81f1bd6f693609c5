"""The stream process's user data streams through what goes wrong on a long-lived socket: the
listen key expiring, and the network dropping while an order fills. Against a still sandbox of
the module's own (its clock is moved; no market flow trades against the test's orders)."""

import asyncio
import contextlib
import time
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests
from asgiref.sync import sync_to_async
from django.utils import timezone

import binanceus
from accounts.models import Balance, ExchangeConnection
from tests.support import exchange_client, until_async
from trading.models import AccountTrade, Order, OrderStatus
from trading.orders import userdata
from trading.orders.streams import UserDataStreams

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HOUR_MS = 60 * 60 * 1000


def _client(ex) -> binanceus.Client:
    return exchange_client(ex.api_key, ex.secret, ex.base)


def _buy_elsewhere(ex, coid: str, price: Decimal) -> binanceus.Order:
    """An order placed on Binance.US's own pages: the desk learns of it from the exchange."""
    with _client(ex) as client:
        return client.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("0.01"),
            price=price,
            new_client_order_id=coid,
        )


def _stored(conn, order_id: int, status: str):
    return sync_to_async(
        lambda: Order.objects.filter(connection=conn, order_id=order_id, status=status).exists()
    )


def _resynced_since(conn, moment: datetime):
    """The stream's resync ran to its end, which stores the balances it read last."""
    return sync_to_async(
        lambda: ExchangeConnection.objects.filter(
            pk=conn.pk, balances_synced_at__gt=moment
        ).exists()
    )


@contextlib.asynccontextmanager
async def _running(streams: UserDataStreams, conn):
    """The connection's stream open and its first resync done: an order placed from here on
    reaches the desk as an event, not through that resync."""
    started = timezone.now()
    runner = asyncio.create_task(streams.run())
    try:
        await until_async(lambda: _open(streams, conn.pk), message="the connection's stream")
        await until_async(_resynced_since(conn, started), message="the stream's first resync")
        yield
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner


def _open(streams: UserDataStreams, pk: int) -> bool:
    follower = streams.followers.get(pk)
    return follower is not None and follower.stream is not None and follower.stream.connected


def _locked(conn, asset: str):
    return sync_to_async(
        lambda: Balance.objects.values_list("locked", flat=True).get(connection=conn, asset=asset)
    )


async def _locked_is(conn, asset: str, amount: Decimal) -> bool:
    return await _locked(conn, asset)() == amount


async def test_an_orders_balance_event_is_applied_a_moment_after_the_order(still_trader):
    """The executionReport is applied as it comes, the balance event that comes with it
    ``balances_later_seconds`` later (a second here), so the order reaches pages first."""
    conn, ex = still_trader
    streams = UserDataStreams(poll_seconds=0.2, balances_later_seconds=1.0)
    async with _running(streams, conn):
        before, price = await _locked(conn, "USD")(), ex.below()
        mine = await asyncio.to_thread(_buy_elsewhere, ex, "balances-later", price)
        await until_async(_stored(conn, mine.order_id, OrderStatus.NEW), message="the order")
        assert await _locked(conn, "USD")() == before
        after = before + price * Decimal("0.01")
        await until_async(lambda: _locked_is(conn, "USD", after), message="the balance event")


async def test_it_recreates_an_expired_listen_key_and_follows_the_new_stream(still_trader):
    conn, ex = still_trader
    streams = UserDataStreams(poll_seconds=0.2)
    async with _running(streams, conn):
        first_key = await sync_to_async(userdata.listen_key_get)(connection_id=conn.pk)
        # Prices first: an hour later the exchange has no recent trades to average.
        low, lower = ex.below(), ex.below(percent=8)
        before = await asyncio.to_thread(_buy_elsewhere, ex, "web-before-expiry", low)
        await until_async(
            _stored(conn, before.order_id, OrderStatus.NEW), message="the first event"
        )
        # An hour without a keepalive: the exchange forgets the key and closes its socket.
        expired = timezone.now()
        requests.post(f"{ex.base}/sandbox/v1/clock", json={"advanceMs": HOUR_MS + 5000}, timeout=5)
        await until_async(
            sync_to_async(
                lambda: userdata.listen_key_get(connection_id=conn.pk) not in (None, first_key)
            ),
            timeout=20,
            message="a new listen key",
        )
        await until_async(lambda: _open(streams, conn.pk), message="the stream on the new key")
        await until_async(_resynced_since(conn, expired), message="the new stream's resync")
        after = await asyncio.to_thread(_buy_elsewhere, ex, "web-after-expiry", lower)
        await until_async(
            _stored(conn, after.order_id, OrderStatus.NEW), message="events on the new stream"
        )
    new_key = await sync_to_async(userdata.listen_key_get)(connection_id=conn.pk)
    with _client(ex) as client:
        client.keepalive_listen_key(new_key)  # the key the desk holds is the live one
        with pytest.raises(binanceus.ClientError):
            client.keepalive_listen_key(first_key)


async def test_a_listen_key_gone_from_redis_keeps_its_stream_open(still_trader):
    """A Redis restart forgets every listen key: the exchange is asked again, answers the same
    key, and the stream already open on it is kept (closing it would lose what happens until a
    new one is open and resynced, and re-open every stream of the process at once)."""
    conn, ex = still_trader
    streams = UserDataStreams(poll_seconds=0.2)
    async with _running(streams, conn):
        follower = streams.followers[conn.pk]
        key = follower.listen_key
        await sync_to_async(userdata.listen_key_forget)(connection_id=conn.pk)
        await until_async(
            sync_to_async(lambda: userdata.listen_key_get(connection_id=conn.pk) == key),
            message="the listen key in Redis again",
        )
        assert streams.followers[conn.pk] is follower
        assert follower.stream.connected and follower.stream.stats().reconnects == 0
        order = await asyncio.to_thread(_buy_elsewhere, ex, "web-after-redis", ex.below())
        await until_async(
            _stored(conn, order.order_id, OrderStatus.NEW), message="the event on the same stream"
        )


class Relay:
    """The network between the desk and the exchange's WebSocket port, which a test can cut
    (established connections drop, no close handshake) and keep down for a while."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.down = False
        self.pipes: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()

    def cut(self) -> None:
        for writer in list(self.pipes):
            writer.transport.abort()
        self.pipes.clear()

    async def _accept(self, reader, writer) -> None:
        if self.down:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.pipes |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self.pipes.discard(writer)
            writer.transport.abort()


def _counterparty(base: str) -> binanceus.Client:
    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": f"seller-{time.monotonic_ns()}@example.test", "balances": {"BTC": "1"}},
        timeout=5,
    )
    resp.raise_for_status()
    doc = resp.json()
    return exchange_client(doc["apiKey"], doc["secretKey"], base)


async def test_it_resyncs_after_a_reconnect_and_keeps_the_fill_it_missed(still_trader, settings):
    conn, ex = still_trader
    target = urlsplit(ex.base)
    relay = Relay(target.hostname, target.port)
    settings.SANDBOX_WS_URL = f"ws://127.0.0.1:{await relay.start()}"
    streams = UserDataStreams(poll_seconds=0.2)
    best_bid = Decimal("60000.00")  # inside the still book's spread (59999 / 60001)
    try:
        async with _running(streams, conn):
            mine = await asyncio.to_thread(_buy_elsewhere, ex, "web-to-fill", best_bid)
            await until_async(_stored(conn, mine.order_id, OrderStatus.NEW), message="the order")
            relay.down = True
            relay.cut()
            await until_async(
                lambda: not _open(streams, conn.pk), message="the desk to see its socket drop"
            )
            with _counterparty(ex.base) as seller:  # sells into the desk's bid meanwhile
                sold = await asyncio.to_thread(
                    seller.new_order,
                    symbol="BTCUSD",
                    side="SELL",
                    type="MARKET",
                    quantity=Decimal("0.01"),
                )
            assert sold.status == "FILLED" and sold.fills[0].price == best_bid
            assert await _stored(conn, mine.order_id, OrderStatus.NEW)()
            reconnected = timezone.now()
            relay.down = False
            # Balances are the resync's last step: by then the fill and its order are stored.
            await until_async(
                _resynced_since(conn, reconnected), message="the resync after reconnect"
            )
            assert await _stored(conn, mine.order_id, OrderStatus.FILLED)()
    finally:
        await relay.close()
    [fill] = await sync_to_async(list)(AccountTrade.objects.filter(order_id=mine.order_id))
    with _client(ex) as client:
        [on_exchange] = client.my_trades(symbol="BTCUSD", order_id=mine.order_id)
    assert (fill.trade_id, fill.price, fill.qty, fill.quote_qty, fill.commission) == (
        on_exchange.id,
        on_exchange.price,
        on_exchange.qty,
        on_exchange.quote_qty,
        on_exchange.commission,
    )
    assert (fill.is_buyer, fill.is_maker, fill.time) == (True, True, on_exchange.time)
    btc = await sync_to_async(Balance.objects.get)(connection=conn, asset="BTC")
    assert btc.free == Decimal("5") + on_exchange.qty - on_exchange.commission
