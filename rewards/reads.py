"""The Broker page's exchange reads, each cached a little while so that reloading the page (or
its live part after a push) does not cost a request per section. A failure is never cached and
comes back as the exchange's code and message to show in its section. Writes the page makes
(a customization) ``forget`` the connection's reads, so the next page shows what changed.

Broker records are not copied into the database: the exchange answers them for windows of at
most 7 days, the page shows the window asked for, and nothing here is money the desk moves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection
from accounts.models import ExchangeConnection
from binanceus import to_ms
from desk.intents import describe

log = logging.getLogger(__name__)

READ_SECONDS = 30


@dataclass(frozen=True)
class Read:
    """What came back (``value``), or why nothing did (``code`` where the exchange answered,
    and ``message``)."""

    value: object = None
    code: int | None = None
    message: str = ""
    skipped: bool = False  # not in the cache, and not read (``cached_only``)

    @property
    def error(self) -> str:
        if not self.message:
            return ""
        return f"The exchange answered {self.code}: {self.message}" if self.code else self.message


def _generation(connection: ExchangeConnection) -> int:
    return cache.get_or_set(f"desk:rewards:reads:{connection.pk}:gen", 1, timeout=None)


def forget(*, connection: ExchangeConnection) -> None:
    """Drop every cached read of the connection (one counter, so no key needs listing)."""
    key = f"desk:rewards:reads:{connection.pk}:gen"
    try:
        cache.incr(key)
    except ValueError:  # never read yet: nothing to forget
        cache.set(key, 2, timeout=None)


def _read(
    connection: ExchangeConnection,
    what: str,
    call: Callable[[binanceus.Client], object],
    *,
    cached_only: bool = False,
) -> Read:
    """The cached answer, else ``call``'s; with ``cached_only`` the exchange is not asked (a
    page showing a refused form's errors sends nothing)."""
    # The key fingerprint is in the key: replaced keys may be another account's.
    key = (
        f"desk:rewards:reads:{connection.pk}:{_generation(connection)}:"
        f"{connection.key_fingerprint}:{what}"
    )
    value = cache.get(key)
    if value is not None:
        return Read(value)
    if cached_only:
        return Read(skipped=True)
    try:
        with client_for_connection(connection) as client:
            value = call(client)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        code, message = describe(exc)
        log.info("connection %s: %s unavailable (%s)", connection.pk, what, code)
        return Read(code=code, message=message)
    cache.set(key, value, timeout=READ_SECONDS)
    return Read(value)


def _ms(at: datetime | None) -> str:
    return "" if at is None else str(to_ms(at))


def customizations(
    *,
    connection: ExchangeConnection,
    customer_id: str | None = None,
    email: str | None = None,
    cached_only: bool = False,
) -> Read:
    """The broker's customer ids (``BrokerCustomization`` rows), all or found by one of the
    two."""
    return _read(
        connection,
        f"customizations:{customer_id or ''}:{email or ''}",
        lambda c: c.broker_customizations(customer_id=customer_id, email=email),
        cached_only=cached_only,
    )


def user_customization(
    *, connection: ExchangeConnection, agent_code: str, cached_only: bool = False
) -> Read:
    """The customer id this account gave itself at broker ``agent_code``."""
    return _read(
        connection,
        f"user-customization:{agent_code}",
        lambda c: c.broker_user_customization(api_agent_code=agent_code),
        cached_only=cached_only,
    )


def broker_rebates(
    *,
    connection: ExchangeConnection,
    customer_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cached_only: bool = False,
) -> Read:
    """The broker's income from its clients' trades (the last 7 days, or ``start``-``end``)."""
    return _read(
        connection,
        f"rebates:{customer_id or ''}:{_ms(start)}:{_ms(end)}",
        lambda c: c.broker_rebates(customer_id=customer_id, start_time=start, end_time=end),
        cached_only=cached_only,
    )


def kickbacks(
    *,
    connection: ExchangeConnection,
    start: datetime | None = None,
    end: datetime | None = None,
    cached_only: bool = False,
) -> Read:
    """This account's own rebates as a broker's client (the last 7 days at most)."""
    return _read(
        connection,
        f"kickbacks:{_ms(start)}:{_ms(end)}",
        lambda c: c.broker_kickbacks(start_time=start, end_time=end),
        cached_only=cached_only,
    )
