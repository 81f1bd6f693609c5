"""The order ticket, the replace form, the OCO form and the other order actions' forms: types,
per-type required fields, and one clear message per field for anything that is not a usable
value (empty, garbage, NaN, Infinity, zero, negative, too precise, too large).

The symbol's own filters (tick size, lot size, notional, percent price…) are checked by
``binanceus.check_order`` in ``trading.orders.checks``; these forms make sure the fields an
order type needs are there, and drop the ones it does not take."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from trading.forms import FieldErrorsForm, FixedChoiceField
from trading.models import Order, OrderTransport
from trading.orders.services import OcoRequest, OrderRequest
from trading.selectors import market_symbols

CLIENT_ID = RegexValidator(
    r"^[.A-Z:/a-z0-9_-]{1,36}\Z",
    "This form's order id is not valid: reload the page for a fresh one.",
)
SYMBOL_RE = re.compile(r"[A-Z0-9]{2,20}")
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
# What a ticket amount may be: the money columns hold 38 digits, 18 of them decimals; no
# exchange price or quantity comes near 10^12.
AMOUNT_PLACES = 18
AMOUNT_WHOLE_DIGITS = 12


class AmountField(forms.DecimalField):
    """A positive amount (price or quantity), or nothing. One message per kind of problem, each
    naming the field; Django's own would say "no more than 30 digits" for 1e-400."""

    def __init__(self, label: str, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(
            label=label,
            error_messages={"invalid": f"{label}: enter a number, like 0.05."},
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)  # required; NaN and Infinity are not numbers
        if value is None:
            return
        if value <= 0:
            raise ValidationError(f"{self.label} must be greater than zero.", code="min_value")
        exact = value.normalize()
        if exact.as_tuple().exponent < -AMOUNT_PLACES:
            raise ValidationError(
                f"{self.label} has more than {AMOUNT_PLACES} decimal places.", code="places"
            )
        if exact.adjusted() >= AMOUNT_WHOLE_DIGITS:
            raise ValidationError(f"{self.label} is too large.", code="max_value")


class SymbolField(forms.CharField):
    """A symbol the market-data exchange lists (BTCUSD); checked against its cached list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("error_messages", {"required": "Which symbol?"})
        super().__init__(label="Symbol", **kwargs)

    def clean(self, value):
        symbol = (super().clean(value) or "").upper()
        if not symbol and not self.required:
            return ""
        if not SYMBOL_RE.fullmatch(symbol):
            raise ValidationError("Not a symbol: letters and digits only, like BTCUSD.")
        known = market_symbols()
        if known and symbol not in known:
            raise ValidationError(f"The exchange lists no symbol {symbol}.")
        return symbol


class OrderTicketForm(FieldErrorsForm):
    symbol = SymbolField()
    client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    side = FixedChoiceField(choices=SIDES, widget=forms.RadioSelect, initial="BUY")
    type = FixedChoiceField(choices=TYPES, initial="LIMIT", label="Order type")
    market_by = FixedChoiceField(
        choices=[("quantity", "Quantity"), ("quote", "Quote amount")],
        initial="quantity",
        required=False,
        label="Market order by",
    )
    trigger = FixedChoiceField(
        choices=[("stop_price", "Stop price"), ("trailing_delta", "Trailing delta")],
        initial="stop_price",
        required=False,
        label="Trigger",
    )
    price = AmountField("Limit price")
    quantity = AmountField("Quantity")
    quote_order_qty = AmountField("Quote amount")
    stop_price = AmountField("Stop price")
    trailing_delta = forms.IntegerField(
        label="Trailing delta (BIPS)", required=False, min_value=1, max_value=2000
    )
    time_in_force = FixedChoiceField(
        choices=TIME_IN_FORCE, initial="GTC", required=False, label="Time in force"
    )
    iceberg_qty = AmountField("Iceberg visible qty")
    self_trade_prevention_mode = FixedChoiceField(
        choices=STP_MODES, required=False, label="Self-trade prevention"
    )
    confirm_large = forms.BooleanField(required=False, label="I confirm this large order")

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
            self._errors.pop(name, None)  # dropped: what it held does not matter
        for name in wanted - {"iceberg_qty"} - set(self._errors):
            if data.get(name) in (None, ""):
                self.add_error(name, f"{self.fields[name].label} is required for {kind} orders.")
        if data.get("iceberg_qty") and data.get("time_in_force") not in (None, "GTC"):
            self.add_error("iceberg_qty", "Iceberg orders must be GTC.")
        return data

    def to_request(self) -> OrderRequest:
        d = self.cleaned_data
        return OrderRequest(
            symbol=d["symbol"],
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


def ticket_data_of(order: Order, *, client_order_id: str) -> dict[str, str]:
    """What the ticket would post to place ``order`` again as it was (what is left of it), under
    a new client order id: the inverse of ``OrderTicketForm.to_request``."""
    left = (order.orig_qty or Decimal(0)) - (order.executed_qty or Decimal(0))
    data = {
        "symbol": order.symbol,
        "client_order_id": client_order_id,
        "side": order.side,
        "type": order.type,
        "quantity": _text(left if left > 0 else order.orig_qty),
        "price": _text(order.price),
        "time_in_force": order.time_in_force if order.type != "LIMIT_MAKER" else "",
        "iceberg_qty": _text(order.iceberg_qty),
        "self_trade_prevention_mode": order.self_trade_prevention_mode,
        # Already confirmed once, and asked for again by name ("Place it again").
        "confirm_large": "on",
    }
    if order.type in STOP_TYPES:
        by_delta = order.trailing_delta is not None and order.stop_price is None
        data["trigger"] = "trailing_delta" if by_delta else "stop_price"
        data["stop_price"] = _text(order.stop_price)
        data["trailing_delta"] = "" if order.trailing_delta is None else str(order.trailing_delta)
    return {k: v for k, v in data.items() if v not in (None, "")}


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


class ReplaceForm(FieldErrorsForm):
    """Amend price and/or quantity of an open order (cancel-replace). An empty field keeps the
    order's value; whether anything changes at all is the service's question."""

    client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    price = AmountField("New price")
    quantity = AmountField("New quantity")


class OcoForm(FieldErrorsForm):
    symbol = SymbolField()
    list_client_order_id = forms.CharField(widget=forms.HiddenInput, validators=[CLIENT_ID])
    side = FixedChoiceField(choices=SIDES, initial="SELL")
    quantity = AmountField("Quantity")
    price = AmountField("Limit price")
    stop_price = AmountField("Stop price")
    stop_limit_price = AmountField("Stop-limit price")
    stop_limit_time_in_force = FixedChoiceField(
        choices=[("GTC", "GTC"), ("FOK", "FOK"), ("IOC", "IOC")],
        initial="GTC",
        label="Stop-limit time in force",
    )

    def clean(self):
        data = super().clean()
        for name in ("quantity", "price", "stop_price", "stop_limit_price"):
            if name not in self._errors and data.get(name) is None:
                self.add_error(name, f"{self.fields[name].label} is required.")
        return data

    def to_request(self) -> OcoRequest:
        # Every field of the request is a field of this form, by the same name.
        names = [f.name for f in dataclasses.fields(OcoRequest)]
        return OcoRequest(**{name: self.cleaned_data[name] for name in names})


class SymbolForm(forms.Form):
    """Cancel-all's symbol; open.json's optional symbol filter."""

    symbol = SymbolField()

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symbol"].required = required


class PreferenceForm(FieldErrorsForm):
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
    # Optional: a form that leaves it out keeps the user's choice as it is.
    order_transport = FixedChoiceField(
        label="Send orders over",
        choices=[
            (OrderTransport.WS, "the WebSocket API (REST while its session is down)"),
            (OrderTransport.REST, "REST"),
        ],
        required=False,
    )
