"""Custodian transfers (intents of ``desk.intents``), and what the exchange says about the
connection's custody: custodial balances, the settlement setting, settlements and both transfer
histories.

A transfer's life (the kit's states)::

    planned ──claim──▶ claimed ──commit──▶ sending ──answer──▶ done ──(exchange status)──▶ final
                                              │   └─ 4XX ──▶ failed (code, message)
                                              │   └─ 503: sent again after a backoff, then failed
                                              └─ 5XX / timeout / a dead worker
                                                     ▼
                                                  unknown ──the exchange's history──▶ done | failed

"done" means the exchange took the request. A transfer from the partner is then received and
processed (``exchange_status`` PROCESS, then SUCCESS or FAILURE): the sync follows it in the
custodian transfer history until its status is final.

Wallet and partner transfers go out under the spec's ``clientOrderId`` ("must be unique",
L7668), a UUID made when the form is drawn and stored here before anything is sent: a double
submit finds the row, and an unknown outcome is looked up by it. An undo takes no client id:
the same column holds the form's key (never sent), and a connection has at most one undo of an
origin transfer that is not failed (a database constraint).

Custodial orders and the exchange's custodial orders and fills live in ``custody.orders.models``
and are imported here.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from custody.orders.models import CustodialOrder, CustodialTrade, ExchangeOrder, OrderStatus
from desk.fields import MoneyField
from desk.intents.models import StatusIntent

__all__ = [
    "CustodialBalance",
    "CustodialOrder",
    "CustodialTrade",
    "CustodySettlement",
    "CustodySync",
    "CustodyTransfer",
    "ExchangeOrder",
    "ExchangeTransfer",
    "OrderStatus",
    "TransferKind",
    "TransferStatus",
]


class TransferKind(models.TextChoices):
    WALLET = "wallet", "Exchange wallet → custodial"
    CUSTODIAN = "custodian", "Custodial partner → custodial"
    UNDO = "undo", "Undo of a partner transfer"


# The exchange's name of each kind (its endpoint).
ENDPOINT_NAME = {
    TransferKind.WALLET: "walletTransfer",
    TransferKind.CUSTODIAN: "custodianTransfer",
    TransferKind.UNDO: "undoTransfer",
}


class TransferStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CLAIMED = "claimed", "Claimed by a worker"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Unknown — checking"
    FAILED = "failed", "Failed"
    DONE = "done", "Taken by the exchange"


# The exchange's transfer statuses that may still change (its answer to custodianTransfer is
# "Transfer request received " until the partner's transfer is processed).
EXCHANGE_PENDING = frozenset({"", "PROCESS", "PROCESSING", "PENDING", "TRANSFER REQUEST RECEIVED"})


def exchange_final(status: str) -> bool:
    return status.strip().upper() not in EXCHANGE_PENDING


class CustodyTransfer(StatusIntent):
    """One transfer into custody, or the undo of a partner transfer, stored before it is sent.
    The kit's stored states, with "done" named for what it means here."""

    KEY_FIELD = "client_order_id"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custody_transfers"
    )
    client_order_id = models.CharField(max_length=36)
    kind = models.CharField(max_length=10, choices=TransferKind.choices)
    rail = models.CharField(max_length=40)
    asset = models.CharField(max_length=20)
    amount = MoneyField()
    # An undo's partner transfer (the exchange's transferId).
    origin_transfer_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=TransferStatus.choices, default=TransferStatus.PLANNED
    )
    # The exchange's: its transferId, its status of the transfer (followed by the sync until
    # final) and its createTime.
    transfer_id = models.CharField(max_length=64, blank=True)
    exchange_status = models.CharField(max_length=40, blank=True)
    exchange_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "client_order_id"], name="unique_custody_client_order_id"
            ),
            models.UniqueConstraint(
                fields=["connection", "origin_transfer_id"],
                condition=models.Q(kind="undo") & ~models.Q(status="failed"),
                name="one_live_undo_per_origin",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="custody_transfer_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.asset} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status == TransferStatus.FAILED or (
            self.status == TransferStatus.DONE
            and (self.kind == TransferKind.UNDO or exchange_final(self.exchange_status))
        )

    @property
    def endpoint_name(self) -> str:
        return ENDPOINT_NAME[self.kind]

    def audit_params(self) -> dict:
        params = {
            "transfer": self.pk,
            "kind": self.kind,
            "rail": self.rail,
            "asset": self.asset,
            "amount": self.amount,
        }
        if self.kind == TransferKind.UNDO:
            params["originTransferId"] = self.origin_transfer_id
        else:
            params["clientOrderId"] = self.client_order_id
        return params


class CustodialBalance(models.Model):
    """One asset of the custodial sub-account (``custodialAcctBalance``) as last synced."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custodial_balances"
    )
    asset = models.CharField(max_length=20)
    free = MoneyField()
    locked = MoneyField()
    in_settlement = MoneyField()
    updated = models.DateTimeField(null=True, blank=True)  # the exchange's lastUpdatedTime

    class Meta:
        ordering = ["asset"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "asset"], name="unique_custodial_asset")
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.free}"


class HistorySource(models.TextChoices):
    WALLET = "wallet", "Exchange wallet"
    CUSTODIAN = "custodian", "Custodial partner"


class ExchangeTransfer(models.Model):
    """A row of the exchange's wallet or custodian transfer history (made on the desk or not)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custody_history"
    )
    source = models.CharField(max_length=10, choices=HistorySource.choices)
    transfer_id = models.CharField(max_length=64)
    client_order_id = models.CharField(max_length=64, blank=True)
    asset = models.CharField(max_length=20)
    amount = MoneyField()
    status = models.CharField(max_length=40, blank=True)
    express_trade = models.BooleanField(null=True)
    create_time = models.DateTimeField(null=True, blank=True)
    update_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-create_time", "-pk"]
        constraints = [
            # An undo's row may reuse its origin's transferId: the create time tells them apart.
            models.UniqueConstraint(
                fields=["connection", "source", "transfer_id", "create_time"],
                name="unique_custody_history_row",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.transfer_id} {self.status}"


class CustodySettlement(models.Model):
    """A settlement to the custodial partner (``settlementHistory``)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custody_settlements"
    )
    settlement_id = models.CharField(max_length=64)
    status = models.CharField(max_length=20, blank=True)
    trigger_time = models.DateTimeField(null=True, blank=True)
    # [{"asset", "settleTo", "network", "amount"}], amounts as exact decimal text.
    assets = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-trigger_time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "settlement_id"], name="unique_custody_settlement"
            )
        ]

    def __str__(self) -> str:
        return f"settlement {self.settlement_id} {self.status}"


class CustodySync(models.Model):
    """The connection's settlement setting as last read, and how far its histories are stored
    (exchange times)."""

    connection = models.OneToOneField(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custody_sync"
    )
    settlement_active = models.BooleanField(null=True)
    frequency_in_hours = models.IntegerField(null=True, blank=True)
    next_trigger_time = models.DateTimeField(null=True, blank=True)
    wallet_newest = models.DateTimeField(null=True, blank=True)
    custodian_newest = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"custody of {self.connection_id} synced {self.synced_at}"
