"""Asking for a stake or an unstake: checked (``checks``), committed once under the form's key,
queued for the worker (``tasks.send_staking_operation`` → ``sending``), which sends it once."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.intents import intent_commit, queue
from desk.money import plain
from wallet.staking import checks
from wallet.staking.models import IN_FLIGHT, OperationKind, StakingOperation


class OperationRefused(Exception):
    """An operation the desk will not send; the message is for the person asking."""


_BUSY = (
    "Another stake or unstake of {asset} is still being sent or checked: wait until its "
    "outcome is known. Nothing was sent."
)


def operation_request(
    *,
    connection: ExchangeConnection,
    user,
    kind: str,
    asset: str,
    amount: Decimal,
    request_key: str,
    auto_restake: bool = True,
    schedule=None,
    ip: str | None = None,
) -> StakingOperation:
    """Check, then commit the operation once and queue it. A form submitted again finds the
    operation its first submit made (nothing new is sent); refusals write nothing."""
    existing = StakingOperation.objects.filter(request_key=request_key).first()
    if existing is not None:
        return _same_request(existing, connection, kind, asset, amount)
    if _in_flight(connection, asset):
        raise OperationRefused(_BUSY.format(asset=asset))
    checks.operation_check(connection=connection, kind=kind, asset=asset, amount=amount)
    fields = {
        "connection": connection,
        "kind": kind,
        "asset": asset,
        "amount": amount,
        "auto_restake": auto_restake if kind == OperationKind.STAKE else False,
        "schedule": schedule,
    }
    try:
        with transaction.atomic():
            operation, created = intent_commit(
                StakingOperation, key={"request_key": request_key}, fields=fields
            )
            if created:
                _audit_request(operation, user=user, ip=ip)
                _queue(operation.pk)
    except StakingOperation.DoesNotExist:  # the key is free: the in-flight constraint refused
        raise OperationRefused(_BUSY.format(asset=asset)) from None
    if not created:
        return _same_request(operation, connection, kind, asset, amount)
    return operation


def _in_flight(connection: ExchangeConnection, asset: str) -> bool:
    rows = StakingOperation.objects.filter(connection=connection, asset=asset)
    return rows.filter(status__in=IN_FLIGHT).exists()


def _same_request(operation, connection, kind, asset, amount) -> StakingOperation:
    if operation.connection_id != connection.pk or (
        operation.kind, operation.asset, operation.amount) != (kind, asset, amount):  # fmt: skip
        raise OperationRefused(
            f"This form was already submitted to {operation.kind} {plain(operation.amount)} "
            f"{operation.asset}; nothing new was sent. Reload the page for a new one."
        )
    return operation


def _audit_request(operation: StakingOperation, *, user, ip) -> None:
    audit_record(
        user=user,
        action=f"staking.{operation.kind}.request",
        connection=operation.connection,
        params={**operation.audit_params(), "request_key": operation.request_key},
        ip=ip,
    )


def _queue(operation_id: int) -> None:
    from wallet.staking.tasks import send_staking_operation  # tasks import the worker side

    transaction.on_commit(lambda: queue(send_staking_operation, operation_id))


# --- auto-stake schedules -------------------------------------------------------------------------
def autostake_add(*, connection: ExchangeConnection, user, ip: str | None = None, **fields):
    """A checked schedule (``fields``: asset, floor, recurrence, every, timezone, starts_at),
    due first at its first occurrence from now. Raises ``RecurrenceError`` for a rule that
    cannot fire; nothing is stored then."""
    from django.utils import timezone

    from wallet.staking.autostake import autostake_first_run
    from wallet.staking.models import AutoStakeSchedule

    schedule = AutoStakeSchedule(connection=connection, **fields)
    schedule.next_run_at = autostake_first_run(schedule, now=timezone.now())
    with transaction.atomic():
        schedule.save()
        _audit_schedule(schedule, "auto_stake.add", user=user, ip=ip)
    return schedule


def autostake_set_paused(*, schedule, paused: bool, user, ip: str | None = None) -> None:
    """Pause, or resume from the next occurrence after now (missed ones are not made up)."""
    from django.utils import timezone

    from wallet.staking.autostake import autostake_first_run

    schedule.is_paused = paused
    if not paused:
        schedule.next_run_at = autostake_first_run(schedule, now=timezone.now())
    with transaction.atomic():
        schedule.save(update_fields=["is_paused", "next_run_at"])
        _audit_schedule(schedule, "auto_stake.pause" if paused else "auto_stake.resume",
                        user=user, ip=ip)  # fmt: skip


def autostake_delete(*, schedule, user, ip: str | None = None) -> None:
    with transaction.atomic():
        _audit_schedule(schedule, "auto_stake.delete", user=user, ip=ip)
        schedule.delete()


def _audit_schedule(schedule, action: str, *, user, ip) -> None:
    audit_record(
        user=user,
        action=action,
        connection=schedule.connection,
        params={
            "schedule": schedule.pk,
            "asset": schedule.asset,
            "floor": schedule.floor,
            "recurrence": schedule.recurrence,
            "every": schedule.every,
            "timezone": schedule.timezone,
            "starts_at": schedule.starts_at,
        },
        ip=ip,
    )
