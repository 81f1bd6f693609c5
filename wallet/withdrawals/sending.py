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
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from accounts.realtime import withdrawal_push
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
from wallet.withdrawals.models import Withdrawal, WithdrawalKind, WithdrawalStatus
from wallet.withdrawals.selectors import withdrawal_payload

# The exchange's answer to a withdrawOrderId it already holds: the first send went through.
DUPLICATE = (-2010, "Duplicate order sent.")


def withdrawal_send(*, withdrawal_id: int, sleep=time.sleep) -> Withdrawal | None:
    """Claim the withdrawal and send it once. None if another worker has it."""
    claimed = Withdrawal.objects.filter(pk=withdrawal_id, status=WithdrawalStatus.PLANNED).update(
        status=WithdrawalStatus.CLAIMED, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    withdrawal = Withdrawal.objects.select_related("connection", "connection__user").get(
        pk=withdrawal_id
    )
    try:
        client = client_for_connection(withdrawal.connection)
    except crypto.CredentialsUnavailable:
        return withdrawal_finish(
            withdrawal, State.FAILED, message="The connection's keys need replacing."
        )
    with client:
        if not intent_mark_sending(withdrawal, sent_at=timezone.now()):
            return None  # the sweep handed the claim to another worker
        outcome = intent_send(lambda: _send(client, withdrawal), sleep=sleep)
    return _settled(withdrawal, outcome)


def _send(client: binanceus.Client, w: Withdrawal):
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


def _settled(withdrawal: Withdrawal, outcome: Outcome) -> Withdrawal:
    if outcome.verdict is Verdict.LATER:
        return _release(withdrawal, outcome)
    if outcome.verdict is Verdict.EXECUTED:
        answer = outcome.answer
        exchange_id = answer.order_id if withdrawal.kind == WithdrawalKind.FIAT else answer.id
        fields = {"withdraw_id": str(exchange_id), "exchange_status": "processing"}
        return withdrawal_finish(withdrawal, State.EXECUTED, fields=fields)
    if (outcome.code, outcome.message) == DUPLICATE and withdrawal.kind == WithdrawalKind.CRYPTO:
        # Only a withdrawal that went through holds this withdrawOrderId: its history says how.
        return withdrawal_finish(
            withdrawal,
            State.UNKNOWN,
            code=outcome.code,
            message="The exchange already holds this withdrawal; checking its history.",
        )
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return withdrawal_finish(withdrawal, state, code=outcome.code, message=outcome.message)


def _release(withdrawal: Withdrawal, outcome: Outcome) -> Withdrawal:
    from wallet.withdrawals.tasks import send_withdrawal  # tasks import the worker side

    return intent_release(withdrawal, outcome, task=send_withdrawal)


def withdrawal_finish(
    withdrawal: Withdrawal,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: dict | None = None,
) -> Withdrawal:
    """Settle our request (sent, failed or unknown): saved, audited and pushed in one
    transaction, balances refreshed once committed after money left."""
    finished = timezone.now() if state is State.FAILED else None
    then = [lambda: _push(withdrawal)]
    if state is State.EXECUTED:
        then.append(lambda: _refresh_balances(withdrawal.connection_id))
    return intent_settle(
        withdrawal,
        state,
        code=code,
        message=message,
        fields={"finished_at": finished, **(fields or {})},
        audit=_audit,
        then=then,
    )


def _push(withdrawal: Withdrawal) -> None:
    withdrawal_push(connection_id=withdrawal.connection_id, payload=withdrawal_payload(withdrawal))


def push_after_commit(withdrawal: Withdrawal) -> None:
    transaction.on_commit(lambda: _push(withdrawal))


def _refresh_balances(connection_id: int) -> None:
    from accounts.tasks import sync_balances

    queue(sync_balances, connection_id)


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
