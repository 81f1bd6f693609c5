"""The worker side of stake and unstake: sending one exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either an operation that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the staking history decides, ``wallet.staking.reconcile``; never a blind resend).
"""

from __future__ import annotations

import time

import binanceus
from accounts.realtime import staking_push
from desk.intents import State, queue
from desk.intents.worker import Sender
from wallet.staking.models import OperationKind, OperationStatus, StakingOperation


class StakingSender(Sender):
    model = StakingOperation
    claimed = OperationStatus.CLAIMED

    @staticmethod
    def audit_action(operation: StakingOperation) -> str:
        return f"staking.{operation.kind}"

    def call(self, client: binanceus.Client, op: StakingOperation) -> binanceus.StakingResult:
        if op.kind == OperationKind.STAKE:
            return client.stake(
                staking_asset=op.asset, amount=op.amount, auto_restake=op.auto_restake
            )
        return client.unstake(staking_asset=op.asset, amount=op.amount)

    def executed(self, operation, answer: binanceus.StakingResult):
        if not answer.ok:  # an HTTP 200 that says it did not work
            return State.FAILED, {}, f"The exchange answered {answer.code}: {answer.message}"
        return State.EXECUTED, {"purchase_record_id": answer.purchase_record_id or ""}, ""

    def exchange_ids(self, operation: StakingOperation) -> dict:
        return {"purchaseRecordId": operation.purchase_record_id}

    def push(self, operation: StakingOperation) -> None:
        payload = {"operation": operation_payload(operation)}
        staking_push(connection_id=operation.connection_id, payload=payload)

    def after_executed(self, operation: StakingOperation) -> None:
        """Balances and the staking histories moved: read them again."""
        from accounts.tasks import sync_balances
        from wallet.staking.tasks import sync_staking

        queue(sync_balances, operation.connection_id)
        queue(sync_staking, operation.connection_id)

    def task(self):
        from wallet.staking.tasks import send_staking_operation  # tasks import the worker side

        return send_staking_operation


SENDER = StakingSender()
operation_finish = SENDER.finish
push_after_commit = SENDER.push_after_commit


def operation_send(*, operation_id: int, sleep=time.sleep) -> StakingOperation | None:
    """Claim the operation and send it once. None if another worker has it."""
    return SENDER.send(operation_id, sleep=sleep)


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
