"""Every exchange read that a page or a form check makes, in one place, each kept for a stated
time in the Django cache (shared by every web process through Redis).

A page must not cost an exchange call per render: pages are reloaded often and several widgets
ask for the same metadata. What each read may serve stale is decided here, once, next to why.
A read that fails is never cached, so the next render asks again; each function says what it
gives back when the exchange cannot be asked. Workers and the stream process read the exchange
directly: they need the current answer, not a page's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.core.cache import cache

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection, describe_error, market_client
from accounts.models import ExchangeConnection
from binanceus import to_ms
from desk.money import plain

log = logging.getLogger(__name__)
T = TypeVar("T")

EXCHANGE_INFO_SECONDS = 300  # symbols, filters and assets change rarely (a listing, a filter)
KLINES_SECONDS = 5  # every chart asks on load; the live candle comes from the stream
AVG_PRICE_SECONDS = 5  # the notional check wants a recent price, not a tick-exact one
SPOT_SUMMARY_SECONDS = 30  # the transfers page reloads after each transfer
# The symbol list is also kept in each process this long: every order's form checks its symbol
# against it, and the cache's round trip and unpickling cost more than the rest of that check.
SYMBOLS_HERE_SECONDS = 5.0

# What this process read of the symbol list: the cache's key (with its prefix) → (until, value).
_here: dict[str, tuple[float, Any]] = {}


@dataclass(frozen=True)
class Read:
    """What a connection's read brought back (``value``), or why nothing did (``error``)."""

    value: object = None
    error: str = ""


def connection_read(connection: ExchangeConnection, what: str, call) -> Read:
    """``call(client)`` with the connection's keys; a refusal or unusable keys become the reason
    a page shows (``what`` names the read in the log)."""
    try:
        with client_for_connection(connection) as client:
            return Read(call(client))
    except crypto.CredentialsUnavailable:
        return Read(error="The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: %s unavailable: %s", connection.pk, what, exc)
        return Read(error=describe_error(exc))


def connection_key(connection: ExchangeConnection, area: str, what: str) -> str:
    """A cache key of the connection's current keys: new keys never see the old keys' reads."""
    return f"desk:{area}:{connection.pk}:{connection.key_fingerprint}:{what}"


def connection_read_cached(
    connection: ExchangeConnection, key: str, seconds: int, what: str, call, *, fresh: bool
) -> Read:
    """The answer cached under ``key`` (unless ``fresh``), or ``connection_read``'s, kept for
    ``seconds`` when it is not a failure."""
    if not fresh:
        value = cache.get(key)
        if value is not None:
            return Read(value)
    read = connection_read(connection, what, call)
    if not read.error:
        cache.set(key, read.value, timeout=seconds)
    return read


def _cached(key: str, seconds: int, fetch: Callable[[], T]) -> T:
    """The cached value, or fetch() stored for ``seconds``. fetch's exceptions pass through
    and store nothing."""
    (value,) = _cached_together((key, seconds, fetch))
    return value


def _cached_here(key: str, seconds: int, fetch: Callable[[], T]) -> T:
    """``_cached``, kept in this process for ``SYMBOLS_HERE_SECONDS`` after it was read."""
    here = cache.make_and_validate_key(key)
    until, value = _here.get(here, (0.0, None))
    if until > time.monotonic():
        return value
    value = _cached(key, seconds, fetch)
    _here[here] = (time.monotonic() + SYMBOLS_HERE_SECONDS, value)
    return value


def _cached_together(*wanted: tuple[str, int, Callable[[], Any]]) -> list[Any]:
    """``_cached`` for several (key, seconds, fetch) at once: one cache round trip for all,
    then each missing value fetched and stored in turn."""
    held = cache.get_many([key for key, _, _ in wanted])
    values = []
    for key, seconds, fetch in wanted:
        value = held.get(key)
        if value is None:
            value = fetch()
            cache.set(key, value, timeout=seconds)
        values.append(value)
    return values


def _decimals(step: Decimal | None) -> int:
    """Display decimals of a tick or step size: 0.01000000 -> 2, 1.00000000 -> 0."""
    if not step:
        return 8
    return max(0, -step.normalize().as_tuple().exponent)


def _trading_symbols() -> list[binanceus.SymbolInfo]:
    with market_client() as client:
        return [s for s in client.exchange_info().symbols if s.status == "TRADING"]


def symbol_precisions() -> dict[str, dict[str, int]]:
    """{symbol: {"price": decimals, "qty": decimals}} for every trading symbol of the
    market-data exchange; empty if it cannot be reached right now."""

    def fetch() -> dict[str, dict[str, int]]:
        return {
            s.symbol: {"price": _decimals(s.tick_size), "qty": _decimals(s.step_size)}
            for s in _trading_symbols()
        }

    try:
        return _cached_here("desk:reads:symbol-precisions", EXCHANGE_INFO_SECONDS, fetch)
    except binanceus.BinanceUSError as exc:
        log.warning("exchangeInfo unavailable: %s", type(exc).__name__)
        return {}


