"""The WebSocket API clients against the real sandbox's /ws-api/v3 over loopback
(tests/conftest.py starts the sandbox): every method, faults mid-request, the shared budget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio

import binanceus as bu
from tests.support import start_sandbox, terminate

from .test_sandbox_accounts_integration import admin, requests_by
from .test_sandbox_integration import ws_url

QTY = Decimal("0.01")


def ws_api_url(sandbox_url: str) -> str:
    return ws_url(sandbox_url) + "/ws-api/v3"


@pytest.fixture
def rest(sandbox_url, sandbox_account) -> Iterator[bu.Client]:
    key, secret = sandbox_account["apiKey"], sandbox_account["secretKey"]
    # The sandbox reports the weight of its one address, every test of the session included;
    # a budget of ten times the exchange's keeps that from refusing this test's calls.
    budget = bu.InMemoryWeightBudget(12_000)
    with bu.Client(key, secret, base_url=sandbox_url, timeout=5, weight_budget=budget) as c:
        yield c


@pytest.fixture
def wsc(sandbox_url, rest) -> Iterator[bu.WsApiClient]:
    """The sync client, sharing the REST client's key, budget and clock."""
    with bu.WsApiClient.from_client(rest, url=ws_api_url(sandbox_url), timeout=5) as c:
        yield c


@pytest_asyncio.fixture
async def ws(sandbox_url, sandbox_account):
    key, secret = sandbox_account["apiKey"], sandbox_account["secretKey"]
    budget = bu.InMemoryWeightBudget(12_000)
    url = ws_api_url(sandbox_url)
    async with bu.AsyncWsApiClient(key, secret, url=url, timeout=5, weight_budget=budget) as c:
        yield c


@pytest.fixture
def ws_fault(sandbox_url):
    """Arm the sandbox's WebSocket API fault; always cleared afterwards."""

    def arm(mode: str, method: str, **extra) -> None:
        doc = {"mode": mode, "method": method, "count": 1, **extra}
        admin(sandbox_url, "POST", "faults", {"wsApi": doc})

    yield arm
    admin(sandbox_url, "POST", "faults", {"wsApi": None})


def far_bid(ws: bu.WsApiClient) -> Decimal:
    """A buy price well under the book (rests without filling), on the tick."""
    bid = ws.depth("BTCUSD", limit=5).bids[0][0]
    return ws.symbol_rules("BTCUSD").round_price(bid * Decimal("0.8"))


def limit_buy(price: Decimal, **extra) -> dict:
    return dict(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=QTY,
        price=price,
        **extra,
    )


# -- public ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_it_reads_every_market_data_method(ws):
    assert await ws.ping() is None
    now = await ws.server_time()
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
    info = await ws.exchange_info(symbols=["BTCUSD", "ETHUSD"])
    assert {s.symbol for s in info.symbols} == {"BTCUSD", "ETHUSD"}
    assert ws.cached_symbol_rules("BTCUSD") is not None  # cached as REST's exchange_info does
    book = await ws.depth("BTCUSD", limit=5)
    assert len(book.bids) <= 5 and all(type(p) is Decimal for p, _ in book.bids + book.asks)
    assert all(type(t.price) is Decimal for t in await ws.recent_trades("BTCUSD", limit=3))
    assert len(await ws.historical_trades("BTCUSD", limit=3)) <= 3  # MARKET_DATA: key only
    assert all(a.price > 0 for a in await ws.agg_trades("BTCUSD", limit=3))
    klines = await ws.klines("BTCUSD", "1m", limit=3)
    assert all(k.open_time < k.close_time and k.open_time.tzinfo for k in klines)
    assert (await ws.avg_price("BTCUSD")).price > 0
    day = await ws.ticker_24hr(symbol="BTCUSD")
    assert isinstance(day, bu.Ticker24h) and day.symbol == "BTCUSD"
    both = await ws.ticker_24hr(symbols=["BTCUSD", "ETHUSD"], type="MINI")
    assert sorted(t.symbol for t in both) == ["BTCUSD", "ETHUSD"]
    rolling = await ws.ticker(symbol="ETHUSD", window_size="1h")
    assert isinstance(rolling, bu.Ticker24h) and rolling.symbol == "ETHUSD"
    prices = await ws.ticker_price()
    assert type(prices["BTCUSD"]) is Decimal and "ETHUSD" in prices
    assert (await ws.ticker_price(symbol="ETHUSD")).keys() == {"ETHUSD"}
    top = await ws.book_ticker(symbol="BTCUSD")
    assert isinstance(top, bu.BookTicker) and top.bid_price < top.ask_price
    assert len(await ws.book_ticker(symbols=["BTCUSD", "ETHUSD"])) == 2
    assert ws.used_weight["X-MBX-USED-WEIGHT-1M"] > 0


