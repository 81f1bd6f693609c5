"""One symbol's trading rules (:class:`SymbolRules`, from ``exchangeInfo``), the
:class:`FilterProblem` a local check reports, and :func:`round_to_step`; the checks
themselves are in :mod:`._filters`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from ._models import SymbolInfo, numeric_strings_to_decimal

__all__ = ["FilterProblem", "SymbolRules", "round_to_step"]


@dataclass(frozen=True, slots=True)
class FilterProblem:
    """One rule an order breaks: the offending parameter, the filter, and why."""

    field: str
    filter_type: str
    message: str

    def __str__(self) -> str:
        return self.message


def round_to_step(value: Decimal, step: Decimal, *, rounding: str = ROUND_DOWN) -> Decimal:
    """``value`` rounded to a multiple of ``step`` (a tick or lot size); ``step`` 0 = no rule."""
    if step == 0:
        return value
    units = (value / step).to_integral_value(rounding=rounding)
    exponent = min(int(step.normalize().as_tuple().exponent), 0)
    return (units * step).quantize(Decimal(1).scaleb(exponent))


_FILTERS = frozenset({"filters", "exchange_filters"})


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """What ``exchangeInfo`` says one symbol accepts (plus the exchange-wide filters)."""

    symbol: str
    status: str
    base_asset: str
    quote_asset: str
    order_types: tuple[str, ...]
    iceberg_allowed: bool
    oco_allowed: bool
    quote_order_qty_market_allowed: bool
    filters: Mapping[str, Mapping[str, Any]]
    """filterType -> fields (numeric strings as Decimal)."""
    exchange_filters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_exchange_info(
        cls,
        symbol_info: Mapping[str, Any] | SymbolInfo,
        exchange_filters: Iterable[Mapping[str, Any]] = (),
    ) -> SymbolRules:
        """From one ``symbols[]`` entry of ``exchangeInfo`` (raw dict or :class:`SymbolInfo`)
        and, optionally, the answer's ``exchangeFilters``."""
        info = (
            symbol_info if isinstance(symbol_info, SymbolInfo) else SymbolInfo.from_api(symbol_info)
        )
        # Every field but the two filter maps is the SymbolInfo field of the same name.
        copied = {f.name: getattr(info, f.name) for f in fields(cls) if f.name not in _FILTERS}
        return cls(
            **copied,
            filters=dict(info.filters),
            exchange_filters={
                f["filterType"]: numeric_strings_to_decimal(f) for f in exchange_filters
            },
        )

    def filter(self, filter_type: str) -> Mapping[str, Any] | None:
        return self.filters.get(filter_type) or self.exchange_filters.get(filter_type)

    def _dec(self, filter_type: str, name: str) -> Decimal:
        return Decimal((self.filters.get(filter_type) or {}).get(name, 0))

    @property
    def tick_size(self) -> Decimal:
        return self._dec("PRICE_FILTER", "tickSize")

    @property
    def step_size(self) -> Decimal:
        return self._dec("LOT_SIZE", "stepSize")

    @property
    def min_qty(self) -> Decimal:
        return self._dec("LOT_SIZE", "minQty")

    @property
    def min_notional(self) -> Decimal:
        return self._dec("NOTIONAL", "minNotional") or self._dec("MIN_NOTIONAL", "minNotional")

    def round_price(self, price: Decimal, *, rounding: str = ROUND_HALF_UP) -> Decimal:
        return round_to_step(price, self.tick_size, rounding=rounding)

    def round_quantity(self, quantity: Decimal, *, market: bool = False) -> Decimal:
        """Down to the lot step (``MARKET_LOT_SIZE`` for market orders when it has one)."""
        step = self._dec("MARKET_LOT_SIZE", "stepSize") if market else Decimal(0)
        return round_to_step(quantity, step or self.step_size, rounding=ROUND_DOWN)
