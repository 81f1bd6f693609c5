"""The page-side exchange reads: served from the cache within their window, never caching a
failure. Counted on the sandbox's own request log, so a read that reached the exchange shows."""

import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from django.core.cache import cache
from django.test import override_settings

import binanceus
from accounts import services
from accounts.models import Environment, KeyType
from desk import exchange_reads
from tests.factories import make_user

pytestmark = pytest.mark.django_db
DEAD_EXCHANGE = "http://127.0.0.1:9"  # discard port: nothing listens, the connect is refused


def _calls(sandbox_url: str, path: str) -> int:
    doc = requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get(path, 0)


def test_klines_are_read_once_within_their_window(sandbox_url):
    before = _calls(sandbox_url, "/api/v3/klines")
    first = exchange_reads.klines(symbol="BTCUSD", interval="1m", limit=17)
    again = exchange_reads.klines(symbol="BTCUSD", interval="1m", limit=17)
    assert first and again == first
    assert isinstance(first[0][0], int) and Decimal(first[0][4]) > 0
    assert _calls(sandbox_url, "/api/v3/klines") == before + 1


def test_a_failed_read_is_not_cached():
    with override_settings(SANDBOX_REST_URL=DEAD_EXCHANGE):
        assert exchange_reads.symbol_precisions() == {}
        assert exchange_reads.symbol_pairs() == {}
        assert exchange_reads.klines(symbol="BTCUSD", interval="1m", limit=18) is None
    assert exchange_reads.symbol_precisions()["BTCUSD"] == {
        "price": 2,
        "qty": 5,
    }  # tick 0.01, step 0.00001
    assert exchange_reads.symbol_pairs()["BTCUSD"] == ("BTC", "USD")
    assert exchange_reads.klines(symbol="BTCUSD", interval="1m", limit=18)


def test_the_symbol_list_is_kept_in_the_process_for_a_few_seconds(sandbox_url, monkeypatch):
    """Every order's form checks its symbol: within SYMBOLS_HERE_SECONDS of a read, the list
    comes from the process, not the cache; after it, from the cache (or the exchange) again."""
    key = "desk:reads:symbol-precisions"
    cache.delete(key)
    first = exchange_reads.symbol_precisions()
    read = _calls(sandbox_url, "/api/v3/exchangeInfo")
    cache.delete(key)  # a later read that went to the cache would ask the exchange
    assert exchange_reads.symbol_precisions() == first
    assert _calls(sandbox_url, "/api/v3/exchangeInfo") == read
    later = time.monotonic() + exchange_reads.SYMBOLS_HERE_SECONDS + 0.1
    monkeypatch.setattr(exchange_reads, "time", SimpleNamespace(monotonic=lambda: later))
    assert exchange_reads.symbol_precisions() == first
    assert _calls(sandbox_url, "/api/v3/exchangeInfo") == read + 1


def _connection(account: dict):
    return services.connection_import(
        user=make_user(),
        label="reads",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )


def test_spot_summary_is_cached_and_its_failure_is_shown_not_kept(sandbox_url, sandbox_account):
    connection = _connection(sandbox_account)
    path = "/sapi/v1/sub-account/spotSummary"
    with override_settings(SANDBOX_REST_URL=DEAD_EXCHANGE):
        down = exchange_reads.spot_summary(connection=connection)
    assert down.total_usd is None and "Could not reach the exchange" in down.error

    before = _calls(sandbox_url, path)
    summary = exchange_reads.spot_summary(connection=connection)
    assert summary.error == "" and isinstance(summary.total_usd, Decimal)
    assert exchange_reads.spot_summary(connection=connection) == summary
    assert _calls(sandbox_url, path) == before + 1


def test_rules_of_an_unknown_symbol_raise_and_are_not_cached(sandbox_url, sandbox_account):
    connection = _connection(sandbox_account)
    with pytest.raises(binanceus.APIError) as refused:
        exchange_reads.rules_and_price(connection, "NOPEUSD")
    with pytest.raises(binanceus.APIError) as again:
        exchange_reads.rules_and_price(connection, "NOPEUSD")
    assert refused.value.code == again.value.code == -1121

    rules, avg = exchange_reads.rules_and_price(connection, "BTCUSD")
    assert (rules.base_asset, rules.quote_asset) == ("BTC", "USD") and avg > 0
