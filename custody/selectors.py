"""Reads behind the Custody tab: always scoped to one connection (the view fetched it through
``accounts.access``), so a foreign id finds nothing."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts import access
from accounts.models import ExchangeConnection
from custody.models import (
    CustodialBalance,
    CustodySettlement,
    CustodySync,
    CustodyTransfer,
    ExchangeTransfer,
    TransferKind,
    TransferStatus,
)

RECENT = 20
PROCESSED = "SUCCESS"
UNDO_CHOICES = 20


def custody_connections() -> list[int]:
    """Connections the beat syncs: working custodial keys whose tab the desk has shown."""
    rows = CustodySync.objects.filter(
        connection__is_active=True,
        connection__needs_new_keys=False,
        connection__key_type__in=access.key_types_with(access.CUSTODY),
    )
    return list(rows.values_list("connection_id", flat=True))


def transfer_list(*, connection: ExchangeConnection) -> QuerySet[CustodyTransfer]:
    return CustodyTransfer.objects.filter(connection=connection)


def transfer_get_for_connection(*, connection: ExchangeConnection, tid: int) -> CustodyTransfer:
    try:
        return CustodyTransfer.objects.get(pk=tid, connection=connection)
    except CustodyTransfer.DoesNotExist:
        raise Http404("No such custodian transfer.") from None


def _undone(connection: ExchangeConnection) -> QuerySet:
    """Origins with an undo that is not failed (sending, unknown or done)."""
    undos = CustodyTransfer.objects.filter(connection=connection, kind=TransferKind.UNDO)
    return undos.exclude(status=TransferStatus.FAILED).values("origin_transfer_id")


def undoable_list(*, connection: ExchangeConnection) -> QuerySet[CustodyTransfer]:
    """The connection's recent partner transfers the exchange has processed (an undo reverses
    a processed transfer; the sync follows each one there) and no undo of ours has taken back
    or is taking back."""
    rows = CustodyTransfer.objects.filter(
        connection=connection,
        kind=TransferKind.CUSTODIAN,
        status=TransferStatus.DONE,
        exchange_status__iexact=PROCESSED,
    ).exclude(transfer_id="")
    return rows.exclude(transfer_id__in=_undone(connection))[:UNDO_CHOICES]


def undoable_get(*, connection: ExchangeConnection, pk: int) -> CustodyTransfer | None:
    return next((t for t in undoable_list(connection=connection) if t.pk == pk), None)


def custodial_balances(*, connection: ExchangeConnection) -> QuerySet[CustodialBalance]:
    return CustodialBalance.objects.filter(connection=connection)


def exchange_history(*, connection: ExchangeConnection) -> QuerySet[ExchangeTransfer]:
    return ExchangeTransfer.objects.filter(connection=connection)[:RECENT]


def settlement_list(*, connection: ExchangeConnection) -> QuerySet[CustodySettlement]:
    return CustodySettlement.objects.filter(connection=connection)[:RECENT]


def custody_sync_state(*, connection: ExchangeConnection) -> CustodySync | None:
    return CustodySync.objects.filter(connection=connection).first()
