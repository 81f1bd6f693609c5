"""Integration tests against the real sandbox exchange over loopback (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

import binanceus as bu
from tests.support import exchange_client


def ws_url(http_url: str) -> str:
    return "ws://" + http_url.split("://", 1)[1]


def test_it_talks_to_the_sandbox_public_endpoints(sandbox_url):
    with exchange_client(base_url=sandbox_url) as c:
        c.ping()
        assert c.server_time().tzinfo is not None
        info = c.exchange_info()
        btc = info.symbol("BTCUSD")
        assert btc.base_asset == "BTC" and btc.quote_asset == "USD"
        assert type(btc.tick_size) is Decimal and btc.tick_size > 0
        assert any(r.rate_limit_type == "REQUEST_WEIGHT" for r in info.rate_limits)
        depth = c.depth("BTCUSD", limit=5)
        assert depth.last_update_id > 0 and len(depth.bids) <= 5
        assert all(type(p) is Decimal and type(q) is Decimal for p, q in depth.bids + depth.asks)
        if depth.bids and depth.asks:
            assert depth.bids[0][0] < depth.asks[0][0]
        prices = c.ticker_price()
        assert type(prices["BTCUSD"]) is Decimal
        assert c.ticker_price(symbol="ETHUSD").keys() == {"ETHUSD"}
        for t in c.recent_trades("BTCUSD", limit=5):
            assert type(t.price) is Decimal
        for k in c.klines("BTCUSD", "1m", limit=3):
            assert k.open_time < k.close_time
        assert c.used_weight.get("X-MBX-USED-WEIGHT-1M", 0) > 0


def test_it_reads_the_funded_account_as_decimals(trader):
    account = trader.account()
    assert account.balance("USD").free == Decimal("100000")
    assert account.balance("BTC").free == Decimal("5")
    assert account.balance("ETH").free == Decimal("50")
    assert all(type(b.free) is Decimal and type(b.locked) is Decimal for b in account.balances)
    assert {b.asset for b in account.nonzero_balances()} >= {"USD", "USDT", "BTC", "ETH"}
    assert trader.account_status().status == "Normal"
    assert trader.api_trading_status().is_locked is False


def test_it_places_queries_and_cancels_an_order(trader):
    bid = trader.depth("BTCUSD", limit=5).bids[0][0]
    tick = trader.exchange_info(symbol="BTCUSD").symbol("BTCUSD").tick_size
    price = (bid * Decimal("0.8")).quantize(tick)
    order = trader.new_order(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal("0.01"),
        price=price,
        new_client_order_id="itest-limit-1",
    )
    assert order.client_order_id == "itest-limit-1" and order.status == "NEW"
    assert order.price == price and order.orig_qty == Decimal("0.01")
    got = trader.get_order(symbol="BTCUSD", orig_client_order_id="itest-limit-1")
    assert got.order_id == order.order_id and got.status == "NEW"
    assert [o.order_id for o in trader.open_orders(symbol="BTCUSD")] == [order.order_id]
    assert trader.account().balance("USD").locked == price * Decimal("0.01")
    canceled = trader.cancel_order(symbol="BTCUSD", order_id=order.order_id)
    assert canceled.status == "CANCELED"
    assert trader.open_orders(symbol="BTCUSD") == []
    with pytest.raises(bu.OrderNotFound):
        trader.get_order(symbol="BTCUSD", orig_client_order_id="never-placed")
    with pytest.raises(bu.InsufficientBalance):
        trader.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("50"),
            price=price * 2,
        )


def test_it_rejects_a_wrong_secret_with_invalid_signature(sandbox_url, sandbox_account):
    client = exchange_client(sandbox_account["apiKey"], "x" * 64, base_url=sandbox_url)
    with client, pytest.raises(bu.InvalidSignature) as info:
        client.account()
    assert "x" * 64 not in str(info.value)


@pytest.mark.asyncio
async def test_it_builds_a_live_local_book_matching_a_fresh_snapshot(sandbox_url):
    client = exchange_client(base_url=sandbox_url, timeout=5)

    async def fetch() -> bu.DepthSnapshot:
        return await asyncio.to_thread(client.depth, "BTCUSD", limit=1000)

    book = bu.LocalOrderBook("BTCUSD", fetch)
    async with bu.MarketStream(ws_url(sandbox_url), streams=["btcusd@depth@100ms"]) as stream:
        diffs = 0
        async for msg in stream:
            if isinstance(msg, bu.Reconnected):
                book.reset()
                continue
            assert msg.stream == "btcusd@depth@100ms"
            await book.feed(msg.data)
            diffs += 1
            if book.state == "live" and diffs >= 8:
                break
        assert book.state == "live"
        # Compare with a fresh snapshot at the same update id (feed until we line up).
        for _ in range(40):
            snap = await fetch()
            while book.book.last_update_id < snap.last_update_id:
                msg = await asyncio.wait_for(stream.__anext__(), 5)
                await book.feed(msg.data)
            if book.book.last_update_id == snap.last_update_id:
                break
        assert book.book.last_update_id == snap.last_update_id
        bids, asks = book.top(len(snap.bids) + len(snap.asks) + 10)
        assert bids[: len(snap.bids)] == snap.bids
        assert asks[: len(snap.asks)] == snap.asks
    await book.aclose()
    client.close()


@pytest.mark.asyncio
async def test_it_receives_execution_reports_on_the_user_stream(sandbox_url, sandbox_account):
    client = exchange_client(
        sandbox_account["apiKey"], sandbox_account["secretKey"], base_url=sandbox_url, timeout=5
    )
    key = client.create_listen_key()
    client.keepalive_listen_key(key)
    async with bu.UserStream(ws_url(sandbox_url), key) as events:
        # The sandbox subscribes a socket in the same step as it answers the handshake: no wait.
        bid = client.depth("BTCUSD", limit=5).bids[0][0]
        price = (bid * Decimal("0.7")).quantize(Decimal("0.01"))
        order = await asyncio.to_thread(
            client.new_order,
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("0.01"),
            price=price,
        )
        seen: dict[str, dict] = {}
        while "executionReport" not in seen or "outboundAccountPosition" not in seen:
            ev = await asyncio.wait_for(events.__anext__(), 10)
            if isinstance(ev, dict):
                seen.setdefault(ev["e"], ev)
        report = seen["executionReport"]
        assert report["i"] == order.order_id and report["c"] == order.client_order_id
        assert report["X"] == "NEW" and Decimal(report["p"]) == price
        assert any(b["a"] == "USD" for b in seen["outboundAccountPosition"]["B"])
    client.close_listen_key(key)
    client.close()


@pytest.mark.asyncio
async def test_it_subscribes_at_runtime_on_the_sandbox(sandbox_url):
    async with bu.MarketStream(ws_url(sandbox_url)) as stream:
        await stream.subscribe(["btcusd@depth@100ms", "btcusd@trade"])
        assert sorted(await stream.list_subscriptions()) == ["btcusd@depth@100ms", "btcusd@trade"]
        seen: set[str] = set()

        async def collect() -> None:
            async for msg in stream:
                if isinstance(msg, bu.StreamMessage):
                    seen.add(msg.stream)
                    if msg.stream == "btcusd@trade":
                        assert isinstance(msg.data["p"], str) and msg.data["s"] == "BTCUSD"
                    if seen == {"btcusd@depth@100ms", "btcusd@trade"}:
                        return

        await asyncio.wait_for(collect(), 15)
        await stream.unsubscribe(["btcusd@trade"])
        assert stream.subscriptions == {"btcusd@depth@100ms"}
        assert await stream.list_subscriptions() == ["btcusd@depth@100ms"]


def test_it_recovers_from_a_drifted_clock_with_one_resync(trader, caplog):
    trader.sync_time()
    trader._clock.offset_ms -= 120_000  # pretend the local clock jumped two minutes behind
    with caplog.at_level("INFO", logger="binanceus"):
        account = trader.account()
    assert account.balance("BTC").free == Decimal("5")
    assert any("-1021" in r.getMessage() for r in caplog.records)
    assert abs(trader.time_offset_ms) < 120_000


def test_it_reports_order_count_headers_after_an_order(trader):
    trader.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=Decimal("0.001"))
    assert any(k.startswith("X-MBX-ORDER-COUNT-") for k in trader.used_weight)
