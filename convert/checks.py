"""The rules a quote request, an accept and a dust conversion must meet before anything is sent,
from what the exchange last said (coin pairs, convertible dust) and the balances as last synced.
The exchange checks it all again and a refusal there carries its code and message; checking
first means the usual mistakes cost nothing and leave no failed row behind."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from accounts.models import Balance, ExchangeConnection
from desk.money import plain
from desk.problems import Problem, Refused, refuse

MAX_DECIMALS = 8


def decimals_of(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def free_of(connection: ExchangeConnection, asset: str) -> Decimal:
    row = Balance.objects.filter(connection=connection, asset=asset).first()
    return row.free if row else Decimal(0)


def quote_check(*, pairs, from_coin: str, to_coin: str, request_coin: str, amount: Decimal):
    """The pair the quote is for; raises ``Refused`` naming the field that is wrong."""
    if from_coin == to_coin:
        raise refuse("to_coin", "must differ from the coin converted from")
    if amount <= 0:
        raise refuse("request_amount", "must be more than 0")
    if decimals_of(amount) > MAX_DECIMALS:
        raise refuse("request_amount", f"at most {MAX_DECIMALS} decimal places")
    pair = next((p for p in pairs if (p.from_coin, p.to_coin) == (from_coin, to_coin)), None)
    if pair is None:
        raise refuse("to_coin", f"{from_coin} cannot be converted to {to_coin} here")
    low, high = _bounds(pair, request_coin == from_coin)
    if (low is not None and amount < low) or (high is not None and amount > high):
        raise refuse(
            "request_amount",
            f"must be between {plain(low)} and {plain(high)} {request_coin} for this pair",
        )
    return pair


def _bounds(pair, from_side: bool) -> tuple[Decimal | None, Decimal | None]:
    if from_side:
        return pair.from_coin_min_amount, pair.from_coin_max_amount
    return pair.to_coin_min_amount, pair.to_coin_max_amount


def funds_check(connection: ExchangeConnection, asset: str, amount: Decimal, field: str) -> None:
    free = free_of(connection, asset)
    if free < amount:
        raise refuse(field, f"more than the free {asset} balance ({plain(free)} {asset})")


def accept_check(*, connection: ExchangeConnection, quote, exchange_now: datetime) -> None:
    if exchange_now >= quote.valid_until:
        raise refuse(
            "quote_id",
            f"this quote expired at {quote.valid_until:%H:%M:%S} UTC: ask a new quote. "
            "Nothing was sent.",
        )
    funds_check(connection, quote.from_coin, quote.from_amount, "quote_id")


def dust_check(*, dust, from_assets: list[str], to_asset: str) -> None:
    """``dust`` is the exchange's ``DustAssets`` for ``to_asset``, read just now."""
    problems = []
    if not from_assets:
        problems.append(Problem("from_assets", "tick at least one asset to convert"))
    if to_asset in from_assets:
        problems.append(Problem("from_assets", f"{to_asset} is the target; it cannot be dust"))
    convertible = {a.from_asset for a in dust.assets}
    unknown = sorted(set(from_assets) - convertible - {to_asset})
    if unknown:
        problems.append(
            Problem("from_assets", f"not convertible now: {', '.join(unknown)} (reload the list)")
        )
    if problems:
        raise Refused(problems)
    if dust.within_restricted_time:
        raise refuse(
            None,
            "The exchange allows no dust conversion right now (a conversion was made "
            "recently); try again later. Nothing was sent.",
        )
