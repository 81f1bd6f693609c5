"""The rules a custodial order must meet before anything is sent: the symbol's filters (the
one implementation, ``binanceus.check_order``, on the rules read through
``desk.exchange_reads.rules_and_price``: tick size, step size, minimum notional, percent price…)
and the custodial sub-account's free balance of what the order spends (a BUY the quote asset,
a SELL the base asset; a MARKET BUY by quantity is estimated at the average price).

With ``allowExpressTrade`` the balance is not checked: the exchange then takes the whole
amount from the custodial partner when the sub-account is short (L8179), and the partner's own
balance is in no answer the desk can read (the exchange refuses with -2010 if it is short).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import binanceus
from accounts.models import ExchangeConnection
from custody import reads
from desk import exchange_reads
from desk.money import plain
from desk.problems import Problem, Refused
from trading.orders.checks import UNREADABLE, order_notional
from trading.orders.services import OrderRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderCheck:
    problems: list[binanceus.FilterProblem]
    notional: Decimal | None
    unavailable: str | None = None


def order_check(
    *, connection: ExchangeConnection, request: OrderRequest, express: bool, fresh: bool = False
) -> OrderCheck:
    """Every filter problem of the order and a shortfall of the custodial balance it spends
    (``fresh``: the balance asked of the exchange now, as before sending)."""
    try:
        rules, avg = exchange_reads.rules_and_price(connection, request.symbol)
    except UNREADABLE as exc:
        log.info("custodial order check unavailable: %s", type(exc).__name__)
        return OrderCheck([], None, unavailable="The exchange's rules are unavailable.")
    problems = binanceus.check_order(
        rules,
        side=request.side,
        type=request.type,
        quantity=request.quantity,
        quote_order_qty=request.quote_order_qty,
        price=request.price,
        avg_price=avg,
    )
    if not express:
        short = _shortfall(connection, rules, request, avg, fresh=fresh)
        if short is not None and short.field not in {p.field for p in problems}:
            problems.append(short)
    return OrderCheck(problems, order_notional(request, avg))


def order_refusal(*, connection: ExchangeConnection, request: OrderRequest, express: bool) -> None:
    """Raises ``Refused`` (each problem on its field) unless the order may be sent."""
    check = order_check(connection=connection, request=request, express=express, fresh=True)
    if check.unavailable:
        raise Refused([Problem(None, f"{check.unavailable} Nothing was sent; try again.")])
    if check.problems:
        first: dict[str, Problem] = {}  # one message per field: the exchange's first
        for p in check.problems:
            first.setdefault(p.field, Problem(p.field, _sentence(p.message)))
        raise Refused(list(first.values()))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shortfall(connection, rules, request: OrderRequest, avg, *, fresh: bool):
    by_quote = request.quote_order_qty is not None
    if request.side == "BUY":
        asset, need = rules.quote_asset, order_notional(request, avg)
    else:
        asset = rules.base_asset
        need = request.quantity if not by_quote else _base(request.quote_order_qty, avg)
    free = custodial_free(connection=connection, asset=asset, fresh=fresh)
    if need is None or free is None or need <= free:
        return None
    field = "quote_order_qty" if by_quote else "quantity"
    about = "about " if request.type == "MARKET" else ""
    message = (
        f"Not enough {asset} in the custodial sub-account: this order needs {about}"
        f"{plain(need)} {asset}; {plain(free)} {asset} is free. Tick express trade to take "
        "it from the custodial partner."
    )
    return binanceus.FilterProblem(field, "BALANCE", message)


def _base(quote: Decimal, avg: Decimal | None) -> Decimal | None:
    return quote / avg if avg else None


def custodial_free(*, connection: ExchangeConnection, asset: str, fresh: bool) -> Decimal | None:
    """The custodial sub-account's free ``asset``; None when it cannot be read."""
    read = reads.balances(connection=connection, fresh=fresh)
    if read.error:
        return None
    rows = read.value.custodial_account_balance
    return sum((r.free for r in rows if r.asset == asset), Decimal(0))
