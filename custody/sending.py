"""The worker side of custodian transfers and undos: sending one exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either a transfer that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the exchange's transfer histories decide, ``custody.reconcile``; never a blind
resend). A 503 was not executed: ``intent_send`` sends it again after a bounded backoff, under
the same ``clientOrderId``.
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
from accounts.realtime import custody_push
from custody import reads
from custody.models import CustodyTransfer, TransferKind, TransferStatus
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
from desk.money import plain


def transfer_send(*, transfer_id: int, sleep=time.sleep) -> CustodyTransfer | None:
    """Claim the transfer and send it once. None if another worker has it."""
    claimed = CustodyTransfer.objects.filter(pk=transfer_id, status=TransferStatus.PLANNED).update(
        status=TransferStatus.CLAIMED, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    transfer = CustodyTransfer.objects.select_related("connection", "connection__user").get(
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


def _send(client: binanceus.Client, t: CustodyTransfer):
    if t.kind == TransferKind.UNDO:
        return client.custodian_undo_transfer(rail=t.rail, origin_transfer_id=t.origin_transfer_id)
    send = (
        client.custodian_wallet_transfer
        if t.kind == TransferKind.WALLET
        else client.custodian_transfer
    )
    return send(rail=t.rail, asset=t.asset, amount=t.amount, client_order_id=t.client_order_id)


def _settled(transfer: CustodyTransfer, outcome: Outcome) -> CustodyTransfer:
    if outcome.verdict is Verdict.LATER:
        return _release(transfer, outcome)
    if outcome.verdict is Verdict.EXECUTED:
        return transfer_finish(transfer, State.EXECUTED, fields=answer_fields(outcome.answer))
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return transfer_finish(transfer, state, code=outcome.code, message=outcome.message)


def answer_fields(answer) -> dict:
    """What the exchange's answer (or history row) says of the transfer."""
    fields = {"transfer_id": str(answer.transfer_id)}
    status = getattr(answer, "status", None)
    if status is not None:
        fields["exchange_status"] = status.strip()[:40]
    when = getattr(answer, "create_time", None)
    if when is not None:
        fields["exchange_time"] = when
    return fields


def _release(transfer: CustodyTransfer, outcome: Outcome) -> CustodyTransfer:
    from custody.tasks import send_custody_transfer  # tasks import the worker side

    return intent_release(transfer, outcome, task=send_custody_transfer)


def transfer_finish(
    transfer: CustodyTransfer,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: dict | None = None,
) -> CustodyTransfer:
    """Settle the transfer: saved, audited and pushed in one transaction; once the exchange
    took it the balances and histories are read again after commit."""
    final = state in (State.EXECUTED, State.FAILED)
    then = [lambda: _push(transfer)]
    if state is State.EXECUTED:
        then.append(lambda: _refresh(transfer))
    return intent_settle(
        transfer,
        state,
        code=code,
        message=message,
        fields={"finished_at": timezone.now() if final else None, **(fields or {})},
        audit=_audit,
        then=then,
    )


def transfer_payload(transfer: CustodyTransfer) -> dict:
    return {
        "id": transfer.pk,
        "kind": transfer.kind,
        "asset": transfer.asset,
        "amount": plain(transfer.amount),
        "status": transfer.status,
        "status_label": transfer.get_status_display(),
        "exchange_status": transfer.exchange_status,
        "transfer_id": transfer.transfer_id,
        "client_order_id": transfer.client_order_id,
        "error_code": transfer.error_code,
        "error_message": transfer.error_message,
        "final": transfer.is_final,
    }


def _push(transfer: CustodyTransfer) -> None:
    custody_push(
        connection_id=transfer.connection_id, payload={"transfer": transfer_payload(transfer)}
    )


def push_after_commit(transfer: CustodyTransfer) -> None:
    transaction.on_commit(lambda: _push(transfer))


def _refresh(transfer: CustodyTransfer) -> None:
    from custody.tasks import sync_custody

    reads.balances_forget(connection=transfer.connection)
    queue(sync_custody, transfer.connection_id)


_OUTCOMES = {TransferStatus.DONE: AuditOutcome.OK, TransferStatus.UNKNOWN: AuditOutcome.UNKNOWN}


def _audit(transfer: CustodyTransfer) -> None:
    ids = {"transferId": transfer.transfer_id, "clientOrderId": transfer.client_order_id}
    if transfer.kind == TransferKind.UNDO:
        ids.pop("clientOrderId")
    audit_record(
        user=transfer.connection.user,
        action=f"custody.{transfer.kind}",
        outcome=_OUTCOMES.get(transfer.status, AuditOutcome.ERROR),
        connection=transfer.connection,
        params={**transfer.audit_params(), "status": transfer.status},
        error_code=transfer.error_code,
        error_message=transfer.error_message,
        exchange_ids={k: v for k, v in ids.items() if v},
    )
