"""Settling custodian transfers and undos whose outcome is unknown — reported so (5XX, timeout,
-1006/-1007), or left "sending" by a dead worker — through the kit's sweep
(``intents_reconcile``), and handing back transfers a dead worker claimed but never sent.

Transfers (wallet → custodial, partner → custodial) are looked up by their ``clientOrderId`` in
the history of their kind (``walletTransferHistory`` / ``custodianTransferHistory``, L7949,
L8048): the id "must be unique", so a row with it is this transfer and no other.

An undo takes no client id. Its evidence is the custodian transfer history, which lists "Undo
Transfer" rows (L8039) without naming the origin in any field the spec prints. The one choice
made here: the undo is found when that history, read from just before the undo went out (on
the exchange's clock), holds a row of the origin's asset and amount that is not the origin's
own row (another transferId, or the same one under a later createTime), not one of the desk's
own partner transfers, and that no other undo of ours has claimed (``transfer_id`` +
``exchange_time``); or a row that names the origin in its ``clientOrderId`` (the sandbox writes
"undo-<originTransferId>"); or when the origin's own row says it was undone (a status with
"UNDO" in it). The exchange refuses a second undo of the same
origin, and a connection has at most one live undo per origin (a database constraint), so
another undo of ours cannot be confused with it; an undo of a different partner transfer of
the same asset and amount made outside the desk in that same window could be, and the desk
cannot tell them apart.

Absent past the grace period (the histories are read from a database that lags): nothing
happened, failed — never re-sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

import binanceus
from custody.models import CustodyTransfer, TransferKind, TransferStatus
from custody.orders.reconcile import ORDERS, orders_requeue_unsent
from custody.sending import answer_fields, push_after_commit, transfer_finish
from desk.intents import ERROR as ROW_ERROR
from desk.intents import (
    FAILED,
    FOUND,
    WAITING,
    State,
    Strategy,
    intents_reconcile,
    intents_requeue_unsent,
)

MATCH_BEFORE = timedelta(seconds=120)
HISTORY_LIMIT = 100  # the histories' largest page


def stale() -> timedelta:
    return timedelta(seconds=settings.CUSTODY_STALE_SECONDS)


def grace() -> timedelta:
    return timedelta(seconds=settings.CUSTODY_RECONCILE_GRACE_SECONDS)


def _history(client: binanceus.Client, kind: str):
    return (
        client.custodian_wallet_transfer_history
        if kind == TransferKind.WALLET
        else client.custodian_transfer_history
    )


class _CustodyStrategy(Strategy):
    model = CustodyTransfer
    sent_field = "sent_at"
    grace_setting = "CUSTODY_RECONCILE_GRACE_SECONDS"
    stale_setting = "CUSTODY_STALE_SECONDS"
    kinds: tuple[str, ...] = ()

    def pending(self, *, now: datetime) -> list[int]:
        mine = CustodyTransfer.objects.filter(pk__in=super().pending(now=now), kind__in=self.kinds)
        return list(mine.order_by("pk").values_list("pk", flat=True))

    def found(self, transfer: CustodyTransfer, record: binanceus.CustodianTransferRecord) -> None:
        transfer_finish(
            transfer,
            State.EXECUTED,
            message="Confirmed in the exchange's transfer history.",
            fields=answer_fields(record),
        )

    def absent(self, transfer: CustodyTransfer, *, now: datetime) -> str:
        transfer_finish(
            transfer,
            State.FAILED,
            code=transfer.error_code,
            message="Not in the exchange's transfer history after the grace period: nothing "
            "was moved. Try again if you still want it.",
        )
        return FAILED

    def push(self, transfer: CustodyTransfer) -> None:
        push_after_commit(transfer)


class TransferStrategy(_CustodyStrategy):
    kind = "custodian transfer"
    kinds = (TransferKind.WALLET, TransferKind.CUSTODIAN)

    def record(self, client, transfer):
        rows = _history(client, transfer.kind)(
            rail=transfer.rail, client_order_id=transfer.client_order_id, limit=HISTORY_LIMIT
        )
        return next((r for r in rows if r.client_order_id == transfer.client_order_id), None)


class UndoStrategy(_CustodyStrategy):
    kind = "custodian undo"
    kinds = (TransferKind.UNDO,)

    def record(self, client, undo):
        origin = _origin(undo)
        offset = timedelta(milliseconds=client.sync_time())  # the exchange's clock, now
        start = (undo.sent_at or undo.created_at) - MATCH_BEFORE + offset
        rows = client.custodian_transfer_history(
            rail=undo.rail, asset=undo.asset, start_time=start, limit=HISTORY_LIMIT
        )
        taken = set(
            CustodyTransfer.objects.filter(connection=undo.connection, kind=TransferKind.UNDO)
            .exclude(pk=undo.pk)
            .exclude(exchange_time=None)
            .values_list("transfer_id", "exchange_time")
        )
        return next((r for r in rows if undo_row(r, undo, origin, taken)), None)


def _origin(undo: CustodyTransfer) -> CustodyTransfer | None:
    rows = CustodyTransfer.objects.filter(
        connection=undo.connection,
        kind=TransferKind.CUSTODIAN,
        transfer_id=undo.origin_transfer_id,
    )
    return rows.first()


def undo_row(row, undo: CustodyTransfer, origin: CustodyTransfer | None, taken: set) -> bool:
    """Whether a custodian-history row is the undo's (see the module docstring)."""
    if (row.transfer_id, row.create_time) in taken:
        return False
    # The whole name: the undo of origin 12 is not the row of origin 123's undo.
    named = row.client_order_id == f"undo-{undo.origin_transfer_id}"
    if named or (row.transfer_id == undo.origin_transfer_id and "UNDO" in row.status.upper()):
        return True
    if row.client_order_id in _desk_ids(undo):
        return False  # one of our own transfers, not an undo
    own = row.transfer_id == undo.origin_transfer_id and (
        origin is None or origin.exchange_time is None or row.create_time == origin.exchange_time
    )
    return not own and row.asset == undo.asset and row.amount == undo.amount


def _desk_ids(undo: CustodyTransfer) -> set[str]:
    rows = CustodyTransfer.objects.filter(connection=undo.connection, kind=TransferKind.CUSTODIAN)
    return set(rows.values_list("client_order_id", flat=True))


TRANSFERS, UNDOS = TransferStrategy(), UndoStrategy()


def custody_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep over transfers, undos and custodial orders; how many ended how."""
    now = now or timezone.now()
    requeued = _requeue_unsent(now) + orders_requeue_unsent(now)
    counts = intents_reconcile(TRANSFERS, UNDOS, ORDERS, now=now)
    return {
        "requeued": requeued,
        "done": counts[FOUND],
        "failed": counts[FAILED],
        "waiting": counts[WAITING],
        "errors": counts[ROW_ERROR],
    }


def _requeue_unsent(now: datetime) -> int:
    from custody.tasks import send_custody_transfer  # tasks import the worker side

    return intents_requeue_unsent(
        CustodyTransfer,
        task=send_custody_transfer,
        claimed=TransferStatus.CLAIMED,
        stale=stale(),
        now=now,
    )
