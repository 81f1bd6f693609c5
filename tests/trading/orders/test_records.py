"""Applying user-data events (shaped as the spec's examples) to stored orders, trades and
balances: matched to our intents, stored once, never rolled back by a late event."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Balance
from tests.factories import make_connection, make_user
from trading.models import AccountTrade, Order, OrderOrigin, OrderStatus
from trading.orders.userdata import account_positions_apply, user_event_apply

pytestmark = pytest.mark.django_db

T0 = 1_763_800_000_000  # ms


def _report(**changes) -> dict:
    """The spec's executionReport example (Payload A), for one ETHBTC order."""
    event = {
        "e": "executionReport",
        "E": T0,
        "s": "ETHBTC",
        "c": "desk-abc",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1.00000000",
        "p": "0.10264410",
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": "NEW",
        "X": "NEW",
        "r": "NONE",
        "i": 4293153,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": None,
        "T": T0,
        "t": -1,
        "I": 8641984,
        "w": True,
        "m": False,
        "M": False,
        "O": T0,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
    }
    return {**event, **changes}


FILL = {
    "x": "TRADE",
    "X": "FILLED",
    "l": "1.00000000",
    "z": "1.00000000",
    "L": "0.10264410",
    "n": "0.001",
    "N": "ETH",
    "t": 77,
    "w": False,
    "Z": "0.10264410",
    "Y": "0.10264410",
}


@pytest.fixture
def conn():
    return make_connection(make_user())


def test_it_settles_our_intent_from_its_execution_report(conn):
    intent = Order.objects.create(
        connection=conn,
        symbol="ETHBTC",
        client_order_id="desk-abc",
        origin=OrderOrigin.DESK,
        side="BUY",
        type="LIMIT",
        status=OrderStatus.UNKNOWN,
    )
    user_event_apply(connection_id=conn.pk, data=_report())
    intent.refresh_from_db()
    assert (intent.status, intent.order_id) == (OrderStatus.NEW, 4293153)
    assert intent.price == Decimal("0.10264410") and intent.is_working is True
    assert Order.objects.filter(connection=conn).count() == 1


def test_events_are_applied_without_reading_their_connection(conn):
    """Four events per order placed and canceled: the rows point to the connection by key, so
    none of them reads it (a fill toast reads its label only)."""
    position = {"e": "outboundAccountPosition", "E": T0, "u": T0, "B": []}
    with CaptureQueriesContext(db_connection) as queries:
        user_event_apply(connection_id=conn.pk, data=_report())
        user_event_apply(connection_id=conn.pk, data=position)
    read = [q["sql"] for q in queries if "accounts_exchangeconnection" in q["sql"]]
    assert read == []
    assert Order.objects.get(connection=conn).status == OrderStatus.NEW


@pytest.mark.django_db(transaction=True)  # the foreign key is checked when the event commits
def test_an_event_of_a_connection_deleted_meanwhile_stores_nothing(conn):
    pk = conn.pk
    conn.delete()
    with pytest.raises(IntegrityError):
        user_event_apply(connection_id=pk, data=_report())
    assert not Order.objects.filter(connection_id=pk).exists()


def test_it_never_rolls_a_filled_order_back_with_a_late_event(conn):
    user_event_apply(connection_id=conn.pk, data=_report(E=T0 + 20, T=T0 + 20, **FILL))
    user_event_apply(connection_id=conn.pk, data=_report())  # the NEW, delivered late
    order = Order.objects.get(connection=conn)
    assert order.origin == OrderOrigin.EXCHANGE
    assert order.status == OrderStatus.FILLED and order.executed_qty == Decimal("1")
    assert order.exchange_updated_at == datetime.fromtimestamp((T0 + 20) / 1000, UTC)


def test_it_keeps_the_further_state_when_two_events_share_a_time(conn):
    user_event_apply(connection_id=conn.pk, data=_report(**FILL))
    user_event_apply(connection_id=conn.pk, data=_report())
    assert Order.objects.get(connection=conn).status == OrderStatus.FILLED


