"""The request machinery every area's methods go through: signing, the server clock, the
weight budget, retries and the exchange's answers mapped to typed errors.

:class:`Transport` is the base of each area's methods class (``_market``, ``_account``,
``_trading``, ``_subaccounts``, ``_custody``, ``_credit_line``, ``_convert``, ``_rewards``, ...);
:class:`~binanceus.Client` composes them.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote, urlencode

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._endpoints import ENDPOINTS, Endpoint, endpoint
from ._errors import (
    CancelReplaceFailed,
    CancelReplaceRejected,
    ExecutionUnknown,
    InvalidResponse,
    InvalidTimestamp,
    IPBanned,
    NetworkError,
    RateLimited,
    ServiceUnavailable,
    TransportError,
    error_for,
)
from ._fields import camel
from ._params import group_keys, keywords, unpacked
from ._signing import ParamValue, Secret, encode_params, format_value
from ._symbol_rules import SymbolRules
from ._time import ServerClock, now_ms, to_ms
from ._trading_models import CancelReplaceResult
from ._weights import InMemoryWeightBudget, WeightBudget, parse_rate_headers

__all__ = [
    "DEFAULT_BASE_URL",
    "Transport",
    "as_amount",
    "from_id_or_range",
    "list_rows",
    "need_one",
    "rows",
    "sends",
]

logger = logging.getLogger("binanceus")

DEFAULT_BASE_URL = "https://api.binance.us"
_BANNED_UNTIL = re.compile(r"banned until (\d{13})")


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True if the request provably never left this host (connection not established)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def as_amount(value: Decimal | int) -> Decimal:
    """A positive transfer amount as Decimal (floats are refused: pass Decimal("0.1"))."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"amount must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount must be a positive finite number, not {value}")
    return amount


def list_rows(data: Any, key: str) -> list[Any]:
    """List answers come bare (``[...]``) or wrapped (``{"data": [...], "total": n}``)."""
    if isinstance(data, list):
        return data
    return list(data.get(key, []) or [])


def need_one(what: str, *values: object) -> None:
    """Endpoints that find one thing by either of two ids need at least one of them."""
    if all(v is None for v in values):
        raise ValueError(f"pass {what}")


def from_id_or_range(window: Mapping[str, Any]) -> None:
    """History endpoints (an :class:`~binanceus._params.IdWindow`) page by id or by time,
    never both."""
    times = (window.get("start_time"), window.get("end_time"))
    if window.get("from_id") is not None and any(t is not None for t in times):
        raise ValueError("from_id cannot be combined with start_time / end_time")


R = TypeVar("R")


def rows(parse: Callable[[Any], R], key: str | None = None) -> Callable[[Any], list[R]]:
    """Parse a list answer row by row: bare (``[...]``), wrapped under ``key``, or (no
    ``key``) a lone object where the exchange answers one row without the list."""

    def parse_rows(data: Any) -> list[R]:
        if key is not None:
            found = list_rows(data, key)
        else:
            found = [data] if isinstance(data, dict) else data
        return [parse(r) for r in found]

    return parse_rows


_PATH_PARAM = re.compile(r"\{(\w+)\}")


def _fill_path(ep: Endpoint, params: dict[str, ParamValue]) -> str:
    """The endpoint's path with its ``{name}`` segments filled in, each taken out of ``params``
    (so out of the query and its signature: the spec's ``GET /sapi/v1/otc/orders/{orderId}``
    example signs ``timestamp`` alone, L5210)."""

    def fill(m: re.Match[str]) -> str:
        value = params.pop(m.group(1), None)
        if value is None:
            raise ValueError(f"{ep.key} needs {m.group(1)}")
        return quote(format_value(value), safe="")

    return _PATH_PARAM.sub(fill, ep.path)


def _encode(ep: Endpoint, params: Mapping[str, ParamValue]) -> str:
    """The wire encoding of ``params``: :func:`encode_params`, except that a parameter the table
    types ``ARRAY`` goes as one pair per item, the key repeated (the dust conversion's
    ``fromAsset=BTC&fromAsset=ETH``, L6562); the signature covers exactly this text."""
    repeated = {p.name for p in ep.params if p.type == "ARRAY"} & params.keys()
    if not repeated:
        return encode_params(params)
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if key in repeated and not isinstance(value, str):
            pairs += [(key, format_value(item)) for item in value]  # type: ignore[union-attr]
        else:
            pairs.append((key, format_value(value)))
    return urlencode(pairs)


