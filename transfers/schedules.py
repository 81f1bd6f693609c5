"""Writes behind the transfer pages: "transfer now" requests, retries and schedule CRUD.

None of these calls the exchange. A transfer is a ``TransferRun`` intent queued for the worker
(``transfers.tasks.execute_run`` → ``transfers.runs``), which claims it and sends it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.intents import intent_commit, queue
from desk.money import plain
from transfers.models import AmountKind, RunStatus, TransferRun, TransferSchedule
from transfers.scheduling import schedule_check

SCHEDULE_FIELDS = (
    "name",
    "from_email",
    "to_email",
    "asset",
    "amount_kind",
    "amount",
    "recurrence",
    "timezone",
    "starts_at",
    "every",
    "weekdays",
    "monthday",
    "cron",
    "catch_up",
)


class TransferRequestConflict(Exception):
    """The request key already names a different transfer: another connection's (a forged or
    reused form), or the same form submitted again with other content (a second tab)."""


def connection_set_account_email(
    *, connection: ExchangeConnection, email: str, user, ip: str | None = None
) -> ExchangeConnection:
    """The master's own email: the exchange names both sides of a transfer by email."""
    previous = connection.account_email
    connection.account_email = email
    connection.save(update_fields=["account_email", "updated_at"])
    audit_record(
        user=user,
        action="connection.account_email",
        connection=connection,
        params={"from": previous, "to": email},
        ip=ip,
    )
    return connection


# --- transfer now -------------------------------------------------------------------------------
def transfer_request(
    *,
    connection: ExchangeConnection,
    user,
    from_email: str,
    to_email: str,
    asset: str,
    amount: Decimal,
    request_key: str,
    amount_kind: str = AmountKind.FIXED,
    ip: str | None = None,
) -> TransferRun:
    """A run for a "transfer now" form, queued for the worker once the row is committed.

    ``request_key`` comes from the form, so a double submit (or a reload of the POST) finds the
    run the first submit made instead of creating a second one. The same key with different
    content (the form open in two tabs) raises ``TransferRequestConflict``: never merged into
    the first run, never sent.
    """
    defaults = {
        "connection": connection,
        "planned_at": timezone.now(),
        "from_email": from_email,
        "to_email": to_email,
        "asset": asset,
        "amount_kind": amount_kind,
        "amount_param": amount,
    }
    with transaction.atomic():
        run, created = intent_commit(TransferRun, key={"request_key": request_key}, fields=defaults)
        if run.connection_id != connection.pk:
            raise TransferRequestConflict("This form was already used for another connection.")
        if not created:
            _check_same_request(run, defaults)
            return run
        audit_record(
            user=user,
            action="transfer.request",
            connection=connection,
            params={
                "from": from_email or "master",
                "to": to_email or "master",
                "asset": asset,
                "amount": amount,
                "amount_kind": amount_kind,
                "run": run.pk,
            },
            ip=ip,
        )
        _queue(run.pk)
    return run


_REQUEST_PARTS = {
    "amount_param": "amount",
    "asset": "asset",
    "from_email": "source",
    "to_email": "destination",
    "amount_kind": "amount kind",
}


def _check_same_request(run: TransferRun, asked: dict[str, Any]) -> None:
    """A resubmitted form must ask for exactly what its first submit asked for."""
    differ = [label for f, label in _REQUEST_PARTS.items() if getattr(run, f) != asked[f]]
    if not differ:
        return
    what = " and ".join(differ)
    amount = plain(run.amount_param) if run.amount_param is not None else "?"
    raise TransferRequestConflict(
        f"This form was already submitted with a different {what} "
        f"({amount} {run.asset} from {run.from_email or 'master'} to "
        f"{run.to_email or 'master'}); nothing new was sent. Reload the page to make a new "
        "transfer."
    )


