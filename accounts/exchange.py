"""Building exchange clients for connections. The only place credentials are decrypted."""

from __future__ import annotations

import functools

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

import binanceus
from accounts import crypto
from accounts.models import Environment, ExchangeConnection


def rest_url_for(environment: str) -> str:
    return settings.LIVE_REST_URL if environment == Environment.LIVE else settings.SANDBOX_REST_URL


@functools.cache
def _budget_for(redis_url: str, key_prefix: str, limit: int) -> binanceus.RedisWeightBudget:
    return binanceus.RedisWeightBudget.from_url(
        redis_url, key_prefix=key_prefix, limit_per_minute=limit
    )


def weight_budget(environment: str) -> binanceus.RedisWeightBudget:
    """One request-weight budget per exchange for every process on this host (the exchange
    counts weight per IP), kept under 90% of the limit; a 429/418 seen by one process stops all
    of them until the Retry-After has passed."""
    key = f"{settings.EXCHANGE_WEIGHT_KEY}:{environment}"
    return _budget_for(settings.REDIS_URL, key, settings.EXCHANGE_WEIGHT_PER_MINUTE)


@functools.cache
def _clock_for(base_url: str) -> binanceus.ServerClock:
    return binanceus.ServerClock()


def server_clock(environment: str) -> binanceus.ServerClock:
    """This process's measured offset to the exchange's clock, shared by every client: a
    client made for one order would otherwise ask for the server time before each request."""
    return _clock_for(rest_url_for(environment))


@sensitive_variables("api_key", "api_secret")
def client_for_credentials(*, environment: str, api_key: str, api_secret: str) -> binanceus.Client:
    return binanceus.Client(
        api_key=api_key,
        api_secret=api_secret,
        base_url=rest_url_for(environment),
        timeout=settings.EXCHANGE_TIMEOUT,
        weight_budget=weight_budget(environment),
        server_clock=server_clock(environment),
    )


@sensitive_variables()
def client_for_connection(connection: ExchangeConnection) -> binanceus.Client:
    """A signed client for the connection; raises CredentialsUnavailable if decryption fails."""
    return client_for_credentials(
        environment=connection.environment,
        api_key=crypto.decrypt(connection.api_key_encrypted),
        api_secret=crypto.decrypt(connection.api_secret_encrypted),
    )


def market_client() -> binanceus.Client:
    """An unsigned client for public market data on the configured market-data exchange."""
    return binanceus.Client(
        base_url=rest_url_for(settings.MARKET_DATA_ENVIRONMENT),
        timeout=settings.EXCHANGE_TIMEOUT,
        weight_budget=weight_budget(settings.MARKET_DATA_ENVIRONMENT),
    )


def market_ws_url() -> str:
    if settings.MARKET_DATA_ENVIRONMENT == Environment.LIVE:
        return settings.LIVE_WS_URL
    return settings.SANDBOX_WS_URL


def describe_error(exc: Exception) -> str:
    """A user-facing sentence for an exchange failure: the exchange's code and message if it
    answered, else what went wrong on the way. Never includes credentials."""
    if isinstance(exc, binanceus.APIError):
        return f"The exchange answered {exc.code}: {exc.msg}"
    if isinstance(exc, binanceus.TransportError):
        return "Could not reach the exchange. Check the environment and try again."
    if isinstance(exc, binanceus.BinanceUSError):
        return f"The exchange request failed: {type(exc).__name__}"
    return "Unexpected error while talking to the exchange."
