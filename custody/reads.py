"""Exchange reads the Custody tab shows and its checks make: the supported assets (cached, they
change rarely) and both wallets' balances (cached a few seconds for the page; the checks ask
``fresh``). A failure is never cached and comes back as a reason to show.

The partner's own balance is not in any answer of the API: a partner transfer's amount is
checked by the exchange alone (-2010 when short)."""

from __future__ import annotations

from django.core.cache import cache

import binanceus
from accounts.models import ExchangeConnection
from desk.exchange_reads import Read, connection_key, connection_read, connection_read_cached

ASSETS_SECONDS = 300
KNOWN_SECONDS = 86_400  # the last list read, for a refused form's choices
BALANCE_SECONDS = 5  # a page and its live part drawn right after it share one read


def rail_of(connection: ExchangeConnection) -> str:
    return connection.custodian_rail or binanceus.DEFAULT_CUSTODIAL_RAIL


def _key(connection: ExchangeConnection, what: str) -> str:
    return connection_key(connection, "custody", what)


def supported_assets(*, connection: ExchangeConnection, fresh: bool = True) -> Read:
    """``GET custodian/supportedAssetList`` (a ``CustodianSupportedAssets``). With ``fresh``
    False the last answer read will do: a refused form is drawn without asking anything."""
    value = cache.get(_key(connection, "assets"))
    if value is None and not fresh:
        value = cache.get(_key(connection, "assets-known"))
    if value is not None:
        return Read(value)
    read = connection_read(
        connection,
        "custodial assets",
        lambda c: c.custodian_supported_assets(rail=rail_of(connection)),
    )
    if not read.error:
        cache.set(_key(connection, "assets"), read.value, timeout=ASSETS_SECONDS)
        cache.set(_key(connection, "assets-known"), read.value, timeout=KNOWN_SECONDS)
    return read


def balances(*, connection: ExchangeConnection, fresh: bool = False) -> Read:
    """``GET custodian/balance`` (a ``CustodianBalance``): the exchange wallet and the
    custodial sub-account."""
    return connection_read_cached(
        connection,
        _key(connection, "balance"),
        BALANCE_SECONDS,
        "custodial balance",
        lambda c: c.custodian_balance(rail=rail_of(connection)),
        fresh=fresh,
    )


def balances_forget(*, connection: ExchangeConnection) -> None:
    """A transfer settled: the next page shows the balances it moved."""
    cache.delete(_key(connection, "balance"))
