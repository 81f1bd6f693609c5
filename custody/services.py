"""Asking for a custodian transfer or an undo: checked (``checks``), committed once under its
``clientOrderId`` (the form's key), queued for the worker (``tasks.send_custody_transfer`` →
``sending``), which sends it once. Refusals write nothing."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from custody import checks, reads, selectors
from custody.models import CustodyTransfer, TransferKind
from desk.intents import intent_commit, queue
from desk.money import plain
from desk.problems import refuse


class TransferRefused(Exception):
    """A transfer the desk will not send; the message is for the person asking."""


def transfer_request(
    *,
    connection: ExchangeConnection,
    user,
    kind: str,
    asset: str,
    amount: Decimal,
    client_order_id: str,
    ip: str | None = None,
) -> CustodyTransfer:
    """A wallet or partner transfer into custody, committed before it is sent. The same form
    submitted again finds the transfer its first submit made; nothing new is sent."""
    if kind not in (TransferKind.WALLET, TransferKind.CUSTODIAN):
        raise ValueError(f"not a transfer into custody: {kind}")
    existing = _existing(connection, client_order_id)
    if existing is not None:
        return _same_request(existing, kind=kind, asset=asset, amount=amount)
    checks.transfer_check(connection=connection, kind=kind, asset=asset, amount=amount)
    fields = {"kind": kind, "asset": asset, "amount": amount, "rail": reads.rail_of(connection)}
    return _commit(connection, client_order_id, fields, user=user, ip=ip, kind=kind,
                   asset=asset, amount=amount)  # fmt: skip


def undo_request(
    *,
    connection: ExchangeConnection,
    user,
    origin_id: int,
    request_key: str,
    ip: str | None = None,
) -> CustodyTransfer:
    """Undo one of the connection's partner transfers (``origin_id``: our row of it)."""
    origin = selectors.undoable_get(connection=connection, pk=origin_id)
    if origin is None:
        raise refuse("origin", "not a partner transfer of this connection that can be undone")
    existing = _existing(connection, request_key)
    if existing is not None:
        return _same_request(existing, kind=TransferKind.UNDO, asset=origin.asset,
                             amount=origin.amount)  # fmt: skip
    checks.undo_check(connection=connection, origin=origin)
    fields = {
        "kind": TransferKind.UNDO,
        "asset": origin.asset,
        "amount": origin.amount,
        "rail": origin.rail,
        "origin_transfer_id": origin.transfer_id,
    }
    return _commit(connection, request_key, fields, user=user, ip=ip, kind=TransferKind.UNDO,
                   asset=origin.asset, amount=origin.amount)  # fmt: skip


def _existing(connection, key: str) -> CustodyTransfer | None:
    return CustodyTransfer.objects.filter(connection=connection, client_order_id=key).first()


def _commit(connection, key, fields, *, user, ip, kind, asset, amount) -> CustodyTransfer:
    try:
        with transaction.atomic():
            transfer, created = intent_commit(
                CustodyTransfer,
                key={"connection": connection, "client_order_id": key},
                fields=fields,
            )
            if created:
                _audit_request(transfer, user=user, ip=ip)
                _queue(transfer.pk)
    except (CustodyTransfer.DoesNotExist, IntegrityError):  # the one-undo constraint refused
        raise TransferRefused(
            "This transfer is already being undone, or was undone. Nothing was sent."
        ) from None
    if not created:
        return _same_request(transfer, kind=kind, asset=asset, amount=amount)
    return transfer


def _same_request(transfer: CustodyTransfer, *, kind, asset, amount) -> CustodyTransfer:
    if (transfer.kind, transfer.asset, transfer.amount) != (kind, asset, amount):
        raise TransferRefused(
            f"This form was already submitted ({transfer.get_kind_display()}: "
            f"{plain(transfer.amount)} {transfer.asset}); nothing new was sent. Reload the page "
            "for a new one."
        )
    return transfer


def _audit_request(transfer: CustodyTransfer, *, user, ip) -> None:
    audit_record(
        user=user,
        action=f"custody.{transfer.kind}.request",
        connection=transfer.connection,
        params=transfer.audit_params(),
        ip=ip,
    )


def _queue(transfer_id: int) -> None:
    from custody.tasks import send_custody_transfer  # tasks import the worker side

    transaction.on_commit(lambda: queue(send_custody_transfer, transfer_id))
