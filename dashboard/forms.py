"""The activity feed's filters, read from the query string so a filtered feed can be
bookmarked and exported as it is shown."""

from __future__ import annotations

from django import forms

from dashboard import activity
from desk.forms import BoundedDaysMixin, DateRangeMixin, FilterErrorsMixin, day_field

INVALID_DAY = "Enter a real date as YYYY-MM-DD."
FIELDS = ("kind", "connection", "asset", "since", "until")


class ActivityForm(FilterErrorsMixin, BoundedDaysMixin, DateRangeMixin, forms.Form):
    """A bad filter is an error to show, never a filter dropped (which would list, or export,
    every row)."""

    range_error = "Must be on or after the “from” date."

    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Everything"), *activity.KINDS.items()],
        error_messages={"invalid_choice": "Pick a kind from the list."},
    )
    connection = forms.TypedChoiceField(
        label="Connection",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Pick one of your connections."},
    )
    asset = forms.RegexField(
        label="Asset",
        required=False,
        max_length=20,
        regex=r"\A[A-Za-z0-9]+\Z",
        error_messages={"invalid": "Letters and digits only, e.g. BTC."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. BTC", "autocapitalize": "characters"}),
    )
    since = day_field("From (UTC)", invalid=INVALID_DAY)
    until = day_field("To (UTC)", invalid=INVALID_DAY)
    before = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self._ids = tuple(c.pk for c in connections)
        self.fields["connection"].choices = [
            ("", "All connections"),
            *[(c.pk, c.label) for c in connections],
        ]

    def clean_asset(self) -> str:
        return self.cleaned_data["asset"].upper()

    def clean_before(self):
        text = self.cleaned_data["before"]
        if not text:
            return None
        key = activity.cursor_key(text)
        if key is None:
            raise forms.ValidationError("Not a page of this feed: start again from the first.")
        return key

    def filters(self) -> activity.Filters:
        """What to list (everything for an unbound form); only for a valid form."""
        d = self.cleaned_data if self.is_bound else {}
        picked = d.get("connection")
        return activity.Filters(
            kind=d.get("kind") or "",
            connection_ids=(picked,) if picked else self._ids,
            asset=d.get("asset") or "",
            since=d.get("since"),
            until=d.get("until"),
        )

    def cursor(self):
        return self.cleaned_data.get("before") if self.is_bound else None
