"""Small builders for Django-side tests: users, sessions and stored connections."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from accounts import services
from accounts.models import Environment, KeyType
from accounts.twofactor import AUTH_AT_SESSION_KEY, mark_fresh_auth

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_user(name: str | None = None, password: str = PASSWORD):
    username = name or f"user{next(_seq)}"
    return get_user_model().objects.create_user(username=username, password=password)


def login(client, user, *, fresh: bool = True):
    """Sign ``user`` in on the test client; ``fresh`` as if they had just confirmed it's them,
    else with their last check long past."""
    client.force_login(user)
    session = client.session
    if fresh:
        mark_fresh_auth(session)
    else:
        session[AUTH_AT_SESSION_KEY] = 0
    session.save()
    return client


def make_connection(
    user,
    *,
    label: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    key_type: str = KeyType.EXCHANGE,
):
    """A stored connection without exchange verification (for ownership and rendering tests)."""
    n = next(_seq)
    return services.connection_import(
        user=user,
        label=label or f"conn {n}",
        key_type=key_type,
        environment=Environment.SANDBOX,
        api_key=api_key or f"TESTKEY{n:057d}",
        api_secret=api_secret or f"TESTSECRET{n:054d}",
    )


def sandbox_connection(sandbox_url: str, user, *, balances: dict[str, str], label: str = ""):
    """A fresh funded account on the sandbox at ``sandbox_url`` and ``user``'s exchange
    connection to it (verified by the exchange, as the Add connection form does):
    (connection, the account as the sandbox's admin API returned it)."""
    import time

    import requests

    n = next(_seq)
    account = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts",
        json={"email": f"conn{n}-{time.monotonic_ns()}@example.test", "balances": balances},
        timeout=5,
    )
    account.raise_for_status()
    doc = account.json()
    connection = services.connection_import(
        user=user,
        label=label or f"Connection {n}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=doc["apiKey"],
        api_secret=doc["secretKey"],
    )
    return connection, doc


def make_order(connection, **fields):
    """A stored order of ``connection``: a desk LIMIT BUY of BTCUSD, NEW, unless ``fields`` say
    otherwise."""
    from trading.models import Order, OrderOrigin, OrderStatus

    defaults = {
        "symbol": "BTCUSD",
        "client_order_id": f"desk-made-{next(_seq)}",
        "origin": OrderOrigin.DESK,
        "side": "BUY",
        "type": "LIMIT",
        "status": OrderStatus.NEW,
    }
    return Order.objects.create(connection=connection, **{**defaults, **fields})
