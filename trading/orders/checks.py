"""Checking a ticket before anything is sent: the symbol's filters (one implementation,
``binanceus.check_order``) and whether the order is large enough to need a confirmation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection
from accounts.models import ExchangeConnection
from desk.money import plain
from trading.orders.selectors import free_balance, trading_preference
from trading.orders.services import OrderRequest

log = logging.getLogger(__name__)

RULES_SECONDS = 300  # exchangeInfo changes rarely
AVG_PRICE_SECONDS = 5


@dataclass(frozen=True)
class TicketCheck:
    problems: list[binanceus.FilterProblem]
    notional: Decimal | None
    confirm_reason: str | None
    unavailable: str | None = None  # the exchange could not be asked: nothing was checked


def _rules_and_price(
    connection: ExchangeConnection, symbol: str
) -> tuple[binanceus.SymbolRules, Decimal | None]:
    rules_key = f"desk:rules:{connection.environment}:{symbol}"
    price_key = f"desk:avg-price:{connection.environment}:{symbol}"
    rules, avg = cache.get(rules_key), cache.get(price_key)
    if rules is None or avg is None:
        with client_for_connection(connection) as client:
            if rules is None:
                rules = client.symbol_rules(symbol)
                cache.set(rules_key, rules, timeout=RULES_SECONDS)
            if avg is None:
                avg = client.avg_price(symbol).price
                cache.set(price_key, avg, timeout=AVG_PRICE_SECONDS)
    return rules, avg


def symbol_assets(*, connection: ExchangeConnection, symbol: str) -> dict[str, str] | None:
    """{"base": "BTC", "quote": "USD"} for the ticket's balance line; None if unknown now."""
    try:
        rules, _ = _rules_and_price(connection, symbol)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable, KeyError):
        return None
    return {"base": rules.base_asset, "quote": rules.quote_asset}


def ticket_check(*, user, connection: ExchangeConnection, request: OrderRequest) -> TicketCheck:
    """Every filter problem of the order, its notional, and why it needs confirming (if so)."""
    try:
        rules, avg = _rules_and_price(connection, request.symbol)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable, KeyError) as exc:
        log.info("ticket check unavailable: %s", type(exc).__name__)
        # Unchecked means its size is unchecked too: the confirmation gate must not open.
        return TicketCheck(
            [],
            None,
            "The exchange's rules could not be read, so this order was not checked.",
            unavailable="The exchange's rules are unavailable.",
        )
    problems = binanceus.check_order(
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
    notional = order_notional(request, avg)
    reason = _confirm_reason(user, connection, request, rules, notional, avg)
    return TicketCheck(problems, notional, reason)


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
    request: OrderRequest,
    rules: binanceus.SymbolRules,
    notional: Decimal | None,
    avg: Decimal | None,
) -> str | None:
    if notional is None:
        return None
    pref = trading_preference(user=user)
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
    free = free_balance(connection=connection, asset=asset)
    if free and spend is not None and spend * 100 > free * pref.confirm_balance_percent_over:
        share = (spend * 100 / free).quantize(Decimal("0.1"))
        return (
            f"This order uses {share}% of your free {asset} "
            f"(over your {plain(pref.confirm_balance_percent_over)}% threshold)."
        )
    return None


def _base(notional: Decimal, avg: Decimal | None) -> Decimal | None:
    return notional / avg if avg else None
