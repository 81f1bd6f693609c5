"""Reads behind the Staking tab: always scoped to one connection (the view fetched it through
``accounts.access``), so a foreign id finds nothing."""

from __future__ import annotations

import collections
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from accounts import access
from accounts.models import ExchangeConnection
from desk.money import plain
from wallet.staking.models import (
    AutoStakeSchedule,
    StakingEvent,
    StakingOperation,
    StakingReward,
    StakingSync,
)

RECENT = 20


def staking_connections() -> list[int]:
    """Connections the beat syncs: working exchange keys whose staking the desk has shown or
    sent (a sync row exists from the first look at the tab)."""
    rows = StakingSync.objects.filter(
        connection__is_active=True,
        connection__needs_new_keys=False,
        connection__key_type__in=access.key_types_with(access.WALLET),
    )
    return list(rows.values_list("connection_id", flat=True))


def operation_list(*, connection: ExchangeConnection) -> QuerySet[StakingOperation]:
    return StakingOperation.objects.filter(connection=connection)[:RECENT]


def operation_get_for_connection(*, connection: ExchangeConnection, oid: int) -> StakingOperation:
    try:
        return StakingOperation.objects.get(pk=oid, connection=connection)
    except StakingOperation.DoesNotExist:
        raise Http404("No such staking operation.") from None


def pending_unstakes(*, connection: ExchangeConnection) -> QuerySet[StakingEvent]:
    rows = StakingEvent.objects.filter(connection=connection, type="unstaked", status="PENDING")
    return rows.order_by("due_at", "initiated_time")


def recent_events(*, connection: ExchangeConnection) -> QuerySet[StakingEvent]:
    return StakingEvent.objects.filter(connection=connection)[:RECENT]


def reward_rows(*, connection: ExchangeConnection) -> QuerySet[StakingReward]:
    return StakingReward.objects.filter(connection=connection)


def reward_totals(*, connection: ExchangeConnection) -> dict[str, Decimal]:
    """Every reward summed per asset (in Python: money columns are text on SQLite)."""
    totals: dict[str, Decimal] = collections.defaultdict(Decimal)
    for asset, amount in reward_rows(connection=connection).values_list("asset", "amount"):
        totals[asset] += amount
    return dict(sorted(totals.items()))


def reward_series(*, connection: ExchangeConnection) -> dict[str, dict[str, list[dict]]]:
    """Per reward asset, the chart's two lines: rewards per UTC day, and their running total
    (``{"time": "YYYY-MM-DD", "value": "exact decimal"}``, oldest first)."""
    days: dict[str, dict[str, Decimal]] = collections.defaultdict(
        lambda: collections.defaultdict(Decimal)
    )
    rows = reward_rows(connection=connection).order_by("time")
    for asset, amount, time in rows.values_list("asset", "amount", "time"):
        days[asset][time.date().isoformat()] += amount
    series = {}
    for asset, by_day in sorted(days.items()):
        total, daily, cumulative = Decimal(0), [], []
        for day, amount in sorted(by_day.items()):
            total += amount
            daily.append({"time": day, "value": plain(amount)})
            cumulative.append({"time": day, "value": plain(total)})
        series[asset] = {"daily": daily, "cumulative": cumulative}
    return series


def staking_sync_state(*, connection: ExchangeConnection) -> StakingSync | None:
    return StakingSync.objects.filter(connection=connection).first()


def autostake_list(*, connection: ExchangeConnection) -> QuerySet[AutoStakeSchedule]:
    return AutoStakeSchedule.objects.filter(connection=connection)


def autostake_get_for_connection(*, connection: ExchangeConnection, sid: int) -> AutoStakeSchedule:
    try:
        return AutoStakeSchedule.objects.get(pk=sid, connection=connection)
    except AutoStakeSchedule.DoesNotExist:
        raise Http404("No such auto-stake schedule.") from None
