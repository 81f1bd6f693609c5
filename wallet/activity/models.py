"""Money that arrived and left: deposit and withdrawal rows copied from the exchange, and one
cursor per connection and kind saying how far each history is stored.

Statuses are kept as the exchange wrote them (``status``: ``"0"``/``"6"``/``"1"`` for crypto
deposits, ``"0"``..``"6"`` for crypto withdrawals, ``"INIT"``/``"Processing"``/``"Successful"``/
``"Failed"`` for fiat) and read into one ``state`` the page filters and colours by.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField

__all__ = ["ActivityKind", "ActivityState", "ActivitySync", "WalletActivity"]


class ActivityKind(models.TextChoices):
    DEPOSIT = "deposit", "Crypto deposit"
    WITHDRAWAL = "withdrawal", "Crypto withdrawal"
    FIAT_DEPOSIT = "fiat_deposit", "USD deposit"
    FIAT_WITHDRAWAL = "fiat_withdrawal", "USD withdrawal"


class ActivityState(models.TextChoices):
    """Where a deposit or withdrawal stands, whatever its kind (see ``services.STATES``)."""

    PENDING = "pending", "Pending"
    CREDITED = "credited", "Credited, not withdrawable yet"
    SUCCESS = "success", "Completed"
    CANCELED = "canceled", "Canceled"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


OPEN_STATES = (ActivityState.PENDING, ActivityState.CREDITED)


class WalletActivity(models.Model):
    """One deposit or withdrawal as the exchange lists it.

    ``exchange_id`` is the exchange's own id: a withdrawal's ``id``, a fiat order's ``orderId``,
    and for a crypto deposit (whose rows carry no id) ``coin:network:txId``. ``time`` is the
    exchange's (``insertTime`` / ``applyTime``), except for fiat rows, which carry none: there
    it is when the desk first saw the row."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="wallet_activity"
    )
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    exchange_id = models.CharField(max_length=200)
    coin = models.CharField(max_length=20)
    network = models.CharField(max_length=40, blank=True)
    amount = MoneyField()
    fee = MoneyField(default=0)
    status = models.CharField(max_length=20)
    state = models.CharField(max_length=20, choices=ActivityState.choices)
    address = models.CharField(max_length=200, blank=True)
    address_tag = models.CharField(max_length=200, blank=True)
    tx_id = models.CharField(max_length=200, blank=True)
    confirmations = models.CharField(max_length=40, blank=True)
    withdraw_order_id = models.CharField(max_length=100, blank=True)
    payment_method = models.CharField(max_length=40, blank=True)
    time = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "exchange_id"], name="unique_wallet_activity"
            ),
        ]
        indexes = [models.Index(fields=["connection", "time"], name="wallet_activity_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.coin} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ActivitySync(models.Model):
    """How far one kind of a connection's wallet history is stored. The next sync of a crypto
    history starts a little before ``newest_time`` (or at its oldest open row, whose status
    may still move); fiat histories carry no times and are read over their default window."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="wallet_activity_syncs"
    )
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    newest_time = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind"], name="unique_activity_sync"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.connection_id} up to {self.newest_time}"
