"""Exchange reads the Convert and Dust tabs show and their checks make: the OTC coin pairs
(cached, they change rarely) and the convertible dust (cached a few seconds for a page; the
checks ask ``fresh``). A failure is never cached and comes back as a reason to show."""

from __future__ import annotations

from django.core.cache import cache

from accounts.models import ExchangeConnection
from desk.exchange_reads import Read, connection_key, connection_read_cached

PAIRS_SECONDS = 300
DUST_SECONDS = 5  # a page and its live part drawn right after it share one read
# The spec's dust targets (L6555); "USD" was added and then removed again (L755, L744).
DUST_TARGETS = ("BNB", "BTC", "ETH", "USDT")


def _key(connection: ExchangeConnection, what: str) -> str:
    return connection_key(connection, "convert", what)


def _read(connection, what: str, seconds: int, call, *, fresh: bool) -> Read:
    return connection_read_cached(
        connection, _key(connection, what), seconds, what, call, fresh=fresh
    )


def coin_pairs(*, connection: ExchangeConnection) -> Read:
    """``GET otc/coinPairs``: a list of ``OtcCoinPair``."""
    return _read(connection, "pairs", PAIRS_SECONDS, lambda c: c.otc_coin_pairs(), fresh=False)


def dust_assets(*, connection: ExchangeConnection, to_asset: str, fresh: bool = False) -> Read:
    """``GET asset/query/dust-assets`` for ``to_asset`` (a ``DustAssets``)."""
    return _read(
        connection,
        f"dust:{to_asset}",
        DUST_SECONDS,
        lambda c: c.dust_assets(to_asset=to_asset),
        fresh=fresh,
    )


def dust_forget(*, connection: ExchangeConnection) -> None:
    """A conversion settled: the next page shows what is left."""
    cache.delete_many([_key(connection, f"dust:{t}") for t in DUST_TARGETS])
