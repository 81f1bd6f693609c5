"""Referral rewards, API-partner rebates and broker kickback exports, per connection.

Rewards and rebates are copies of the exchange's histories, upserted by ``rewards.sync`` on
their natural keys. The exchange gives them no ids, and two rows may be identical (two fills of
one order in the same millisecond rebate the same quantity), so each key ends with
``occurrence``: the row's rank among identical rows of one read. A read always covers whole
milliseconds, so the same row gets the same rank every time.

A kickback export's life (``BrokerExport.status``)::

    collecting ──the exchange has a URL, the desk fetched the file──▶ ready (file stored)
        │  └─ no URL after the bounded checks, a refused check, a file too large ─▶ failed
        └─ another export was started (the exchange keeps only its latest) ──▶ superseded

The exchange's URL is never stored: it may carry a token, and the file is served by the desk.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField


class RewardsProfile(models.Model):
    """A connection's Rewards settings and how its last sync went (made when the tab is first
    opened; the periodic sync follows the connections that have one)."""

    connection = models.OneToOneField(
        ExchangeConnection, on_delete=models.CASCADE, related_name="rewards_profile"
    )
    # API partner: the exchange's answer to checkEligibility when the id was saved.
    partner_id = models.CharField(max_length=8, blank=True)
    partner_eligible = models.BooleanField(null=True, blank=True)
    partner_new_user = models.BooleanField(null=True, blank=True)
    partner_vip_level = models.IntegerField(null=True, blank=True)
    partner_referrer_id = models.BigIntegerField(null=True, blank=True)
    partner_checked_at = models.DateTimeField(null=True, blank=True)
    # Broker referral: the broker's apiAgentCode, and the exchange's ifNewUser answer for it.
    agent_code = models.CharField(max_length=32, blank=True)
    agent_rebate_working = models.BooleanField(null=True, blank=True)
    agent_new_user = models.BooleanField(null=True, blank=True)
    agent_referrer_id = models.BigIntegerField(null=True, blank=True)
    agent_checked_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"rewards of {self.connection_id}"


class BizType(models.IntegerChoices):
    REFERRER = 0, "As referrer"
    REFEREE = 1, "As referee"


class ReferralReward(models.Model):
    """A row of ``GET /sapi/v1/marketing/referral/reward/history``."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="referral_rewards"
    )
    biz_type = models.SmallIntegerField(choices=BizType.choices)
    user_id = models.BigIntegerField()
    reward_amount = MoneyField()
    reward_type = models.CharField(max_length=20)  # the asset
    received = models.DateTimeField()
    occurrence = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-received", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "connection",
                    "biz_type",
                    "user_id",
                    "received",
                    "reward_type",
                    "reward_amount",
                    "occurrence",
                ],
                name="unique_referral_reward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_amount} {self.reward_type} from {self.user_id}"


class PartnerRebate(models.Model):
    """A row of ``GET /sapi/v1/apipartner/rebateHistory`` for the partner id it was read for."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="partner_rebates"
    )
    partner_id = models.CharField(max_length=8)
    qty = MoneyField()
    asset = models.CharField(max_length=20)
    date = models.DateTimeField()
    occurrence = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "partner_id", "date", "asset", "qty", "occurrence"],
                name="unique_partner_rebate",
            ),
        ]
        indexes = [models.Index(fields=["connection", "date"], name="partner_rebate_conn_date")]

    def __str__(self) -> str:
        return f"{self.qty} {self.asset} at {self.date:%Y-%m-%d %H:%M}"


class ExportStatus(models.TextChoices):
    COLLECTING = "collecting", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Replaced by a newer export"


class BrokerExport(models.Model):
    """One kickback history export (``kickback/historicalRecord``): asked for, followed until
    the exchange has the file, then the file itself."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="broker_exports"
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.COLLECTING
    )
    requested_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "checked_at"], name="broker_export_status")]

    def __str__(self) -> str:
        return f"export {self.pk} {self.status}"

    @property
    def filename(self) -> str:
        return f"kickbacks-{self.connection_id}-{self.pk}.csv"
