"""Every order type the ticket offers, placed through ``order_place`` against the sandbox: the
stored row must say what the exchange says about the order (GET /api/v3/order), field by
field, money as exact decimals."""

from decimal import Decimal

import pytest
import requests

import binanceus
from tests.support import exchange_client
from trading.models import Order, OrderStatus
from trading.orders import services, userdata
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db

# Far enough that the sandbox's random walk does not reach it during a test.
WIDE_TRAIL = 1000  # BIPS (10 %)


def _client(ex) -> binanceus.Client:
    return exchange_client(ex.api_key, ex.secret, ex.base)


def _place(conn, coid: str, **fields) -> Order:
    request = OrderRequest(symbol=fields.pop("symbol", "BTCUSD"), **fields)
    return services.order_place(
        user=conn.user, connection=conn, client_order_id=coid, request=request
    )


def _on_exchange(ex, row: Order) -> binanceus.Order:
    with _client(ex) as client:
        return client.get_order(symbol=row.symbol, order_id=row.order_id)


MONEY = ("price", "stop_price", "iceberg_qty", "orig_qty", "orig_quote_order_qty")
MONEY_SET = ("executed_qty", "cummulative_quote_qty")


def _assert_as_exchange_reports(ex, placed: Order) -> binanceus.Order:
    """The returned row and the stored row both match the exchange's view of the order."""
    assert placed.order_id is not None, placed.error_message
    got = _on_exchange(ex, placed)
    stored = Order.objects.get(pk=placed.pk)
    for row in (placed, stored):
        assert (row.client_order_id, row.side, row.type, row.status) == (
            got.client_order_id,
            got.side,
            got.type,
            got.status,
        )
        assert row.time_in_force == (got.time_in_force or "")
        assert row.is_working is got.is_working
        assert row.self_trade_prevention_mode == got.self_trade_prevention_mode
        assert row.trailing_delta == got.trailing_delta
        # The exchange writes "0.00000000" for a price or amount an order does not have.
        for name in MONEY:
            value = getattr(row, name)
            assert value is None or isinstance(value, Decimal), (name, type(value))
            assert (value or Decimal(0)) == (getattr(got, name) or Decimal(0)), name
        for name in MONEY_SET:
            value = getattr(row, name)
            assert isinstance(value, Decimal), (name, type(value))
            assert value == getattr(got, name), name
    assert stored.exchange_created_at == got.time
    return got


def test_it_places_a_take_profit_limit_that_waits_for_its_stop_price(trader):
    conn, ex = trader
    stop = ex.above(percent=3)
    order = _place(
        conn,
        "tp-stop-1",
        side="SELL",
        type="TAKE_PROFIT_LIMIT",
        quantity=Decimal("0.01"),
        price=stop + Decimal("10"),
        stop_price=stop,
        time_in_force="GTC",
    )
    got = _assert_as_exchange_reports(ex, order)
    assert (got.status, got.is_working, got.stop_price) == ("NEW", False, stop)
    assert ex.free("BTC") == Decimal("4.99")  # the waiting sell already locks its base


@pytest.mark.parametrize(
    ("kind", "side"), [("STOP_LOSS_LIMIT", "SELL"), ("TAKE_PROFIT_LIMIT", "BUY")]
)
def test_it_places_a_trailing_stop_by_its_delta_alone(trader, kind, side):
    conn, ex = trader
    price = ex.below(percent=15) if side == "SELL" else ex.below(percent=12)
    order = _place(
        conn,
        f"trail-{kind}",
        side=side,
        type=kind,
        quantity=Decimal("0.01"),
        price=price,
        trailing_delta=WIDE_TRAIL,
        time_in_force="GTC",
    )
    got = _assert_as_exchange_reports(ex, order)
    assert (got.trailing_delta, got.is_working, got.status) == (WIDE_TRAIL, False, "NEW")
    assert got.trailing_time is not None  # tracking from the last price at once


def test_it_rests_a_limit_maker_below_the_market(trader):
    conn, ex = trader
    order = _place(
        conn,
        "maker-rest",
        side="BUY",
        type="LIMIT_MAKER",
        quantity=Decimal("0.01"),
        price=ex.below(),
    )
    got = _assert_as_exchange_reports(ex, order)
    assert (got.status, got.is_working, got.time_in_force) == ("NEW", True, "GTC")


def test_it_shows_the_exchanges_refusal_of_a_limit_maker_that_would_take(trader):
    conn, ex = trader
    order = _place(
        conn,
        "maker-cross",
        side="BUY",
        type="LIMIT_MAKER",
        quantity=Decimal("0.01"),
        price=ex.above(percent=2),
    )
    assert order.status == OrderStatus.FAILED and order.order_id is None
    assert (order.error_code, order.error_message) == (
        -2010,
        "Order would immediately match and take.",
    )
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.error_code) == (OrderStatus.FAILED, -2010)
    assert ex.orders(client_order_id="maker-cross") == []
    assert ex.free("USD") == Decimal("100000")