def symbol_pairs() -> dict[str, tuple[str, str]]:
    """{symbol: (base, quote)} of every trading symbol; empty when the exchange is unreachable."""

    def fetch() -> dict[str, tuple[str, str]]:
        return {s.symbol: (s.base_asset, s.quote_asset) for s in _trading_symbols()}

    try:
        return _cached_here("desk:reads:symbol-pairs", EXCHANGE_INFO_SECONDS, fetch)
    except binanceus.BinanceUSError as exc:
        log.warning("exchangeInfo unavailable: %s", type(exc).__name__)
        return {}


def klines(*, symbol: str, interval: str, limit: int) -> list[list] | None:
    """Candles oldest first as [openTimeMs, open, high, low, close, volume] (money as text), or
    None if the exchange cannot be reached."""

    def fetch() -> list[list]:
        with market_client() as client:
            candles = client.klines(symbol, interval, limit=limit)
        return [
            [to_ms(k.open_time), *(plain(v) for v in (k.open, k.high, k.low, k.close, k.volume))]
            for k in candles
        ]

    try:
        return _cached(f"desk:reads:klines:{symbol}:{interval}:{limit}", KLINES_SECONDS, fetch)
    except binanceus.BinanceUSError as exc:
        log.warning("klines unavailable: %s", type(exc).__name__)
        return None


def rules_and_price(
    connection: ExchangeConnection, symbol: str
) -> tuple[binanceus.SymbolRules, Decimal]:
    """The symbol's filters and its average price on the connection's exchange. Raises what the
    exchange or the key's decryption raised: a check that cannot read them must say so."""
    env = connection.environment

    def read(attr: str, *args):
        with client_for_connection(connection) as client:
            return getattr(client, attr)(*args)

    rules, avg = _cached_together(  # every order check asks both
        (
            f"desk:reads:rules:{env}:{symbol}",
            EXCHANGE_INFO_SECONDS,
            lambda: read("symbol_rules", symbol),
        ),
        (
            f"desk:reads:avg-price:{env}:{symbol}",
            AVG_PRICE_SECONDS,
            lambda: read("avg_price", symbol).price,
        ),
    )
    return rules, avg


def usd_price(connection: ExchangeConnection, asset: str) -> Decimal | None:
    """The last price of ``asset`` in USD on the connection's exchange (1 for USD itself), or
    None when it has no USD market or the exchange cannot be reached."""
    if asset == "USD":
        return Decimal(1)
    symbol = f"{asset}USD"

    def fetch() -> Decimal:
        with client_for_connection(connection) as client:
            return client.ticker_price(symbol=symbol)[symbol]

    try:
        key = f"desk:reads:usd-price:{connection.environment}:{symbol}"
        return _cached(key, AVG_PRICE_SECONDS, fetch)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable, KeyError) as exc:
        log.warning("%s price unavailable: %s", symbol, type(exc).__name__)
        return None


def last_prices() -> dict[str, Decimal]:
    """{symbol: last price} of every symbol of the market-data exchange (what the stream
    process's tickers then keep current on a page); empty when it cannot be reached."""

    def fetch() -> dict[str, Decimal]:
        with market_client() as client:
            return client.ticker_price()

    try:
        return _cached("desk:reads:last-prices", AVG_PRICE_SECONDS, fetch)
    except binanceus.BinanceUSError as exc:
        log.warning("prices unavailable: %s", type(exc).__name__)
        return {}


@dataclass(frozen=True)
class SpotSummary:
    total_usd: Decimal | None
    by_email: dict[str, Decimal]
    error: str = ""


def spot_summary(*, connection: ExchangeConnection) -> SpotSummary:
    """The master's and each sub-account's total USD value; on failure, no figures and the
    reason to show instead."""
    # The key fingerprint is part of the key: replaced keys may belong to another account.
    key = f"desk:reads:spot-summary:{connection.pk}:{connection.key_fingerprint}"

    def fetch() -> SpotSummary:
        with client_for_connection(connection) as client:
            summary = client.sub_account_spot_summary(size=20)
        subs = {s.email: s.total_asset for s in summary.sub_accounts}
        return SpotSummary(summary.master_account_total_asset, subs)

    try:
        return _cached(key, SPOT_SUMMARY_SECONDS, fetch)
    except crypto.CredentialsUnavailable:
        return SpotSummary(None, {}, "The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: spot summary unavailable: %s", connection.pk, describe_error(exc))
        return SpotSummary(None, {}, describe_error(exc))
