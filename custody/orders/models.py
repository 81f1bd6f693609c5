"""Custodial orders the desk places (intents of ``desk.intents``), and the exchange's own
custodial orders and fills as last synced. See ``custody.orders`` for the life of an order and
how one whose answer was lost is found again."""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import StatusIntent


class OrderStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CLAIMED = "claimed", "Claimed by a worker"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Unknown — checking"
    FAILED = "failed", "Failed"
    DONE = "done", "Placed"


IN_FLIGHT = (OrderStatus.PLANNED, OrderStatus.CLAIMED, OrderStatus.SENDING, OrderStatus.UNKNOWN)
# The exchange's statuses of an order that may still fill.
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED", "PENDING_NEW")


class CustodialOrder(StatusIntent):
    """One custodial order asked for on the desk, stored before it is sent. The exchange takes
    no client order id for it: ``request_key`` is the form's key and never leaves the desk."""

    KEY_FIELD = "request_key"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custodial_orders"
    )
    request_key = models.CharField(max_length=36)
    rail = models.CharField(max_length=40)
    symbol = models.CharField(max_length=20)
    side = models.CharField(max_length=4)
    type = models.CharField(max_length=20)
    time_in_force = models.CharField(max_length=3, blank=True)
    quantity = MoneyField(null=True, blank=True)
    quote_order_qty = MoneyField(null=True, blank=True)
    price = MoneyField(null=True, blank=True)
    allow_express_trade = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLANNED
    )
    # The exchange's: its orderId, its status when answered or found, and expressTradeFlag.
    order_id = models.BigIntegerField(null=True, blank=True)
    exchange_status = models.CharField(max_length=20, blank=True)
    express_trade_flag = models.BooleanField(null=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "request_key"], name="unique_custodial_order_key"
            ),
            # The exchange's records cannot name an order of ours (no client id): one in flight
            # per symbol keeps two of ours from matching the same record.
            models.UniqueConstraint(
                fields=["connection", "symbol"],
                condition=models.Q(status__in=[s.value for s in IN_FLIGHT]),
                name="one_custodial_order_in_flight",
            ),
            models.UniqueConstraint(
                fields=["connection", "symbol", "order_id"],
                condition=models.Q(order_id__isnull=False),
                name="one_custodial_intent_per_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="custodial_order_status")]

    def __str__(self) -> str:
        return f"{self.side} {self.type} {self.symbol} {self.status}"

    def audit_params(self) -> dict:
        params = {
            "order": self.pk,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.type,
            "allowExpressTrade": self.allow_express_trade,
        }
        for name in ("quantity", "quote_order_qty", "price"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        return params


class ExchangeOrder(models.Model):
    """A custodial order as the exchange last told it (open orders, order history, an answer)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custodial_exchange_orders"
    )
    symbol = models.CharField(max_length=20)
    order_id = models.BigIntegerField()
    client_order_id = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=4, blank=True)
    type = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, blank=True)
    time_in_force = models.CharField(max_length=3, blank=True)
    price = MoneyField(null=True, blank=True)
    orig_qty = MoneyField(null=True, blank=True)
    executed_qty = MoneyField(null=True, blank=True)
    cummulative_quote_qty = MoneyField(null=True, blank=True)
    stop_price = MoneyField(null=True, blank=True)
    express_trade_flag = models.BooleanField(null=True)
    time = models.DateTimeField(null=True, blank=True)
    update_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-order_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "symbol", "order_id"], name="unique_custodial_exchange_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.order_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CustodialTrade(models.Model):
    """A custodial fill (``tradeHistory``). Its rows carry no trade id (L8738-8767): a fill is
    told apart by its order, time, price and quantity."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="custodial_trades"
    )
    symbol = models.CharField(max_length=20)
    order_id = models.BigIntegerField()
    price = MoneyField()
    qty = MoneyField()
    quote_qty = MoneyField()
    commission = MoneyField()
    commission_asset = models.CharField(max_length=20, blank=True)
    time = models.DateTimeField()
    is_buyer = models.BooleanField()
    is_maker = models.BooleanField()

    class Meta:
        ordering = ["-time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "symbol", "order_id", "time", "price", "qty"],
                name="unique_custodial_trade",
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.order_id} {self.qty}@{self.price}"
