"""Accounting: counts of the REST requests the exchange received (for tests: "zero requests
reached the exchange", read and reset through the admin API; /sandbox admin calls are not
counted), and each account's traded volume."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from . import errors
from .accounts import Account
from .clock import Faults
from .decimals import ZERO, q8
from .routes import route
from .symbols import SYMBOLS

if TYPE_CHECKING:
    from .ctx import Ctx


class RequestLog:
    def __init__(self) -> None:
        self.total = 0
        self.by_key: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        # "POST /sapi/v1/otc/orders": one path can both list and place.
        self.by_endpoint: Counter[str] = Counter()

    def record(self, api_key: str | None, path: str, method: str = "") -> None:
        self.total += 1
        if api_key:
            self.by_key[api_key] += 1
        self.by_path[path] += 1
        self.by_endpoint[f"{method} {path}"] += 1

    def reset(self) -> None:
        self.total = 0
        self.by_key.clear()
        self.by_path.clear()
        self.by_endpoint.clear()

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "byApiKey": dict(sorted(self.by_key.items())),
            "byPath": dict(sorted(self.by_path.items())),
            "byEndpoint": dict(sorted(self.by_endpoint.items())),
        }


DAY_MS = 86_400_000
VOLUME_DAYS = 30
USD_QUOTES = frozenset({"USD", "USDT"})


class AccountTap:
    """An engine listener in front of another that passes every event on unchanged, and for
    real accounts tallies traded quote volume (in USD, by UTC day) for GET
    /sapi/v1/asset/query/trading-volume and tells the faults about placed orders (for the
    orderVisibility fault)."""

    def __init__(
        self, inner: object, engine: object, faults: Faults, quotes: dict[str, str]
    ) -> None:
        self._inner = inner
        self._engine = engine
        self._faults = faults
        self._quotes = quotes  # symbol -> quote asset

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def on_order(self, order: Any, exec_type: str, fill: Any, time: int) -> None:
        acct = order.account
        if exec_type == "NEW" and not acct.internal:
            self._faults.note_placed(acct.account_id, order.symbol, order.order_id, time)
        if fill is not None and not acct.internal:
            usd = self._usd(order.symbol, fill.trade.quote_qty)
            day = time // DAY_MS
            order.account.volume_by_day[day] = order.account.volume_by_day.get(day, ZERO) + usd
        self._inner.on_order(order, exec_type, fill, time)  # type: ignore[attr-defined]

    def _usd(self, symbol: str, quote_qty: Decimal) -> Decimal:
        quote = self._quotes[symbol]
        if quote in USD_QUOTES:
            return quote_qty
        last = self._engine.last_price(f"{quote}USD")  # type: ignore[attr-defined]
        return quote_qty * last if last is not None else ZERO


def past_30_days_volume(acct: Account, now_ms: int) -> Decimal:
    """The 30 whole UTC days before today: the exchange recomputes the figure at 0:00 UTC."""
    today = now_ms // DAY_MS
    return sum(
        (v for day, v in acct.volume_by_day.items() if today - VOLUME_DAYS <= day < today), ZERO
    )


# ---- REST: the account-area endpoints about fees, volume and order counts -------------------


def _rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


@route("GET", "/sapi/v1/asset/query/trading-fee")
def trading_fee(ctx: Ctx) -> object:
    """GET /sapi/v1/asset/query/trading-fee: every symbol's rates, or the one asked for."""
    symbol = ctx.params.get("symbol")
    if symbol is not None and symbol not in SYMBOLS:
        raise errors.bad_symbol()
    rows = []
    for name in [symbol] if symbol else list(SYMBOLS):
        maker, taker = ctx.account.rates(name)
        rows.append(
            {
                "symbol": name,
                "makerCommission": _rate_text(maker),
                "takerCommission": _rate_text(taker),
            }
        )
    return rows


@route("GET", "/sapi/v1/asset/query/trading-volume")
def trading_volume(ctx: Ctx) -> object:
    volume = q8(past_30_days_volume(ctx.account, ctx.now())).normalize()
    # A JSON number, as in the spec's example, written from the Decimal without a float.
    return {"past30DaysTradingVolume": orjson.Fragment(f"{volume:f}")}


@route("GET", "/api/v3/rateLimit/order")
def order_rate_limits(ctx: Ctx) -> object:
    return ctx.ex.limits.order_limits(ctx.account.account_id)
