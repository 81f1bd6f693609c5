"""Form pieces the desk's apps share: the history filter bars all work the same way."""

from __future__ import annotations

import uuid
from datetime import date

from django import forms

from desk.problems import Refused

# The days a filter may name: exchange history starts long after the first, and a day past the
# last would not fit in a datetime (a range ends the day after "to").
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def day_field(label: str, *, invalid: str | None = None, iso_only: bool = True) -> forms.DateField:
    """An optional filter day with a native date picker (which sends YYYY-MM-DD)."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"] if iso_only else None,
        error_messages={"invalid": invalid} if invalid else {},
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DateRangeMixin:
    """A ``since`` / ``until`` date filter pair: an empty range is an error on ``until``, never
    a filter that quietly matches nothing. Each form words the message its own way."""

    range_error = "must be on or after the start date"

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", self.range_error)
        return cleaned


class BoundedDaysMixin:
    """``since`` and ``until`` between FIRST_DAY and LAST_DAY."""

    def _bounded_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                f"Enter a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
            )
        return day

    def clean_since(self) -> date | None:
        return self._bounded_day("since")

    def clean_until(self) -> date | None:
        return self._bounded_day("until")


class FilterErrorsMixin:
    """A bad filter is an error to show, never a filter silently dropped (which would list, or
    export, every row): each invalid widget points at its message (``errors-<name>`` on the
    page) and ``problems()`` words them all on one line for a CSV export's 400."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"errors-{name}"}
                )

    def problems(self) -> str:
        return "; ".join(
            f"{self[name].label if name in self.fields else 'Filter'}: {' '.join(errors)}"
            for name, errors in self.errors.items()
        )


class RequestKeyMixin:
    """The page's key for this submission (a UUID in a hidden ``request_key`` field) becomes the
    idempotency key of what the form sends: submitting it twice is one request."""

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["request_key"] = uuid.UUID(cleaned.get("request_key") or "").hex
        except ValueError:
            self.add_error(None, "This form is out of date or damaged: reload the page.")
        return cleaned


class ProblemsMixin:
    """A service's refusals (objects with ``field`` and ``message``), each on the field it
    names, or on the form as a whole when it names none of the form's fields."""

    def add_problems(self, problems) -> None:
        for p in problems:
            self.add_error(p.field if p.field in self.fields else None, p.message)

    def submitted(self, service, **context) -> bool:
        """Whether the form is valid and ``service(**context, **self.service_kwargs())`` went
        through; what it answered is ``self.outcome``. Its refusal lands on the form."""
        if not self.is_valid():
            return False
        try:
            self.outcome = service(**context, **self.service_kwargs())
        except Refused as exc:
            self.add_problems(exc.problems)
            return False
        return True

    def service_kwargs(self) -> dict:
        """The service's own arguments: the cleaned fields, unless the form says otherwise."""
        return dict(self.cleaned_data)
