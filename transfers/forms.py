"""Input checks for the transfer pages. Amounts are Decimal from the browser's text onwards."""

from __future__ import annotations

import re
import unicodedata
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

from django import forms
from django.utils import timezone

from desk.fields import MONEY_DIGITS, MONEY_PLACES
from desk.forms import DateRangeMixin, FilterErrorsMixin, RequestKeyMixin, day_field
from desk.money import plain
from transfers.models import AmountKind, CatchUp, RecurrenceKind, TransferSchedule
from transfers.recurrence import MAX_EVERY, MAX_YEARS_AHEAD, RecurrenceError
from transfers.scheduling import schedule_check
from transfers.selectors import (
    MASTER,
    WEEKDAY_NAMES,
    HistoryFilters,
    party_email,
    schedule_zone_name,
)

MAX_DECIMALS = 8  # the exchange's precision for transfer amounts
MAX_WHOLE_DIGITS = MONEY_DIGITS - MONEY_PLACES  # what the money columns hold before the point
# Plain digits only: no exponent (1e400), NaN/Infinity, digit grouping or non-ASCII digits.
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class _PlainDigits:
    """Refuses text that is not ``plain`` before the field's own parsing, which is laxer."""

    plain: re.Pattern

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            if value and not self.plain.match(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AmountField(_PlainDigits, forms.DecimalField):
    """An amount as the exchange and our money columns take it, typed as plain digits."""

    plain = PLAIN_DECIMAL

    def __init__(self, **kwargs):
        size = f"at most {MAX_WHOLE_DIGITS} digits before the point and {MAX_DECIMALS} after"
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(
            max_digits=MAX_WHOLE_DIGITS + MAX_DECIMALS,
            decimal_places=MAX_DECIMALS,
            error_messages={
                "invalid": "enter a number in plain digits, like 12.5",
                "max_digits": size,
                "max_whole_digits": size,
                "max_decimal_places": f"at most {MAX_DECIMALS} decimal places",
            },
            **kwargs,
        )


class WholeNumberField(_PlainDigits, forms.IntegerField):
    """An integer typed as ASCII digits (``int()`` would take "١٢" or "1_000" too)."""

    plain = PLAIN_INTEGER


def _no_control_characters(value: str) -> None:
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise forms.ValidationError("no control characters (line breaks, tabs…)")


class _PartiesMixin:
    """From / to checks shared by both forms: the exchange only moves master ↔ sub-account."""

    def _check_parties(self, cleaned: dict) -> None:
        src, dst = cleaned.get("from_party"), cleaned.get("to_party")
        if not src or not dst:
            return
        if src == dst:
            self.add_error("to_party", "choose a different account than the source")
        elif MASTER not in (src, dst):
            self.add_error(
                "to_party", "one side must be the master account (sub ↔ sub is not allowed)"
            )


class TransferForm(RequestKeyMixin, _PartiesMixin, forms.Form):
    from_party = forms.ChoiceField(label="From")
    to_party = forms.ChoiceField(label="To")
    asset = forms.ChoiceField()
    amount = AmountField(label="Amount")
    # Checked in clean(): a hidden field's own error would not be shown to anyone.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, parties, assets, balances: dict[str, dict[str, Decimal]], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.balances = balances
        self.fields["from_party"].choices = parties
        self.fields["to_party"].choices = parties
        self.fields["asset"].choices = assets
        if len(parties) > 1 and not self.is_bound:
            self.initial.setdefault("from_party", parties[0][0])
            self.initial.setdefault("to_party", parties[1][0])

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("must be more than zero")
        return amount

    def clean(self):
        cleaned = super().clean()
        self._check_parties(cleaned)
        src, asset, amount = cleaned.get("from_party"), cleaned.get("asset"), cleaned.get("amount")
        if src and asset and amount is not None and "amount" not in self.errors:
            available = self.balances.get(src, {}).get(asset, Decimal(0))
            if amount > available:
                self.add_error(
                    "amount",
                    f"more than the source's known balance ({plain(available)} {asset} free)",
                )
        return cleaned

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "from_email": party_email(d["from_party"]),
            "to_email": party_email(d["to_party"]),
            "asset": d["asset"],
            "amount": d["amount"],
            "request_key": d["request_key"],
        }


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date-time without a zone: the form pins it to the chosen time zone."""

    def to_python(self, value):
        result = super().to_python(value)  # made aware in the current zone (UTC)...
        return timezone.make_naive(result) if result else result  # ...so undo that exactly


class ScheduleForm(_PartiesMixin, forms.Form):
    name = forms.CharField(max_length=100, validators=[_no_control_characters])
    from_party = forms.ChoiceField(label="From")
    to_party = forms.ChoiceField(label="To")
    asset = forms.ChoiceField()
    amount_kind = forms.ChoiceField(label="Amount kind", choices=AmountKind.choices)
    amount = AmountField(label="Amount / floor / target")
    recurrence = forms.ChoiceField(choices=RecurrenceKind.choices)
    starts_at = LocalDateTimeField(
        label="Starts at (in the time zone below)",
        required=False,
        help_text="The first run (once) or the anchor; its time of day is the run time for daily, "
        "weekly and monthly rules. Blank: now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    every = WholeNumberField(
        label="Every N (hours or days)", min_value=1, max_value=max(MAX_EVERY.values()), initial=1
    )
    weekdays = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=list(enumerate(WEEKDAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
    )
    monthday = WholeNumberField(label="Day of month", required=False, min_value=1, max_value=31)
    cron = forms.CharField(
        required=False, max_length=100, help_text="minute hour day month weekday"
    )
    timezone = forms.ChoiceField(label="Time zone", initial="UTC")
    catch_up = forms.ChoiceField(
        label="After an outage", choices=CatchUp.choices, initial=CatchUp.RUN_ONCE
    )

    # Where a rule's own error is shown, by recurrence kind (else on "starts at").
    RULE_FIELDS = {
        "hourly": "every",
        "daily": "every",
        "weekly": "weekdays",
        "monthly": "monthday",
        "cron": "cron",
    }

    def __init__(self, *args, parties, assets, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["from_party"].choices = parties
        self.fields["to_party"].choices = parties
        self.fields["asset"].choices = assets
        self.fields["timezone"].choices = timezone_choices()

    @classmethod
    def initial_for(cls, schedule: TransferSchedule) -> dict:
        tz = zoneinfo.ZoneInfo(schedule_zone_name(schedule))
        return {
            "name": schedule.name,
            "from_party": schedule.from_email or MASTER,
            "to_party": schedule.to_email or MASTER,
            "asset": schedule.asset,
            "amount_kind": schedule.amount_kind,
            "amount": plain(schedule.amount) if schedule.amount is not None else "",
            "recurrence": schedule.recurrence,
            "starts_at": schedule.starts_at.astimezone(tz).replace(tzinfo=None),
            "every": schedule.every,
            "weekdays": schedule.weekdays,
            "monthday": schedule.monthday,
            "cron": schedule.cron,
            "timezone": schedule.timezone,
            "catch_up": schedule.catch_up,
        }

    def clean_cron(self) -> str:
        cron = self.cleaned_data["cron"]
        if not cron.isascii():
            raise forms.ValidationError("use digits 0–9 and * , - / only")
        return cron

    def clean(self):
        cleaned = super().clean()
        self._check_parties(cleaned)
        kind, amount = cleaned.get("amount_kind"), cleaned.get("amount")
        # A sweep floor of 0 means "sweep everything"; the others must move something.
        if (
            amount is not None
            and "amount" not in self.errors
            and (amount < 0 or (amount == 0 and kind != AmountKind.SWEEP))
        ):
            self.add_error("amount", "must be more than zero")
        if cleaned.get("timezone") and not self.errors:
            self._check_rule(cleaned)
        return cleaned

    def _check_rule(self, cleaned: dict) -> None:
        kind, tz = cleaned["recurrence"], zoneinfo.ZoneInfo(cleaned["timezone"])
        now = self.now or timezone.now()
        local = cleaned.get("starts_at")
        if local is None:
            if kind == RecurrenceKind.ONCE:
                self.add_error("starts_at", "choose when to run it")
                return
            # Exactly now (the view passes the same instant to the service), so an hourly rule
            # "starting now" is due at once rather than an hour from now.
            starts_at = now
        else:
            # fold=0: a wall time inside a DST gap resolves like the recurrence rules do.
            starts_at = local.replace(tzinfo=tz)
            try:
                in_utc = starts_at.astimezone(UTC)
            except OverflowError:  # 9999-12-31 in New York is in year 10000 in UTC
                in_utc = None
            latest = now + timedelta(days=365 * MAX_YEARS_AHEAD)
            if in_utc is None or not EARLIEST_START <= in_utc <= latest:
                self.add_error(
                    "starts_at",
                    f"choose a time from 1970 to {MAX_YEARS_AHEAD} years from now",
                )
                return
        cleaned["starts_at"] = starts_at
        if kind == RecurrenceKind.WEEKLY and not cleaned.get("weekdays"):
            self.add_error("weekdays", "choose at least one weekday")
            return
        if kind == RecurrenceKind.MONTHLY and not cleaned.get("monthday"):
            self.add_error("monthday", "choose a day of the month")
            return
        if kind == RecurrenceKind.CRON and not cleaned.get("cron", "").strip():
            self.add_error("cron", "enter a cron expression")
            return
        probe = TransferSchedule(**self._model_fields(cleaned))
        try:
            # The run after the first too: a rule that fires once and then cannot be planned
            # would fail at every planning tick instead of here.
            first = schedule_check(probe, now=now)
        except RecurrenceError as exc:
            self.add_error(self.RULE_FIELDS.get(kind, "starts_at"), str(exc))
            return
        if first is None:
            self.add_error("starts_at", "that time has already passed")

    @staticmethod
    def _model_fields(d: dict) -> dict:
        kind = d["recurrence"]
        return {
            "name": d["name"],
            "from_email": party_email(d["from_party"]),
            "to_email": party_email(d["to_party"]),
            "asset": d["asset"],
            "amount_kind": d["amount_kind"],
            "amount": d["amount"],
            "recurrence": kind,
            "timezone": d["timezone"],
            "starts_at": d["starts_at"],
            # Fields of other kinds are cleared so a stale hidden value cannot matter later.
            "every": (d.get("every") or 1) if kind in ("hourly", "daily") else 1,
            "weekdays": sorted(d.get("weekdays") or []) if kind == "weekly" else [],
            "monthday": d.get("monthday") if kind == "monthly" else None,
            "cron": (d.get("cron") or "").strip() if kind == "cron" else "",
            "catch_up": d["catch_up"],
        }

    def service_kwargs(self) -> dict:
        return self._model_fields(self.cleaned_data)


class AccountEmailForm(forms.Form):
    account_email = forms.EmailField(
        label="Master account email",
        max_length=254,  # the column's length
        help_text="The email the exchange knows the master account by.",
    )


INVALID_DAY = "enter a real date as YYYY-MM-DD"


class HistoryFilterForm(FilterErrorsMixin, DateRangeMixin, forms.Form):
    """A bad filter is an error to show, never a filter silently dropped (which would list, or
    export, every record)."""

    range_error = "must be on or after the “from” date"

    email = forms.ChoiceField(
        label="Sub-account",
        required=False,
        error_messages={"invalid_choice": "not a sub-account of this connection"},
    )
    asset = forms.ChoiceField(
        required=False,
        error_messages={"invalid_choice": "no stored transfers of that asset: pick one listed"},
    )
    since = day_field("From (UTC)", invalid=INVALID_DAY)
    until = day_field("To (UTC)", invalid=INVALID_DAY)

    def __init__(self, *args, emails: list[str], assets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [("", "All sub-accounts"), *[(e, e) for e in emails]]
        self.fields["asset"].choices = [("", "All assets"), *[(a, a) for a in assets]]

    def filters(self) -> HistoryFilters:
        """The filters asked for (none for an unbound form); only for a valid form."""
        if not self.is_bound:
            return HistoryFilters()
        d = self.cleaned_data
        return HistoryFilters(
            email=d.get("email") or "",
            asset=d.get("asset") or "",
            since=d.get("since"),
            until=d.get("until"),
        )
