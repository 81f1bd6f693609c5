"""Checking an order before anything is sent: the symbol's filters (one implementation,
``binanceus.check_order`` / ``check_oco``), whether the free balance covers it, and whether it
is large enough to need a confirmation. The ticket, the amend form and the OCO form all come
through here, so an order the desk can tell will fail is never sent."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import binanceus
from accounts import crypto
from accounts.models import ExchangeConnection
from desk import exchange_reads
from desk.money import plain
from trading.models import Order
from trading.orders.selectors import free_balance, preference_read_with, trading_preference
from trading.orders.services import OcoRequest, OrderRequest

log = logging.getLogger(__name__)

# Why the exchange cannot be asked for a symbol's rules right now.
UNREADABLE = (binanceus.BinanceUSError, crypto.CredentialsUnavailable, KeyError)
SHOWN_PLACES = Decimal("1E-8")  # amounts in messages: enough for every asset the desk shows


@dataclass(frozen=True)
class TicketCheck:
    problems: list[binanceus.FilterProblem]
    notional: Decimal | None
    confirm_reason: str | None
    unavailable: str | None = None  # the exchange could not be asked: nothing was checked


def symbol_assets(*, connection: ExchangeConnection, symbol: str) -> dict[str, str] | None:
    """{"base": "BTC", "quote": "USD"} for the ticket's balance line; None if unknown now."""
    try:
        rules, _ = exchange_reads.rules_and_price(connection, symbol)
    except UNREADABLE:
        return None
    return {"base": rules.base_asset, "quote": rules.quote_asset}


class FreeBalances:
    """A connection's free balances, each read once: the funds rule and the confirmation rule
    of one check ask for the same asset."""

    def __init__(self, connection: ExchangeConnection) -> None:
        self.connection = connection
        self._read: dict[str, Decimal | None] = {}

    def __call__(self, asset: str) -> Decimal | None:
        if asset not in self._read:
            self._read[asset] = free_balance(connection=self.connection, asset=asset)
        return self._read[asset]


def ticket_check(*, user, connection: ExchangeConnection, request: OrderRequest) -> TicketCheck:
    """Every filter problem of the order (and a shortfall of the free balance it draws on), its
    notional, and why it needs confirming (if so: only asked once nothing else is wrong)."""
    try:
        rules, avg = exchange_reads.rules_and_price(connection, request.symbol)
    except UNREADABLE as exc:
        log.info("ticket check unavailable: %s", type(exc).__name__)
        # Unchecked means its size is unchecked too: the confirmation gate must not open.
        return TicketCheck(
            [],
            None,
            "The exchange's rules could not be read, so this order was not checked.",
            unavailable="The exchange's rules are unavailable.",
        )
    problems = _order_problems(rules, request, avg)
    free = FreeBalances(connection)
    _add_funds_problem(
        problems,
        funds_problem(connection=connection, rules=rules, request=request, avg=avg, free=free),
    )
    notional = order_notional(request, avg)
    reason = None
    if not problems:
        reason = _confirm_reason(user, connection, free, request, rules, notional, avg)
    return TicketCheck(problems, notional, reason)


def _order_problems(
    rules: binanceus.SymbolRules, request: OrderRequest, avg: Decimal | None
) -> list[binanceus.FilterProblem]:
    return binanceus.check_order(
        rules,
        side=request.side,
        type=request.type,
        quantity=request.quantity,
        quote_order_qty=request.quote_order_qty,
        price=request.price,
        stop_price=request.stop_price,
        trailing_delta=request.trailing_delta,
        iceberg_qty=request.iceberg_qty,
        avg_price=avg,
    )


def replace_check(*, order: Order, request: OrderRequest) -> list[binanceus.FilterProblem]:
    """Problems of ``request``, the amended copy of ``order``: the symbol's filters, and the free
    balance plus what canceling ``order`` releases. Nothing is known (and nothing found) while
    the exchange's rules cannot be read: the exchange then has the last word, as always."""
    try:
        rules, avg = exchange_reads.rules_and_price(order.connection, order.symbol)
    except UNREADABLE as exc:
        log.info("replace check unavailable: %s", type(exc).__name__)
        return []
    problems = _order_problems(rules, request, avg)
    released = released_by_cancel(order)
    _add_funds_problem(
        problems,
        funds_problem(
            connection=order.connection, rules=rules, request=request, avg=avg, released=released
        ),
    )
    return problems


def oco_check(
    *, connection: ExchangeConnection, request: OcoRequest
) -> list[binanceus.FilterProblem]:
    """Problems of an OCO: both legs' filters and the price order its side needs."""
    try:
        rules, avg = exchange_reads.rules_and_price(connection, request.symbol)
    except UNREADABLE as exc:
        log.info("OCO check unavailable: %s", type(exc).__name__)
        return []
    problems = binanceus.check_oco(
        rules,
        side=request.side,
        quantity=request.quantity,
        price=request.price,
        stop_price=request.stop_price,
        stop_limit_price=request.stop_limit_price,
        avg_price=avg,
    )
    _add_funds_problem(problems, _oco_funds_problem(connection, rules, request))
    return problems


