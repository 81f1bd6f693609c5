"""Reads of the desk's own records for the Convert and Dust tabs (no network)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Balance, ExchangeConnection
from convert.models import IN_FLIGHT, DustConversion, OtcConversion, OtcQuote

RECENT = 20


def quote_get_for_connection(*, connection: ExchangeConnection, pk: int) -> OtcQuote | None:
    return OtcQuote.objects.filter(connection=connection, pk=pk).first()


def conversion_list(*, connection: ExchangeConnection) -> QuerySet[OtcConversion]:
    return OtcConversion.objects.filter(connection=connection)


def conversion_get_for_connection(*, connection: ExchangeConnection, cid: int) -> OtcConversion:
    return get_object_or_404(OtcConversion, connection=connection, pk=cid)


def dust_list(*, connection: ExchangeConnection) -> QuerySet[DustConversion]:
    return DustConversion.objects.filter(connection=connection)


def dust_settled_mark(*, connection: ExchangeConnection) -> int:
    """The newest conversion that left flight: a list of dust drawn before it is out of date."""
    done = DustConversion.objects.filter(connection=connection).exclude(status__in=IN_FLIGHT)
    return done.order_by("-pk").values_list("pk", flat=True).first() or 0


def dust_get_for_connection(*, connection: ExchangeConnection, did: int) -> DustConversion:
    return get_object_or_404(DustConversion, connection=connection, pk=did)


def balances_of(*, connection: ExchangeConnection, assets) -> list[Balance]:
    return list(Balance.objects.filter(connection=connection, asset__in=sorted(set(assets))))
