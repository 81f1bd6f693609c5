"""Order answers of every shape the spec allows, stored onto a desk intent: an ACK (ids
only) settles the intent without blanking what the desk already knows of it."""

from decimal import Decimal

import pytest

import binanceus
from tests.factories import make_connection, make_user
from trading.models import Order, OrderOrigin, OrderStatus
from trading.orders import records

pytestmark = pytest.mark.django_db


def test_it_keeps_the_intents_fields_when_the_answer_is_an_ack():
    conn = make_connection(make_user())
    intent = Order.objects.create(
        connection=conn,
        symbol="BTCUSDT",
        client_order_id="wOceeeOzNORyLiQfw7jd8S",
        origin=OrderOrigin.DESK,
        side="BUY",
        type="STOP_LOSS_LIMIT",
        time_in_force="GTC",
        price=Decimal("0.02"),
        stop_price=Decimal("0.021"),
        orig_qty=Decimal("0.04"),
        self_trade_prevention_mode="EXPIRE_BOTH",
        status=OrderStatus.SENDING,
    )
    # The spec's ACK response: newOrderRespType ACK, the default for all but LIMIT and MARKET.
    ack = binanceus.Order.from_api(
        {
            "symbol": "BTCUSDT",
            "orderId": 28,
            "orderListId": -1,
            "clientOrderId": "wOceeeOzNORyLiQfw7jd8S",
            "transactTime": 1507725176595,
        }
    )
    stored = records.order_store(connection=conn, order=ack)
    assert stored.pk == intent.pk
    intent.refresh_from_db()
    assert (intent.order_id, intent.status) == (28, OrderStatus.NEW)
    assert (intent.side, intent.type, intent.time_in_force) == ("BUY", "STOP_LOSS_LIMIT", "GTC")
    assert (intent.price, intent.stop_price, intent.orig_qty) == (
        Decimal("0.02"),
        Decimal("0.021"),
        Decimal("0.04"),
    )
    assert intent.self_trade_prevention_mode == "EXPIRE_BOTH"
