"""Exceptions raised by :mod:`binanceus`.

The hierarchy::

    BinanceUSError
    ├── TransportError          connect failed before any byte was sent; always safe to retry
    ├── NetworkError            a read call lost its response (read timeout, reset) after sending;
    │                           reads are idempotent, so the client retries them
    ├── InvalidResponse         the exchange answered with something that is not the JSON we expect
    ├── WeightLimitExceeded     the local weight budget refused the call (nothing was sent)
    ├── OrderRejectedLocally    (also a ValueError) the order breaks the symbol's filters;
    │                           ``problems`` lists each :class:`~binanceus.FilterProblem`;
    │                           nothing was sent
    ├── ExecutionUnknown        a mutating call may or may not have been executed: 5XX other than
    │                           a "failed" 503, a read timeout after sending, or code -1006/-1007;
    │                           over the WebSocket API also a drop or timeout before the answer.
    │                           Carries ``endpoint``, ``client_order_id`` and ``params`` (the
    │                           request's non-secret parameters); confirm via
    │                           ``get_order(orig_client_order_id=...)`` or the user data stream
    │                           before doing anything else. Never retried blind.
    └── APIError(status, code, msg)   the exchange answered and rejected / failed the request
        ├── CancelReplaceFailed         -2021 / -2022 from cancelReplace; ``result`` (a
        │   │                           :class:`~binanceus.CancelReplaceResult`) tells which
        │   │                           half happened. HTTP 409: one half DID execute
        │   └── CancelReplaceRejected   HTTP 400 (-2022): neither half executed (also a
        │                               ClientError)
        ├── ClientError                 4XX: the request was wrong; not executed
        │   ├── InvalidTimestamp        -1021 (the client resyncs its clock and retries once)
        │   ├── InvalidSignature        -1022
        │   ├── AuthenticationError     -2014 / -2015
        │   ├── OrderNotFound           -2013
        │   ├── InsufficientBalance     -2010 "Account has insufficient balance ..."
        │   ├── RateLimited             HTTP 429; ``retry_after`` seconds
        │   └── IPBanned                HTTP 418; ``retry_after`` seconds
        └── ServerError                 5XX on a read call (or a 5XX known to be a failure)
            └── ServiceUnavailable      503 "Service Unavailable." / "Internal error; unable to
                                        process your request." / -1008: NOT executed, may retry

``ExecutionUnknownError`` is an alias of :class:`ExecutionUnknown`.

No exception message ever contains the API secret, the request signature or the signed query
string: messages name the endpoint (method and path) and the exchange's code and msg only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from ._params import keywords

if TYPE_CHECKING:
    from ._symbol_rules import FilterProblem
    from ._trading_models import CancelReplaceResult

__all__ = [
    "APIError",
    "AuthenticationError",
    "BinanceUSError",
    "CancelReplaceFailed",
    "CancelReplaceRejected",
    "ClientError",
    "ConnectionLost",
    "ExecutionUnknown",
    "ExecutionUnknownError",
    "IPBanned",
    "InsufficientBalance",
    "InvalidResponse",
    "InvalidSignature",
    "InvalidTimestamp",
    "NetworkError",
    "OrderNotFound",
    "OrderRejectedLocally",
    "RateLimited",
    "RequestRejected",
    "RequestTimeout",
    "ServerError",
    "ServiceUnavailable",
    "StreamError",
    "TransportError",
    "WeightLimitExceeded",
    "error_for",
]


class BinanceUSError(Exception):
    """Base class of every exception raised by this package."""


class StreamError(BinanceUSError):
    """A stream could not connect, or the server rejected a control message."""


class RequestRejected(StreamError):
    """The server answered a websocket request with an error (``.code``, ``.msg``)."""

    def __init__(self, message: str, *, code: int | None = None, msg: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.msg = msg


class RequestTimeout(StreamError, TimeoutError):
    """No answer to a websocket request within its timeout."""


class ConnectionLost(StreamError, ConnectionError):
    """The websocket connection dropped before a request was answered (or sent)."""


class TransportError(BinanceUSError):
    """The connection could not be established; nothing was sent, so retrying is safe."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class NetworkError(BinanceUSError):
    """A read request was (possibly) sent but no response was read."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class InvalidResponse(BinanceUSError):
    """The exchange's answer could not be decoded as the expected JSON."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WeightLimitExceeded(BinanceUSError):
    """The :class:`~binanceus.WeightBudget` refused the call; nothing was sent.

    ``retry_after`` is the number of seconds to wait. ``status`` is 429 / 418 when the refusal
    comes from a rate-limit answer the exchange gave (to this or another process sharing the
    budget), ``None`` when the local per-minute budget is spent.
    """

    def __init__(self, message: str, *, retry_after: float, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class Lookup(TypedDict, total=False):
    """How to look up a call whose outcome is unknown: the client-side id it carried (where
    the endpoint has one) and the request's own parameters."""

    client_order_id: str | None
    params: Mapping[str, Any] | None


class UnknownOutcome(Lookup, total=False):
    """What :class:`ExecutionUnknown` carries besides its endpoint: the lookup and, when the
    exchange answered, its status, ``code`` and ``msg``."""

    status: int | None
    code: int | None
    msg: str | None


class ExecutionUnknown(BinanceUSError):
    """A mutating call ended without a definite outcome: it may have been executed.

    Do not retry blindly; look the order / transfer up first: by ``client_order_id`` where the
    endpoint has one, else from ``params`` (the request's own parameters, e.g. ``fromEmail``,
    ``toEmail``, ``asset``, ``amount``; never ``timestamp``, ``recvWindow`` or ``signature``).
    """

    def __init__(self, message: str, *, endpoint: str, **found: Unpack[UnknownOutcome]) -> None:
        keywords("ExecutionUnknown.__init__", UnknownOutcome, found)
        super().__init__(message)
        self.endpoint = endpoint
        self.client_order_id = found.get("client_order_id")
        self.params: dict[str, Any] = dict(found.get("params") or {})
        self.status = found.get("status")
        self.code = found.get("code")
        self.msg = found.get("msg")


ExecutionUnknownError = ExecutionUnknown


class OrderRejectedLocally(ValueError, BinanceUSError):
    """The order breaks the symbol's filters (checked locally); nothing was sent.

    ``problems`` holds one :class:`~binanceus.FilterProblem` per broken rule (field, filter
    type, message); the exception's text joins their messages.
    """

    def __init__(self, symbol: str, problems: Sequence[FilterProblem]) -> None:
        self.symbol = symbol
        self.problems = list(problems)
        super().__init__(f"{symbol}: " + "; ".join(p.message for p in self.problems))


Answer = tuple[int, int | None, str]
"""An error answer's HTTP status, JSON ``code`` and ``msg`` (:func:`error_for`'s positional
arguments)."""


class APIError(BinanceUSError):
    """The exchange answered with an error status."""

    def __init__(
        self,
        status: int,
        code: int | None,
        msg: str,
        *,
        endpoint: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        self.endpoint = endpoint
        where = f"{endpoint}: " if endpoint else ""
        super().__init__(f"{where}HTTP {status}, code {code}: {msg}")


class ClientError(APIError):
    """HTTP 4XX: the request was malformed or refused; it was not executed."""


class InvalidTimestamp(ClientError):
    """-1021: the timestamp is outside ``recvWindow`` or ahead of the server's clock."""


class InvalidSignature(ClientError):
    """-1022: the signature did not verify."""


class AuthenticationError(ClientError):
    """-2014 / -2015: bad API-key format, or key / IP / permissions rejected."""


class OrderNotFound(ClientError):
    """-2013: the order does not exist."""


class InsufficientBalance(ClientError):
    """-2010 "Account has insufficient balance for requested action"."""


class _RetryAfter(ClientError):
    def __init__(self, *answer: Any, retry_after: float | None = None, **named: Any) -> None:
        """:class:`APIError`'s arguments (``status, code, msg, *, endpoint``, positional or
        named; it checks them) and ``retry_after``."""
        super().__init__(*answer, **named)
        self.retry_after = retry_after


class RateLimited(_RetryAfter):
    """HTTP 429: back off for ``retry_after`` seconds or the IP gets banned."""


class IPBanned(_RetryAfter):
    """HTTP 418: the IP is banned for ``retry_after`` seconds. Stop sending."""


class CancelReplaceFailed(APIError):
    """``POST /api/v3/order/cancelReplace`` failed in part (HTTP 409, -2021) or whole (-2022).

    ``result`` says which half succeeded: on a 409 one of them DID execute (the old order is
    canceled, or the new order is live), so act on ``result`` rather than on the exception
    type alone.
    """

    def __init__(self, *answer: Any, result: CancelReplaceResult, **named: Any) -> None:
        """:class:`APIError`'s arguments (as for :class:`RateLimited`) and ``result``."""
        super().__init__(*answer, **named)
        self.result = result


class CancelReplaceRejected(CancelReplaceFailed, ClientError):
    """HTTP 400 with -2022: neither the cancel nor the new order executed."""


class ServerError(APIError):
    """HTTP 5XX on a call whose outcome does not matter (a read) or is known to be a failure."""


class ServiceUnavailable(ServerError):
    """HTTP 503 that the exchange documents as a definite failure: not executed, may retry."""


_EXECUTION_UNKNOWN_CODES = frozenset({-1006, -1007})
_FAILED_503_MESSAGES = (
    "service unavailable",
    "internal error; unable to process your request",
    "request throttled by system-level protection",
)


def _is_failed_503(status: int, code: int | None, msg: str) -> bool:
    """The 503 variants the exchange documents as a definite failure (see http-status semantics)."""
    if status != 503:
        return False
    if code == -1008:
        return True
    text = msg.strip().lower()
    return any(text.startswith(m) for m in _FAILED_503_MESSAGES)


_CLIENT_ERRORS_BY_CODE: dict[int, type[ClientError]] = {
    -1021: InvalidTimestamp,
    -1022: InvalidSignature,
    -2013: OrderNotFound,
    -2014: AuthenticationError,
    -2015: AuthenticationError,
}


def error_for(
    *answer: *Answer,
    endpoint: str,
    mutating: bool,
    retry_after: float | None = None,
    **lookup: Unpack[Lookup],
) -> BinanceUSError:
    """Map an exchange answer (HTTP status + JSON ``code``/``msg``) to an exception instance.

    ``mutating`` is True for calls whose unknown outcome matters (orders, cancels, transfers):
    for them a 5XX that is not a documented failure, or code -1006 / -1007, is
    :class:`ExecutionUnknown` rather than :class:`ServerError`.
    """
    status, code, msg = answer
    failed = _is_failed_503(status, code, msg)
    if mutating and (code in _EXECUTION_UNKNOWN_CODES or (status >= 500 and not failed)):
        return ExecutionUnknown(
            f"{endpoint}: execution status unknown (HTTP {status}, code {code}: {msg})",
            endpoint=endpoint,
            status=status,
            code=code,
            msg=msg,
            **lookup,
        )
    if status == 429:
        return RateLimited(status, code, msg, endpoint=endpoint, retry_after=retry_after)
    if status == 418:
        return IPBanned(status, code, msg, endpoint=endpoint, retry_after=retry_after)
    if 400 <= status < 500:
        cls = _CLIENT_ERRORS_BY_CODE.get(code, ClientError) if code is not None else ClientError
        if code == -2010 and "insufficient balance" in msg.lower():
            cls = InsufficientBalance
        return cls(status, code, msg, endpoint=endpoint)
    if status >= 500:
        cls = ServiceUnavailable if failed else ServerError
        return cls(status, code, msg, endpoint=endpoint)
    return APIError(status, code, msg, endpoint=endpoint)
