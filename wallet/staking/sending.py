"""The worker side of stake and unstake: sending one exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either an operation that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the staking history decides, ``wallet.staking.reconcile``; never a blind resend).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from accounts.realtime import staking_push
from desk.intents import (
    Outcome,
    State,
    Verdict,
    intent_mark_sending,
    intent_release,
    intent_send,
    intent_settle,
    queue,
)
from wallet.staking.models import OperationKind, OperationStatus, StakingOperation


def operation_send(*, operation_id: int, sleep=time.sleep) -> StakingOperation | None:
    """Claim the operation and send it once. None if another worker has it."""
    claimed = StakingOperation.objects.filter(
        pk=operation_id, status=OperationStatus.PLANNED
    ).update(status=OperationStatus.CLAIMED, claimed_at=timezone.now())
    if not claimed:
        return None
    operation = StakingOperation.objects.select_related("connection", "connection__user").get(
        pk=operation_id
    )
    try:
        client = client_for_connection(operation.connection)
    except crypto.CredentialsUnavailable:
        return operation_finish(
            operation, State.FAILED, message="The connection's keys need replacing."
        )
    with client:
        if not intent_mark_sending(operation, sent_at=timezone.now()):
            return None  # the sweep handed the claim to another worker
        outcome = intent_send(lambda: _send(client, operation), sleep=sleep)
    return _settled(operation, outcome)


def _send(client: binanceus.Client, op: StakingOperation) -> binanceus.StakingResult:
    if op.kind == OperationKind.STAKE:
        return client.stake(staking_asset=op.asset, amount=op.amount, auto_restake=op.auto_restake)
    return client.unstake(staking_asset=op.asset, amount=op.amount)


def _settled(operation: StakingOperation, outcome: Outcome) -> StakingOperation:
    if outcome.verdict is Verdict.LATER:
        return _release(operation, outcome)
    if outcome.verdict is Verdict.EXECUTED:
        answer: binanceus.StakingResult = outcome.answer
        if not answer.ok:  # an HTTP 200 that says it did not work
            message = f"The exchange answered {answer.code}: {answer.message}"
            return operation_finish(operation, State.FAILED, message=message)
        fields = {"purchase_record_id": answer.purchase_record_id or ""}
        return operation_finish(operation, State.EXECUTED, fields=fields)
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return operation_finish(operation, state, code=outcome.code, message=outcome.message)


def _release(operation: StakingOperation, outcome: Outcome) -> StakingOperation:
    from wallet.staking.tasks import send_staking_operation  # tasks import the worker side

    return intent_release(operation, outcome, task=send_staking_operation)


def operation_finish(
    operation: StakingOperation,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: dict | None = None,
) -> StakingOperation:
    """Settle the operation: saved, audited and pushed in one transaction; once it is done the
    balances and the staking histories are read again after commit."""
    final = state in (State.EXECUTED, State.FAILED)
    then = [lambda: _push(operation)]
    if state is State.EXECUTED:
        then.append(lambda: _refresh(operation.connection_id))
    return intent_settle(
        operation,
        state,
        code=code,
        message=message,
        fields={"finished_at": timezone.now() if final else None, **(fields or {})},
        audit=_audit,
        then=then,
    )


def operation_payload(operation: StakingOperation) -> dict:
    return {
        "id": operation.pk,
        "kind": operation.kind,
        "asset": operation.asset,
        "amount": str(operation.amount),
        "status": operation.status,
        "status_label": operation.get_status_display(),
        "error_code": operation.error_code,
        "error_message": operation.error_message,
        "final": operation.is_final,
    }


def _push(operation: StakingOperation) -> None:
    payload = {"operation": operation_payload(operation)}
    staking_push(connection_id=operation.connection_id, payload=payload)


def push_after_commit(operation: StakingOperation) -> None:
    transaction.on_commit(lambda: _push(operation))


def _refresh(connection_id: int) -> None:
    from accounts.tasks import sync_balances
    from wallet.staking.tasks import sync_staking

    queue(sync_balances, connection_id)
    queue(sync_staking, connection_id)


_OUTCOMES = {OperationStatus.DONE: AuditOutcome.OK, OperationStatus.UNKNOWN: AuditOutcome.UNKNOWN}


def _audit(operation: StakingOperation) -> None:
    ids = {"purchaseRecordId": operation.purchase_record_id}
    audit_record(
        user=operation.connection.user,
        action=f"staking.{operation.kind}",
        outcome=_OUTCOMES.get(operation.status, AuditOutcome.ERROR),
        connection=operation.connection,
        params={**operation.audit_params(), "status": operation.status},
        error_code=operation.error_code,
        error_message=operation.error_message,
        exchange_ids={k: v for k, v in ids.items() if v},
    )
