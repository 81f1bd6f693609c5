"""Turning schedules into runs: each planned time becomes exactly one run row.

Safe to call from several beat processes at once: rows are created with get_or_create on the
unique (schedule, planned_at), so a second planner finds the row instead of making another,
and a run is only ever sent by the worker whose claim succeeds.

One schedule never stops the others: a schedule whose planning raises is paused with the
reason on its page and e-mailed to its owner, and the planner goes on with the next one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditOutcome, ExchangeConnection
from desk.intents import intent_commit
from transfers.models import CatchUp, RunStatus, TransferRun, TransferSchedule
from transfers.recurrence import RecurrenceError, Rule, next_after, rule_check

log = logging.getLogger(__name__)

MAX_CATCH_UP_STEPS = 100_000  # bounds the walk over missed ticks (every hour for ~11 years)


def schedule_rule(schedule: TransferSchedule) -> Rule:
    try:
        tz = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise RecurrenceError(f"unknown time zone {schedule.timezone!r}") from None
    return Rule(
        kind=schedule.recurrence,
        tz=tz,
        starts_at=schedule.starts_at,
        every=schedule.every,
        weekdays=frozenset(schedule.weekdays or ()),
        monthday=schedule.monthday,
        cron=schedule.cron,
    )


def schedule_first_run(schedule: TransferSchedule, *, now: datetime) -> datetime | None:
    """The first firing at or after ``now`` (a rule anchored in the past starts from now)."""
    return next_after(schedule_rule(schedule), now - timedelta(microseconds=1))


def schedule_check(schedule: TransferSchedule, *, now: datetime) -> datetime | None:
    """The first run of a schedule about to be saved or resumed, once its rule is known to keep
    working: raises ``RecurrenceError`` when the rule cannot fire, or when the run after the
    first cannot be computed (saved, such a rule would fail at its first planning)."""
    try:
        rule = schedule_rule(schedule)
        rule_check(rule)
        first = next_after(rule, now - timedelta(microseconds=1))
        if first is not None:
            next_after(rule, first)
    except OverflowError:
        raise RecurrenceError("the start date is out of range") from None
    return first


def schedules_plan_due(*, now: datetime | None = None) -> list[int]:
    """Create the run of every schedule that is due; returns the ids of runs to execute."""
    now = now or timezone.now()
    to_execute: list[int] = []
    due = TransferSchedule.objects.filter(is_paused=False, next_run_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in due:
        try:
            run_id = _plan_one(pk, now)
        except (OperationalError, InterfaceError):
            # The database, not the schedule: leave it active, the next tick tries again.
            log.exception("schedule %s: database error while planning; will retry", pk)
            continue
        except Exception as exc:
            log.exception("schedule %s: planning failed; pausing it", pk)
            _pause_broken(pk, exc, now=now)
            continue
        if run_id is not None:
            to_execute.append(run_id)
    return to_execute


def _pause_broken(schedule_id: int, exc: Exception, *, now: datetime) -> None:
    """Pause a schedule whose planning raised, say why on its page, audit it and tell its owner.
    Done with an UPDATE, so a row that cannot even be loaded is paused all the same."""
    problem = str(exc) if isinstance(exc, RecurrenceError) else f"{type(exc).__name__}: {exc}"
    problem = problem[:150]
    reason = (
        f"Paused by the desk on {now:%Y-%m-%d %H:%M} UTC because its next run could not be "
        f"planned ({problem}). Edit the schedule, then resume it."
    )[:300]
    try:
        with transaction.atomic():
            paused = TransferSchedule.objects.filter(pk=schedule_id, is_paused=False).update(
                is_paused=True, paused_reason=reason, updated_at=timezone.now()
            )
            if not paused:
                return  # another planner paused it first (and told the owner)
            connection = ExchangeConnection.objects.select_related("user").get(
                transfer_schedules=schedule_id
            )
            audit_record(
                user=connection.user,
                action="transfer_schedule.pause",
                outcome=AuditOutcome.ERROR,
                connection=connection,
                params={"schedule": schedule_id, "by": "desk"},
                error_message=reason,
            )
            transaction.on_commit(partial(_notify_paused, schedule_id), robust=True)
    except Exception:
        log.exception("schedule %s: could not be paused", schedule_id)


def _notify_paused(schedule_id: int) -> None:
    from transfers.notifications import schedule_paused_notify

    schedule_paused_notify(schedule_id=schedule_id)


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
        rule_check(rule)
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
    # A concurrent planner may have committed this very run: then it is found, not made twice.
    return intent_commit(
        TransferRun, key={"schedule": schedule, "planned_at": planned_at}, fields=defaults
    )


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


def runs_to_send(*, now: datetime | None = None) -> list[int]:
    """What the beat hands to the workers: runs of the schedules due now, and planned runs whose
    queue message was lost. Each step runs even when the other fails."""
    ids: list[int] = []
    for step in (schedules_plan_due, runs_stranded):
        try:
            ids += step(now=now)
        except Exception:
            log.exception("transfers: %s failed; the other step still ran", step.__name__)
    return list(dict.fromkeys(ids))
