"""The worker side of a credit-line transfer: sending it exactly once (``desk.intents``).

"sending" is committed before the call, so a crash at any point leaves either a transfer that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the transfer history decides, ``creditline.reconcile``; never a blind resend).
"""

from __future__ import annotations

import time

import binanceus
from accounts.realtime import credit_line_push
from creditline.models import CreditTransfer, TransferStatus
from desk.intents import State, queue
from desk.intents.worker import Sender


class CreditTransferSender(Sender):
    model = CreditTransfer
    claimed = TransferStatus.CLAIMED
    audit_action = "credit_line.transfer"

    def call(self, client: binanceus.Client, transfer: CreditTransfer):
        return client.credit_line_transfer(
            transfer_type=transfer.transfer_type,
            transfer_asset_type=transfer.asset,
            quantity=transfer.quantity,
        )

    def executed(self, transfer, answer: binanceus.CreditLineTransfer):
        return (
            State.EXECUTED,
            {"transfer_id": answer.transfer_id, "exchange_status": answer.status},
            "",
        )

    def exchange_ids(self, transfer: CreditTransfer) -> dict:
        return {"transferId": transfer.transfer_id}

    def push(self, transfer: CreditTransfer) -> None:
        credit_line_push(
            connection_id=transfer.connection_id, payload={"transfer": transfer_payload(transfer)}
        )

    def after_executed(self, transfer: CreditTransfer) -> None:
        """The LTV and the balances moved: the credit line is read again, past the minute's
        gate."""
        from creditline.tasks import poll_credit_line  # tasks import the worker side

        queue(poll_credit_line, transfer.connection_id, True)

    def task(self):
        from creditline.tasks import send_credit_transfer  # tasks import the worker side

        return send_credit_transfer


SENDER = CreditTransferSender()
transfer_finish = SENDER.finish
push_after_commit = SENDER.push_after_commit


def transfer_send(*, transfer_id: int, sleep=time.sleep) -> CreditTransfer | None:
    """Claim the transfer and send it once. None if another worker has it."""
    return SENDER.send(transfer_id, sleep=sleep)


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
