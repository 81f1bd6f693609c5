"""Reads of public market data. Exchange metadata is cached: it changes rarely."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache

import binanceus
from accounts.exchange import market_client

log = logging.getLogger(__name__)
SYMBOLS_CACHE_KEY = "desk:market:symbol-precisions"


def _decimals(step: Decimal | None) -> int:
    """Display decimals of a tick or step size: 0.01000000 -> 2, 1.00000000 -> 0."""
    if not step:
        return 8
    return max(0, -step.normalize().as_tuple().exponent)


def market_symbol_precisions() -> dict[str, dict[str, int]]:
    """{symbol: {"price": decimals, "qty": decimals}} for every trading symbol of the
    market-data exchange; empty if it cannot be reached right now (then nothing is cached)."""
    precisions = cache.get(SYMBOLS_CACHE_KEY)
    if precisions is None:
        try:
            with market_client() as client:
                info = client.exchange_info()
        except binanceus.BinanceUSError as exc:
            log.warning("exchangeInfo unavailable: %s", type(exc).__name__)
            return {}
        precisions = {
            s.symbol: {"price": _decimals(s.tick_size), "qty": _decimals(s.step_size)}
            for s in info.symbols
            if s.status == "TRADING"
        }
        cache.set(SYMBOLS_CACHE_KEY, precisions, timeout=300)
    return precisions


def market_symbols() -> list[str]:
    return sorted(market_symbol_precisions())


def default_symbol() -> str:
    return settings.DESK_DEFAULT_SYMBOL
