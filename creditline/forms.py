"""The transfer form. Quantities are Decimal from the browser's text onwards; the credit line's
own rules (flags, free balance, what may leave at the current LTV) are the service's
(``checks``)."""

from __future__ import annotations

import uuid

from django import forms

from creditline.models import TransferType
from desk.forms import ProblemsMixin, RequestKeyMixin
from transfers.forms import AmountField


class TransferForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    transfer_type = forms.ChoiceField(label="Direction", choices=TransferType.choices)
    asset = forms.ChoiceField(label="Asset")
    quantity = AmountField(label="Quantity")
    # Checked in clean(): a hidden field's own error would not be shown to anyone.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assets: list[str], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = [(a, a) for a in assets]

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError("must be more than zero")
        return quantity

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "transfer_type": c["transfer_type"],
            "asset": c["asset"],
            "quantity": c["quantity"],
            "request_key": c["request_key"],
        }
