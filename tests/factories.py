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
