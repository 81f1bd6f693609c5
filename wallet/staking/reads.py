"""Exchange reads the Staking tab shows: the stakable assets (cached, as ``wallet.activity.reads``
caches the coin catalogue) and the positions (read fresh: they move with every stake, unstake
and restaked reward). A failure is never cached and comes back as a reason to show."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache

from accounts.models import ExchangeConnection
from desk.exchange_reads import connection_read

log = logging.getLogger(__name__)

ASSETS_SECONDS = 300  # rates and limits change rarely; the exchange checks a stake again anyway
KNOWN_SECONDS = 86_400  # which assets exist, for the forms' choices


@dataclass(frozen=True)
class Read:
    """What came back (``rows``), or why nothing did (``error``)."""

    rows: list = field(default_factory=list)
    error: str = ""


def _guarded(connection: ExchangeConnection, what: str, call) -> Read:
    read = connection_read(connection, what, call)
    return Read(error=read.error) if read.error else Read(read.value)


def _assets_key(connection: ExchangeConnection, which: str) -> str:
    return f"desk:staking:{connection.pk}:{connection.key_fingerprint}:assets:{which}"


def staking_assets(*, connection: ExchangeConnection, fresh: bool = True) -> Read:
    """``GET staking/asset``: every stakable asset, for ``ASSETS_SECONDS``. With ``fresh``
    False the last answer read (kept ``KNOWN_SECONDS``) will do: a refused form is shown again
    and checked without asking the exchange anything."""
    rows = cache.get(_assets_key(connection, "fresh"))
    if rows is None and not fresh:
        rows = cache.get(_assets_key(connection, "known"))
    if rows is not None:
        return Read(rows)
    read = _guarded(connection, "staking assets", lambda c: c.staking_assets())
    if not read.error:
        cache.set(_assets_key(connection, "fresh"), read.rows, timeout=ASSETS_SECONDS)
        cache.set(_assets_key(connection, "known"), read.rows, timeout=KNOWN_SECONDS)
    return read


def staking_positions(*, connection: ExchangeConnection) -> Read:
    """``GET staking/stakingBalance``: what is staked now, per asset."""
    return _guarded(connection, "staking balance", lambda c: c.staking_balance())


def staked_amount(*, connection: ExchangeConnection, asset: str) -> tuple[Decimal | None, str]:
    """What is staked of ``asset`` now, or None and why the exchange could not be read."""
    read = staking_positions(connection=connection)
    if read.error:
        return None, read.error
    return sum((p.staking_amount for p in read.rows if p.asset == asset), Decimal(0)), ""
