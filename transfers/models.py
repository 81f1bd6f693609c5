from __future__ import annotations

from django.db import models

from accounts.models import ExchangeConnection
from desk.fields import MoneyField
from desk.intents.models import Intent, State


class AmountKind(models.TextChoices):
    FIXED = "fixed", "Fixed amount"
    SWEEP = "sweep", "Sweep everything above a floor"
    TOP_UP = "top_up", "Top up the destination to a target"


class RecurrenceKind(models.TextChoices):
    ONCE = "once", "Once, at a date and time"
    HOURLY = "hourly", "Every N hours"
    DAILY = "daily", "Every N days"
    WEEKLY = "weekly", "Weekly, on chosen days"
    MONTHLY = "monthly", "Monthly, on a day of the month"
    CRON = "cron", "Cron expression"


class CatchUp(models.TextChoices):
    RUN_ONCE = "run_once", "Run once when workers are back"
    SKIP = "skip", "Skip missed runs"


class TransferSchedule(models.Model):
    """A planned, possibly recurring, transfer between a master account and its sub-accounts.

    ``from_email`` / ``to_email`` are blank for the master account itself.
    """

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="transfer_schedules"
    )
    name = models.CharField(max_length=100)
    from_email = models.EmailField(blank=True)
    to_email = models.EmailField(blank=True)
    asset = models.CharField(max_length=20)
    amount_kind = models.CharField(max_length=10, choices=AmountKind.choices)
    amount = MoneyField(null=True, blank=True)

    recurrence = models.CharField(max_length=10, choices=RecurrenceKind.choices)
    timezone = models.CharField(max_length=64, default="UTC")
    starts_at = models.DateTimeField(help_text="First run (once) or anchor of the recurrence.")
    every = models.PositiveIntegerField(default=1)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday
    monthday = models.PositiveSmallIntegerField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True)
    catch_up = models.CharField(max_length=10, choices=CatchUp.choices, default=CatchUp.RUN_ONCE)

    is_paused = models.BooleanField(default=False)
    # Why the desk paused it (its rule failed while planning); blank when the owner paused it.
    paused_reason = models.CharField(max_length=300, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_run_at", "pk"]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CLAIMED = "claimed", "Claimed by a worker"
    SENDING = "sending", "Sending"
    EXECUTED = "executed", "Executed"
    UNKNOWN = "unknown", "Unknown — checking"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


TERMINAL = (RunStatus.EXECUTED, RunStatus.FAILED, RunStatus.SKIPPED)


class TransferRun(Intent):
    """One transfer: created before any exchange call, claimed atomically by one worker, sent at
    most once per attempt (a run absent from the exchange's history past the grace period may be
    re-planned: see ``transfers.reconcile``). ``(schedule, planned_at)`` makes a scheduled run
    unique even with two beat processes; ``request_key`` (unique across connections, stricter
    than the kit asks) does the same for a "transfer now" form submission."""

    KEY_FIELD, STATE_FIELD = "request_key", "status"
    STATES = {
        State.PLANNED: RunStatus.PLANNED,
        State.SENDING: RunStatus.SENDING,
        State.EXECUTED: RunStatus.EXECUTED,
        State.UNKNOWN: RunStatus.UNKNOWN,
        State.FAILED: RunStatus.FAILED,
    }
    ALSO = {RunStatus.CLAIMED: State.PLANNED, RunStatus.SKIPPED: State.FAILED}

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="transfer_runs"
    )
    schedule = models.ForeignKey(
        TransferSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    request_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    planned_at = models.DateTimeField(db_index=True)
    from_email = models.EmailField(blank=True)
    to_email = models.EmailField(blank=True)
    asset = models.CharField(max_length=20)
    amount_kind = models.CharField(max_length=10, choices=AmountKind.choices)
    amount_param = MoneyField(null=True, blank=True)
    amount = MoneyField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PLANNED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    txn_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-planned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "planned_at"],
                name="one_run_per_planned_time",
                condition=models.Q(schedule__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "sent_at"], name="run_status_sent")]

    def __str__(self) -> str:
        return f"{self.asset} {self.amount} {self.status}"


class TransferHistoryRecord(models.Model):
    """One row of the exchange's sub-account transfer history, stored once.

    The exchange gives history rows no id, so the natural key below is what makes a row the
    same row across syncs (two identical transfers in the same millisecond collapse into one).
    """

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="transfer_history"
    )
    from_email = models.EmailField()
    to_email = models.EmailField()
    asset = models.CharField(max_length=20)
    qty = MoneyField()
    time = models.DateTimeField(db_index=True)
    txn_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-time", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "from_email", "to_email", "asset", "qty", "time"],
                name="unique_transfer_history_row",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.from_email}→{self.to_email} {self.qty}"


class TransferHistoryCursor(models.Model):
    """How far a connection's transfer history is stored: the next sync starts just before
    ``newest_time`` instead of downloading everything again."""

    connection = models.OneToOneField(
        ExchangeConnection, on_delete=models.CASCADE, related_name="transfer_history_cursor"
    )
    newest_time = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"history of {self.connection_id} up to {self.newest_time}"
