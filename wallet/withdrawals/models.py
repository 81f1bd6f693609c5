"""Withdrawal address books and withdrawals (intents of ``desk.intents``).

A withdrawal's life (the kit's states, then the exchange's own)::

    planned ──claim──▶ claimed ──commit──▶ sending ──accepted (id)──▶ sent ──▶ completed (txId)
                                              │   │                     └────▶ returned (1/3/5,
                                              │   └─ 4XX ──▶ failed            or fiat "Failed")
                                              └─ 5XX / timeout / -1006 / -1007 / dead worker
                                                     ▼
                                                  unknown ──withdraw history──▶ sent | failed

``sent`` is the kit's "executed": the exchange took the request. What it then does with it
(``processing`` → ``completed`` with a txId, or ``returned``: failed, rejected or canceled and
refunded) is followed from its withdraw history (``wallet.withdrawals.follow``).
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import Intent, State

__all__ = ["AddressBookEntry", "Withdrawal", "WithdrawalKind", "WithdrawalStatus"]

FIAT_COIN, FIAT_NETWORK = "USD", "BITGO"  # the only fiat rail: USD to a BITGO payment account


class AddressBookEntry(models.Model):
    """A destination the owner added (after a fresh sign-in check), usable for withdrawals only
    from ``usable_from`` on: a stolen session cannot add an address and empty the account at
    once. Fiat entries are BITGO payment accounts (coin ``USD``, network ``BITGO``)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="withdraw_addresses"
    )
    coin = models.CharField(max_length=20)
    network = models.CharField(max_length=20)
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=128, blank=True)
    label = models.CharField(max_length=100)
    usable_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["coin", "network", "label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "coin", "network", "address", "memo"],
                name="one_address_book_entry_per_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.coin} on {self.network})"

    @property
    def is_fiat(self) -> bool:
        return self.coin == FIAT_COIN and self.network == FIAT_NETWORK


class WithdrawalKind(models.TextChoices):
    CRYPTO = "crypto", "Crypto"
    FIAT = "fiat", "Fiat (USD via BITGO)"


class WithdrawalStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CLAIMED = "claimed", "Claimed by a worker"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Unknown — checking"
    FAILED = "failed", "Failed"
    SENT = "sent", "Sent — processing"
    COMPLETED = "completed", "Completed"
    RETURNED = "returned", "Ended by the exchange — refunded"


FINAL = (WithdrawalStatus.FAILED, WithdrawalStatus.COMPLETED, WithdrawalStatus.RETURNED)
# The outcome of our own request is not known yet: a fiat withdrawal (no client id) is then told
# apart from others only by amount and time, so only one may be there per connection.
IN_FLIGHT = (
    WithdrawalStatus.PLANNED,
    WithdrawalStatus.CLAIMED,
    WithdrawalStatus.SENDING,
    WithdrawalStatus.UNKNOWN,
)


class Withdrawal(Intent):
    """One withdrawal, stored before anything is sent under the form's key (``request_key``,
    unique everywhere), which is also the crypto request's ``withdrawOrderId``."""

    KEY_FIELD, STATE_FIELD = "request_key", "status"
    STATES = {
        State.PLANNED: WithdrawalStatus.PLANNED,
        State.SENDING: WithdrawalStatus.SENDING,
        State.EXECUTED: WithdrawalStatus.SENT,
        State.UNKNOWN: WithdrawalStatus.UNKNOWN,
        State.FAILED: WithdrawalStatus.FAILED,
    }
    ALSO = {
        WithdrawalStatus.CLAIMED: State.PLANNED,
        WithdrawalStatus.COMPLETED: State.EXECUTED,
        WithdrawalStatus.RETURNED: State.EXECUTED,
    }

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="withdrawals"
    )
    address_entry = models.ForeignKey(
        AddressBookEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="withdrawals",
    )
    request_key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=WithdrawalKind.choices)
    coin = models.CharField(max_length=20)
    network = models.CharField(max_length=20)
    # Copied from the address book: deleting an entry leaves the record of where money went.
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=128, blank=True)
    label = models.CharField(max_length=100, blank=True)
    amount = MoneyField()  # what leaves the balance; the fee is inside it
    fee = MoneyField(null=True, blank=True)  # as the catalogue said when it was asked for

    status = models.CharField(
        max_length=10, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PLANNED
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The exchange's: its withdrawal id (fiat: orderId), status and the chain's transaction id.
    withdraw_id = models.CharField(max_length=64, blank=True)
    exchange_status = models.CharField(max_length=40, blank=True)
    tx_id = models.CharField(max_length=128, blank=True)
    followed_at = models.DateTimeField(null=True, blank=True)

    def audit_params(self) -> dict:
        """What every audit row of the withdrawal names (its own rows add their part)."""
        return {
            "withdrawal": self.pk,
            "kind": self.kind,
            "coin": self.coin,
            "network": self.network,
            "address": self.address,
        }

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(kind="fiat", status__in=[s.value for s in IN_FLIGHT]),
                name="one_fiat_withdrawal_in_flight",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="withdrawal_status_sent")]

    def __str__(self) -> str:
        return f"{self.amount} {self.coin} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def receive(self):
        """What arrives: the fee is inside the amount (``None`` when the fee is not known)."""
        return None if self.fee is None else self.amount - self.fee
