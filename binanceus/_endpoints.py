"""The endpoint table: ``endpoints.json`` (package data) loaded into :class:`Endpoint` objects.

It is the single source of truth for each modeled method's HTTP method, path, security type and
request weight. Endpoints are keyed by the stable name ``"<METHOD> <path>"``, e.g.
``"POST /api/v3/order"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = [
    "ENDPOINTS",
    "WS_API_METHODS",
    "Coverage",
    "Endpoint",
    "Param",
    "endpoint",
    "load_endpoints",
    "load_ws_api_methods",
    "ws_api_coverage_of",
    "ws_api_method",
]

SECURITY_TYPES = frozenset({"NONE", "MARKET_DATA", "USER_STREAM", "SIGNED"})


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str
    mandatory: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    area: str
    security: str
    weight: int | None
    """The fixed weight, or ``None`` when the spec gives a variable weight (see weight_for)."""
    params: tuple[Param, ...]
    title: str = ""
    weight_text: str | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def signed(self) -> bool:
        return self.security == "SIGNED"

    @property
    def needs_api_key(self) -> bool:
        return self.security != "NONE"

    @property
    def mutating(self) -> bool:
        """True for calls whose outcome matters if unknown (anything but GET)."""
        return self.method != "GET"

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    def weight_for(self, params: Mapping[str, Any] | None = None) -> int:
        """Request weight of one call with ``params`` (resolves the spec's variable weights)."""
        params = params or {}
        special = _VARIABLE_WEIGHTS.get(self.key)
        if special is not None:
            return special(params)
        return self.weight if self.weight is not None else 1


def _depth_weight(params: Mapping[str, Any]) -> int:
    limit = int(params.get("limit") or 100)
    if limit <= 100:
        return 1
    if limit <= 500:
        return 5
    if limit <= 1000:
        return 10
    return 50


def _one_or_all(single: int, many: int) -> Callable[[Mapping[str, Any]], int]:
    def weight(params: Mapping[str, Any]) -> int:
        return single if params.get("symbol") is not None else many

    return weight


def _count(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value.count(",") + 1 if value.strip("[] ") else 0
    return len(list(value))


def _ticker_24hr_weight(params: Mapping[str, Any]) -> int:
    """symbol: 1; symbols: 1-20 -> 1, 21-100 -> 20, more -> 40; neither (all symbols): 40."""
    if params.get("symbol") is not None:
        return 1
    n = _count(params, "symbols")
    if n is None:
        return 40
    return 1 if n <= 20 else 20 if n <= 100 else 40


def _rolling_ticker_weight(params: Mapping[str, Any]) -> int:
    """2 per requested symbol, capped at 100 (more than 50 symbols)."""
    if params.get("symbol") is not None:
        return 2
    return min(100, 2 * max(1, _count(params, "symbols") or 0))


def _prevented_matches_weight(params: Mapping[str, Any]) -> int:
    """1 by preventedMatchId, 10 by orderId."""
    return 1 if params.get("preventedMatchId") is not None else 10


_VARIABLE_WEIGHTS: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "GET /api/v3/depth": _depth_weight,
    "GET /api/v3/ticker/price": _one_or_all(1, 2),
    "GET /api/v3/ticker/bookTicker": _one_or_all(1, 2),
    "GET /api/v3/ticker/24hr": _ticker_24hr_weight,
    "GET /api/v3/ticker": _rolling_ticker_weight,
    "GET /api/v3/openOrders": _one_or_all(3, 40),
    "GET /api/v3/myPreventedMatches": _prevented_matches_weight,
}

_LEADING_INT = re.compile(r"^\s*(\d+)\s*$")


def _parse_weight(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw
    m = _LEADING_INT.match(str(raw))
    if m:
        return int(m.group(1))
    m = re.match(r"^\s*(\d+)\b", str(raw))  # "10 with symbol"
    return int(m.group(1)) if m else None


def _packaged_table() -> Mapping[str, Any]:
    text = resources.files(__package__).joinpath("endpoints.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def load_endpoints(data: Mapping[str, Any] | None = None) -> Mapping[str, Endpoint]:
    """Parse the table (by default the packaged ``endpoints.json``)."""
    if data is None:
        data = _packaged_table()
    table: dict[str, Endpoint] = {}
    for row in data["rest"]:
        security = row.get("security") or "NONE"
        if security not in SECURITY_TYPES:
            raise ValueError(f"unknown security type {security!r} for {row['path']}")
        ep = Endpoint(
            method=row["method"].upper(),
            path=row["path"],
            area=row.get("area", ""),
            security=security,
            weight=_parse_weight(row.get("weight")),
            params=tuple(
                Param(
                    name=p["name"],
                    type=p.get("type", ""),
                    mandatory=bool(p.get("mandatory")),
                    description=p.get("description", ""),
                )
                for p in row.get("params", [])
            ),
            title=row.get("title", ""),
            weight_text=None if row.get("weight") is None else str(row.get("weight")),
        )
        table.setdefault(ep.key, ep)
    return MappingProxyType(table)


ENDPOINTS: Mapping[str, Endpoint] = load_endpoints()


def load_ws_api_methods(data: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The WebSocket API's method names (``order.place``, ...) of the table."""
    if data is None:
        data = _packaged_table()
    return frozenset(data.get("websocket_api_methods", ()))


WS_API_METHODS: frozenset[str] = load_ws_api_methods()

F = TypeVar("F", bound=Callable[..., Any])


def endpoint(key: str) -> Callable[[F], F]:
    """Mark a client method as the typed wrapper of ``key``; fails at import on a typo."""
    if key not in ENDPOINTS:
        raise KeyError(f"{key!r} is not in the endpoint table (binanceus/endpoints.json)")

    def decorate(func: F) -> F:
        func.__endpoint__ = key  # type: ignore[attr-defined]
        return func

    return decorate


def ws_api_method(name: str) -> Callable[[F], F]:
    """Mark a WebSocket API client method as the typed call of the WebSocket API method
    ``name``; fails at import on a name the table does not list."""
    if name not in WS_API_METHODS:
        raise KeyError(f"{name!r} is not a WebSocket API method of binanceus/endpoints.json")

    def decorate(func: F) -> F:
        func.__ws_api_method__ = name  # type: ignore[attr-defined]
        return func

    return decorate


@dataclass(frozen=True, slots=True)
class Coverage:
    modeled: Mapping[str, tuple[str, ...]]
    """endpoint key -> names of the typed client methods that call it."""
    unmodeled: tuple[str, ...]

    @property
    def ratio(self) -> float:
        total = len(self.modeled) + len(self.unmodeled)
        return len(self.modeled) / total if total else 0.0

    def __str__(self) -> str:
        lines = [f"{len(self.modeled)}/{len(self.modeled) + len(self.unmodeled)} endpoints typed"]
        lines += [f"  + {k}: {', '.join(v)}" for k, v in sorted(self.modeled.items())]
        lines += [f"  - {k}" for k in self.unmodeled]
        return "\n".join(lines)


def coverage_of(cls: type) -> Coverage:
    modeled: dict[str, list[str]] = {}
    for name in dir(cls):
        key = getattr(getattr(cls, name, None), "__endpoint__", None)
        if key is not None:
            modeled.setdefault(key, []).append(name)
    unmodeled = tuple(k for k in ENDPOINTS if k not in modeled)
    return Coverage(
        modeled=MappingProxyType({k: tuple(v) for k, v in modeled.items()}),
        unmodeled=unmodeled,
    )


def ws_api_coverage_of(cls: type) -> Coverage:
    """Which WebSocket API methods of the table have a typed method on ``cls``."""
    modeled: dict[str, list[str]] = {}
    for name in dir(cls):
        method = getattr(getattr(cls, name, None), "__ws_api_method__", None)
        if method is not None:
            modeled.setdefault(method, []).append(name)
    return Coverage(
        modeled=MappingProxyType({k: tuple(v) for k, v in modeled.items()}),
        unmodeled=tuple(sorted(WS_API_METHODS - modeled.keys())),
    )
