"""Exchange reads the Wallet page shows, cached briefly per connection and key.

The pattern of ``desk/exchange_reads.py``: a value is fetched once per window and shared by
every page view in it; a failure is never cached, so the next view asks again, and it comes
back as a reason to show instead of the figures. The key fingerprint is part of each cache
key: replaced keys may belong to another account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection

log = logging.getLogger(__name__)

CATALOGUE_SECONDS = 300  # fees and switches change rarely; the withdraw form re-checks anyway
ADDRESS_SECONDS = 3600  # an account's deposit address for a network does not change


@dataclass(frozen=True)
class Catalogue:
    """getall's coins (``error``: why there are none to show)."""

    coins: list[binanceus.CoinConfig] = field(default_factory=list)
    error: str = ""

    def coin(self, name: str) -> binanceus.CoinConfig | None:
        return next((c for c in self.coins if c.coin == name), None)

    def network(self, coin: str, network: str) -> binanceus.CoinNetwork | None:
        found = self.coin(coin)
        return found.network(network) if found else None


@dataclass(frozen=True)
class Address:
    """A deposit address (``error``: why there is none)."""

    address: str = ""
    tag: str = ""
    url: str = ""
    error: str = ""


def _key(connection: ExchangeConnection, *parts: str) -> str:
    return ":".join(["desk:wallet", str(connection.pk), connection.key_fingerprint, *parts])


def catalogue_key(connection: ExchangeConnection) -> str:
    return _key(connection, "catalogue")


def coin_catalogue(*, connection: ExchangeConnection) -> Catalogue:
    """Every crypto coin of ``GET capital/config/getall`` with its networks, for
    ``CATALOGUE_SECONDS``."""
    key = catalogue_key(connection)
    coins = cache.get(key)
    if coins is not None:
        return Catalogue(coins)
    try:
        with client_for_connection(connection) as client:
            coins = [c for c in client.coin_config() if not c.is_legal_money]
    except crypto.CredentialsUnavailable:
        return Catalogue(error="The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: coin catalogue unavailable: %s", connection.pk, exc)
        return Catalogue(error=describe_error(exc))
    catalogue_store(connection=connection, coins=coins)
    return Catalogue(coins)


def catalogue_store(*, connection: ExchangeConnection, coins: list[binanceus.CoinConfig]) -> None:
    """A fresh getall (the sync reads one for the balances it carries) serves the page too."""
    cache.set(catalogue_key(connection), coins, timeout=CATALOGUE_SECONDS)


def deposit_address(
    *, connection: ExchangeConnection, coin: str, network: str, email: str = ""
) -> Address:
    """The master's deposit address for ``coin`` on ``network``, or with ``email`` that
    sub-account's (``GET capital/sub-account/deposit/address``)."""
    key = _key(connection, "address", email or "-", coin, network)
    found = cache.get(key)
    if found is not None:
        return found
    try:
        with client_for_connection(connection) as client:
            if email:
                doc = client.sub_account_deposit_address(email=email, coin=coin, network=network)
            else:
                doc = client.deposit_address(coin=coin, network=network)
    except crypto.CredentialsUnavailable:
        return Address(error="The connection's keys need replacing.")
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: deposit address unavailable: %s", connection.pk, exc)
        return Address(error=describe_error(exc))
    found = Address(doc.address, doc.tag or "", doc.url or "")
    cache.set(key, found, timeout=ADDRESS_SECONDS)
    return found
