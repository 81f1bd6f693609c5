"""The reads every order action starts with: the connection with its user's trading preference,
and the order by its key, each the user's own or a 404."""

from decimal import Decimal

import pytest
from django.http import Http404

from tests.factories import make_connection, make_order, make_user
from trading.models import OrderTransport, TradingPreference
from trading.orders.selectors import (
    get_order_for_user,
    preference_read_with,
    trading_connection_for_user,
)

pytestmark = pytest.mark.django_db


def test_the_connection_comes_with_its_users_preference_and_needs_no_other_read(
    django_assert_num_queries,
):
    user = make_user()
    conn = make_connection(user)
    TradingPreference.objects.create(
        user=user, order_transport=OrderTransport.REST, confirm_notional_over=Decimal("123.45")
    )
    read = trading_connection_for_user(user=user, pk=conn.pk)
    with django_assert_num_queries(0):
        pref = preference_read_with(read)
        assert read.user == user and read.user_id == user.pk
    assert pref.order_transport == OrderTransport.REST
    assert pref.confirm_notional_over == Decimal("123.45")


def test_without_a_preference_the_defaults_are_read_with_it(django_assert_num_queries):
    user = make_user()
    read = trading_connection_for_user(user=user, pk=make_connection(user).pk)
    with django_assert_num_queries(0):
        pref = preference_read_with(read)
    assert pref.pk is None and pref.order_transport == OrderTransport.WS
    assert pref.confirm_notional_over == TradingPreference().confirm_notional_over


def test_a_connection_read_otherwise_has_no_preference_read_with_it():
    user = make_user()
    conn = make_connection(user)
    TradingPreference.objects.create(user=user, order_transport=OrderTransport.REST)
    assert preference_read_with(type(conn).objects.get(pk=conn.pk)) is None


def test_an_order_is_found_only_through_its_own_connection():
    owner = make_user()
    mine, other = make_connection(owner), make_connection(owner)
    order = make_order(mine)
    found = get_order_for_user(user=owner, pk=mine.pk, order_pk=order.pk)
    assert found.pk == order.pk and found.connection.pk == mine.pk
    assert preference_read_with(found.connection) is not None  # the action's route is known
    for user, pk, order_pk in [
        (owner, other.pk, order.pk),  # the user's, but through another connection
        (make_user(), mine.pk, order.pk),  # a stranger
        (owner, mine.pk, "abc"),
        (owner, mine.pk, 2**64),
        (owner, mine.pk, -order.pk),
    ]:
        with pytest.raises(Http404):
            get_order_for_user(user=user, pk=pk, order_pk=order_pk)
