"""The large-order confirmation gate, and the thresholds that decide when it closes.

Every way of placing an order goes through ``order_place`` here, whichever page or script asked:
the order is checked against the symbol's filters and the free balance it draws on; one worth
more than the user's thresholds (or one that could not be checked at all) is refused until it is
confirmed. Only then does ``services.order_place`` commit the intent and send it. Neither
refusal sends anything or writes a row.

The gate is a rule of placing orders, so it belongs with ``services.order_place``; it has a
module of its own while the order service moves onto the shared intent kit.
"""

from __future__ import annotations

from decimal import Decimal

import binanceus
from accounts.models import ExchangeConnection
from trading.models import Order, TradingPreference
from trading.orders import checks, services


class OrderNotPlaced(Exception):
    """Refused before anything was sent."""


class OrderProblems(OrderNotPlaced):
    """The exchange would refuse it: its filters, or more than the free balance."""

    def __init__(self, problems: list[binanceus.FilterProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class ConfirmationNeeded(OrderNotPlaced):
    """Large enough (or unchecked) that the user must confirm it; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def order_place(
    *,
    user,
    connection: ExchangeConnection,
    client_order_id: str,
    request: services.OrderRequest,
    confirmed: bool,
    ip: str | None = None,
) -> Order:
    """Check, ask for confirmation if the order needs it, then place it once."""
    result = checks.ticket_check(user=user, connection=connection, request=request)
    if result.problems:
        raise OrderProblems(result.problems)
    if result.confirm_reason and not confirmed:
        raise ConfirmationNeeded(result.confirm_reason)
    return services.order_place(
        user=user, connection=connection, client_order_id=client_order_id, request=request, ip=ip
    )


def trading_preference_save(
    *,
    user,
    confirm_notional_over: Decimal,
    confirm_balance_percent_over: Decimal,
    order_transport: str = "",
) -> TradingPreference:
    """The user's thresholds: an order worth more than ``confirm_notional_over`` (quote units),
    or spending more than ``confirm_balance_percent_over`` % of a free balance, is confirmed.
    ``order_transport`` (when given) is the way orders go."""
    fields = {
        "confirm_notional_over": confirm_notional_over,
        "confirm_balance_percent_over": confirm_balance_percent_over,
    }
    if order_transport:
        fields["order_transport"] = order_transport
    pref, _ = TradingPreference.objects.update_or_create(user=user, defaults=fields)
    return pref