def test_the_same_state_again_writes_nothing(conn):
    """The order's answer and its executionReport both say NEW: whichever comes second finds it
    stored and leaves the row as it is."""
    user_event_apply(connection_id=conn.pk, data=_report())
    stored = Order.objects.get(connection=conn).updated_at
    user_event_apply(connection_id=conn.pk, data=_report(E=T0 + 1))
    assert Order.objects.get(connection=conn).updated_at == stored


def test_it_stores_each_fill_once(conn):
    event = _report(E=T0 + 5, T=T0 + 5, **FILL)
    user_event_apply(connection_id=conn.pk, data=event)
    user_event_apply(connection_id=conn.pk, data=event)  # a replay after a reconnect
    trade = AccountTrade.objects.get(connection=conn)
    assert (trade.trade_id, trade.qty, trade.price) == (77, Decimal("1"), Decimal("0.10264410"))
    assert (trade.commission, trade.commission_asset, trade.side) == (
        Decimal("0.001"),
        "ETH",
        "BUY",
    )


def test_it_matches_a_cancel_by_the_original_client_id(conn):
    user_event_apply(connection_id=conn.pk, data=_report())
    cancel = _report(E=T0 + 9, T=T0 + 9, x="CANCELED", X="CANCELED", c="cancel-1", C="desk-abc")
    user_event_apply(connection_id=conn.pk, data=cancel)
    order = Order.objects.get(connection=conn)
    assert order.status == OrderStatus.CANCELED and order.client_order_id == "desk-abc"


def test_balance_events_held_back_together_write_each_asset_once_as_the_last_has_it(conn):
    """The stream process applies balance events a moment late, several at once: an asset a
    later event of them has is written once, with the later figure."""

    def position(u: int, **free: str) -> dict:
        balances = [{"a": asset, "f": f, "l": "0"} for asset, f in free.items()]
        return {"e": "outboundAccountPosition", "E": u, "u": u, "B": balances}

    events = [position(T0 + 1, BTC="1", USD="10"), position(T0 + 2, BTC="2", ETH="3")]
    with CaptureQueriesContext(db_connection) as queries:
        account_positions_apply(connection_id=conn.pk, events=events)
    rows = {b.asset: (b.free, b.updated_at) for b in Balance.objects.filter(connection=conn)}
    assert rows == {
        "BTC": (Decimal("2"), datetime.fromtimestamp((T0 + 2) / 1000, UTC)),
        "ETH": (Decimal("3"), datetime.fromtimestamp((T0 + 2) / 1000, UTC)),
        "USD": (Decimal("10"), datetime.fromtimestamp((T0 + 1) / 1000, UTC)),
    }
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE")) and '"accounts_balance"' in q["sql"]
    ]
    assert len(writes) == 3  # BTC once (not 1 then 2), ETH and USD


def test_it_updates_balances_unless_it_holds_newer_ones(conn):
    at = datetime.fromtimestamp(T0 / 1000, UTC)
    Balance.objects.create(
        connection=conn, asset="BTC", free=Decimal("1"), locked=Decimal("0"), updated_at=at
    )

    def position(u: int, free: str) -> dict:
        return {
            "e": "outboundAccountPosition",
            "E": u,
            "u": u,
            "B": [{"a": "BTC", "f": free, "l": "0.5"}, {"a": "ETH", "f": "2", "l": "0"}],
        }

    user_event_apply(connection_id=conn.pk, data=position(T0 + 10, "0.5"))
    user_event_apply(connection_id=conn.pk, data=position(T0 + 5, "9"))  # older: ignored
    rows = {b.asset: (b.free, b.locked) for b in Balance.objects.filter(connection=conn)}
    assert rows == {"BTC": (Decimal("0.5"), Decimal("0.5")), "ETH": (Decimal("2"), Decimal("0"))}
