"""Request signing: HMAC-SHA256 over ``totalParams`` (query string + request body).

The wire encoding is done here too, so the bytes that are signed are exactly the bytes sent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from urllib.parse import urlencode

__all__ = [
    "Secret",
    "encode_params",
    "format_decimal",
    "format_value",
    "sign",
    "total_params",
    "ws_signature_payload",
]

ParamValue = str | int | Decimal | bool | Sequence[str]


class Secret:
    """Holds the API secret; its repr/str never reveal the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("api_secret must be a non-empty string")
        self._value = value.encode()

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self):  # never pickle a secret by accident
        raise TypeError("Secret objects cannot be pickled")

    def hmac_sha256(self, message: str) -> str:
        return hmac.new(self._value, message.encode(), hashlib.sha256).hexdigest()


def sign(secret: str | Secret, total_params: str) -> str:
    """Hex HMAC-SHA256 of ``total_params`` keyed with the secret (the ``signature`` param)."""
    s = secret if isinstance(secret, Secret) else Secret(secret)
    return s.hmac_sha256(total_params)


def total_params(query_string: str, body: str) -> str:
    """``totalParams`` is the query string concatenated with the request body (no separator)."""
    return query_string + body


def format_decimal(value: Decimal) -> str:
    """Plain positional notation: never exponent notation, never via float."""
    if not value.is_finite():
        raise ValueError(f"cannot send non-finite decimal {value!r}")
    text = format(value, "f")
    if text.startswith("-0") and value == 0:
        text = text[1:]
    return text


def format_value(value: ParamValue) -> str:
    """Render one parameter value for the wire."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not accepted for exchange parameters; use Decimal")
    if isinstance(value, Iterable):
        items = list(value)
        if not all(isinstance(v, str) for v in items):
            raise TypeError("list parameters must contain strings")
        return "[" + ",".join(f'"{v}"' for v in items) + "]"
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def encode_params(params: Mapping[str, ParamValue | None]) -> str:
    """urlencode in insertion order, skipping ``None`` values (like the spec's examples)."""
    return urlencode([(k, format_value(v)) for k, v in params.items() if v is not None])


def ws_signature_payload(params: Mapping[str, ParamValue | None]) -> str:
    """What a WebSocket API request signs: every param but ``signature``, ``apiKey`` included,
    sorted by name, as ``name=value`` joined by ``&`` (no URL-encoding: the spec signs the
    values as they stand in the JSON, L10359-10376). ``None`` values are not sent, so they are
    not signed either."""
    names = sorted(k for k, v in params.items() if k != "signature" and v is not None)
    return "&".join(f"{k}={format_value(params[k])}" for k in names)  # type: ignore[arg-type]
