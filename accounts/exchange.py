"""Building exchange clients for connections. The only place credentials are decrypted."""

from __future__ import annotations

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

import binanceus
from accounts import crypto
from accounts.models import Environment, ExchangeConnection


def rest_url_for(environment: str) -> str:
    return settings.LIVE_REST_URL if environment == Environment.LIVE else settings.SANDBOX_REST_URL


@sensitive_variables("api_key", "api_secret")
def client_for_credentials(*, environment: str, api_key: str, api_secret: str) -> binanceus.Client:
    return binanceus.Client(
        api_key=api_key,
        api_secret=api_secret,
        base_url=rest_url_for(environment),
        timeout=settings.EXCHANGE_TIMEOUT,
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
        base_url=rest_url_for(settings.MARKET_DATA_ENVIRONMENT), timeout=settings.EXCHANGE_TIMEOUT
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
