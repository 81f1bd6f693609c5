"""Input checks for the withdrawal pages. Amounts are Decimal from the browser's text onwards;
the exchange's own rules (catalogue, balance, cool-off) are the service's (``checks``)."""

from __future__ import annotations

import unicodedata
import uuid

from django import forms

from desk.forms import ProblemsMixin, RequestKeyMixin
from transfers.forms import AmountField
from wallet.withdrawals.models import AddressBookEntry
from wallet.withdrawals.services import COOL_OFF_HOURS, DEFAULT_COOL_OFF_HOURS


def _printable(value: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise forms.ValidationError("no control characters (line breaks, tabs…)")
    return value


def _choices(names) -> list[tuple[str, str]]:
    return [(n, n) for n in names]


class AddressForm(ProblemsMixin, forms.Form):
    label = forms.CharField(max_length=100, help_text="Your name for it, e.g. “Cold wallet”.")
    coin = forms.ChoiceField()
    network = forms.ChoiceField()
    address = forms.CharField(
        max_length=128, help_text="A BITGO payment account for USD.", label="Address"
    )
    memo = forms.CharField(
        max_length=128, required=False, label="Memo / tag", help_text="Only networks that use one."
    )
    cool_off_hours = forms.TypedChoiceField(
        coerce=int,
        choices=[(h, f"{h} hour{'s' if h > 1 else ''}") for h in COOL_OFF_HOURS],
        initial=DEFAULT_COOL_OFF_HOURS,
        label="Usable after",
        help_text="A new address can be used only after this wait.",
    )

    def __init__(self, *args, coins: list[tuple[str, list[str]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coin"].choices = _choices(c for c, _ in coins)
        self.fields["network"].choices = _choices(sorted({n for _, nets in coins for n in nets}))

    def clean_label(self) -> str:
        return _printable(self.cleaned_data["label"].strip())

    def clean_address(self) -> str:
        return _printable(self.cleaned_data["address"].strip())

    def clean_memo(self) -> str:
        return _printable(self.cleaned_data["memo"].strip())

    def service_kwargs(self) -> dict:
        names = ("coin", "network", "address", "memo", "label", "cool_off_hours")
        return {n: self.cleaned_data[n] for n in names}


class WithdrawForm(RequestKeyMixin, ProblemsMixin, forms.Form):
    coin = forms.ChoiceField()
    network = forms.ChoiceField()
    address = forms.ModelChoiceField(
        queryset=AddressBookEntry.objects.none(), label="To", empty_label=None
    )
    amount = AmountField(label="Amount", help_text="What leaves your balance; the fee is in it.")
    # Checked in clean(): a hidden field's own error would not be shown to anyone.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, coins: list[tuple[str, list[str]]], entries, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["coin"].choices = _choices(c for c, _ in coins)
        self.fields["network"].choices = _choices(sorted({n for _, nets in coins for n in nets}))
        self.fields["address"].queryset = entries
        self.fields["address"].label_from_instance = _entry_label

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("must be more than zero")
        return amount

    def service_kwargs(self) -> dict:
        c = self.cleaned_data
        return {
            "entry": c["address"],
            "coin": c["coin"],
            "network": c["network"],
            "amount": c["amount"],
            "request_key": c["request_key"],
        }


def _entry_label(entry: AddressBookEntry) -> str:
    memo = f" memo {entry.memo}" if entry.memo else ""
    return f"{entry.label}: {entry.coin} on {entry.network}, {entry.address}{memo}"
