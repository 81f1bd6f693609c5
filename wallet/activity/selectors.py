"""Reads of the stored wallet histories. Callers pass a connection already ownership-checked;
nothing here talks to the exchange (its reads are ``reads.py``'s)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import ExchangeConnection, SubAccount
from desk.lists import DateRange
from wallet.activity.models import ActivityKind, ActivitySync, WalletActivity

DEPOSITS = (ActivityKind.DEPOSIT, ActivityKind.FIAT_DEPOSIT)
WITHDRAWALS = (ActivityKind.WITHDRAWAL, ActivityKind.FIAT_WITHDRAWAL)


@dataclass(frozen=True)
class ActivityFilters(DateRange):
    """Coin, state (``ActivityState``) and UTC days ``since``..``until`` (both included)."""

    coin: str = ""
    state: str = ""


def activity_rows(
    *, connection: ExchangeConnection, filters: ActivityFilters, kinds=None
) -> QuerySet[WalletActivity]:
    qs = WalletActivity.objects.filter(connection=connection)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    if filters.coin:
        qs = qs.filter(coin=filters.coin)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return filters.dates_filter(qs, "time").order_by("-time", "-pk")


def activity_coins(*, connection: ExchangeConnection) -> list[str]:
    """Coins with stored rows (the coin filter's choices)."""
    rows = WalletActivity.objects.filter(connection=connection)
    return sorted(set(rows.values_list("coin", flat=True).distinct()))


def activity_syncs(*, connection: ExchangeConnection) -> dict[str, ActivitySync]:
    return {s.kind: s for s in ActivitySync.objects.filter(connection=connection)}


def subaccount_emails(*, connection: ExchangeConnection) -> list[str]:
    return list(
        SubAccount.objects.filter(connection=connection)
        .order_by("email")
        .values_list("email", flat=True)
    )
