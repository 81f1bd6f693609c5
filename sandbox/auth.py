"""Request authentication: API keys, key types, HMAC-SHA256 signatures, timing.

As the spec defines it ("Signature Authentication"): totalParams is the query string
concatenated with the request body, as sent, without the signature parameter; the signature
is the hex HMAC-SHA256 of totalParams keyed with the secret, compared case-insensitively.

The WebSocket API (L10359-10376) signs every request parameter but `signature`, apiKey
included, sorted by name, as `name=value` pairs joined with `&`. The spec's values contain
nothing a URL would escape; the Python clients (binance-connector, python-binance) sign
`urlencode(sorted params)`, so a value with such characters is accepted signed either way.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple
from urllib.parse import urlencode

from . import errors
from .accounts import KEY_RE, ApiKey, Registry
from .endpoint_table import Endpoint
from .params import Params

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
# Endpoint areas a key type may call; exchange keys may call everything else.
AREA_KEY_TYPE = {"custody": "custodial", "credit_line": "credit_line"}
# Routes a key's permissions gate (-2015 when the key lacks the permission). TRADE: the spec's
# "(TRADE)" endpoints plus the custodial order/cancel ones; withdraw/deposit: the wallet routes
# that move funds out / hand out deposit addresses (the spec names no rule for these; this is
# how the exchange's key settings are described to behave).
TRADE_ROUTES = frozenset(
    {
        ("POST", "/api/v3/order"),
        ("POST", "/api/v3/order/test"),
        ("DELETE", "/api/v3/order"),
        ("DELETE", "/api/v3/openOrders"),
        ("POST", "/api/v3/order/cancelReplace"),
        ("POST", "/api/v3/order/oco"),
        ("DELETE", "/api/v3/orderList"),
        ("POST", "/sapi/v1/custodian/order"),
        ("POST", "/sapi/v1/custodian/ocoOrder"),
        ("DELETE", "/sapi/v1/custodian/cancelOrder"),
        ("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol"),
        ("DELETE", "/sapi/v1/custodian/cancelOcoOrder"),
    }
)
WITHDRAW_ROUTES = frozenset(
    {
        ("POST", "/sapi/v1/capital/withdraw/apply"),
        ("POST", "/sapi/v1/fiatpayment/withdraw/apply"),
    }
)
DEPOSIT_ROUTES = frozenset(
    {
        ("GET", "/sapi/v1/capital/deposit/address"),
        ("GET", "/sapi/v1/capital/sub-account/deposit/address"),
    }
)


def check_permissions(key: ApiKey, endpoint: Endpoint) -> None:
    route = (endpoint.method, endpoint.path)
    if (
        (route in TRADE_ROUTES and not key.can_trade)
        or (route in WITHDRAW_ROUTES and not key.can_withdraw)
        or (route in DEPOSIT_ROUTES and not key.can_deposit)
    ):
        raise errors.rejected_key()
    if route in TRADE_ROUTES and key.account.trading_status.get("isLocked"):
        # The account's API trading is locked (GET /sapi/v3/apiTradingStatus isLocked, set
        # by the admin API): the spec's message for an account whose trading is disabled.
        msg = "This account may not place or cancel orders."
        raise (
            errors.cancel_rejected(msg)
            if endpoint.method == "DELETE"
            else errors.new_order_rejected(msg)
        )


def sign(secret: str, total_params: str | bytes) -> str:
    # surrogateescape round-trips body bytes that were not valid UTF-8 (see app.rest).
    if isinstance(total_params, str):
        data = total_params.encode("utf-8", "surrogateescape")
    else:
        data = total_params
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def strip_signature(raw: str) -> tuple[str, str | None]:
    """Remove `signature=...` from a raw query string or body; return (rest, signature)."""
    if "signature=" not in raw:
        return raw, None
    kept, signature = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def total_params(query: str, body: str) -> tuple[str, str | None]:
    """(totalParams, signature) for a request's raw query string and body."""
    q, sig_q = strip_signature(query)
    b, sig_b = strip_signature(body)
    return q + b, sig_q if sig_q is not None else sig_b


class Credentials(NamedTuple):
    """What a request presents: its API key, its signature and what that signature may sign.
    `key_param` names the parameter the key came in (the WebSocket API's apiKey), None when
    it came in the X-MBX-APIKEY header."""

    api_key: str | None
    signature: str | None
    payloads: tuple[str, ...]
    key_param: str | None = None


def rest_credentials(header: str | None, query: str, body: str) -> Credentials:
    payload, signature = total_params(query, body)
    return Credentials(header, signature, (payload,))


def ws_credentials(params: dict[str, str]) -> Credentials:
    """A WebSocket API request's credentials from its parameters (as text, apiKey included)."""
    pairs = sorted((k, v) for k, v in params.items() if k != "signature")
    raw = "&".join(f"{k}={v}" for k, v in pairs)
    encoded = urlencode(pairs)
    payloads = (raw,) if encoded == raw else (raw, encoded)
    return Credentials(params.get("apiKey"), params.get("signature"), payloads, "apiKey")


def verify(secret: str, payload: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, payload), signature.lower())


def check_timing(timestamp: int, recv_window: int, server_time: int) -> None:
    """The spec's rule: timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow."""
    if timestamp >= server_time + 1000:
        raise errors.timestamp_ahead()
    if server_time - timestamp > recv_window:
        raise errors.invalid_timestamp_window()


def api_key(registry: Registry, creds: Credentials, endpoint: Endpoint) -> ApiKey:
    """The request's key, checked for format, existence and key type. A key parameter not
    sent is a missing mandatory parameter (-1102); a missing header, a bad key format."""
    sent = creds.api_key
    if not sent and creds.key_param is not None:
        raise errors.mandatory(creds.key_param)
    if not sent or not KEY_RE.match(sent):
        raise errors.bad_api_key_format()
    key = registry.keys.get(sent)
    if key is None:
        raise errors.rejected_key()
    if key.key_type != AREA_KEY_TYPE.get(endpoint.area, "exchange"):
        raise errors.rejected_key()
    return key


def check_signed(key: ApiKey, params: Params, creds: Credentials, server_time: int) -> None:
    timestamp = params.integer("timestamp", required=True)
    recv_window = params.integer("recvWindow")
    if recv_window is None:
        recv_window = DEFAULT_RECV_WINDOW
    elif not 0 < recv_window <= MAX_RECV_WINDOW:
        raise errors.invalid_param("recvWindow")
    signature = creds.signature
    if not signature:
        raise errors.mandatory("signature")
    assert timestamp is not None
    check_timing(timestamp, recv_window, server_time)
    if not any(verify(key.secret, payload, signature) for payload in creds.payloads):
        raise errors.invalid_signature()


def authenticate(
    registry: Registry,
    creds: Credentials,
    endpoint: Endpoint,
    params: Params,
    server_time: int,
) -> ApiKey | None:
    if endpoint.security == "NONE":
        return None
    key = api_key(registry, creds, endpoint)
    if endpoint.security == "SIGNED":
        check_signed(key, params, creds, server_time)
    check_permissions(key, endpoint)
    return key
