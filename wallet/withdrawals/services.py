"""Writes behind the withdrawal pages: the address book, and asking for a withdrawal.

None of these sends a withdrawal. ``withdrawal_request`` checks it (``checks``), asks for the
owner's confirmation, then commits a ``Withdrawal`` intent under the form's key and queues it
for the worker (``tasks.send_withdrawal`` → ``sending``), which sends it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ExchangeConnection
from desk.intents import intent_commit, queue
from desk.money import plain
from wallet.withdrawals import checks
from wallet.withdrawals.checks import Problem, Quote, WithdrawalProblems
from wallet.withdrawals.models import (
    IN_FLIGHT,
    AddressBookEntry,
    Withdrawal,
    WithdrawalKind,
)

COOL_OFF_HOURS = (1, 24, 72)
DEFAULT_COOL_OFF_HOURS = 24


class WithdrawalRefused(Exception):
    """A request the desk will not send; the message is for the person asking."""


class ConfirmationNeeded(WithdrawalRefused):
    """Checked and ready: the owner confirms what leaves and what arrives first."""

    def __init__(self, quote: Quote):
        super().__init__("Confirm the withdrawal.")
        self.quote = quote


class WithdrawalRequestConflict(WithdrawalRefused):
    """The form's key already names a different withdrawal (another connection's, or this form
    submitted again with other content)."""


# --- address book -------------------------------------------------------------------------------
def address_add(
    *,
    connection: ExchangeConnection,
    user,
    coin: str,
    network: str,
    address: str,
    memo: str = "",
    label: str,
    cool_off_hours: int = DEFAULT_COOL_OFF_HOURS,
    ip: str | None = None,
    now: datetime | None = None,
) -> AddressBookEntry:
    """A checked destination, usable ``cool_off_hours`` from now (server time, UTC). Raises
    ``WithdrawalProblems`` naming the fields that are wrong; nothing is stored then."""
    if cool_off_hours not in COOL_OFF_HOURS:
        raise WithdrawalProblems([Problem("cool_off_hours", "choose one of the offered waits")])
    problems = checks.address_check(
        connection=connection, coin=coin, network=network, address=address, memo=memo
    )
    if problems:
        raise WithdrawalProblems(problems)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            entry = AddressBookEntry.objects.create(
                connection=connection,
                coin=coin,
                network=network,
                address=address,
                memo=memo,
                label=label,
                usable_from=now + timedelta(hours=cool_off_hours),
            )
            _audit_address(entry, "withdraw_address.add", user=user, ip=ip)
    except IntegrityError:
        raise WithdrawalProblems([Problem("address", "already in the address book")]) from None
    return entry


def address_delete(*, entry: AddressBookEntry, user, ip: str | None = None) -> None:
    """Immediate; withdrawals to it keep their copy of the destination."""
    with transaction.atomic():
        _audit_address(entry, "withdraw_address.delete", user=user, ip=ip)
        entry.delete()


def _audit_address(entry: AddressBookEntry, action: str, *, user, ip) -> None:
    audit_record(
        user=user,
        action=action,
        connection=entry.connection,
        params={
            "entry": entry.pk,
            "coin": entry.coin,
            "network": entry.network,
            "address": entry.address,
            "memo": entry.memo,
            "label": entry.label,
            "usable_from": entry.usable_from,
        },
        ip=ip,
    )


# --- withdrawals --------------------------------------------------------------------------------
def withdrawal_request(
    *,
    connection: ExchangeConnection,
    user,
    entry: AddressBookEntry,
    coin: str,
    network: str,
    amount: Decimal,
    request_key: str,
    confirmed: bool,
    ip: str | None = None,
) -> Withdrawal:
    """Check, ask for confirmation, then commit the withdrawal once and queue it.

    A form submitted again finds the withdrawal its first submit made (nothing new is sent);
    the same key with other content raises ``WithdrawalRequestConflict``. Refusals
    (``WithdrawalProblems``, ``ConfirmationNeeded``, ``WithdrawalRefused``) write nothing."""
    existing = Withdrawal.objects.filter(request_key=request_key).first()
    if existing is not None:
        return _same_request(existing, connection, entry, coin, network, amount)
    if entry.connection_id != connection.pk:
        raise WithdrawalProblems([Problem("address", "not an address of this connection")])
    quote = checks.withdrawal_check(
        connection=connection,
        entry=entry,
        coin=coin,
        network=network,
        amount=amount,
        now=timezone.now(),
    )
    if not confirmed:
        raise ConfirmationNeeded(quote)
    kind = WithdrawalKind.FIAT if entry.is_fiat else WithdrawalKind.CRYPTO
    if kind == WithdrawalKind.FIAT and _fiat_in_flight(connection):
        raise WithdrawalRefused(_FIAT_BUSY)
    fields = {
        "connection": connection,
        "address_entry": entry,
        "kind": kind,
        "coin": coin,
        "network": network,
        "address": entry.address,
        "memo": entry.memo,
        "label": entry.label,
        "amount": amount,
        "fee": quote.fee,
    }
    try:
        with transaction.atomic():
            withdrawal, created = intent_commit(
                Withdrawal, key={"request_key": request_key}, fields=fields
            )
            if created:
                _audit_request(withdrawal, user=user, ip=ip)
                _queue(withdrawal.pk)
    except Withdrawal.DoesNotExist:  # the key is free: the fiat constraint refused it
        raise WithdrawalRefused(_FIAT_BUSY) from None
    if not created:
        return _same_request(withdrawal, connection, entry, coin, network, amount)
    return withdrawal


_FIAT_BUSY = (
    "Another USD withdrawal of this connection is still being sent or checked: wait until "
    "its outcome is known. Nothing was sent."
)


def _fiat_in_flight(connection: ExchangeConnection) -> bool:
    rows = Withdrawal.objects.filter(connection=connection, kind=WithdrawalKind.FIAT)
    return rows.filter(status__in=IN_FLIGHT).exists()


def _same_request(withdrawal, connection, entry, coin, network, amount) -> Withdrawal:
    """A resubmitted form must ask for exactly what its first submit asked for."""
    if withdrawal.connection_id != connection.pk:
        raise WithdrawalRequestConflict("This form was already used for another connection.")
    asked = (entry.address, entry.memo, coin, network, amount)
    if (withdrawal.address, withdrawal.memo, withdrawal.coin, withdrawal.network,
            withdrawal.amount) != asked:  # fmt: skip
        raise WithdrawalRequestConflict(
            f"This form was already submitted for {plain(withdrawal.amount)} {withdrawal.coin} "
            f"to {withdrawal.label or withdrawal.address}; nothing new was sent. Reload the page "
            "to make a new withdrawal."
        )
    return withdrawal


def _audit_request(withdrawal: Withdrawal, *, user, ip) -> None:
    audit_record(
        user=user,
        action="withdrawal.request",
        connection=withdrawal.connection,
        params={
            **withdrawal.audit_params(),
            "memo": withdrawal.memo,
            "amount": withdrawal.amount,
            "fee": withdrawal.fee,
            "request_key": withdrawal.request_key,
        },
        ip=ip,
    )


def _queue(withdrawal_id: int) -> None:
    from wallet.withdrawals.tasks import send_withdrawal  # tasks import the worker side

    # After commit: a worker must never look for a row that is not visible yet.
    transaction.on_commit(lambda: queue(send_withdrawal, withdrawal_id))
