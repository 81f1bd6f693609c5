"""The order ticket, the replace form and the OCO form: types and per-type required fields.

The symbol's own filters (tick size, lot size, notional, percent price…) are checked by
``binanceus.check_order`` in ``trading.orders.checks``; these forms make sure the fields an
order type needs are there, and drop the ones it does not take."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator

from trading.orders.services import OcoRequest, OrderRequest

CLIENT_ID = RegexValidator(
    r"^[.A-Z:/a-z0-9_-]{1,36}$", "1–36 letters, digits or . : / _ - (the exchange's rule)."
)
SIDES = [("BUY", "Buy"), ("SELL", "Sell")]
TYPES = [
    ("LIMIT", "Limit"),
    ("MARKET", "Market"),
    ("STOP_LOSS_LIMIT", "Stop-loss limit"),
    ("TAKE_PROFIT_LIMIT", "Take-profit limit"),
    ("LIMIT_MAKER", "Limit maker (post-only)"),
]
TIME_IN_FORCE = [
    ("GTC", "GTC — good till canceled"),
    ("IOC", "IOC — immediate or cancel"),
    ("FOK", "FOK — fill or kill"),
]
STP_MODES = [
    ("", "Exchange default"),
    ("EXPIRE_TAKER", "Expire taker"),
    ("EXPIRE_MAKER", "Expire maker"),
    ("EXPIRE_BOTH", "Expire both"),
    ("NONE", "None"),
]
STOP_TYPES = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
# Which fields each type takes (anything else typed into the ticket is dropped).
_LIMIT_FIELDS = {"quantity", "price", "time_in_force", "iceberg_qty"}
TYPE_FIELDS = {
    "LIMIT": _LIMIT_FIELDS,
    "MARKET": {"quantity", "quote_order_qty"},
    "STOP_LOSS_LIMIT": _LIMIT_FIELDS | {"stop_price", "trailing_delta"},
    "TAKE_PROFIT_LIMIT": _LIMIT_FIELDS | {"stop_price", "trailing_delta"},
    "LIMIT_MAKER": {"quantity", "price", "iceberg_qty"},
}


def _money(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=30,
        decimal_places=18,
        min_value=Decimal("0"),
        **kwargs,
    )


class OrderTicketForm(forms.Form):
    client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    side = forms.ChoiceField(choices=SIDES, widget=forms.RadioSelect, initial="BUY")
    type = forms.ChoiceField(choices=TYPES, initial="LIMIT", label="Order type")
    market_by = forms.ChoiceField(
        choices=[("quantity", "Quantity"), ("quote", "Quote amount")],
        initial="quantity",
        required=False,
        label="Market order by",
    )
    trigger = forms.ChoiceField(
        choices=[("stop_price", "Stop price"), ("trailing_delta", "Trailing delta")],
        initial="stop_price",
        required=False,
        label="Trigger",
    )
    price = _money("Limit price")
    quantity = _money("Quantity")
    quote_order_qty = _money("Quote amount")
    stop_price = _money("Stop price")
    trailing_delta = forms.IntegerField(
        label="Trailing delta (BIPS)", required=False, min_value=1, max_value=2000
    )
    time_in_force = forms.ChoiceField(
        choices=TIME_IN_FORCE, initial="GTC", required=False, label="Time in force"
    )
    iceberg_qty = _money("Iceberg visible qty")
    self_trade_prevention_mode = forms.ChoiceField(
        choices=STP_MODES, required=False, label="Self-trade prevention"
    )
    confirm_large = forms.BooleanField(required=False, label="I confirm this large order")

    def __init__(self, *args, symbol: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.symbol = symbol

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if kind not in TYPE_FIELDS:
            return data
        wanted = set(TYPE_FIELDS[kind])
        if kind == "MARKET":
            wanted &= {"quote_order_qty"} if data.get("market_by") == "quote" else {"quantity"}
        if kind in STOP_TYPES:
            by_delta = data.get("trigger") == "trailing_delta"
            wanted -= {"stop_price"} if by_delta else {"trailing_delta"}
        for name in set().union(*TYPE_FIELDS.values()) - wanted:
            data[name] = None
        for name in wanted - {"iceberg_qty"}:
            if data.get(name) in (None, ""):
                self.add_error(name, f"{self.fields[name].label} is required for {kind} orders.")
        for name in ("price", "quantity", "quote_order_qty", "stop_price"):
            if name in wanted and data.get(name) is not None and data[name] <= 0:
                self.add_error(name, f"{self.fields[name].label} must be greater than zero.")
        if data.get("iceberg_qty") and data.get("time_in_force") not in (None, "GTC"):
            self.add_error("iceberg_qty", "Iceberg orders must be GTC.")
        return data

    def to_request(self) -> OrderRequest:
        d = self.cleaned_data
        return OrderRequest(
            symbol=self.symbol,
            side=d["side"],
            type=d["type"],
            quantity=d.get("quantity"),
            quote_order_qty=d.get("quote_order_qty"),
            price=d.get("price"),
            stop_price=d.get("stop_price"),
            trailing_delta=d.get("trailing_delta"),
            time_in_force=d.get("time_in_force") or None,
            iceberg_qty=d.get("iceberg_qty") or None,
            self_trade_prevention_mode=d.get("self_trade_prevention_mode") or None,
        )


class ReplaceForm(forms.Form):
    """Amend price and/or quantity of an open order (cancel-replace)."""

    client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    price = _money("New price")
    quantity = _money("New quantity")

    def clean(self):
        data = super().clean()
        if not data.get("price") and not data.get("quantity"):
            raise forms.ValidationError("Give a new price or a new quantity.")
        return data


class OcoForm(forms.Form):
    list_client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    side = forms.ChoiceField(choices=SIDES, initial="SELL")
    quantity = _money("Quantity")
    price = _money("Limit price")
    stop_price = _money("Stop price")
    stop_limit_price = _money("Stop-limit price")
    stop_limit_time_in_force = forms.ChoiceField(
        choices=[("GTC", "GTC"), ("FOK", "FOK"), ("IOC", "IOC")],
        initial="GTC",
        label="Stop-limit time in force",
    )

    def __init__(self, *args, symbol: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.symbol = symbol

    def clean(self):
        data = super().clean()
        for name in ("quantity", "price", "stop_price", "stop_limit_price"):
            value = data.get(name)
            if value is None:
                self.add_error(name, f"{self.fields[name].label} is required.")
            elif value <= 0:
                self.add_error(name, f"{self.fields[name].label} must be greater than zero.")
        return data

    def to_request(self) -> OcoRequest:
        d = self.cleaned_data
        return OcoRequest(
            symbol=self.symbol,
            side=d["side"],
            quantity=d["quantity"],
            price=d["price"],
            stop_price=d["stop_price"],
            stop_limit_price=d["stop_limit_price"],
            stop_limit_time_in_force=d["stop_limit_time_in_force"],
        )


class PreferenceForm(forms.Form):
    confirm_notional_over = forms.DecimalField(
        label="Confirm orders worth more than (quote units)",
        min_value=Decimal("0"),
        max_digits=30,
        decimal_places=8,
    )
    confirm_balance_percent_over = forms.DecimalField(
        label="… or using more than this % of the free balance",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )
