"""Settling credit-line transfers whose outcome is unknown (reported so, or left "sending" by a
dead worker) against the exchange's transfer history, through the kit's sweep; and handing back
transfers a dead worker claimed but never sent.

``POST /sapi/v1/cl/transfer`` carries no client id. The history is read from just before the
request went out (on the exchange's clock), but not before our previous transfer ended, and the
oldest row of the same type, asset and amount that no other transfer of ours has claimed
(``transfer_id``) is this one: a connection has at most one transfer in flight (a database
constraint), so no second candidate of ours can be confused with it. A transfer of the same
type, asset and amount made outside the desk in that same window could be; the README says so.

Absent past the grace period (the history is read from a database that lags): nothing happened,
failed — never re-sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import binanceus
from creditline.models import CreditTransfer, TransferStatus
from creditline.sending import push_after_commit, transfer_finish
from desk.intents import FAILED, State, Strategy, intents_sweep

MATCH_BEFORE = timedelta(seconds=120)
HISTORY_PAGE = 100  # the transfer history's largest page


class CreditTransferStrategy(Strategy):
    kind = "credit-line transfer"
    model = CreditTransfer
    sent_field = "sent_at"
    grace_setting = "CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS"
    stale_setting = "CREDIT_TRANSFER_STALE_SECONDS"

    def record(self, client: binanceus.Client, transfer: CreditTransfer):
        return _record(client, transfer)

    def found(self, transfer: CreditTransfer, record: binanceus.CreditLineTransferRecord) -> None:
        transfer_finish(
            transfer,
            State.EXECUTED,
            message="Confirmed in the exchange's transfer history.",
            fields={
                "transfer_id": record.transfer_id,
                "exchange_status": record.status,
                "exchange_time": record.transfer_time,
            },
        )

    def absent(self, transfer: CreditTransfer, *, now: datetime) -> str:
        transfer_finish(
            transfer,
            State.FAILED,
            code=transfer.error_code,
            message="Not in the exchange's transfer history after the grace period: nothing "
            "was transferred. Try again if you still want it.",
        )
        return FAILED

    def push(self, transfer: CreditTransfer) -> None:
        push_after_commit(transfer)


def _record(client: binanceus.Client, transfer: CreditTransfer):
    offset = timedelta(milliseconds=client.sync_time())  # the exchange's clock, measured now
    start = _start(transfer) + offset
    rows = client.credit_line_transfer_history(
        transfer_type=transfer.transfer_type,
        asset=transfer.asset,
        start_time=start,
        limit=HISTORY_PAGE,
    )
    taken = set(
        CreditTransfer.objects.filter(connection=transfer.connection)
        .exclude(pk=transfer.pk)
        .exclude(transfer_id="")
        .values_list("transfer_id", flat=True)
    )
    matches = [
        r
        for r in rows
        if r.transfer_type == transfer.transfer_type
        and r.asset == transfer.asset
        and r.amount == transfer.quantity
        and (r.transfer_time is None or r.transfer_time >= start)
        and r.transfer_id not in taken
    ]
    return min(matches, key=lambda r: (r.transfer_time is None, r.transfer_time), default=None)


def _start(transfer: CreditTransfer) -> datetime:
    """Our clock's time from which the transfer's row can be in the history: just before it
    went out, and after our previous transfer had ended (its row is older)."""
    sent = (transfer.sent_at or transfer.created_at) - MATCH_BEFORE
    before = CreditTransfer.objects.filter(
        connection=transfer.connection, finished_at__lte=transfer.created_at
    ).exclude(pk=transfer.pk)
    previous = before.order_by("-finished_at").values_list("finished_at", flat=True).first()
    return max(sent, previous) if previous else sent


STRATEGY = CreditTransferStrategy()


def credit_transfers_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep over credit-line transfers; how many ended how."""
    from creditline.tasks import send_credit_transfer  # tasks import the worker side

    return intents_sweep(
        STRATEGY, task=send_credit_transfer, claimed=TransferStatus.CLAIMED, now=now
    )
