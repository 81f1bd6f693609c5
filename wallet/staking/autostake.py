"""Auto-stake: each due schedule stakes the free balance of its asset above its floor, once per
occurrence, through the same intent as a stake asked for on the page.

Occurrences come from the transfer scheduler's rules (``transfers.recurrence``). A planner
moves a schedule's ``next_run_at`` on with a conditional UPDATE first, so of two planners (two
beat processes, or a tick that overlaps the last) only one goes on; the stake's idempotency key
is the schedule and the occurrence's time, so even a planner that crashed after asking and is
run again for the same occurrence asks once. Missed occurrences (the workers were down) are not
caught up one by one: the next tick stakes what is there then, which is what they would have.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from desk.money import plain
from desk.periodic import each_row
from transfers.recurrence import RecurrenceError, Rule, next_after, rule_check
from wallet.staking import reads, services
from wallet.staking.checks import StakingProblems
from wallet.staking.models import AutoStakeSchedule, OperationKind
from wallet.withdrawals.checks import free_balance

log = logging.getLogger(__name__)

EIGHT = Decimal("0.00000001")


def autostake_rule(schedule: AutoStakeSchedule) -> Rule:
    return Rule(
        kind=schedule.recurrence,
        tz=ZoneInfo(schedule.timezone),
        starts_at=schedule.starts_at,
        every=schedule.every,
    )


def autostake_first_run(schedule: AutoStakeSchedule, *, now: datetime) -> datetime | None:
    """The first occurrence at or after ``now``; raises ``RecurrenceError`` for a rule that
    cannot fire."""
    rule = autostake_rule(schedule)
    rule_check(rule)
    return next_after(rule, now - timedelta(microseconds=1))


def autostakes_plan_due(*, now: datetime | None = None) -> list[str]:
    """Run every due schedule once; what each one did (one line each)."""
    now = now or timezone.now()
    due = AutoStakeSchedule.objects.filter(is_paused=False, next_run_at__lte=now)
    pks = list(due.order_by("next_run_at", "pk").values_list("pk", flat=True))
    return each_row("auto-stake", pks, lambda pk: _run_one(pk, now))


def _run_one(pk: int, now: datetime) -> str:
    schedule = AutoStakeSchedule.objects.select_related("connection", "connection__user").get(pk=pk)
    occurrence = schedule.next_run_at
    try:
        following = next_after(autostake_rule(schedule), now)
    except RecurrenceError as exc:  # cannot happen for a rule the form accepted; stop it
        following, outcome = None, f"Paused: its next run could not be planned ({exc})."
    else:
        outcome = ""
    taken = AutoStakeSchedule.objects.filter(pk=pk, next_run_at=occurrence, is_paused=False)
    if not taken.update(next_run_at=following, is_paused=following is None, last_run_at=now):
        return "taken by another planner"
    if not outcome:
        outcome = _stake_surplus(schedule, occurrence)
    AutoStakeSchedule.objects.filter(pk=pk).update(last_outcome=outcome[:300])
    return outcome


def _stake_surplus(schedule: AutoStakeSchedule, occurrence: datetime) -> str:
    """Ask for the stake of this occurrence; what happened, in words for the schedule's row."""
    connection, asset = schedule.connection, schedule.asset
    try:
        free = free_balance(connection=connection, coin=asset)
        amount = _surplus(schedule, free)
        if amount is None:
            return f"Nothing to stake: {plain(free)} {asset} free, floor {plain(schedule.floor)}."
        operation = services.operation_request(
            connection=connection,
            user=connection.user,
            kind=OperationKind.STAKE,
            asset=asset,
            amount=amount,
            request_key=f"auto-{schedule.pk}-{int(occurrence.timestamp())}",
            schedule=schedule,
        )
    except (StakingProblems, services.OperationRefused) as exc:
        return f"Not staked: {exc}"
    return f"Staking {plain(operation.amount)} {asset} (operation {operation.pk})."


def _surplus(schedule: AutoStakeSchedule, free: Decimal) -> Decimal | None:
    """What to stake: the free balance above the floor, to 8 decimals, within the asset's limits;
    None when that is below its minimum stake."""
    amount = (free - schedule.floor).quantize(EIGHT, rounding=ROUND_DOWN)
    spec = next(
        (a for a in reads.staking_assets(connection=schedule.connection).rows
         if a.staking_asset == schedule.asset),
        None,
    )  # fmt: skip
    if spec is not None:
        staked, _ = reads.staked_amount(connection=schedule.connection, asset=schedule.asset)
        room = spec.max_staking_limit - (staked or Decimal(0))
        amount = min(amount, room)
        if amount < spec.min_staking_limit:
            return None
    return amount if amount > 0 else None
