"""OTC conversions and dust conversions asked for through the desk (intents of ``desk.intents``),
and the OTC quotes they accept.

An OTC conversion's life (the kit's states, then the exchange's order status)::

    quote ──accept──▶ planned ──claim──▶ claimed ──commit──▶ sending ──answer──▶ done
                                                               │   └─ 4XX ──▶ failed
                                                               └─ 5XX / timeout / a dead worker
                                                                      ▼
                                                                   unknown ──otc/orders──▶
                                                                            done | failed
    done: the order is followed PROCESS ──▶ ACCEPT_SUCCESS ──▶ SUCCESS | FAIL

The quote's ``quoteId`` is single use on the exchange, so it is the intent's key: a second
accept of the same quote finds the first conversion, and an unknown outcome is settled by
finding the ``quoteId`` in the order list, never by asking a new quote and sending again.

``POST /sapi/v1/asset/dust`` carries no client id: a connection has at most one dust conversion
in flight (a database constraint) and an unknown one is found in the dust log by its assets and
time.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import IN_FLIGHT, Status, StatusIntent

# The exchange's OTC order statuses (spec L5182); the last two are final.
ORDER_FINAL = ("SUCCESS", "FAIL")


class OtcQuote(models.Model):
    """A quote the exchange gave (``POST /sapi/v1/otc/quotes``), kept until it is accepted or
    long expired (the sweep prunes them)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="otc_quotes"
    )
    quote_id = models.CharField(max_length=64)
    from_coin = models.CharField(max_length=20)
    to_coin = models.CharField(max_length=20)
    request_coin = models.CharField(max_length=20)
    request_amount = MoneyField()
    from_amount = MoneyField()
    to_amount = MoneyField()
    ratio = MoneyField()
    inverse_ratio = MoneyField()
    symbol = models.CharField(max_length=40, blank=True)
    valid_until = models.DateTimeField()  # on the exchange's clock
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "quote_id"], name="unique_otc_quote"),
        ]

    def __str__(self) -> str:
        return f"{self.from_amount} {self.from_coin} → {self.to_amount} {self.to_coin}"


class OtcConversion(StatusIntent):
    """An accepted quote, stored under its ``quoteId`` before the order is placed."""

    KEY_FIELD = "quote_id"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="otc_conversions"
    )
    quote_id = models.CharField(max_length=64)
    from_coin = models.CharField(max_length=20)
    to_coin = models.CharField(max_length=20)
    from_amount = MoneyField()
    to_amount = MoneyField()
    ratio = MoneyField()
    valid_until = models.DateTimeField()
    # The exchange's order, from the answer or the order list, and its status there.
    order_id = models.CharField(max_length=64, blank=True)
    order_status = models.CharField(max_length=20, blank=True)
    exchange_time = models.DateTimeField(null=True, blank=True)
    followed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "quote_id"], name="unique_otc_conversion"
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="otc_conv_status_sent")]

    def __str__(self) -> str:
        return f"{self.from_amount} {self.from_coin} → {self.to_coin} {self.status}"

    @property
    def order_final(self) -> bool:
        return self.order_status in ORDER_FINAL

    @property
    def outcome(self) -> str:
        """What the person sees: the desk's state until the order exists, then the order's."""
        if self.status == Status.DONE and self.order_status:
            return self.order_status
        return self.get_status_display()

    def audit_params(self) -> dict:
        return {
            "conversion": self.pk,
            "quote_id": self.quote_id,
            "from": f"{self.from_amount} {self.from_coin}",
            "to": f"{self.to_amount} {self.to_coin}",
        }


class DustConversion(StatusIntent):
    """One dust conversion of several assets into one, stored under the form's key."""

    KEY_FIELD = "request_key"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="dust_conversions"
    )
    request_key = models.CharField(max_length=64, unique=True)
    from_assets = models.JSONField(default=list)
    to_asset = models.CharField(max_length=20)
    # What the desk showed before sending: the fee rate and the expected fee, in ``to_asset``.
    fee_rate = MoneyField(null=True, blank=True)
    total_transferred = MoneyField(null=True, blank=True)
    total_service_charge = MoneyField(null=True, blank=True)
    # Per asset, as the exchange answered or logged: [{asset, amount, transferred, fee, tranId}].
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=models.Q(status__in=[s.value for s in IN_FLIGHT]),
                name="one_dust_conversion_in_flight",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="dust_conv_status_sent")]

    def __str__(self) -> str:
        return f"dust {','.join(self.from_assets)} → {self.to_asset} {self.status}"

    @property
    def tran_ids(self) -> set[str]:
        return {str(r["tranId"]) for r in self.results if r.get("tranId")}

    def audit_params(self) -> dict:
        return {
            "conversion": self.pk,
            "from_assets": ",".join(self.from_assets),
            "to_asset": self.to_asset,
        }
