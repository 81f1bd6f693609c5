from django.conf import settings
from django.db import models

from desk.fields import MoneyField


class PortfolioSnapshot(models.Model):
    """What a user's portfolio was worth in one five-minute slot (dashboard.history)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio_snapshots"
    )
    taken_at = models.DateTimeField()  # the slot's start, UTC: a second beat finds it taken
    total_usd = MoneyField()
    parts = models.JSONField(default=dict)  # {part: value in USD as exact decimal text}
    unpriced = models.JSONField(default=list)  # assets held but left out: no price
    # Not taken but worked out afterwards from the history (dashboard.backfill).
    estimated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "taken_at"], name="one_snapshot_per_slot")
        ]
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.taken_at:%Y-%m-%d %H:%M}: {self.total_usd} USD"
