"""Reads of public market data. Exchange metadata is cached: it changes rarely."""

from __future__ import annotations

import functools
import logging
from decimal import Decimal

import orjson
import redis
from django.conf import settings
from django.core.cache import cache

import binanceus
from accounts.exchange import market_client
from binanceus import to_ms
from desk.money import plain
from trading.market.keys import HEALTH_KEY

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


def market_klines(*, symbol: str, interval: str, limit: int) -> list[list] | None:
    """Candles oldest first as [openTimeMs, open, high, low, close, volume] (money as text), or
    None if the exchange cannot be reached. Cached briefly: every open chart asks on load."""
    key = f"desk:market:klines:{symbol}:{interval}:{limit}"
    rows = cache.get(key)
    if rows is None:
        try:
            with market_client() as client:
                candles = client.klines(symbol, interval, limit=limit)
        except binanceus.BinanceUSError as exc:
            log.warning("klines unavailable: %s", type(exc).__name__)
            return None
        rows = [
            [to_ms(k.open_time), *(plain(v) for v in (k.open, k.high, k.low, k.close, k.volume))]
            for k in candles
        ]
        cache.set(key, rows, timeout=5)
    return rows


def stream_health() -> dict:
    """What the stream process last reported about its upstream sockets and books."""
    raw = _sync_redis().get(HEALTH_KEY)
    if raw is None:
        return {
            "generatedAt": None,
            "uptimeSeconds": None,
            "upstream": [],
            "symbols": [],
            "error": "the stream process has not reported in the last 30 s",
        }
    return orjson.loads(raw)


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _sync_redis() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)
