"""Turning schedules into runs: each planned time becomes exactly one run row.

Safe to call from several beat processes at once: rows are created with get_or_create on the
unique (schedule, planned_at), so a second planner finds the row instead of making another,
and a run is only ever sent by the worker whose claim succeeds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from transfers.models import CatchUp, RunStatus, TransferRun, TransferSchedule
from transfers.recurrence import Rule, next_after

log = logging.getLogger(__name__)

MAX_CATCH_UP_STEPS = 100_000  # bounds the walk over missed ticks (every hour for ~11 years)


def schedule_rule(schedule: TransferSchedule) -> Rule:
    return Rule(
        kind=schedule.recurrence,
        tz=ZoneInfo(schedule.timezone),
        starts_at=schedule.starts_at,
        every=schedule.every,
        weekdays=frozenset(schedule.weekdays or ()),
        monthday=schedule.monthday,
        cron=schedule.cron,
    )


def schedule_first_run(schedule: TransferSchedule, *, now: datetime) -> datetime | None:
    """The first firing at or after ``now`` (a rule anchored in the past starts from now)."""
    return next_after(schedule_rule(schedule), now - timedelta(microseconds=1))


def schedules_plan_due(*, now: datetime | None = None) -> list[int]:
    """Create the run of every schedule that is due; returns the ids of runs to execute."""
    now = now or timezone.now()
    to_execute: list[int] = []
    due = TransferSchedule.objects.filter(is_paused=False, next_run_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in due:
        run_id = _plan_one(pk, now)
        if run_id is not None:
            to_execute.append(run_id)
    return to_execute


def _plan_one(schedule_id: int, now: datetime) -> int | None:
    with transaction.atomic():
        schedule = (
            TransferSchedule.objects.select_for_update()
            .select_related("connection")
            .get(pk=schedule_id)
        )
        if schedule.is_paused or schedule.next_run_at is None or schedule.next_run_at > now:
            return None  # another planner got here first
        rule = schedule_rule(schedule)
        latest, following = _latest_due(rule, schedule.next_run_at, now)
        late = now - latest > timedelta(seconds=settings.TRANSFER_LATE_SECONDS)
        skip = late and schedule.catch_up == CatchUp.SKIP
        run, created = _run_for(schedule, latest, skip=skip)
        schedule.next_run_at = following
        schedule.save(update_fields=["next_run_at", "updated_at"])
    if skip or not created:
        return None
    return run.pk


def _latest_due(rule: Rule, first: datetime, now: datetime) -> tuple[datetime, datetime | None]:
    """Of the firings from ``first`` up to ``now``, the latest — missed ones collapse into it, so
    a worker outage means one run, not one per missed tick — and the firing after it."""
    latest, following = first, next_after(rule, first)
    for _ in range(MAX_CATCH_UP_STEPS):
        if following is None or following > now:
            break
        latest, following = following, next_after(rule, following)
    return latest, following


def _run_for(schedule: TransferSchedule, planned_at: datetime, *, skip: bool):
    defaults = {
        "connection": schedule.connection,
        "from_email": schedule.from_email,
        "to_email": schedule.to_email,
        "asset": schedule.asset,
        "amount_kind": schedule.amount_kind,
        "amount_param": schedule.amount,
        "status": RunStatus.SKIPPED if skip else RunStatus.PLANNED,
        "error_message": "Missed while workers were down; this schedule skips missed runs."
        if skip
        else "",
        "finished_at": timezone.now() if skip else None,
    }
    try:
        with transaction.atomic():
            return TransferRun.objects.get_or_create(
                schedule=schedule, planned_at=planned_at, defaults=defaults
            )
    except IntegrityError:  # a concurrent planner inserted it between our get and create
        return TransferRun.objects.get(schedule=schedule, planned_at=planned_at), False


def runs_stranded(*, now: datetime | None = None) -> list[int]:
    """Planned runs due for a while that no worker has claimed: their queue message was lost
    (or is waiting behind a busy worker; a second message then finds the run claimed)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TRANSFER_STALE_SECONDS)
    return list(
        TransferRun.objects.filter(status=RunStatus.PLANNED, planned_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
