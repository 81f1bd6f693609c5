from __future__ import annotations

import re

from django import forms

from trading.history.selectors import HistoryFilters

SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}$")


class HistoryFilterForm(forms.Form):
    symbol = forms.ChoiceField(required=False)
    since = forms.DateField(
        label="From (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    side = forms.ChoiceField(
        required=False, choices=[("", "Both sides"), ("BUY", "Buy"), ("SELL", "Sell")]
    )

    def __init__(self, *args, symbols: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symbol"].choices = [("", "All symbols"), *[(s, s) for s in symbols]]

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


class SyncSymbolForm(forms.Form):
    symbol = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"placeholder": "e.g. ETHUSD"})
    )

    def __init__(self, *args, known: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known or set()

    def clean_symbol(self) -> str:
        symbol = self.cleaned_data["symbol"].strip().upper()
        if not SYMBOL_RE.match(symbol):
            raise forms.ValidationError("Letters and digits only, like BTCUSD.")
        if self.known and symbol not in self.known:
            raise forms.ValidationError(f"The exchange lists no trading symbol {symbol}.")
        return symbol
