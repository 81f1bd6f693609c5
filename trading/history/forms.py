from __future__ import annotations

import re
from datetime import date

from django import forms

from trading.forms import FieldErrorsForm
from trading.history.selectors import HistoryFilters

SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")
# The days a filter may name: exchange history starts long after the first, and a day past the
# last would not fit in a datetime (the range ends the day after "to").
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _day(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class HistoryFilterForm(FieldErrorsForm):
    error_elements_always = False
    symbol = forms.ChoiceField(
        label="Symbol",
        required=False,
        error_messages={
            "invalid_choice": "No history of that symbol here: pick one from the list."
        },
    )
    since = _day("From (UTC)")
    until = _day("To (UTC)")
    side = forms.ChoiceField(
        label="Side",
        required=False,
        choices=[("", "Both sides"), ("BUY", "Buy"), ("SELL", "Sell")],
        error_messages={"invalid_choice": "Choose Buy, Sell or both sides."},
    )

    def __init__(self, *args, symbols: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symbol"].choices = [("", "All symbols"), *[(s, s) for s in symbols]]
        for field in self.fields.values():  # the filter bar shows no labels of its own
            field.widget.attrs["aria-label"] = field.label

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                f"Enter a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
            )
        return day

    def clean_since(self) -> date | None:
        return self._clean_day("since")

    def clean_until(self) -> date | None:
        return self._clean_day("until")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "Must be on or after the “from” date.")
        return data

    def filters(self) -> HistoryFilters:
        d = self.cleaned_data
        return HistoryFilters(
            symbol=d.get("symbol") or "",
            since=d.get("since"),
            until=d.get("until"),
            side=d.get("side") or "",
        )


class SyncSymbolForm(FieldErrorsForm):
    error_elements_always = False
    symbol = forms.CharField(
        label="Symbol",
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. ETHUSD", "aria-label": "Symbol to sync"}
        ),
        error_messages={
            "required": "Which symbol? Type one, like ETHUSD.",
            "max_length": "Too long for a symbol: at most 20 letters and digits.",
        },
    )

    def __init__(self, *args, known: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known or set()

    def clean_symbol(self) -> str:
        symbol = self.cleaned_data["symbol"].strip().upper()
        if not SYMBOL_RE.fullmatch(symbol):
            raise forms.ValidationError("Letters and digits only, like BTCUSD.")
        if self.known and symbol not in self.known:
            raise forms.ValidationError(f"The exchange lists no trading symbol {symbol}.")
        return symbol
