"""The custodial order ticket: the trading ticket's form (``trading.orders.forms``), its
fields and per-type rules, narrowed to what a custodial order takes (no iceberg, stop or
self-trade prevention parameter reaches ``POST /sapi/v1/custodian/order`` from the desk), with
the symbol to choose and ``allowExpressTrade``.

``client_order_id`` keeps the trading ticket's name so its script renews it after each order,
but here it is the form's request key only: the exchange takes no client id for a custodial
order (L8167-8180), and the key never leaves the desk."""

from __future__ import annotations

import uuid

from django import forms

from desk import exchange_reads
from desk.forms import ProblemsMixin
from trading.orders.forms import OrderTicketForm, SymbolField

TYPES = [("LIMIT", "Limit"), ("MARKET", "Market"), ("LIMIT_MAKER", "Limit maker (post-only)")]
TYPE_FIELDS = {
    "LIMIT": ["price", "quantity", "time_in_force"],
    "MARKET": ["quantity", "quote_order_qty"],
    "LIMIT_MAKER": ["price", "quantity"],
}
# Shown whatever the type (the ticket's script hides the other fields per type).
ALWAYS = ("symbol", "allow_express_trade")
DEFAULT_SYMBOL = "BTCUSD"


def new_request_key() -> str:
    return uuid.uuid4().hex


class CustodialTicketForm(ProblemsMixin, OrderTicketForm):
    symbol = SymbolField(widget=forms.Select)
    type = forms.ChoiceField(choices=TYPES, initial="LIMIT", label="Order type")
    allow_express_trade = forms.BooleanField(
        required=False, label="Express trade: take a shortfall from the custodial partner"
    )
    # The trading ticket's fields a custodial order from the desk does not take.
    trigger = stop_price = trailing_delta = iceberg_qty = None
    self_trade_prevention_mode = confirm_large = None

    def __init__(self, *args, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("client_order_id", new_request_key())
        initial.setdefault("symbol", DEFAULT_SYMBOL)
        super().__init__(*args, **kwargs)
        pairs = exchange_reads.symbol_pairs()
        self.fields["symbol"].widget.choices = [
            (s, f"{s} ({base}/{quote})") for s, (base, quote) in sorted(pairs.items())
        ]
        self.pairs = pairs

    def clean(self):
        data = super().clean()
        data.setdefault("confirm_large", False)
        return data

    def service_kwargs(self) -> dict:
        return {
            "request_key": self.cleaned_data["client_order_id"],
            "request": self.to_request(),
            "allow_express_trade": self.cleaned_data["allow_express_trade"],
        }


def ticket_fields() -> dict[str, list[str]]:
    """What the ticket's script shows per type (``trading/_ticket.html``'s ``ticket_fields``)."""
    return {kind: sorted(names) for kind, names in TYPE_FIELDS.items()}
