"""Exchange reads the Custody tab shows and its checks make: the supported assets (cached, they
change rarely) and both wallets' balances (cached a few seconds for the page; the checks ask
``fresh``). A failure is never cached and comes back as a reason to show.

The partner's own balance is not in any answer of the API: a partner transfer's amount is
checked by the exchange alone (-2010 when short)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection

log = logging.getLogger(__name__)

ASSETS_SECONDS = 300
KNOWN_SECONDS = 86_400  # the last list read, for a refused form's choices
BALANCE_SECONDS = 5  # a page and its live part drawn right after it share one read


@dataclass(frozen=True)
class Read:
    """What came back (``value``), or why nothing did (``error``)."""

    value: object = None
    error: str = ""


def rail_of(connection: ExchangeConnection) -> str:
    return connection.custodian_rail or binanceus.DEFAULT_CUSTODIAL_RAIL


def _guarded(connection: ExchangeConnection, what: str, call) -> Read:
    try:
        with client_for_connection(connection) as client:
            return Read(call(client))
    except crypto.CredentialsUnavailable:
        return Read(error="The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: %s unavailable: %s", connection.pk, what, exc)
        return Read(error=describe_error(exc))


def _key(connection: ExchangeConnection, what: str) -> str:
    return f"desk:custody:{connection.pk}:{connection.key_fingerprint}:{what}"


def supported_assets(*, connection: ExchangeConnection, fresh: bool = True) -> Read:
    """``GET custodian/supportedAssetList`` (a ``CustodianSupportedAssets``). With ``fresh``
    False the last answer read will do: a refused form is drawn without asking anything."""
    value = cache.get(_key(connection, "assets"))
    if value is None and not fresh:
        value = cache.get(_key(connection, "assets-known"))
    if value is not None:
        return Read(value)
    read = _guarded(
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
    if not fresh:
        value = cache.get(_key(connection, "balance"))
        if value is not None:
            return Read(value)
    read = _guarded(
        connection, "custodial balance", lambda c: c.custodian_balance(rail=rail_of(connection))
    )
    if not read.error:
        cache.set(_key(connection, "balance"), read.value, timeout=BALANCE_SECONDS)
    return read


def balances_forget(*, connection: ExchangeConnection) -> None:
    """A transfer settled: the next page shows the balances it moved."""
    cache.delete(_key(connection, "balance"))
