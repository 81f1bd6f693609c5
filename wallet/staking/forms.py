"""Input checks for the stake and unstake forms. Amounts are Decimal from the browser's text
onwards; the exchange's rules (limits, funds, what is staked) are the service's (``checks``)."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta

from django import forms
from django.utils import timezone

from desk.forms import ProblemsMixin, RequestKeyMixin
from transfers.forms import (
    EARLIEST_START,
    AmountField,
    LocalDateTimeField,
    WholeNumberField,
    timezone_choices,
)
from transfers.recurrence import MAX_EVERY, MAX_YEARS_AHEAD, RecurrenceError
from wallet.staking.autostake import autostake_first_run
from wallet.staking.models import AutoStakeRecurrence, AutoStakeSchedule, OperationKind


class OperationForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    """The stake form, or the unstake form (no restake choice). Both are on one page: each
    gives its inputs ids of its own (``id_stake_amount``); the names stay the same."""

    asset = forms.ChoiceField()
    amount = AmountField(label="Amount")
    auto_restake = forms.BooleanField(
        required=False,
        initial=True,
        label="Restake rewards",
        help_text="Where the asset allows it; otherwise rewards are paid to your balance.",
    )
    # Checked in clean(): a hidden field's own error would not be shown to anyone.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assets: list[str], kind: str, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, auto_id=f"id_{kind}_%s", **kwargs)
        self.kind = kind
        self.fields["asset"].choices = [(a, a) for a in assets]
        if kind == OperationKind.UNSTAKE:
            del self.fields["auto_restake"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("must be more than zero")
        return amount

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "kind": self.kind,
            "asset": c["asset"],
            "amount": c["amount"],
            "request_key": c["request_key"],
            "auto_restake": c.get("auto_restake", False),
        }


class AutoStakeForm(forms.Form):
    """An auto-stake schedule: its rule is checked here (it must be able to fire), its asset
    against the catalogue's names; the floor is what stays free."""

    asset = forms.ChoiceField()
    floor = AmountField(label="Keep free (floor)", help_text="Everything above it is staked.")
    recurrence = forms.ChoiceField(label="Repeat", choices=AutoStakeRecurrence.choices)
    every = WholeNumberField(
        label="Every N (hours or days)", min_value=1, max_value=max(MAX_EVERY.values()), initial=1
    )
    starts_at = LocalDateTimeField(
        label="Starting (in the time zone below)",
        required=False,
        help_text="Its time of day is the run time for daily rules. Blank: now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    timezone = forms.ChoiceField(label="Time zone", initial="UTC")

    def __init__(self, *args, assets: list[str], now: datetime | None = None, **kwargs):
        super().__init__(*args, auto_id="id_auto_%s", **kwargs)
        self.now = now or timezone.now()
        self.fields["asset"].choices = [(a, a) for a in assets]
        self.fields["timezone"].choices = timezone_choices()

    def clean_floor(self):
        floor = self.cleaned_data["floor"]
        if floor < 0:
            raise forms.ValidationError("must be zero or more")
        return floor

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        local = cleaned.get("starts_at")
        tz = zoneinfo.ZoneInfo(cleaned["timezone"])
        starts_at = self.now if local is None else local.replace(tzinfo=tz)
        try:
            in_utc = starts_at.astimezone(UTC)
        except OverflowError:
            in_utc = None
        latest = self.now + timedelta(days=365 * MAX_YEARS_AHEAD)
        if in_utc is None or not EARLIEST_START <= in_utc <= latest:
            self.add_error(
                "starts_at", f"choose a time from 1970 to {MAX_YEARS_AHEAD} years from now"
            )
            return cleaned
        cleaned["starts_at"] = starts_at
        probe = AutoStakeSchedule(**self.service_kwargs())
        try:
            autostake_first_run(probe, now=self.now)
        except RecurrenceError as exc:
            self.add_error("every", str(exc))
        return cleaned

    def service_kwargs(self) -> dict:
        names = ("asset", "floor", "recurrence", "every", "timezone", "starts_at")
        return {n: self.cleaned_data[n] for n in names}
