"""The confirmation gate every placing entry point goes through, called directly."""

from decimal import Decimal

import pytest

from trading.models import Order, TradingPreference
from trading.orders import gate
from trading.orders.selectors import trading_preference
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db


def _limit(ex, qty="0.01") -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        quantity=Decimal(qty),
        price=ex.below(),
        time_in_force="GTC",
    )


def _place(conn, request, *, confirmed, coid="desk-gate-1"):
    return gate.order_place(
        user=conn.user,
        connection=conn,
        client_order_id=coid,
        request=request,
        confirmed=confirmed,
    )


def test_it_holds_a_large_order_until_confirmed_and_sends_nothing_meanwhile(trader):
    conn, ex = trader
    gate.trading_preference_save(
        user=conn.user, confirm_notional_over=Decimal("100"), confirm_balance_percent_over=50
    )
    with pytest.raises(gate.ConfirmationNeeded, match="over your confirmation threshold of 100"):
        _place(conn, _limit(ex), confirmed=False)
    assert not Order.objects.exists() and ex.orders() == []
    order = _place(conn, _limit(ex), confirmed=True)
    assert order.status == "NEW" and len(ex.orders(client_order_id="desk-gate-1")) == 1


def test_it_refuses_an_order_the_filters_refuse_even_when_confirmed(trader):
    conn, ex = trader
    with pytest.raises(gate.OrderProblems) as raised:
        _place(conn, _limit(ex, qty="0.000000001"), confirmed=True)
    assert {p.field for p in raised.value.problems} == {"quantity"}
    assert not Order.objects.exists() and ex.orders() == []


def test_it_saves_the_thresholds_once_per_user(trader):
    conn, _ = trader
    for over in ("250", "300"):
        gate.trading_preference_save(
            user=conn.user,
            confirm_notional_over=Decimal(over),
            confirm_balance_percent_over=Decimal("20"),
        )
    pref = trading_preference(user=conn.user)
    assert TradingPreference.objects.filter(user=conn.user).count() == 1
    assert (pref.confirm_notional_over, pref.confirm_balance_percent_over) == (
        Decimal("300"),
        Decimal("20"),
    )
