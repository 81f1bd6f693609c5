"""Stake and unstake operations (intents of ``desk.intents``), and the connection's staking and
rewards histories as the exchange lists them.

An operation's life (the kit's states)::

    planned ──claim──▶ claimed ──commit──▶ sending ──SUCCESS──▶ done
                                              │   └─ 4XX ──▶ failed
                                              └─ 5XX / timeout / a dead worker
                                                     ▼
                                                  unknown ──staking history──▶ done | failed

Stake and unstake carry no client id: an unknown outcome is found in the staking history by
asset, type, amount and time, so a connection has at most one operation per asset in flight
(a database constraint) and a history row is claimed by at most one operation.
"""

from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import IN_FLIGHT, Status, StatusIntent

__all__ = [
    "AutoStakeSchedule",
    "OperationKind",
    "OperationStatus",
    "StakedPosition",
    "StakingEvent",
    "StakingOperation",
    "StakingReward",
    "StakingSync",
]


class OperationKind(models.TextChoices):
    STAKE = "stake", "Stake"
    UNSTAKE = "unstake", "Unstake"


# The staking history's ``type`` for each kind.
HISTORY_TYPE = {OperationKind.STAKE: "staked", OperationKind.UNSTAKE: "unstaked"}


# Stake and unstake keep the kit's stored states (``desk.intents.models.Status``).
OperationStatus = Status


class StakingOperation(StatusIntent):
    """One stake or unstake, stored under the form's key before anything is sent."""

    KEY_FIELD = "request_key"

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="staking_operations"
    )
    request_key = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=OperationKind.choices)
    asset = models.CharField(max_length=20)
    amount = MoneyField()
    auto_restake = models.BooleanField(default=True)  # stakes only
    # Who asked: a person on the page, or an auto-stake schedule (one occurrence of it).
    schedule = models.ForeignKey(
        "AutoStakeSchedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operations",
    )
    # The exchange's: the stake's purchaseRecordId, and the history row's initiatedTime once
    # the history was read (a row is this operation's and no other's).
    purchase_record_id = models.CharField(max_length=64, blank=True)
    exchange_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "asset"],
                condition=models.Q(status__in=[s.value for s in IN_FLIGHT]),
                name="one_staking_operation_in_flight",
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="staking_op_status_sent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.asset} {self.status}"

    @property
    def history_type(self) -> str:
        return HISTORY_TYPE[self.kind]

    def audit_params(self) -> dict:
        return {
            "operation": self.pk,
            "kind": self.kind,
            "asset": self.asset,
            "amount": self.amount,
            "auto_restake": self.auto_restake,
        }


class AutoStakeRecurrence(models.TextChoices):
    HOURLY = "hourly", "Every N hours"
    DAILY = "daily", "Every N days"


class AutoStakeSchedule(models.Model):
    """Stake everything of ``asset`` above ``floor`` (free balance) on a recurrence, through the
    transfer scheduler's rules (``transfers.recurrence``): something the exchange itself does
    not offer. Each occurrence is one stake, asked for under a key made of the schedule and
    the occurrence's time, so two planners (or a planner run twice) ask once."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="auto_stakes"
    )
    asset = models.CharField(max_length=20)
    floor = MoneyField()
    recurrence = models.CharField(max_length=10, choices=AutoStakeRecurrence.choices)
    every = models.PositiveIntegerField(default=1)
    timezone = models.CharField(max_length=64, default="UTC")
    starts_at = models.DateTimeField()
    is_paused = models.BooleanField(default=False)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "pk"]

    def __str__(self) -> str:
        return f"auto-stake {self.asset} above {self.floor}"


class StakingEvent(models.Model):
    """One row of the staking history (``staked`` / ``unstaked``). The exchange gives it no id:
    it is known by asset, type, amount and ``initiatedTime``. An unstake stays ``PENDING``
    until its amount is credited back, ``unstaking_period`` hours later."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="staking_events"
    )
    asset = models.CharField(max_length=20)
    type = models.CharField(max_length=20)
    amount = MoneyField()
    initiated_time = models.DateTimeField()
    status = models.CharField(max_length=20)
    # An unstake's expected credit time: initiated + the asset's unstaking period (exchange time).
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-initiated_time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "asset", "type", "amount", "initiated_time"],
                name="unique_staking_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} {self.asset} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == "PENDING"


class StakingReward(models.Model):
    """One reward the exchange paid (``tranId`` is its own id)."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="staking_rewards"
    )
    tran_id = models.BigIntegerField()
    asset = models.CharField(max_length=20)
    amount = MoneyField()
    usd_value = MoneyField(null=True, blank=True)
    time = models.DateTimeField()
    auto_restaked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-time", "-tran_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "tran_id"], name="unique_staking_reward"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset} at {self.time:%Y-%m-%d}"


class StakedPosition(models.Model):
    """What the exchange holds staked of one asset (``GET staking/stakingBalance``) as the
    last staking sync read it: the dashboard values it without asking the exchange per page.
    An asset the exchange no longer lists has no row. Restaked rewards are part of ``amount``
    (the exchange adds them to the position); rewards paid out are in the spot balance."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="staked_positions"
    )
    asset = models.CharField(max_length=20)
    amount = MoneyField()
    auto_restake = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "asset"], name="unique_staked_position")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset} staked"


class StakingSync(models.Model):
    """How far a connection's staking histories are stored (exchange times)."""

    connection = models.OneToOneField(
        ExchangeConnection, on_delete=models.CASCADE, related_name="staking_sync"
    )
    history_newest = models.DateTimeField(null=True, blank=True)
    rewards_newest = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"staking of {self.connection_id} synced {self.synced_at}"