def _add_funds_problem(
    problems: list[binanceus.FilterProblem], short: binanceus.FilterProblem | None
) -> None:
    """A shortfall is reported only on a field no filter already complained about: one message
    per field, the filter's first (a wrong quantity makes its cost meaningless)."""
    if short is not None and short.field not in {p.field for p in problems}:
        problems.append(short)


def _oco_funds_problem(
    connection: ExchangeConnection, rules: binanceus.SymbolRules, request: OcoRequest
) -> binanceus.FilterProblem | None:
    """One lock covers both legs: a SELL its quantity of the base asset, a BUY the dearer leg
    in the quote asset (as the exchange locks it)."""
    free = FreeBalances(connection)
    if request.side == "SELL":
        return _shortfall(free, rules.base_asset, request.quantity, "quantity")
    dearest = max(request.price, request.stop_limit_price or request.stop_price)
    return _shortfall(free, rules.quote_asset, request.quantity * dearest, "quantity")


def released_by_cancel(order: Order) -> Decimal:
    """What canceling ``order`` gives back to the free balance: the quote a BUY holds for its
    unfilled part, the base a SELL holds."""
    if not order.is_open or order.orig_qty is None:
        return Decimal(0)
    left = max(order.orig_qty - (order.executed_qty or Decimal(0)), Decimal(0))
    if order.side == "BUY":
        return left * (order.price or Decimal(0))
    return left


def funds_problem(
    *,
    connection: ExchangeConnection,
    rules: binanceus.SymbolRules,
    request: OrderRequest,
    avg: Decimal | None,
    released: Decimal = Decimal(0),
    free: FreeBalances | None = None,
) -> binanceus.FilterProblem | None:
    """The order needs more than the free balance it draws on (a BUY the quote asset, a SELL
    the base asset), plus ``released``; None when it does not, or the balance is unknown. A
    market order's need is estimated at the average price. ``free``: the check's balances."""
    by_quote = request.quote_order_qty is not None
    if request.side == "BUY":
        asset, need = rules.quote_asset, order_notional(request, avg)
        estimated = request.type == "MARKET" and not by_quote
    else:
        asset, need = rules.base_asset, request.quantity
        estimated = by_quote
        if by_quote:
            need = _base(request.quote_order_qty, avg)
    field = "quote_order_qty" if by_quote else "quantity"
    return _shortfall(
        free or FreeBalances(connection), asset, need, field, released=released, estimated=estimated
    )


def _shortfall(
    balances: FreeBalances,
    asset: str,
    need: Decimal | None,
    field: str,
    *,
    released: Decimal = Decimal(0),
    estimated: bool = False,
) -> binanceus.FilterProblem | None:
    free = balances(asset)
    if need is None or free is None or need <= free + released:
        return None
    about = "about " if estimated else ""
    held = f" and canceling the order gives back {_shown(released)} {asset}" if released else ""
    message = (
        f"Not enough {asset}: this order needs {about}{_shown(need)} {asset}; "
        f"{_shown(free)} {asset} is free{held}."
    )
    return binanceus.FilterProblem(field, "BALANCE", message)


def _shown(amount: Decimal) -> str:
    if amount.as_tuple().exponent < SHOWN_PLACES.as_tuple().exponent:
        amount = amount.quantize(SHOWN_PLACES, rounding=ROUND_CEILING)
    return plain(amount)


def problem_errors(
    problems: Iterable[binanceus.FilterProblem], fields: Collection[str]
) -> dict[str, list[str]]:
    """One message per form field (the first problem found: the exchange checks in the same
    order); a problem with no field of its own on the form goes under ``__all__``."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        text = p.message[:1].upper() + p.message[1:]
        if p.field in fields:
            errors.setdefault(p.field, [text])
        elif text not in errors.setdefault("__all__", []):
            errors["__all__"].append(text)
    return errors


def order_notional(request: OrderRequest, avg_price: Decimal | None) -> Decimal | None:
    """What the order is worth in the quote asset (market orders at the average price)."""
    if request.quote_order_qty is not None:
        return request.quote_order_qty
    price = request.price if request.price is not None else avg_price
    if price is None or request.quantity is None:
        return None
    return request.quantity * price


def _confirm_reason(
    user,
    connection: ExchangeConnection,
    free_of: FreeBalances,
    request: OrderRequest,
    rules: binanceus.SymbolRules,
    notional: Decimal | None,
    avg: Decimal | None,
) -> str | None:
    if notional is None:
        return None
    pref = preference_read_with(connection) or trading_preference(user=user)
    quote = rules.quote_asset
    if notional > pref.confirm_notional_over:
        return (
            f"This order is worth about {plain(notional)} {quote}, over your confirmation "
            f"threshold of {plain(pref.confirm_notional_over)} {quote}."
        )
    if request.side == "BUY":
        asset, spend = quote, notional
    else:
        asset = rules.base_asset
        spend = request.quantity if request.quantity is not None else _base(notional, avg)
    free = free_of(asset)
    if free and spend is not None and spend * 100 > free * pref.confirm_balance_percent_over:
        share = (spend * 100 / free).quantize(Decimal("0.1"))
        return (
            f"This order uses {share}% of your free {asset} "
            f"(over your {plain(pref.confirm_balance_percent_over)}% threshold)."
        )
    return None


def _base(notional: Decimal, avg: Decimal | None) -> Decimal | None:
    return notional / avg if avg else None
