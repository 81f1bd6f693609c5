"""Shared fixtures: real Redis and a real sandbox exchange, each a subprocess on loopback.

Every integration test reaches these over real sockets. They are session-scoped because both
start in well under a second and hold only in-memory state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests import early
from tests.support import SUITE_WEIGHT_PER_MINUTE, start_redis, start_sandbox, terminate


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private redis-server for the test session (never the developer's own)."""
    try:
        proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url
    terminate(proc)


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of a sandbox exchange shared by the session.

    Tests must not assume a pristine exchange: create your own account through
    `sandbox_account` instead of relying on global state.
    """
    proc, base = start_sandbox()
    yield base
    terminate(proc)


@pytest.fixture
def sandbox_account(sandbox_url) -> dict:
    """A fresh funded sandbox account: {"email", "accountId", "apiKey", "secretKey"}."""
    email = f"user-{time.monotonic_ns()}@example.test"
    resp = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts",
        json={
            "email": email,
            "balances": {"USD": "100000", "USDT": "100000", "BTC": "5", "ETH": "50"},
        },
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


@pytest.fixture(scope="session", autouse=True)
def _django_uses_test_services(request) -> Iterator[None]:
    """Point the channel layer, cache, Celery broker and the sandbox environment at the session's
    private Redis and sandbox, so no test can touch a developer's running `make run`.

    The weight budget gets ten times the exchange's 1200 a minute: the sandbox enforces no
    limit unless told to, but it reports the weight its one address (every test of the session)
    used, and the budget takes that as its own spending. Tests of the budget set their limit.

    Only for Django-aware runs: sandbox/client tests can run with `-p no:django`.
    """
    if not _django_configured(request):
        yield
        return
    from django.test import override_settings

    url = request.getfixturevalue("redis_url")
    exchange = request.getfixturevalue("sandbox_url")
    with override_settings(
        SANDBOX_REST_URL=exchange,
        SANDBOX_WS_URL=exchange.replace("http://", "ws://"),
        SANDBOX_WS_API_URL=exchange.replace("http://", "ws://") + "/ws-api/v3",
        MARKET_DATA_ENVIRONMENT="sandbox",
        EXCHANGE_WEIGHT_PER_MINUTE=SUITE_WEIGHT_PER_MINUTE,
        REDIS_URL=url,
        CELERY_BROKER_URL=url,
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [url], "prefix": "desk-test"},
            }
        },
        CACHES={
            "default": {
                "BACKEND": "desk.cache.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "desk-test",
            }
        },
    ):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup) -> Iterator[None]:
    """pytest-django's, and before the test database is dropped, the connection kept by the
    one thread Django's sync_to_async runs ORM calls on (connections outlive a call: they are
    kept, CONN_MAX_AGE): PostgreSQL will not drop a database someone is connected to."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


def _django_configured(request) -> bool:
    if not request.config.pluginmanager.hasplugin("django"):
        return False
    from django.conf import settings

    return settings.configured


_cache_prefixes: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _caches_of_this_test_only(request) -> Iterator[None]:
    """Each test module starts with an empty Django cache and measures the exchange's clock
    afresh.

    Cached exchange rules, average prices and "sync requested" markers would otherwise leak
    into the next test: the rules and prices are keyed by environment, not by sandbox, and on
    SQLite a connection often gets the primary key of one the previous test rolled back. A key
    prefix of its own per test, rather than ``cache.clear()``: that flushes the whole Redis
    database, channel layer included.

    The tests of one module share a prefix: the exchange's weight is counted per address for
    the whole suite, and reading the symbol rules again for every test (or every case of the
    bad-input matrix) would spend it for nothing.

    Listen keys, kept in Redis by connection id and key fingerprint, go too: sandboxes started
    with the same seed hand out the same API keys, so a test's connection could otherwise
    follow a listen key an earlier test got from another sandbox (refused at the handshake).
    """
    if not _django_configured(request):
        yield
        return
    from django.conf import settings
    from django.test import override_settings

    from accounts import exchange
    from trading.orders import userdata

    redis = userdata._redis()
    stale = list(redis.scan_iter("desk:listen-key:*"))
    if stale:
        redis.delete(*stale)
    test = request.node.nodeid.partition("::")[0]
    if test not in _cache_prefixes:
        _cache_prefixes[test] = f"desk-test-{len(_cache_prefixes) + 1}"
        # An offset measured while an earlier test had moved a sandbox's clock is wrong now.
        exchange._clock_for.cache_clear()
    default = {**settings.CACHES["default"], "KEY_PREFIX": _cache_prefixes[test]}
    with override_settings(CACHES={**settings.CACHES, "default": default}):
        yield


@pytest.fixture
def use_sandbox(sandbox_url) -> str:
    """Documents that a test talks to the sandbox (the Django settings already point there)."""
    return sandbox_url


def pytest_collection_modifyitems(config, items):
    """Browser tests last: they are the slowest, and a unit failure should show up first; after
    them the tests reading a bench run started when collection ended (tests/early.py), by then
    long over."""
    items.sort(
        key=lambda item: (
            early.job_of(item) is not None,
            item.get_closest_marker("e2e") is not None,
        )
    )


def pytest_collection_finish(session):
    if not session.config.option.collectonly:
        early.runner.start([job for item in session.items if (job := early.job_of(item))])


def pytest_sessionfinish(session):
    early.runner.stop()
