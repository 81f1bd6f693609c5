from django.db import models

from trading.models.orders import connection_field


class HistoryKind(models.TextChoices):
    ORDERS = "orders", "orders"
    TRADES = "trades", "trades"
    ORDER_LISTS = "order_lists", "OCO lists"
    PREVENTED = "prevented", "prevented matches"


class HistorySync(models.Model):
    """How far one kind of history of one symbol (``""`` for account-wide kinds such as OCO
    lists) is stored for a connection.

    Backfill walks backwards in time windows from ``started_at`` towards ``backfill_from``;
    ``backfilled_to`` is the oldest time fully stored, so progress is
    (started_at - backfilled_to) / (started_at - backfill_from). New rows after ``started_at``
    are followed forward from ``cursor`` (the last exchange id seen). ``synced_at`` stays null
    until a first slice has found where the account's history begins."""

    connection = connection_field("history_syncs")
    kind = models.CharField(max_length=20, choices=HistoryKind.choices)
    symbol = models.CharField(max_length=20, blank=True)
    backfill_from = models.DateTimeField()
    started_at = models.DateTimeField()
    backfilled_to = models.DateTimeField()
    cursor = models.BigIntegerField(null=True, blank=True)
    # A backfill window with more rows than one page is read on by id from here (fromId /
    # orderId paging); null between windows.
    backfill_next_id = models.BigIntegerField(null=True, blank=True)
    # Orders change after they are stored (filled, canceled): the exchange's windows over update
    # time are read from ``updates_from`` on (paged by id from ``updates_next_id`` when full).
    updates_from = models.DateTimeField(null=True, blank=True)
    updates_next_id = models.BigIntegerField(null=True, blank=True)
    # No slice before this: weight budget back-off, or the pause between forward syncs.
    next_run_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "symbol"], name="unique_history_sync"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.symbol or '*'} of {self.connection_id}"

    @property
    def progress(self) -> float:
        """0..1, for the progress bar only (never money)."""
        if self.done:
            return 1.0
        span = (self.started_at - self.backfill_from).total_seconds()
        if span <= 0:
            return 1.0
        covered = (self.started_at - self.backfilled_to).total_seconds()
        return max(0.0, min(1.0, covered / span))
