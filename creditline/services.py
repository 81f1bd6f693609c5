"""Asking for a credit-line transfer: checked (``checks``), committed once under the form's key,
queued for the worker (``tasks.send_credit_transfer`` → ``sending``), which sends it once; and
dismissing an alert's banner."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from creditline import checks
from creditline.models import IN_FLIGHT, CreditAlert, CreditTransfer
from desk.exchange_reads import usd_price
from desk.intents import intent_commit, queue
from desk.money import plain


class TransferRefused(Exception):
    """A transfer the desk will not send; the message is for the person asking."""


_BUSY = (
    "Another credit-line transfer is still being sent or checked: wait until its outcome is "
    "known. Nothing was sent."
)


def transfer_request(
    *,
    connection: ExchangeConnection,
    user,
    transfer_type: str,
    asset: str,
    quantity: Decimal,
    request_key: str,
    ip: str | None = None,
) -> CreditTransfer:
    """Check, then commit the transfer once and queue it. A form submitted again finds the
    transfer its first submit made (nothing new is sent); refusals write nothing."""
    existing = CreditTransfer.objects.filter(request_key=request_key).first()
    if existing is not None:
        return _same_request(existing, connection, transfer_type, asset, quantity)
    if CreditTransfer.objects.filter(connection=connection, status__in=IN_FLIGHT).exists():
        raise TransferRefused(_BUSY)
    checks.transfer_check(
        connection=connection,
        transfer_type=transfer_type,
        asset=asset,
        quantity=quantity,
        price=lambda a: usd_price(connection, a),
    )
    fields = {
        "connection": connection,
        "transfer_type": transfer_type,
        "asset": asset,
        "quantity": quantity,
    }
    try:
        with transaction.atomic():
            transfer, created = intent_commit(
                CreditTransfer, key={"request_key": request_key}, fields=fields
            )
            if created:
                _audit_request(transfer, user=user, ip=ip)
                _queue(transfer.pk)
    except CreditTransfer.DoesNotExist:  # the key is free: the in-flight constraint refused
        raise TransferRefused(_BUSY) from None
    if not created:
        return _same_request(transfer, connection, transfer_type, asset, quantity)
    return transfer


def _same_request(transfer, connection, transfer_type, asset, quantity) -> CreditTransfer:
    asked = (transfer_type, asset, quantity)
    stored = (transfer.transfer_type, transfer.asset, transfer.quantity)
    if transfer.connection_id != connection.pk or stored != asked:
        raise TransferRefused(
            f"This form was already submitted to transfer {plain(transfer.quantity)} "
            f"{transfer.asset}; nothing new was sent. Reload the page for a new one."
        )
    return transfer


def _audit_request(transfer: CreditTransfer, *, user, ip) -> None:
    audit_record(
        user=user,
        action="credit_line.transfer.request",
        connection=transfer.connection,
        params={**transfer.audit_params(), "request_key": transfer.request_key},
        ip=ip,
    )


def _queue(transfer_id: int) -> None:
    from creditline.tasks import send_credit_transfer  # tasks import the worker side

    transaction.on_commit(lambda: queue(send_credit_transfer, transfer_id))


def alert_dismiss(*, connection: ExchangeConnection, alert_id: int) -> bool:
    """Close an alert's banner on every page of the owner; False if it is not this
    connection's or was already closed."""
    closed = CreditAlert.objects.filter(
        pk=alert_id, connection=connection, dismissed_at=None
    ).update(dismissed_at=timezone.now())
    return bool(closed)
