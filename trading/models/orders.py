from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import Intent, State


def connection_field(related_name: str) -> models.ForeignKey:
    """The exchange connection a row is of: its rows go when it goes."""
    return models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name=related_name
    )


class OrderStatus(models.TextChoices):
    # Ours, before the exchange has answered: committed before the request is sent, so a
    # crash between "sent" and "answered" leaves a row that reconciliation can resolve.
    SENDING = "SENDING", "sending"
    UNKNOWN = "UNKNOWN", "unknown — checking"
    FAILED = "FAILED", "not placed"
    # The exchange's order statuses.
    PENDING_NEW = "PENDING_NEW", "pending"
    NEW = "NEW", "open"
    PARTIALLY_FILLED = "PARTIALLY_FILLED", "partially filled"
    FILLED = "FILLED", "filled"
    CANCELED = "CANCELED", "canceled"
    PENDING_CANCEL = "PENDING_CANCEL", "canceling"
    REJECTED = "REJECTED", "rejected"
    EXPIRED = "EXPIRED", "expired"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH", "expired (self-trade prevention)"


OPEN_STATUSES = (
    OrderStatus.PENDING_NEW,
    OrderStatus.NEW,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.PENDING_CANCEL,
)
UNSETTLED_STATUSES = (OrderStatus.SENDING, OrderStatus.UNKNOWN)


class OrderOrigin(models.TextChoices):
    DESK = "desk", "placed here"
    EXCHANGE = "exchange", "seen on the exchange"


def _intent_constraints(
    exchange_key: tuple[str, ...], client_key: str, *, exchange: str, intent: str
) -> list[models.UniqueConstraint]:
    """One row per exchange id (``exchange_key`` within the connection, its last field the id)
    once the exchange has given one, and one desk intent per client id: what lets a lost answer
    be matched up later instead of the order being stored (or sent) twice."""
    exchange_id = exchange_key[-1]
    return [
        models.UniqueConstraint(
            fields=["connection", *exchange_key],
            condition=Q(**{f"{exchange_id}__isnull": False}),
            name=exchange,
        ),
        models.UniqueConstraint(
            fields=["connection", client_key], condition=Q(origin="desk"), name=intent
        ),
    ]


# How orders and OCO lists store the kit's states; the rest of the column is the exchange's.
DESK_STATES = {State.SENDING: "SENDING", State.UNKNOWN: "UNKNOWN", State.FAILED: "FAILED"}


