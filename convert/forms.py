"""The quote, accept and dust forms. Amounts are Decimal from the browser's text onwards; the
pair's bounds, the balances and what the exchange calls dust are the services' (``checks``)."""

from __future__ import annotations

import re
import uuid

from django import forms

from convert.reads import DUST_TARGETS
from desk.forms import ProblemsMixin, RequestKeyMixin
from transfers.forms import AmountField

ASSET_RE = re.compile(r"[A-Z0-9]{1,20}")
AMOUNT_SIDES = (("from", "what I convert"), ("to", "what I receive"))


class QuoteForm(ProblemsMixin, forms.Form):
    from_coin = forms.ChoiceField(label="Convert")
    to_coin = forms.ChoiceField(label="Into")
    request_amount = AmountField(label="Amount")
    amount_in = forms.ChoiceField(
        label="The amount is", choices=AMOUNT_SIDES, initial="from", widget=forms.RadioSelect
    )

    def __init__(self, *args, coins: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("from_coin", "to_coin"):
            self.fields[name].choices = [(c, c) for c in coins]

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        side = c["from_coin"] if c["amount_in"] == "from" else c["to_coin"]
        return {
            "from_coin": c["from_coin"],
            "to_coin": c["to_coin"],
            "request_coin": side,
            "request_amount": c["request_amount"],
        }


class AcceptForm(ProblemsMixin, forms.Form):
    quote_id = forms.CharField(max_length=64, widget=forms.HiddenInput)


class AssetsField(forms.MultipleChoiceField):
    """Any well-formed asset is a choice: whether it is still dust is the exchange's answer at
    sending (the service checks it), not the list the page showed a moment ago."""

    def valid_value(self, value) -> bool:
        return bool(ASSET_RE.fullmatch(str(value)))


class DustForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    to_asset = forms.ChoiceField(label="Into", choices=[(t, t) for t in DUST_TARGETS])
    from_assets = AssetsField(
        label="Assets to convert", widget=forms.CheckboxSelectMultiple, required=False
    )
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assets: list[str], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["from_assets"].choices = [(a, a) for a in assets]

    def clean_from_assets(self):
        assets = self.cleaned_data["from_assets"]
        if not assets:
            raise forms.ValidationError("tick at least one asset to convert")
        return assets

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "from_assets": list(c["from_assets"]),
            "to_asset": c["to_asset"],
            "request_key": c["request_key"],
        }
