"""Exchange reads the Convert and Dust tabs show and their checks make: the OTC coin pairs
(cached, they change rarely) and the convertible dust (cached a few seconds for a page; the
checks ask ``fresh``). A failure is never cached and comes back as a reason to show."""

from __future__ import annotations

from accounts.models import ExchangeConnection
from convert.selectors import dust_settled_mark
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


def dust_assets(
    *,
    connection: ExchangeConnection,
    to_asset: str,
    settled: int | None = None,
    fresh: bool = False,
) -> Read:
    """``GET asset/query/dust-assets`` for ``to_asset`` (a ``DustAssets``), cached under the
    newest settled conversion (``settled``, read before this when the caller dates its page by
    it). A read made before a conversion settled is therefore never taken for what is left after
    it, even when it was stored after the settle or asked for before the settle's after-commit
    work ran (deleting the key on settle left both open: the Dust tab kept the old list)."""
    if settled is None:
        settled = dust_settled_mark(connection=connection)
    return _read(
        connection,
        f"dust:{to_asset}:{settled}",
        DUST_SECONDS,
        lambda c: c.dust_assets(to_asset=to_asset),
        fresh=fresh,
    )
