"""Settling stakes and unstakes whose outcome is unknown — reported so, or left "sending" by a
dead worker — against the staking history, through the kit's sweep (``intents_reconcile``); and
handing back operations a dead worker claimed but never sent, or whose task message was lost.

Stake and unstake carry no client id. The history is read for the asset from just before the
request went out (on the exchange's clock), but not before our previous operation of the asset
ended, and the oldest row of the operation's type and amount that no other operation of ours
has claimed (``exchange_time``) is this one: a connection has at most one operation per asset
in flight (a database constraint), so no second candidate of ours can be confused with it. A
stake of the same asset and amount made outside the desk in that same window could be; the
desk cannot tell them apart, and says so in the README.

Absent past the grace period (the history is read from a database that lags): nothing
happened, failed — never re-sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import binanceus
from desk.intents import FAILED, State, Strategy, intents_sweep
from wallet.staking.models import OperationStatus, StakingOperation
from wallet.staking.sending import operation_finish, push_after_commit

MATCH_BEFORE = timedelta(seconds=120)


class StakingStrategy(Strategy):
    kind = "staking operation"
    model = StakingOperation
    sent_field = "sent_at"
    grace_setting = "STAKING_RECONCILE_GRACE_SECONDS"
    stale_setting = "STAKING_STALE_SECONDS"

    def record(self, client: binanceus.Client, operation: StakingOperation):
        return _record(client, operation)

    def found(self, operation: StakingOperation, record: binanceus.StakingRecord) -> None:
        operation_finish(
            operation,
            State.EXECUTED,
            message="Confirmed in the exchange's staking history.",
            fields={"exchange_time": record.initiated_time},
        )

    def absent(self, operation: StakingOperation, *, now: datetime) -> str:
        operation_finish(
            operation,
            State.FAILED,
            code=operation.error_code,
            message=f"Not in the exchange's staking history after the grace period: nothing "
            f"was {operation.history_type}. Try again if you still want it.",
        )
        return FAILED

    def push(self, operation: StakingOperation) -> None:
        push_after_commit(operation)


def _record(client: binanceus.Client, op: StakingOperation) -> binanceus.StakingRecord | None:
    offset = timedelta(milliseconds=client.sync_time())  # the exchange's clock, measured now
    start = _start(op) + offset
    rows = client.staking_history(asset=op.asset, start_time=start, limit=500)
    taken = set(
        StakingOperation.objects.filter(connection=op.connection, asset=op.asset, kind=op.kind)
        .exclude(pk=op.pk)
        .exclude(exchange_time=None)
        .values_list("exchange_time", flat=True)
    )
    matches = [
        r
        for r in rows
        if r.type == op.history_type
        and r.amount == op.amount
        and r.initiated_time >= start
        and r.initiated_time not in taken
    ]
    return min(matches, key=lambda r: r.initiated_time, default=None)


def _start(op: StakingOperation) -> datetime:
    """Our clock's time from which the operation's row can be in the history: just before it
    went out, and after our previous operation of the asset had ended. That one's row (it may
    have the same amount) is older: an operation is committed only once the one before it left
    "in flight", and its row is written after it went out."""
    sent = (op.sent_at or op.created_at) - MATCH_BEFORE
    before = StakingOperation.objects.filter(
        connection=op.connection, asset=op.asset, finished_at__lte=op.created_at
    ).exclude(pk=op.pk)
    previous = before.order_by("-finished_at").values_list("finished_at", flat=True).first()
    return max(sent, previous) if previous else sent


STRATEGY = StakingStrategy()


def staking_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep over stakes and unstakes; how many ended how."""
    from wallet.staking.tasks import send_staking_operation  # tasks import the worker side

    return intents_sweep(
        STRATEGY, task=send_staking_operation, claimed=OperationStatus.CLAIMED, now=now
    )