# -- trading, account, user stream -------------------------------------------------------------


def test_it_places_queries_replaces_and_cancels_orders(wsc, sandbox_url, sandbox_account):
    price = far_bid(wsc)
    assert wsc.test_new_order(**limit_buy(price)) == bu.OrderTestResult()
    # A JSON boolean is signed as "true": the sandbox checks the signature (and ignores the
    # flag, which the spec does not have).
    flagged = wsc.test_new_order(**limit_buy(price), compute_commission_rates=True)
    assert isinstance(flagged, bu.OrderTestResult)
    sent = requests_by(sandbox_url, sandbox_account["apiKey"])
    with pytest.raises(bu.OrderRejectedLocally):  # the rules cached over the socket
        wsc.new_order(**limit_buy(price + wsc.symbol_rules("BTCUSD").tick_size / 2))
    assert requests_by(sandbox_url, sandbox_account["apiKey"]) == sent
    order = wsc.new_order(**limit_buy(price, new_client_order_id="ws-first"))
    assert (order.status, order.client_order_id, order.price) == ("NEW", "ws-first", price)
    assert wsc.order_counts["10S"] >= 1  # ORDERS counts from the placement's rateLimits
    assert wsc.get_order(symbol="BTCUSD", orig_client_order_id="ws-first").order_id == (
        order.order_id
    )
    assert [o.order_id for o in wsc.open_orders(symbol="BTCUSD")] == [order.order_id]
    tick = wsc.symbol_rules("BTCUSD").tick_size
    replaced = wsc.cancel_replace(
        cancel_replace_mode="STOP_ON_FAILURE",
        cancel_order_id=order.order_id,
        **limit_buy(price - tick, new_client_order_id="ws-second"),
    )
    assert replaced.canceled and replaced.placed
    assert replaced.new_order_response.client_order_id == "ws-second"
    with pytest.raises(bu.CancelReplaceFailed) as half:
        wsc.cancel_replace(
            cancel_replace_mode="ALLOW_FAILURE", cancel_order_id=order.order_id, **limit_buy(price)
        )
    assert half.value.status == 409 and half.value.result.placed
    canceled = wsc.cancel_order(symbol="BTCUSD", orig_client_order_id="ws-second")
    assert canceled.status == "CANCELED"
    with pytest.raises(bu.ClientError) as gone:
        wsc.cancel_order(symbol="BTCUSD", orig_client_order_id="ws-second")
    assert gone.value.code == -2011
    rest_of_them = wsc.cancel_open_orders(symbol="BTCUSD")
    assert [o.status for o in rest_of_them] == ["CANCELED"]
    assert wsc.open_orders() == []


