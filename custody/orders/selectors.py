"""Reads of custodial orders and fills, always scoped to one connection (the view fetched it
through ``accounts.access``), so a foreign id finds nothing. No network."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import ExchangeConnection
from custody.orders.models import OPEN_STATUSES, CustodialOrder, CustodialTrade, ExchangeOrder

RECENT = 20


def open_orders(*, connection: ExchangeConnection) -> QuerySet[ExchangeOrder]:
    return ExchangeOrder.objects.filter(connection=connection, status__in=OPEN_STATUSES)


def order_history(*, connection: ExchangeConnection) -> QuerySet[ExchangeOrder]:
    return ExchangeOrder.objects.filter(connection=connection)


def trade_history(*, connection: ExchangeConnection) -> QuerySet[CustodialTrade]:
    return CustodialTrade.objects.filter(connection=connection)


def desk_orders(*, connection: ExchangeConnection) -> QuerySet[CustodialOrder]:
    return CustodialOrder.objects.filter(connection=connection)


def exchange_order_get(*, connection: ExchangeConnection, oid: int) -> ExchangeOrder:
    try:
        return ExchangeOrder.objects.select_related("connection").get(pk=oid, connection=connection)
    except ExchangeOrder.DoesNotExist:
        raise Http404("No such custodial order.") from None


def desk_order_get(*, connection: ExchangeConnection, coid: int) -> CustodialOrder:
    try:
        return CustodialOrder.objects.get(pk=coid, connection=connection)
    except CustodialOrder.DoesNotExist:
        raise Http404("No such custodial order.") from None
