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


class TransferRefused(Exception):
    """A "transfer now" request the desk will not queue; the message is for the person asking."""


class TransferRequestConflict(TransferRefused):
    """The request key already names a different transfer: another connection's (a forged or
    reused form), or the same form submitted again with other content (a second tab)."""


class RetryRefused(TransferRefused, ValueError):
    """Only a failed run is retried: any other may still move, or has moved, the money."""


class MasterEmailMissing(TransferRefused):
    """The exchange names both sides of a transfer by email, and only the user knows the
    master's (no API answer carries it), so nothing can be sent until they have told us."""


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
    *, connection: ExchangeConnection, user, ip: str | None = None, **request
) -> TransferRun:
    """A run for a "transfer now" form (``request``: the keywords of ``_run_request``), queued
    for the worker once the row is committed. A connection without the master's email raises
    ``MasterEmailMissing`` before anything is stored."""
    if not connection.account_email:
        raise MasterEmailMissing("Set the master account's email first (sub-accounts page).")
    return _run_request(connection=connection, user=user, ip=ip, **request)


def _run_request(
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
    """``request_key`` comes from the form, so a double submit (or a reload of the POST) finds the
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
        raise RetryRefused("Only a failed transfer can be retried.")
    # Not ``transfer_request``: a retry was never refused for the master's email (the worker
    # fails the run itself when it is missing).
    same = {f: getattr(run, f) for f in ("from_email", "to_email", "asset", "amount_kind")}
    return _run_request(
        connection=run.connection,
        user=user,
        amount=run.amount_param,
        request_key=uuid.uuid4().hex,
        ip=ip,
        **same,
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


def _audit(schedule: TransferSchedule, action: str, *, user, ip, params=None) -> None:
    audit_record(
        user=user,
        action=f"transfer_schedule.{action}",
        connection=schedule.connection,
        params=params or _params(schedule),
        ip=ip,
    )


def _rule_save(schedule, fields, *, action, user, ip, now, update_fields=None) -> TransferSchedule:
    """Set the rule's fields, plan its next run (``RecurrenceError`` for a rule that cannot
    fire: nothing is saved then) and save it with its audit record."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown schedule fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.next_run_at = _next_run(schedule, now)
    with transaction.atomic():
        schedule.save(update_fields=update_fields)
        _audit(schedule, action, user=user, ip=ip)
    return schedule


def schedule_create(
    *, connection: ExchangeConnection, user, ip: str | None = None, now=None, **fields
) -> TransferSchedule:
    """Raises ``RecurrenceError`` for a rule that cannot fire (the form checks first)."""
    schedule = TransferSchedule(connection=connection)
    return _rule_save(schedule, fields, action="create", user=user, ip=ip, now=now)


def schedule_update(
    *, schedule: TransferSchedule, user, ip: str | None = None, now=None, **fields
) -> TransferSchedule:
    """Changing the rule recomputes the next run from now; past runs keep their history."""
    changed = [*fields, "next_run_at", "updated_at"]
    return _rule_save(
        schedule, fields, action="update", user=user, ip=ip, now=now, update_fields=changed
    )


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
        params = {"schedule": schedule.pk, "name": schedule.name}
        _audit(schedule, "pause" if paused else "resume", user=user, ip=ip, params=params)
    return schedule


def schedule_delete(*, schedule: TransferSchedule, user, ip: str | None = None) -> None:
    """Its runs stay (``schedule`` becomes NULL): they are the record of money that moved."""
    params = _params(schedule)  # before the delete clears its pk
    with transaction.atomic():
        schedule.delete()
        _audit(schedule, "delete", user=user, ip=ip, params=params)
