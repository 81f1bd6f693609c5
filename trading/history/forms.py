from __future__ import annotations

import re

from django import forms

from desk.forms import BoundedDaysMixin, day_field
from trading.forms import FieldErrorsForm
from trading.history.selectors import HistoryFilters

SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")


class HistoryFilterForm(BoundedDaysMixin, FieldErrorsForm):
    error_elements_always = False
    symbol = forms.ChoiceField(
        label="Symbol",
        required=False,
        error_messages={
            "invalid_choice": "No history of that symbol here: pick one from the list."
        },
    )
    since = day_field("From (UTC)", iso_only=False)
    until = day_field("To (UTC)", iso_only=False)
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
