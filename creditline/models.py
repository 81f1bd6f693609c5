"""A credit line as the desk last read it, its history of loan-to-value and alerts, and the
transfers in and out asked for through the desk (intents of ``desk.intents``).

A transfer's life (the kit's states)::

    planned ──claim──▶ claimed ──commit──▶ sending ──SUCCESS──▶ done
                                              │   └─ 4XX ──▶ failed
                                              └─ 5XX / timeout / a dead worker
                                                     ▼
                                                  unknown ──transfer history──▶ done | failed

``POST /sapi/v1/cl/transfer`` carries no client id: an unknown outcome is found in the
transfer history by type, asset, quantity and time, so a connection has at most one transfer
in flight (a database constraint) and a history row is claimed by at most one transfer.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import IN_FLIGHT, Status, StatusIntent


class CreditLineState(models.Model):
    """``GET /sapi/v2/cl/account`` as last read (one row per connection)."""

    connection = models.OneToOneField(
        ExchangeConnection, on_delete=models.CASCADE, related_name="credit_line"
    )
    cl_account_id = models.BigIntegerField(null=True, blank=True)
    current_ltv = MoneyField()
    initial_ltv = MoneyField()
    margin_call_ltv = MoneyField()
    liquidation_ltv = MoneyField()
    interest_rate = MoneyField(null=True, blank=True)
    liquidation_fee_rate = MoneyField(null=True, blank=True)
    contract_start = models.DateTimeField(null=True, blank=True)
    contract_end = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=False)
    can_trade = models.BooleanField(default=False)
    can_transfer_in = models.BooleanField(default=False)
    can_transfer_out = models.BooleanField(default=False)
    required_deposit_amount = MoneyField()
    available_to_transfer_out = MoneyField()
    synced_at = models.DateTimeField()
    # The newest alert stored (the next read of the alert history starts there).
    alerts_read_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"credit line {self.connection_id} LTV {self.current_ltv}"

    @property
    def level(self) -> str:
        """Where the LTV stands against its thresholds: ok, margin_call or liquidation."""
        return ltv_level(self.current_ltv, self)


def ltv_level(ltv, thresholds) -> str:
    if ltv >= thresholds.liquidation_ltv:
        return "liquidation"
    if ltv >= thresholds.margin_call_ltv:
        return "margin_call"
    return "ok"


class CreditLoan(models.Model):
    """One of the credit line's ``loanAssets``."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="credit_loans"
    )
    asset = models.CharField(max_length=20)
    loan_quantity = MoneyField()
    current_loan_quantity = MoneyField()
    reclaim_sequence = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["reclaim_sequence", "asset"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "asset"], name="unique_credit_loan"),
        ]

    def __str__(self) -> str:
        return f"{self.current_loan_quantity} {self.asset} of {self.loan_quantity}"


class LtvPoint(models.Model):
    """The loan-to-value at one poll, for the chart."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="ltv_points"
    )
    at = models.DateTimeField()
    ltv = MoneyField()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["connection", "at"], name="ltv_point_conn_at")]

    def __str__(self) -> str:
        return f"LTV {self.ltv} at {self.at:%Y-%m-%d %H:%M}"


class AlertType(models.TextChoices):
    MARGIN_CALL = "MARGIN_CALL", "Margin call"
    LIQUIDATION_CALL = "LIQUIDATION_CALL", "Liquidation call"


class CreditAlert(models.Model):
    """One row of ``GET /sapi/v2/cl/alertHistory``. ``dismissed_at``: the owner closed its
    banner; ``notified_at``: its e-mail went out (at most once)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="credit_alerts"
    )
    alert_time = models.DateTimeField()
    alert_type = models.CharField(max_length=20, choices=AlertType.choices)
    current_ltv = MoneyField()
    initial_ltv = MoneyField()
    margin_call_ltv = MoneyField()
    liquidation_ltv = MoneyField()
    total_balance = MoneyField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-alert_time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "alert_time", "alert_type"], name="unique_credit_alert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_type} {self.current_ltv} at {self.alert_time:%Y-%m-%d %H:%M}"


class TransferType(models.TextChoices):
    TRANSFER_IN = "TRANSFER_IN", "Into the credit line"
    TRANSFER_OUT = "TRANSFER_OUT", "Out of the credit line"


# Transfers keep the kit's stored states (``desk.intents.models.Status``).
TransferStatus = Status


class CreditTransfer(StatusIntent):
    """One transfer in or out of the credit line, stored under the form's key before anything
    is sent."""

    KEY_FIELD = "request_key"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="credit_transfers"
    )
    request_key = models.CharField(max_length=64, unique=True)
    transfer_type = models.CharField(max_length=12, choices=TransferType.choices)
    asset = models.CharField(max_length=20)
    quantity = MoneyField()
    # The exchange's transferId (from the answer or the history row) and its status there.
    transfer_id = models.CharField(max_length=64, blank=True)
    exchange_status = models.CharField(max_length=20, blank=True)
    exchange_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(status__in=[s.value for s in IN_FLIGHT]),
                name="one_credit_transfer_in_flight",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="credit_tr_status_sent")]

    def __str__(self) -> str:
        return f"{self.transfer_type} {self.quantity} {self.asset} {self.status}"

    def audit_params(self) -> dict:
        return {
            "transfer": self.pk,
            "transfer_type": self.transfer_type,
            "asset": self.asset,
            "quantity": self.quantity,
        }