def test_it_places_queries_and_cancels_an_oco(wsc):
    bid = wsc.depth("BTCUSD", limit=5).bids[0][0]
    rules = wsc.symbol_rules("BTCUSD")
    oco = wsc.new_oco(
        symbol="BTCUSD",
        side="SELL",
        quantity=QTY,
        price=rules.round_price(bid * Decimal("1.5")),
        stop_price=rules.round_price(bid * Decimal("0.6")),
        stop_limit_price=rules.round_price(bid * Decimal("0.59")),
        stop_limit_time_in_force="GTC",
        list_client_order_id="ws-oco",
    )
    assert oco.contingency_type == "OCO" and len(oco.orders) == 2 and oco.is_open
    got = wsc.get_order_list(orig_client_order_id="ws-oco")
    assert {o.order_id for o in got.orders} == {o.order_id for o in oco.orders}
    assert [x.order_list_id for x in wsc.open_order_lists()] == [oco.order_list_id]
    done = wsc.cancel_order_list(symbol="BTCUSD", order_list_id=oco.order_list_id)
    assert done.list_order_status == "ALL_DONE"
    assert all(r.status == "CANCELED" for r in done.order_reports)
    assert wsc.open_order_lists() == []
    assert oco.order_list_id in {x.order_list_id for x in wsc.all_order_lists()}


def test_it_reads_the_account_and_its_history(wsc):
    account = wsc.account()
    assert account.balance("BTC").free == Decimal("5") and account.can_trade
    resting = wsc.new_order(**limit_buy(far_bid(wsc)))
    filled = wsc.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=QTY)
    assert filled.status == "FILLED" and sum(f.qty for f in filled.fills) == QTY
    orders = wsc.all_orders(symbol="BTCUSD")
    assert {resting.order_id, filled.order_id} <= {o.order_id for o in orders}
    since = datetime.now(UTC) - timedelta(hours=1)
    mine = [t for t in wsc.my_trades(symbol="BTCUSD", start_time=since)]
    assert {t.order_id for t in mine} == {filled.order_id}
    assert sum(t.qty for t in wsc.my_trades(symbol="BTCUSD", order_id=filled.order_id)) == QTY
    assert wsc.my_prevented_matches(symbol="BTCUSD", order_id=filled.order_id) == []
    usage = {u.window: u for u in wsc.order_rate_limit()}
    assert usage["10S"].count >= 2 and usage["1D"].limit > 0
    wsc.cancel_open_orders(symbol="BTCUSD")


@pytest.mark.asyncio
async def test_its_listen_keys_are_the_rest_ones(ws, sandbox_url, rest):
    key = await ws.create_listen_key()
    await ws.keepalive_listen_key(key)
    async with bu.UserStream(ws_url(sandbox_url), key) as events:
        placed = await ws.new_order(**limit_buy(await asyncio.to_thread(far_bid_rest, rest)))
        msg = await asyncio.wait_for(events.__anext__(), 10)
        while msg.get("e") != "executionReport":
            msg = await asyncio.wait_for(events.__anext__(), 10)
        assert bu.parse_user_event(msg).order_id == placed.order_id
    await ws.close_listen_key(key)
    await ws.cancel_open_orders(symbol="BTCUSD")


def far_bid_rest(rest: bu.Client) -> Decimal:
    bid = rest.depth("BTCUSD", limit=5).bids[0][0]
    return rest.symbol_rules("BTCUSD").round_price(bid * Decimal("0.8"))


# -- faults ------------------------------------------------------------------------------------


def test_a_drop_mid_order_is_an_unknown_outcome_found_by_its_client_order_id(wsc, ws_fault):
    price = far_bid(wsc)
    ws_fault("execute_then_drop", "order.place")
    with pytest.raises(bu.ExecutionUnknown) as info:
        wsc.new_order(**limit_buy(price))
    coid = info.value.client_order_id
    assert coid and info.value.endpoint == "order.place"
    found = wsc.get_order(symbol="BTCUSD", orig_client_order_id=coid)  # on a new connection
    assert found.status == "NEW" and found.price == price  # it did execute
    assert wsc.stats().reconnects == 1
    wsc.cancel_open_orders(symbol="BTCUSD")


def test_a_late_answer_is_an_unknown_outcome_and_does_not_answer_a_later_request(wsc, ws_fault):
    price = far_bid(wsc)
    ws_fault("delay_answer", "order.place", delaySeconds=1)
    with pytest.raises(bu.ExecutionUnknown) as info:
        wsc.new_order(**limit_buy(price), timeout=0.3)
    found = wsc.get_order(symbol="BTCUSD", orig_client_order_id=info.value.client_order_id)
    assert found.status == "NEW"
    second = wsc.new_order(**limit_buy(price))  # the first's late answer arrives meanwhile
    assert second.client_order_id != info.value.client_order_id
    wsc.cancel_open_orders(symbol="BTCUSD")


