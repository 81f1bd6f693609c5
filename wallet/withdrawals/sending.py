"""The worker side of withdrawals: sending one exactly once (``desk.intents``), and settling it.

The row exists before any exchange call and "sending" is committed before the call, so a crash
at any point leaves either a withdrawal that certainly was not sent (planned / claimed: safe to
send) or one that may have been (sending / unknown: only the exchange's withdraw history decides,
``wallet.withdrawals.reconcile``; never a blind resend). A crypto request carries the intent's
key as its ``withdrawOrderId``; a fiat one has no client id (``reconcile`` matches it by amount
and time, which is why a connection has at most one fiat withdrawal in flight).
"""

from __future__ import annotations

import time

from django.db import transaction

import binanceus
from accounts.audit import audit_record
from accounts.models import AuditOutcome
from accounts.realtime import withdrawal_push
from desk.intents import State, queue
from desk.intents.worker import Sender
from wallet.withdrawals.models import Withdrawal, WithdrawalKind, WithdrawalStatus
from wallet.withdrawals.selectors import withdrawal_payload

# The exchange's answer to a withdrawOrderId it already holds: the first send went through.
DUPLICATE = (-2010, "Duplicate order sent.")
HELD = "The exchange already holds this withdrawal; checking its history."


class WithdrawalSender(Sender):
    model = Withdrawal
    claimed = WithdrawalStatus.CLAIMED
    audit_action = "withdrawal"
    # Executed is not the end: the exchange's processing follows (``follow``).
    FINISHED = (State.FAILED,)

    def call(self, client: binanceus.Client, w: Withdrawal):
        if w.kind == WithdrawalKind.FIAT:
            return client.fiat_withdraw(payment_account=w.address, amount=w.amount)
        return client.withdraw(
            coin=w.coin,
            network=w.network,
            address=w.address,
            amount=w.amount,
            withdraw_order_id=w.request_key,
            address_tag=w.memo or None,
        )

    def executed(self, withdrawal: Withdrawal, answer):
        exchange_id = answer.order_id if withdrawal.kind == WithdrawalKind.FIAT else answer.id
        return (
            State.EXECUTED,
            {"withdraw_id": str(exchange_id), "exchange_status": "processing"},
            "",
        )

    def refused(self, withdrawal: Withdrawal, outcome):
        if (
            outcome.code,
            outcome.message,
        ) == DUPLICATE and withdrawal.kind == WithdrawalKind.CRYPTO:
            # Only a withdrawal that went through holds this withdrawOrderId: its history says how.
            return (
                State.UNKNOWN,
                "The exchange already holds this withdrawal; checking its history.",
            )
        return None

    def audit(self, withdrawal: Withdrawal) -> None:
        _audit(withdrawal)

    def push(self, withdrawal: Withdrawal) -> None:
        _push(withdrawal)

    def after_executed(self, withdrawal: Withdrawal) -> None:
        """Money left: the balances are read again."""
        from accounts.tasks import sync_balances

        queue(sync_balances, withdrawal.connection_id)

    def task(self):
        from wallet.withdrawals.tasks import send_withdrawal  # tasks import the worker side

        return send_withdrawal


SENDER = WithdrawalSender()
withdrawal_finish = SENDER.finish


def withdrawal_send(*, withdrawal_id: int, sleep=time.sleep) -> Withdrawal | None:
    """Claim the withdrawal and send it once. None if another worker has it."""
    return SENDER.send(withdrawal_id, sleep=sleep)


def _push(withdrawal: Withdrawal) -> None:
    withdrawal_push(connection_id=withdrawal.connection_id, payload=withdrawal_payload(withdrawal))


def push_after_commit(withdrawal: Withdrawal) -> None:
    transaction.on_commit(lambda: _push(withdrawal))


_OUTCOMES = {
    WithdrawalStatus.SENT: AuditOutcome.OK,
    WithdrawalStatus.COMPLETED: AuditOutcome.OK,
    WithdrawalStatus.UNKNOWN: AuditOutcome.UNKNOWN,
}


def _audit(withdrawal: Withdrawal, action: str = "withdrawal") -> None:
    ids = {"id": withdrawal.withdraw_id, "txId": withdrawal.tx_id}
    if withdrawal.kind == WithdrawalKind.CRYPTO:
        ids["withdrawOrderId"] = withdrawal.request_key
    audit_record(
        user=withdrawal.connection.user,
        action=action,
        outcome=_OUTCOMES.get(withdrawal.status, AuditOutcome.ERROR),
        connection=withdrawal.connection,
        params={
            **withdrawal.audit_params(),
            "amount": withdrawal.amount,
            "status": withdrawal.status,
            "exchange_status": withdrawal.exchange_status,
        },
        error_code=withdrawal.error_code,
        error_message=withdrawal.error_message,
        exchange_ids={k: v for k, v in ids.items() if v},
    )


def audit_status(withdrawal: Withdrawal) -> None:
    """The exchange moved the withdrawal on (processing → completed, or returned)."""
    _audit(withdrawal, "withdrawal.status")