def _wire_value(value: Any) -> Any:
    return to_ms(value) if isinstance(value, datetime) else value


F = TypeVar("F", bound=Callable[..., Any])


def sends(key: str, returns: Callable[[Any], Any] | None = None) -> Callable[[F], F]:
    """Make the decorated method the typed call of ``key``, declared by its signature.

    Most endpoints take exactly their method's arguments, each under the camelCase of its
    name (``start_time`` -> ``startTime``, datetimes as exchange milliseconds, ``None``
    left out), so the signature says it all; a ``**params: Unpack[Group]`` parameter (a
    group of :mod:`~binanceus._params`) stands for every keyword of the group, mapped alike,
    and any other keyword raises ``TypeError`` as for a signature without it. ``returns``
    parses the answer (``None``: the method returns nothing). The method's own body runs
    first and only checks the arguments (raising ``ValueError``); methods that convert
    arguments or pass a client order id call ``self._call`` themselves.
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        own = list(signature.parameters.values())[1:]
        names = {p.name: camel(p.name) for p in own if p.kind is not p.VAR_KEYWORD}
        rest = next((p for p in own if p.kind is p.VAR_KEYWORD), None)
        group = None if rest is None else unpacked(rest.annotation, func.__globals__)
        if group is not None:
            names.update({n: camel(n) for n in group_keys(group)})

        @functools.wraps(func)
        def call(self: Transport, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            if rest is not None and group is not None:
                extra = arguments.pop(rest.name, {})
                keywords(func.__qualname__, group, extra)
                arguments.update({n: extra[n] for n in group.__annotations__ if n in extra})
            func(*bound.args, **bound.kwargs)
            params = {names[n]: _wire_value(v) for n, v in arguments.items() if n in names}
            data = self._call(key, params)
            return None if returns is None else returns(data)

        return endpoint(key)(call)  # type: ignore[return-value]

    return decorate


def _resend_safe(ep: Endpoint, exc: Exception) -> bool:
    """A mutating call is repeated only after the documented not-executed 503, and only on
    the trading endpoints, whose client-side ids make a duplicate impossible; other areas
    (transfers) leave the decision to the caller, which may have its own bookkeeping."""
    return isinstance(exc, ServiceUnavailable) and ep.area == "trading"


def _cancel_replace_error(
    status: int, code: int | None, msg: str, payload: Any, endpoint: str
) -> CancelReplaceFailed | None:
    """-2021 / -2022 answers carry ``data``: which half of a cancel-replace happened."""
    if code not in (-2021, -2022) or not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        error = payload.get("error")
        data = error.get("data") if isinstance(error, dict) else None
    if not isinstance(data, dict):
        return None
    result = CancelReplaceResult.from_api(data)
    cls = CancelReplaceFailed if status == 409 else CancelReplaceRejected
    return cls(status, code, msg, result=result, endpoint=endpoint)


def _mask(value: str | None) -> str | None:
    if not value:
        return None
    return "****" + value[-4:] if len(value) > 12 else "****"


class Transport:
    """Sends one call of the endpoint table and returns its decoded JSON (see :class:`Client`).

    Each area's methods class derives from it and declares the endpoint-table ``areas`` it
    covers; ``not_typed`` lists endpoints of those areas it leaves without a method. A method
    whose endpoint takes its arguments as they are is declared with :func:`sends`.
    """

    areas: ClassVar[tuple[str, ...]] = ()
    not_typed: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        recv_window: int = 5000,
        session: requests.Session | None = None,
        weight_budget: WeightBudget | None = None,
        retry_backoff: Sequence[float] = (0.2, 0.4, 0.8),
        local_clock_ms: Callable[[], int] = now_ms,
        sleep: Callable[[float], None] = time.sleep,
        retry_jitter: float = 0.25,
        time_resync_interval: float = 300.0,
        exchange_info_ttl: float = 300.0,
        server_clock: ServerClock | None = None,
    ) -> None:
        if not 0 < recv_window <= 60_000:
            raise ValueError("recv_window must be in (0, 60000]")
        self._api_key = api_key or None
        self._secret = Secret(api_secret) if api_secret else None
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.recv_window = recv_window
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self.weight_budget: WeightBudget = (
            weight_budget if weight_budget is not None else InMemoryWeightBudget()
        )
        self.retry_backoff = tuple(retry_backoff)
        # Clients of one process talking to one exchange may share a clock (the offset is the
        # host's, not the key's), so a short-lived client need not measure it again.
        self._clock = server_clock if server_clock is not None else ServerClock(local_clock_ms)
        self._sleep = sleep
        self._used_weight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._blocked_error: type[RateLimited] | None = None
        self.retry_jitter = retry_jitter
        self.time_resync_interval = time_resync_interval
        self.exchange_info_ttl = exchange_info_ttl
        self._rules: dict[str, tuple[float, SymbolRules]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"Client(base_url={self.base_url!r}, api_key={_mask(self._api_key)!r}, "
            f"api_secret={'********' if self._secret else None!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    @property
    def used_weight(self) -> dict[str, int]:
        """Last seen ``X-MBX-USED-WEIGHT-*`` / ``X-MBX-ORDER-COUNT-*`` values (upper-case)."""
        with self._lock:
            return dict(self._used_weight)

    @property
    def order_counts(self) -> dict[str, int]:
        """Last seen ``X-MBX-ORDER-COUNT-<interval>`` values by interval, e.g. ``{"10S": 3}``."""
        prefix = "X-MBX-ORDER-COUNT-"
        return {k[len(prefix) :]: v for k, v in self.used_weight.items() if k.startswith(prefix)}

    @property
    def time_offset_ms(self) -> int:
        """Server minus local clock in ms, as last measured by :meth:`sync_time`."""
        return self._clock.offset_ms

    def _call(
        self,
        key: str,
        params: Mapping[str, ParamValue | None] | None = None,
        *,
        client_order_id: str | None = None,
        text_ok: bool = False,
    ) -> Any:
        """Send ``key`` with ``params`` (``None`` values left out) and return the decoded JSON;
        with ``text_ok`` a successful answer that is not JSON is returned as its text (for the
        few endpoints whose documented answer is not JSON) instead of raising
        :class:`InvalidResponse`."""
        ep = ENDPOINTS[key]
        if ep.needs_api_key and not self._api_key:
            raise ValueError(f"{ep.key} ({ep.security}) needs an api_key")
        if ep.signed and self._secret is None:
            raise ValueError(f"{ep.key} is SIGNED and needs an api_secret")
        if ep.signed and self._clock_stale():
            self.sync_time()
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        resynced = False
        attempt = 0
        while True:
            try:
                return self._send(ep, clean, client_order_id, text_ok=text_ok)
            except InvalidTimestamp:
                if not ep.signed or resynced:
                    raise
                resynced = True
                logger.info("%s: -1021 timestamp rejected; resyncing clock, retrying", ep.key)
                self.sync_time()
            except (TransportError, NetworkError, ServiceUnavailable) as exc:
                retryable = not ep.mutating or _resend_safe(ep, exc)
                if not retryable or attempt >= len(self.retry_backoff):
                    raise
                delay = self.retry_backoff[attempt] * (1 + self.retry_jitter * random.random())
                attempt += 1
                logger.warning(
                    "%s: %s; retry %d in %.2fs", ep.key, type(exc).__name__, attempt, delay
                )
                self._sleep(delay)

    def _clock_stale(self) -> bool:
        age = self._clock.age_ms()
        return age is None or age < 0 or age > self.time_resync_interval * 1000

    def _send(
        self,
        ep: Endpoint,
        params: dict[str, ParamValue],
        coid: str | None,
        *,
        text_ok: bool = False,
    ) -> Any:
        if self._blocked_error is not None and time.monotonic() < self._blocked_until:
            wait = self._blocked_until - time.monotonic()
            raise self._blocked_error(
                418 if self._blocked_error is IPBanned else 429,
                None,
                f"not sent: backing off for another {wait:.1f}s after a rate-limit answer",
                endpoint=ep.key,
                retry_after=wait,
            )
        wire = dict(params)
        path = _fill_path(ep, wire)
        if ep.signed:
            # "An additional parameter, recvWindow, may be sent" to any SIGNED endpoint.
            wire["recvWindow"] = self.recv_window
            wire["timestamp"] = self._clock.now_ms()
        encoded = _encode(ep, wire)
        if ep.signed:
            assert self._secret is not None
            signature = self._secret.hmac_sha256(encoded)
            encoded = f"{encoded}&signature={signature}" if encoded else f"signature={signature}"
        headers: dict[str, str] = {}
        if ep.needs_api_key:
            assert self._api_key is not None
            headers["X-MBX-APIKEY"] = self._api_key
        url = self.base_url + path
        body: str | None = None
        if ep.method in ("GET", "DELETE"):
            if encoded:
                url = f"{url}?{encoded}"
        elif encoded:
            body = encoded
            headers["Content-Type"] = "application/x-www-form-urlencoded"

        self.weight_budget.acquire(ep.weight_for(wire))
        started = time.monotonic()
        try:
            resp = self._session.request(
                ep.method, url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            kind = type(exc).__name__
            if _nothing_sent(exc):
                raise TransportError(
                    f"{ep.key}: could not connect ({kind}); nothing was sent", endpoint=ep.key
                ) from None
            if ep.mutating:
                unknown = ExecutionUnknown(
                    f"{ep.key}: no response after sending ({kind}); execution status unknown",
                    endpoint=ep.key,
                    client_order_id=coid,
                    params=params,
                )
                logger.warning("%s (client order id %s)", unknown, coid)
                raise unknown from None
            raise NetworkError(f"{ep.key}: no response ({kind})", endpoint=ep.key) from None
        logger.debug(
            "%s -> %s in %.0fms", ep.key, resp.status_code, (time.monotonic() - started) * 1000
        )
        self._observe(resp.headers)
        return self._decode(ep, resp, coid, params, text_ok=text_ok)

    def _observe(self, headers: Mapping[str, str]) -> None:
        seen = parse_rate_headers(headers)
        if seen:
            with self._lock:
                self._used_weight.update(seen)
        self.weight_budget.observe(headers)

    def _decode(
        self,
        ep: Endpoint,
        resp: requests.Response,
        coid: str | None,
        params: Mapping[str, ParamValue] | None = None,
        *,
        text_ok: bool = False,
    ) -> Any:
        status = resp.status_code
        text = resp.text
        payload = _loads(text)
        if 200 <= status < 300:
            if payload is None:
                if not text.strip():
                    return {}
                if text_ok:
                    return text
                raise InvalidResponse(f"{ep.key}: response is not JSON", status=status)
            return payload
        code: int | None = None
        msg = text.strip()[:300]
        if isinstance(payload, dict):
            raw_code = payload.get("code")
            code = int(raw_code) if isinstance(raw_code, int) else None
            msg = str(payload.get("msg", msg))
        retry_after = self._retry_after(status, resp.headers, msg)
        replaced = _cancel_replace_error(status, code, msg, payload, ep.key)
        if replaced is not None:
            raise replaced
        exc = error_for(
            status,
            code,
            msg,
            endpoint=ep.key,
            mutating=ep.mutating,
            client_order_id=coid,
            retry_after=retry_after,
            params=params,
        )
        if isinstance(exc, RateLimited | IPBanned):
            self._blocked_until = time.monotonic() + (retry_after or 0)
            self._blocked_error = type(exc)
            back_off = getattr(self.weight_budget, "back_off", None)
            if callable(back_off):
                back_off(retry_after, status=status)
        if isinstance(exc, ExecutionUnknown):
            logger.warning("%s (client order id %s)", exc, coid)
        raise exc

    @staticmethod
    def _retry_after(status: int, headers: Mapping[str, str], msg: str) -> float | None:
        if status not in (418, 429):
            return None
        value = headers.get("Retry-After")
        if value is not None:
            try:
                return float(value)
            except ValueError:
                pass
        m = _BANNED_UNTIL.search(msg)
        if m:
            return max(0.0, int(m.group(1)) / 1000 - time.time())
        return None

    def sync_time(self) -> int:
        """Measure the server clock offset (ms, server minus local) used for timestamps."""
        sent = self._clock.local_ms()
        data = self._call("GET /api/v3/time")
        received = self._clock.local_ms()
        offset = self._clock.update(
            sent_ms=sent, server_ms=int(data["serverTime"]), received_ms=received
        )
        logger.debug("clock offset %dms (round trip %dms)", offset, received - sent)
        return offset


# A bare word outside a string: the spec's custodian transfer history shows
# ``"expressTrade": FALSE`` (L8028), which is not JSON. Strings are matched first so that their
# contents are left alone.
_BARE_BOOLEAN = re.compile(r'"(?:\\.|[^"\\])*"|\b(TRUE|FALSE)\b')


def _loads(text: str) -> Any:
    """The answer's JSON (decimals exact), None when empty or not JSON. An answer that is JSON
    but for upper-case ``TRUE``/``FALSE`` literals is read with them as booleans."""
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        pass
    fixed = _BARE_BOOLEAN.sub(lambda m: m.group(1).lower() if m.group(1) else m.group(0), text)
    try:
        return json.loads(fixed, parse_float=Decimal)
    except ValueError:
        return None