def test_a_documented_503_on_an_order_is_resent_once(wsc, ws_fault):
    price = far_bid(wsc)
    ws_fault("unavailable_503", "order.place")
    order = wsc.new_order(**limit_buy(price))  # not executed, so resending is safe
    assert [o.order_id for o in wsc.open_orders(symbol="BTCUSD")] == [order.order_id]
    wsc.cancel_open_orders(symbol="BTCUSD")


def test_rest_and_websocket_spend_one_budget_fed_by_rate_limits(wsc, rest):
    assert wsc.weight_budget is rest.weight_budget
    wsc.account()  # 10
    seen = wsc.used_weight["X-MBX-USED-WEIGHT-1M"]
    assert seen >= 10 and rest.weight_budget.spent >= seen
    rest.account()
    # One counter per address for both transports: REST's header counts the socket's weight.
    assert rest.used_weight["X-MBX-USED-WEIGHT-1M"] >= seen + 10


# -- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def limits(sandbox_url):
    """Enforce the sandbox's limits from a clean count; the settings are restored after."""
    before = admin(sandbox_url, "GET", "limits")

    def enforce(**doc) -> None:
        admin(sandbox_url, "DELETE", "limits")
        admin(sandbox_url, "POST", "limits", {"enforce": True, **doc})

    yield enforce
    admin(sandbox_url, "POST", "limits", before)
    admin(sandbox_url, "DELETE", "limits")


def other_client(sandbox_url: str) -> bu.AsyncWsApiClient:
    budget = bu.InMemoryWeightBudget(12_000)
    return bu.AsyncWsApiClient(url=ws_api_url(sandbox_url), weight_budget=budget)


@pytest.mark.asyncio
async def test_429_and_418_answers_and_refused_handshakes_raise_the_rest_errors(
    ws, sandbox_url, limits
):
    async with other_client(sandbox_url) as second, other_client(sandbox_url) as third:
        await ws.ping()
        await second.ping()
        limits(weightPerMinute=0, banAfter=0, firstBanSeconds=30)
        with pytest.raises(bu.RateLimited) as throttled:
            await ws.ping()
        assert 0 < throttled.value.retry_after <= 60
        with pytest.raises(bu.RateLimited, match="not sent"):  # backing off, here
            await ws.ping()
        with pytest.raises(bu.IPBanned) as banned:  # a request during the 429 window
            await second.ping()
        assert 25 < banned.value.retry_after <= 30
        with pytest.raises(bu.IPBanned) as refused:  # the handshake costs weight too
            await third.ping()
        assert refused.value.endpoint == "connect" and refused.value.retry_after > 0


# -- the connection's life ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_lived_sandbox() -> Iterator[str]:
    """A sandbox pinging every 0.2 s (dropping a client without a pong for 0.67 s) and
    closing each WebSocket connection 2 s after it opened."""
    proc, base = start_sandbox("--ws-ping-s", "0.2", "--ws-max-age-s", "2")
    yield base
    terminate(proc)


@pytest.mark.asyncio
async def test_it_answers_the_servers_pings_and_reconnects_after_the_server_closes(
    short_lived_sandbox,
):
    url = ws_api_url(short_lived_sandbox)
    async with bu.AsyncWsApiClient(url=url, ping_interval=None) as ws:  # no pings of ours
        await ws.ping()
        await asyncio.sleep(1.0)
        stats = ws.stats()
        assert stats.connected and stats.pings_answered >= 3  # the pongs kept it open
        await ws.ping()
        await asyncio.sleep(1.5)  # past the connection's 2 s
        assert not ws.stats().connected
        assert await ws.server_time()
        assert ws.stats().connected and ws.stats().reconnects == 1