class OrderList(Intent):
    """An OCO list. ``order_list_id`` is null until the exchange has acknowledged it; as a desk
    intent it is keyed by its list client order id."""

    KEY_FIELD, STATE_FIELD, STATES = "list_client_order_id", "list_status_type", DESK_STATES

    connection = connection_field("order_lists")
    symbol = models.CharField(max_length=20)
    order_list_id = models.BigIntegerField(null=True, blank=True)
    list_client_order_id = models.CharField(max_length=64)
    origin = models.CharField(max_length=10, choices=OrderOrigin.choices)
    contingency_type = models.CharField(max_length=10, default="OCO")
    # SENDING / UNKNOWN / FAILED while ours is unsettled; then the exchange's listStatusType.
    list_status_type = models.CharField(max_length=20)
    list_order_status = models.CharField(max_length=20, blank=True)
    request = models.JSONField(default=dict, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = _intent_constraints(
            ("order_list_id",),
            "list_client_order_id",
            exchange="unique_exchange_order_list",
            intent="unique_desk_order_list_intent",
        )

    def __str__(self) -> str:
        return f"OCO {self.symbol} {self.list_client_order_id} ({self.list_status_type})"


class Order(Intent):
    """One order of a connection: an intent placed from the desk (``origin=desk``, keyed by its
    client order id so it is never sent twice) or an order seen on the exchange (history,
    execution reports). ``order_id`` is null until the exchange has acknowledged it."""

    KEY_FIELD, STATE_FIELD, STATES = "client_order_id", "status", DESK_STATES

    connection = connection_field("orders")
    order_list = models.ForeignKey(
        OrderList, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    symbol = models.CharField(max_length=20)
    order_id = models.BigIntegerField(null=True, blank=True)
    client_order_id = models.CharField(max_length=64)
    origin = models.CharField(max_length=10, choices=OrderOrigin.choices)
    side = models.CharField(max_length=4)
    type = models.CharField(max_length=20)
    time_in_force = models.CharField(max_length=3, blank=True)
    price = MoneyField(null=True, blank=True)
    stop_price = MoneyField(null=True, blank=True)
    trailing_delta = models.IntegerField(null=True, blank=True)
    iceberg_qty = MoneyField(null=True, blank=True)
    orig_qty = MoneyField(null=True, blank=True)
    orig_quote_order_qty = MoneyField(null=True, blank=True)
    executed_qty = MoneyField(default=0)
    cummulative_quote_qty = MoneyField(default=0)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, db_index=True)
    self_trade_prevention_mode = models.CharField(max_length=20, blank=True)
    is_working = models.BooleanField(null=True)
    # What was (or will be) sent, so an unknown outcome can be checked and shown.
    request = models.JSONField(default=dict, blank=True)
    # Exchange times (aware UTC): order creation and last update as the exchange reports them.
    exchange_created_at = models.DateTimeField(null=True, blank=True, db_index=True)
    exchange_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = _intent_constraints(
            ("symbol", "order_id"),
            "client_order_id",
            exchange="unique_exchange_order",
            intent="unique_desk_order_intent",
        )
        indexes = [
            models.Index(fields=["connection", "status"], name="order_conn_status"),
            models.Index(fields=["connection", "symbol", "client_order_id"], name="order_coid"),
            # The Orders tab's recent orders: newest change first, without sorting them all.
            models.Index(
                F("connection"),
                Coalesce("exchange_updated_at", "updated_at").desc(),
                F("created_at").desc(),
                name="order_conn_changed",
            ),
            # The order history's pages, newest first.
            models.Index(
                fields=["connection", "exchange_created_at", "order_id"], name="order_conn_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.type} {self.symbol} {self.client_order_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_unsettled(self) -> bool:
        return self.status in UNSETTLED_STATUSES


class AccountTrade(models.Model):
    """One of the account's own fills (``myTrades`` / executionReport TRADE)."""

    connection = connection_field("trades")
    symbol = models.CharField(max_length=20)
    trade_id = models.BigIntegerField()
    order_id = models.BigIntegerField()
    order_list_id = models.BigIntegerField(null=True, blank=True)
    price = MoneyField()
    qty = MoneyField()
    quote_qty = MoneyField()
    commission = MoneyField()
    commission_asset = models.CharField(max_length=20)
    time = models.DateTimeField(db_index=True)
    is_buyer = models.BooleanField()
    is_maker = models.BooleanField()

    class Meta:
        ordering = ["-time", "-trade_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "symbol", "trade_id"], name="unique_account_trade"
            ),
        ]
        indexes = [
            models.Index(fields=["connection", "symbol", "time"], name="trade_conn_sym_time"),
            # A connection's newest fills across its symbols (Orders tab, activity feed).
            models.Index(fields=["connection", "time", "trade_id"], name="trade_conn_time"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} trade {self.trade_id}"

    @property
    def side(self) -> str:
        return "BUY" if self.is_buyer else "SELL"


class PreventedMatch(models.Model):
    """A match the exchange prevented by self-trade prevention (``myPreventedMatches``)."""

    connection = connection_field("prevented_matches")
    symbol = models.CharField(max_length=20)
    prevented_match_id = models.BigIntegerField()
    taker_order_id = models.BigIntegerField()
    maker_order_id = models.BigIntegerField()
    trade_group_id = models.BigIntegerField()
    self_trade_prevention_mode = models.CharField(max_length=20)
    price = MoneyField()
    # Each appears only for the STP modes that expire that side.
    maker_prevented_quantity = MoneyField(null=True, blank=True)
    taker_prevented_quantity = MoneyField(null=True, blank=True)
    transact_time = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-transact_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "symbol", "prevented_match_id"],
                name="unique_prevented_match",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} prevented match {self.prevented_match_id}"


class OrderTransport(models.TextChoices):
    WS = "ws", "WebSocket API"
    REST = "rest", "REST"


class TradingPreference(models.Model):
    """When the order ticket asks for an explicit confirmation before sending, and which way
    orders go."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trading_preference"
    )
    # An order worth more than this (in the symbol's quote asset) must be confirmed.
    confirm_notional_over = MoneyField(default=Decimal("10000"))
    # ... or one spending more than this percentage of the free balance it draws on.
    confirm_balance_percent_over = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("50")
    )
    # The WebSocket API (one socket, no TLS and HTTP round trip per order) falls back to REST
    # whenever its session is down.
    order_transport = models.CharField(
        max_length=4, choices=OrderTransport.choices, default=OrderTransport.WS
    )

    def __str__(self) -> str:
        return f"trading preferences of {self.user_id}"