def transfer_retry(*, run: TransferRun, user, ip: str | None = None) -> TransferRun:
    """A new run (new request key) with a failed run's parameters; the failed one stays as is."""
    if run.status != RunStatus.FAILED:
        raise ValueError("only a failed transfer can be retried")
    return transfer_request(
        connection=run.connection,
        user=user,
        from_email=run.from_email,
        to_email=run.to_email,
        asset=run.asset,
        amount=run.amount_param,
        amount_kind=run.amount_kind,
        request_key=uuid.uuid4().hex,
        ip=ip,
    )


def _queue(run_id: int) -> None:
    from transfers.tasks import execute_run  # tasks import the worker side

    # After commit: a worker must never look for a run row that is not visible yet.
    transaction.on_commit(lambda: queue(execute_run, run_id))


# --- schedules ----------------------------------------------------------------------------------
def _next_run(schedule: TransferSchedule, now: datetime | None) -> datetime | None:
    """Raises ``RecurrenceError`` for a rule that cannot keep firing."""
    return schedule_check(schedule, now=now or timezone.now())


def _params(schedule: TransferSchedule) -> dict[str, Any]:
    params = {f: getattr(schedule, f) for f in SCHEDULE_FIELDS}
    params["weekdays"] = ",".join(str(d) for d in schedule.weekdays or [])
    params["schedule"] = schedule.pk
    params["next_run_at"] = schedule.next_run_at
    return params


def schedule_create(
    *, connection: ExchangeConnection, user, ip: str | None = None, now=None, **fields
) -> TransferSchedule:
    """Raises ``RecurrenceError`` for a rule that cannot fire (the form checks first)."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown schedule fields: {sorted(unknown)}")
    schedule = TransferSchedule(connection=connection, **fields)
    schedule.next_run_at = _next_run(schedule, now)
    with transaction.atomic():
        schedule.save()
        audit_record(
            user=user,
            action="transfer_schedule.create",
            connection=connection,
            params=_params(schedule),
            ip=ip,
        )
    return schedule


def schedule_update(
    *, schedule: TransferSchedule, user, ip: str | None = None, now=None, **fields
) -> TransferSchedule:
    """Changing the rule recomputes the next run from now; past runs keep their history."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown schedule fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.next_run_at = _next_run(schedule, now)
    with transaction.atomic():
        schedule.save(update_fields=[*fields, "next_run_at", "updated_at"])
        audit_record(
            user=user,
            action="transfer_schedule.update",
            connection=schedule.connection,
            params=_params(schedule),
            ip=ip,
        )
    return schedule


def schedule_set_paused(
    *, schedule: TransferSchedule, paused: bool, user, ip: str | None = None, now=None
) -> TransferSchedule:
    """Pausing stops planning. Resuming starts again from now: the ticks missed while paused
    were skipped on purpose, so they must not come back as a catch-up run. Resuming a rule that
    cannot keep firing raises ``RecurrenceError`` and changes nothing; either way the desk's
    reason for an automatic pause is cleared, since the owner has now acted."""
    fields = ["is_paused", "paused_reason", "updated_at"]
    if not paused:
        schedule.next_run_at = _next_run(schedule, now)
        fields.append("next_run_at")
    schedule.is_paused, schedule.paused_reason = paused, ""
    with transaction.atomic():
        schedule.save(update_fields=fields)
        audit_record(
            user=user,
            action="transfer_schedule.pause" if paused else "transfer_schedule.resume",
            connection=schedule.connection,
            params={"schedule": schedule.pk, "name": schedule.name},
            ip=ip,
        )
    return schedule


def schedule_delete(*, schedule: TransferSchedule, user, ip: str | None = None) -> None:
    """Its runs stay (``schedule`` becomes NULL): they are the record of money that moved."""
    connection, params = schedule.connection, _params(schedule)
    with transaction.atomic():
        schedule.delete()
        audit_record(
            user=user,
            action="transfer_schedule.delete",
            connection=connection,
            params=params,
            ip=ip,
        )
