"""The worker side of a credit-line transfer: sending it exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either a transfer that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the transfer history decides, ``creditline.reconcile``; never a blind resend).
"""

from __future__ import annotations

import time

from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from accounts.realtime import credit_line_push
from creditline.models import CreditTransfer, TransferStatus
from desk.intents import (
    Outcome,
    State,
    Verdict,
    intent_mark_sending,
    intent_release,
    intent_send,
    intent_settle,
)

_OUTCOMES = {
    TransferStatus.DONE: AuditOutcome.OK,
    TransferStatus.FAILED: AuditOutcome.ERROR,
    TransferStatus.UNKNOWN: AuditOutcome.UNKNOWN,
}


def transfer_send(*, transfer_id: int, sleep=time.sleep) -> CreditTransfer | None:
    """Claim the transfer and send it once. None if another worker has it."""
    claimed = CreditTransfer.objects.filter(pk=transfer_id, status=TransferStatus.PLANNED).update(
        status=TransferStatus.CLAIMED, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    transfer = CreditTransfer.objects.select_related("connection", "connection__user").get(
        pk=transfer_id
    )
    try:
        client = client_for_connection(transfer.connection)
    except crypto.CredentialsUnavailable:
        return transfer_finish(
            transfer, State.FAILED, message="The connection's keys need replacing."
        )
    with client:
        if not intent_mark_sending(transfer, sent_at=timezone.now()):
            return None  # the sweep handed the claim to another worker
        outcome = intent_send(lambda: _send(client, transfer), sleep=sleep)
    return _settled(transfer, outcome)


def _send(client: binanceus.Client, transfer: CreditTransfer) -> binanceus.CreditLineTransfer:
    return client.credit_line_transfer(
        transfer_type=transfer.transfer_type,
        transfer_asset_type=transfer.asset,
        quantity=transfer.quantity,
    )


def _settled(transfer: CreditTransfer, outcome: Outcome) -> CreditTransfer:
    if outcome.verdict is Verdict.LATER:
        from creditline.tasks import send_credit_transfer  # tasks import the worker side

        return intent_release(transfer, outcome, task=send_credit_transfer)
    if outcome.verdict is Verdict.EXECUTED:
        answer: binanceus.CreditLineTransfer = outcome.answer
        fields = {"transfer_id": answer.transfer_id, "exchange_status": answer.status}
        return transfer_finish(transfer, State.EXECUTED, fields=fields)
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return transfer_finish(transfer, state, code=outcome.code, message=outcome.message)


def transfer_finish(
    transfer: CreditTransfer,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: dict | None = None,
) -> CreditTransfer:
    """Settle the transfer: saved, audited and pushed in one transaction; once it is done the
    credit line is polled again after commit (its LTV and balances moved)."""
    final = state in (State.EXECUTED, State.FAILED)
    then = [lambda: push(transfer)]
    if state is State.EXECUTED:
        then.append(lambda: _refresh(transfer.connection_id))
    return intent_settle(
        transfer,
        state,
        code=code,
        message=message,
        fields={"finished_at": timezone.now() if final else None, **(fields or {})},
        audit=_audit,
        then=then,
    )


def transfer_payload(transfer: CreditTransfer) -> dict:
    return {
        "id": transfer.pk,
        "transferType": transfer.transfer_type,
        "asset": transfer.asset,
        "quantity": str(transfer.quantity),
        "status": transfer.status,
        "transferId": transfer.transfer_id,
        "errorCode": transfer.error_code,
        "errorMessage": transfer.error_message,
        "final": transfer.is_final,
    }


def push(transfer: CreditTransfer) -> None:
    credit_line_push(
        connection_id=transfer.connection_id, payload={"transfer": transfer_payload(transfer)}
    )


def _refresh(connection_id: int) -> None:
    from creditline.tasks import poll_credit_line  # tasks import the worker side
    from desk.intents import queue

    queue(poll_credit_line, connection_id, True)


def _audit(transfer: CreditTransfer) -> None:
    ids = {"transferId": transfer.transfer_id}
    audit_record(
        user=transfer.connection.user,
        action="credit_line.transfer",
        outcome=_OUTCOMES.get(transfer.status, AuditOutcome.ERROR),
        connection=transfer.connection,
        params={**transfer.audit_params(), "status": transfer.status},
        error_code=transfer.error_code,
        error_message=transfer.error_message,
        exchange_ids={k: v for k, v in ids.items() if v},
    )
