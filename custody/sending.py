"""The worker side of custodian transfers and undos: sending one exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either a transfer that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the exchange's transfer histories decide, ``custody.reconcile``; never a blind
resend). A 503 was not executed: ``intent_send`` sends it again after a bounded backoff, under
the same ``clientOrderId``.
"""

from __future__ import annotations

import time

import binanceus
from accounts.realtime import custody_push
from custody import reads
from custody.models import CustodyTransfer, TransferKind, TransferStatus
from desk.intents import State, queue
from desk.intents.worker import Sender
from desk.money import plain


class CustodyTransferSender(Sender):
    model = CustodyTransfer
    claimed = TransferStatus.CLAIMED

    @staticmethod
    def audit_action(transfer: CustodyTransfer) -> str:
        return f"custody.{transfer.kind}"

    def call(self, client: binanceus.Client, t: CustodyTransfer):
        if t.kind == TransferKind.UNDO:
            return client.custodian_undo_transfer(
                rail=t.rail, origin_transfer_id=t.origin_transfer_id
            )
        send = (
            client.custodian_wallet_transfer
            if t.kind == TransferKind.WALLET
            else client.custodian_transfer
        )
        return send(rail=t.rail, asset=t.asset, amount=t.amount, client_order_id=t.client_order_id)

    def executed(self, transfer: CustodyTransfer, answer):
        return State.EXECUTED, answer_fields(answer), ""

    def exchange_ids(self, transfer: CustodyTransfer) -> dict:
        ids = {"transferId": transfer.transfer_id, "clientOrderId": transfer.client_order_id}
        if transfer.kind == TransferKind.UNDO:
            ids.pop("clientOrderId")
        return ids

    def push(self, transfer: CustodyTransfer) -> None:
        custody_push(
            connection_id=transfer.connection_id, payload={"transfer": transfer_payload(transfer)}
        )

    def after_executed(self, transfer: CustodyTransfer) -> None:
        """The exchange took it: balances and histories are read again."""
        from custody.tasks import sync_custody

        reads.balances_forget(connection=transfer.connection)
        queue(sync_custody, transfer.connection_id)

    def task(self):
        from custody.tasks import send_custody_transfer  # tasks import the worker side

        return send_custody_transfer


SENDER = CustodyTransferSender()
transfer_finish = SENDER.finish
push_after_commit = SENDER.push_after_commit


def transfer_send(*, transfer_id: int, sleep=time.sleep) -> CustodyTransfer | None:
    """Claim the transfer and send it once. None if another worker has it."""
    return SENDER.send(transfer_id, sleep=sleep)


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
