"""Reads of public market data. Exchange metadata is cached: it changes rarely."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

import binanceus
from accounts.exchange import market_client

log = logging.getLogger(__name__)
SYMBOLS_CACHE_KEY = "desk:market:symbols"


def market_symbols() -> list[str]:
    """Trading symbols of the market-data exchange; empty if it cannot be reached right now."""
    symbols = cache.get(SYMBOLS_CACHE_KEY)
    if symbols is None:
        try:
            with market_client() as client:
                info = client.exchange_info()
        except binanceus.BinanceUSError as exc:
            log.warning("exchangeInfo unavailable: %s", type(exc).__name__)
            return []
        symbols = sorted(s.symbol for s in info.symbols if s.status == "TRADING")
        cache.set(SYMBOLS_CACHE_KEY, symbols, timeout=300)
    return symbols


def default_symbol() -> str:
    return settings.DESK_DEFAULT_SYMBOL