def test_it_places_an_iceberg_limit_showing_only_its_slice(trader):
    conn, ex = trader
    order = _place(
        conn,
        "iceberg-1",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.1"),
        iceberg_qty=Decimal("0.02"),
        price=ex.below(),
        time_in_force="GTC",
    )
    got = _assert_as_exchange_reports(ex, order)
    assert (got.iceberg_qty, got.orig_qty) == (Decimal("0.02"), Decimal("0.1"))
    # The whole order is funded, not only the visible slice.
    assert ex.free("USD") == Decimal("100000") - order.price * Decimal("0.1")


def test_it_buys_at_market_for_a_quote_amount(trader):
    conn, ex = trader
    order = _place(conn, "market-quote", side="BUY", type="MARKET", quote_order_qty=Decimal("250"))
    got = _assert_as_exchange_reports(ex, order)
    assert got.status == "FILLED" and got.orig_quote_order_qty == Decimal("250")
    assert Decimal("249") < got.cummulative_quote_qty <= Decimal("250")
    assert ex.free("BTC") > Decimal("5")


def test_it_fills_an_ioc_at_once_and_lets_the_rest_expire(trader):
    conn, ex = trader
    filled = _place(
        conn,
        "ioc-fill",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.001"),
        price=ex.above(percent=2),
        time_in_force="IOC",
    )
    assert _assert_as_exchange_reports(ex, filled).status == "FILLED"
    missed = _place(
        conn,
        "ioc-miss",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.001"),
        price=ex.below(),
        time_in_force="IOC",
    )
    got = _assert_as_exchange_reports(ex, missed)
    assert (got.status, got.executed_qty) == ("EXPIRED", Decimal(0))


def test_it_expires_a_fok_the_book_cannot_fill_whole_without_any_fill(trader):
    conn, ex = trader
    before = ex.free("USD")
    price, available = _best_ask(ex)
    order = _place(
        conn,
        "fok-miss",
        side="BUY",
        type="LIMIT",
        quantity=available + Decimal("1"),  # far more than the best level holds
        price=price,
        time_in_force="FOK",
    )
    got = _assert_as_exchange_reports(ex, order)
    assert (got.status, got.executed_qty, got.cummulative_quote_qty) == (
        "EXPIRED",
        Decimal(0),
        Decimal(0),
    )
    assert ex.free("USD") == before
    small = _place(
        conn,
        "fok-fill",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.001"),
        price=ex.above(percent=2),
        time_in_force="FOK",
    )
    assert _assert_as_exchange_reports(ex, small).status == "FILLED"


def _book(ex) -> dict:
    return requests.get(
        f"{ex.base}/api/v3/depth", params={"symbol": "BTCUSD", "limit": 5}, timeout=5
    ).json()


def _best_ask(ex) -> tuple[Decimal, Decimal]:
    price, qty = _book(ex)["asks"][0]
    return Decimal(price), Decimal(qty)


def _inside_spread(ex) -> Decimal:
    """A price between the best bid and the best ask: a sell there is the best ask."""
    book = _book(ex)
    bid, ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
    assert ask - bid > Decimal("0.01"), "no room inside the sandbox's spread"
    return ask - Decimal("0.01")


@pytest.mark.parametrize(
    ("mode", "maker_after", "taker_after"),
    [
        ("EXPIRE_TAKER", "NEW", "EXPIRED_IN_MATCH"),
        ("EXPIRE_MAKER", "EXPIRED_IN_MATCH", "NEW"),
        ("EXPIRE_BOTH", "EXPIRED_IN_MATCH", "EXPIRED_IN_MATCH"),
    ],
)
def test_it_prevents_a_self_trade_in_each_mode(still_trader, mode, maker_after, taker_after):
    conn, ex = still_trader  # no market flow to take the maker before the taker arrives
    price = _inside_spread(ex)
    qty = Decimal("0.001")
    maker = _place(
        conn,
        f"stp-maker-{mode}",
        side="SELL",
        type="LIMIT",
        quantity=qty,
        price=price,
        time_in_force="GTC",
        self_trade_prevention_mode=mode,
    )
    taker = _place(
        conn,
        f"stp-taker-{mode}",
        side="BUY",
        type="LIMIT",
        quantity=qty,
        price=price,
        time_in_force="GTC",
        self_trade_prevention_mode=mode,
    )
    got = _assert_as_exchange_reports(ex, taker)
    assert (got.status, got.executed_qty) == (taker_after, Decimal(0))
    # The maker's end reaches the desk by the stream or a resync, never by the taker's answer.
    userdata.connection_resync(connection_id=conn.pk)
    got_maker = _assert_as_exchange_reports(ex, Order.objects.get(pk=maker.pk))
    assert got_maker.status == maker_after


def test_it_keeps_the_self_trade_mode_and_type_through_a_replace(trader):
    conn, ex = trader
    order = _place(
        conn,
        "stp-replace-old",
        side="BUY",
        type="LIMIT_MAKER",
        quantity=Decimal("0.01"),
        price=ex.below(),
        self_trade_prevention_mode="EXPIRE_BOTH",
    )
    outcome = services.order_replace(
        user=conn.user,
        order=order,
        client_order_id="stp-replace-new",
        price=ex.below(percent=6),
        quantity=None,
    )
    assert outcome.canceled
    got = _assert_as_exchange_reports(ex, outcome.new_order)
    assert (got.type, got.self_trade_prevention_mode) == ("LIMIT_MAKER", "EXPIRE_BOTH")
