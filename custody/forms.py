"""Input checks for the Custody tab's forms. Amounts are Decimal from the browser's text
onwards; the exchange's rules (eligible assets, precision, what is free) are the service's
(``checks``). Each form's hidden key becomes the transfer's ``clientOrderId``."""

from __future__ import annotations

import uuid

from django import forms

from custody.models import TransferKind
from desk.forms import ProblemsMixin, RequestKeyMixin
from desk.money import plain
from transfers.forms import AmountField


class TransferForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    """A transfer into custody, from the exchange wallet or from the custodial partner. Both
    are on one page: each gives its inputs ids of its own (``id_wallet_amount``)."""

    asset = forms.ChoiceField()
    amount = AmountField(label="Amount")
    # Checked in clean(): a hidden field's own error would not be shown to anyone.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assets: list[str], kind: str, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, auto_id=f"id_{kind}_%s", **kwargs)
        self.kind = kind
        self.fields["asset"].choices = [(a, a) for a in assets]

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
            "client_order_id": c["request_key"],
        }


class UndoForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    """Undo one of the connection's recent partner transfers."""

    origin = forms.TypedChoiceField(label="Partner transfer", coerce=int)
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, undoable, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, auto_id=f"id_{TransferKind.UNDO}_%s", **kwargs)
        self.fields["origin"].choices = [
            (t.pk, f"{plain(t.amount)} {t.asset} · {t.transfer_id} · {t.created_at:%Y-%m-%d %H:%M}")
            for t in undoable
        ]

    def service_kwargs(self) -> dict:
        return {"origin_id": self.cleaned_data["origin"],
                "request_key": self.cleaned_data["request_key"]}  # fmt: skip
