"""The Wallet page's forms: the history filters and the deposit-address picker. Both are read
from the query string (GET), so a filtered page or an address can be bookmarked."""

from __future__ import annotations

from django import forms

from desk.forms import BoundedDaysMixin, DateRangeMixin, FilterErrorsMixin, day_field
from wallet.activity.models import ActivityState
from wallet.activity.reads import Catalogue
from wallet.activity.selectors import ActivityFilters

MASTER = ""
INVALID_DAY = "Enter a real date as YYYY-MM-DD."


class ActivityFilterForm(FilterErrorsMixin, BoundedDaysMixin, DateRangeMixin, forms.Form):
    """A bad filter is an error to show, never a filter silently dropped (which would list, or
    export, every row)."""

    range_error = "Must be on or after the “from” date."

    coin = forms.ChoiceField(
        label="Coin",
        required=False,
        error_messages={"invalid_choice": "No deposits or withdrawals of that coin: pick one."},
    )
    state = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *ActivityState.choices],
        error_messages={"invalid_choice": "Pick a status from the list."},
    )
    since = day_field("From (UTC)", invalid=INVALID_DAY)
    until = day_field("To (UTC)", invalid=INVALID_DAY)

    def __init__(self, *args, coins: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coin"].choices = [("", "All coins"), *[(c, c) for c in coins]]

    def filters(self) -> ActivityFilters:
        """The filters asked for (none for an unbound form); only for a valid form."""
        if not self.is_bound:
            return ActivityFilters()
        d = self.cleaned_data
        return ActivityFilters(
            coin=d.get("coin") or "",
            state=d.get("state") or "",
            since=d.get("since"),
            until=d.get("until"),
        )


def asset_value(coin: str, network: str) -> str:
    return f"{coin}:{network}"


class DepositAddressForm(FilterErrorsMixin, forms.Form):
    """Which address to show: a coin on one of its networks with deposits open, for the master
    or one of its sub-accounts."""

    deposit_asset = forms.ChoiceField(
        label="Coin and network",
        error_messages={
            "required": "Pick a coin and network.",
            "invalid_choice": "Deposits of that coin on that network are closed: pick one listed.",
        },
    )
    deposit_account = forms.ChoiceField(
        label="Into account",
        required=False,
        error_messages={"invalid_choice": "Not this connection's account or sub-account."},
    )

    def __init__(self, *args, catalogue: Catalogue, emails: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        groups = []
        for coin in sorted(catalogue.coins, key=lambda c: c.coin):
            nets = [
                (asset_value(coin.coin, n.network), f"{coin.coin} on {n.name or n.network}")
                for n in coin.networks
                if coin.deposit_all_enable and n.deposit_enable
            ]
            if nets:
                groups.append((coin.coin, nets))
        self.fields["deposit_asset"].choices = [("", "Pick a coin and network"), *groups]
        self.fields["deposit_account"].choices = [
            (MASTER, "Master account"),
            *[(e, e) for e in emails],
        ]

    def picked(self) -> tuple[str, str, str]:
        """(coin, network, sub-account email or "" for the master); only for a valid form."""
        coin, _, network = self.cleaned_data["deposit_asset"].partition(":")
        return coin, network, self.cleaned_data.get("deposit_account") or MASTER
