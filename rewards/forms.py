"""The Rewards tab's and the Broker page's forms. What the spec says of each value is checked
here, before anything is sent: the partner id's 8 characters (L9804), the customization
lookup's "customerId and email can not be sent at the same time" (R57), the rebate window's
"both specified or both omitted" and 7-day span (R128-130), the kickbacks' last 7 days (R169)
and the export's last 30 days (R203). Times are typed in UTC."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from desk.forms import ProblemsMixin

PARTNER_ID = re.compile(r"^[A-Za-z0-9]{8}$")
AGENT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)
CLOCK_SLACK = timedelta(minutes=5)  # the exchange's clock may run a little ahead of ours
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _matching(value: str, pattern: re.Pattern, message: str) -> str:
    if value and not pattern.match(value):
        raise forms.ValidationError(message)
    return value


def _customer_id_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=64,
        required=required,
        help_text="Up to 64 letters, digits or . _ @ + -",
    )


def _checked_customer_id(value: str) -> str:
    return _matching(value, CUSTOMER_ID, "Use up to 64 letters, digits or . _ @ + - (no spaces).")


class PartnerForm(ProblemsMixin, forms.Form):
    partner_id = forms.CharField(
        label="API partner id",
        max_length=8,
        required=False,
        help_text="8 letters or digits, e.g. ABCD1234. Leave empty to stop prefixing orders.",
    )

    def clean_partner_id(self) -> str:
        return _matching(
            self.cleaned_data["partner_id"],
            PARTNER_ID,
            "A partner id is exactly 8 letters or digits, e.g. ABCD1234.",
        )


class AgentCodeForm(ProblemsMixin, forms.Form):
    agent_code = forms.CharField(
        label="Broker agent code",
        max_length=32,
        required=False,
        help_text="The broker's apiAgentCode (its broker id). Leave empty to clear it.",
    )

    def clean_agent_code(self) -> str:
        return _matching(
            self.cleaned_data["agent_code"],
            AGENT_CODE,
            "An agent code is up to 32 letters, digits, dashes or underscores.",
        )


class CustomizeForm(ProblemsMixin, forms.Form):
    """Give a client a customer id; the same e-mail again changes its id in place."""

    email = forms.EmailField(label="Client e-mail", max_length=254)
    customer_id = _customer_id_field("Customer id")

    def clean_customer_id(self) -> str:
        return _checked_customer_id(self.cleaned_data["customer_id"])


class UserCustomizeForm(ProblemsMixin, forms.Form):
    own_customer_id = _customer_id_field("Your customer id at this broker")

    def service_kwargs(self) -> dict:
        return {"customer_id": self.cleaned_data["own_customer_id"]}

    def clean_own_customer_id(self) -> str:
        return _checked_customer_id(self.cleaned_data["own_customer_id"])


class FindCustomizationForm(forms.Form):
    """The list's lookup: by customer id or by e-mail, never both (R57)."""

    find_customer_id = _customer_id_field("Customer id", required=False)
    find_email = forms.EmailField(label="E-mail", max_length=254, required=False)

    def clean_find_customer_id(self) -> str:
        return _checked_customer_id(self.cleaned_data["find_customer_id"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("find_customer_id") and cleaned.get("find_email"):
            self.add_error(
                "find_email",
                "Look up by customer id or by e-mail, not both: the exchange takes one at a time.",
            )
        return cleaned

    def lookup(self) -> dict:
        c = self.cleaned_data
        return {"customer_id": c["find_customer_id"] or None, "email": c["find_email"] or None}


def _time_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="UTC",
    )


class WindowMixin:
    """A ``since`` / ``until`` window with the endpoint's limits: ``span`` (the longest window),
    ``reach`` (how far back the exchange keeps the records), ``paired`` (both ends or none)."""

    since_name: str
    until_name: str
    span: timedelta | None = None
    reach: timedelta | None = None
    paired = False
    unpaired_error = "Give both ends of the window, or neither."

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        since, until = cleaned.get(self.since_name), cleaned.get(self.until_name)
        now = timezone.now()
        for name, at in ((self.since_name, since), (self.until_name, until)):
            if at is not None and at > now + CLOCK_SLACK:
                self.add_error(name, "This is in the future.")
        if self.reach is not None and since is not None and since < now - self.reach:
            days = self.reach.days
            self.add_error(self.since_name, f"The exchange keeps only the last {days} days.")
        if self.paired and (since is None) != (until is None):
            missing = self.since_name if since is None else self.until_name
            self.add_error(missing, self.unpaired_error)
        if since and until and until <= since:
            self.add_error(self.until_name, "The end must be after the start.")
        elif since and until and self.span is not None and until - since > self.span:
            self.add_error(self.until_name, f"The window may span {self.span.days} days at most.")
        return cleaned

    def window(self) -> tuple[datetime | None, datetime | None]:
        c = self.cleaned_data
        return c.get(self.since_name), c.get(self.until_name)


class RebatesForm(WindowMixin, forms.Form):
    """``rebate/recentRecord``: the last 7 days, or a window of at most 7 days."""

    since_name, until_name = "rebates_since", "rebates_until"
    span, paired = WEEK, True
    unpaired_error = "Give both ends of the window, or neither (the last 7 days)."

    rebates_customer_id = _customer_id_field("Customer id", required=False)
    rebates_since = _time_field("From")
    rebates_until = _time_field("To")

    def clean_rebates_customer_id(self) -> str:
        return _checked_customer_id(self.cleaned_data["rebates_customer_id"])


class KickbacksForm(WindowMixin, forms.Form):
    """``kickback/recentRecord``: within the last 7 days."""

    since_name, until_name = "kickbacks_since", "kickbacks_until"
    span, reach = WEEK, WEEK

    kickbacks_since = _time_field("From")
    kickbacks_until = _time_field("To")


class ExportForm(ProblemsMixin, WindowMixin, forms.Form):
    """``kickback/historicalRecord``: within the last 30 days (all of them when left empty)."""

    since_name, until_name = "export_since", "export_until"
    reach = MONTH

    export_since = _time_field("From")
    export_until = _time_field("To")

    def service_kwargs(self) -> dict:
        start, end = self.window()
        return {"start": start, "end": end}
