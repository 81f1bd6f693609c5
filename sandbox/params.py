"""Request parameters: merging query string and form body, and typed, validated access.

Per the spec ("Making Requests"), parameters may come from the query string, the
form-encoded body or both; on a clash the query string wins. A name repeated within one
source is -1101 (L577 "Duplicate values for a parameter detected."), except where the spec
documents an ARRAY sent as a repeated key (REPEATED_PARAMS): there every value is kept, and the
source that wins a clash gives the whole list. The values of an endpoint's `{name}` path
segments are parameters too, over anything sent under the same name.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from . import errors
from .decimals import DECIMAL_RE, scale

if TYPE_CHECKING:
    from .endpoint_table import Endpoint

INT_RE = re.compile(r"^-?[0-9]{1,19}$")
LONG_MAX = 2**63 - 1
# The engine keeps amounts as 64-bit integers of 1e-8 units: anything larger overflows.
DECIMAL_MAX = Decimal(LONG_MAX) / 10**8
SIGNED_PARAMS = ("recvWindow", "timestamp", "signature")
# Spec parameters of the endpoints whose parameter lists the sandbox checks as a whole
# (unknown names, empty values); a trailing "*" marks a mandatory one. SIGNED endpoints also
# take SIGNED_PARAMS. Endpoints not listed here check only the parameters they read.
ENDPOINT_PARAMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/api/v3/ping"): (),
    ("GET", "/api/v3/time"): (),
    ("GET", "/api/v3/exchangeInfo"): ("symbol", "symbols", "permissions"),
    ("GET", "/api/v3/depth"): ("symbol*", "limit"),
    ("GET", "/api/v3/trades"): ("symbol*", "limit"),
    ("GET", "/api/v3/historicalTrades"): ("symbol*", "limit", "fromId"),
    ("GET", "/api/v3/aggTrades"): ("symbol*", "fromId", "startTime", "endTime", "limit"),
    ("GET", "/api/v3/klines"): ("symbol*", "interval*", "startTime", "endTime", "limit"),
    ("GET", "/api/v3/avgPrice"): ("symbol*",),
    ("GET", "/api/v3/ticker/price"): ("symbol", "symbols"),
    ("GET", "/api/v3/ticker/bookTicker"): ("symbol", "symbols"),
    ("GET", "/api/v3/ticker/24hr"): ("symbol", "symbols", "type"),
    ("GET", "/api/v3/ticker"): ("symbol", "symbols", "windowSize", "type"),
    ("GET", "/api/v3/account"): (),
    ("GET", "/sapi/v3/accountStatus"): (),
    ("GET", "/sapi/v3/apiTradingStatus"): (),
    ("GET", "/sapi/v1/asset/query/trading-fee"): ("symbol",),
    ("GET", "/sapi/v1/asset/query/trading-volume"): (),
    ("GET", "/api/v3/rateLimit/order"): (),
    ("POST", "/api/v3/order"): (
        "symbol*",
        "side*",
        "type*",
        "timeInForce",
        "quantity",
        "quoteOrderQty",
        "price",
        "newClientOrderId",
        "stopPrice",
        "trailingDelta",
        "icebergQty",
        "selfTradePreventionMode",
        "newOrderRespType",
    ),
    ("GET", "/api/v3/order"): ("symbol*", "orderId", "origClientOrderId"),
    ("DELETE", "/api/v3/order"): (
        "symbol*",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
    ),
    ("GET", "/api/v3/openOrders"): ("symbol",),
    ("POST", "/api/v3/userDataStream"): (),
    ("PUT", "/api/v3/userDataStream"): ("listenKey*",),
    ("DELETE", "/api/v3/userDataStream"): ("listenKey*",),
}
# Empty values with their own codes in the spec; other empty optional ones are -1105.
EMPTY_ERRORS = {
    "newClientOrderId": lambda: errors.ApiError(-1118, "New client order ID was empty."),
    "origClientOrderId": lambda: errors.ApiError(-1119, "Original client order ID was empty."),
}


# Names an endpoint takes as an ARRAY sent as a repeated key: POST /sapi/v1/asset/dust's
# "fromAsset=BTC&fromAsset=ETH" (L6562).
REPEATED_PARAMS: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/sapi/v1/asset/dust"): frozenset({"fromAsset"}),
}


def _pairs(raw: str, repeatable: frozenset[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name in out and name not in repeatable:
            raise errors.duplicate_param()
        out.setdefault(name, []).append(value)
    return out


def merge(query: str, body: str, repeatable: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    return {**_pairs(body, repeatable), **_pairs(query, repeatable)}


def path_values(endpoint: Endpoint, path: str) -> dict[str, str]:
    """{"orderId": "10002349"} for /sapi/v1/otc/orders/10002349 (`find` matched the path)."""
    pattern = endpoint.path.split("/")
    return {p[1:-1]: q for p, q in zip(pattern, path.split("/"), strict=True) if p.startswith("{")}


def request_params(endpoint: Endpoint | None, path: str, query: str, body: str) -> Params:
    """A request's parameters (see the module docstring); -1101 for a repeated name."""
    if endpoint is None:
        return Params.of(merge(query, body))
    repeatable = REPEATED_PARAMS.get((endpoint.method, endpoint.path), frozenset())
    return Params.of(merge(query, body, repeatable), path_values(endpoint, path))


class Params:
    def __init__(self, values: dict[str, str], lists: dict[str, list[str]] | None = None) -> None:
        self.values = values
        self.lists = lists or {}

    @classmethod
    def of(cls, merged: dict[str, list[str]], fixed: dict[str, str] | None = None) -> Params:
        """From merged lists (a repeated name reads as its last value but for `every`), with
        `fixed` values over them."""
        values = {name: sent[-1] for name, sent in merged.items()}
        return cls({**values, **(fixed or {})}, merged)

    def every(self, name: str) -> list[str]:
        """Every value of a REPEATED_PARAMS name, in the order sent; -1102 when none was sent
        or one is empty."""
        sent = self.lists.get(name, [])
        if not sent or "" in sent:
            raise errors.mandatory(name)
        return sent

    def has(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise errors.mandatory(name)
            return None
        return value

    def req(self, name: str) -> str:
        value = self.get(name, required=True)
        assert value is not None
        return value

    def matched(self, name: str, pattern: re.Pattern[str], *, required: bool = False) -> str | None:
        """The value if sent; -1100 naming the legal range if it does not match `pattern`."""
        value = self.get(name, required=required)
        if value is not None and not pattern.match(value):
            raise errors.ApiError(
                -1100,
                f"Illegal characters found in parameter '{name}'; the legal range is "
                f"'{pattern.pattern}'.",
            )
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.matched(name, INT_RE, required=required)
        number = None if value is None else int(value)
        if number is not None and abs(number) > LONG_MAX:
            raise errors.overflow(name)
        return number

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.matched(name, DECIMAL_RE, required=required)
        if value is None:
            return None
        number = Decimal(value)
        if number > DECIMAL_MAX:
            raise errors.overflow(name)
        if scale(number) > 8:
            raise errors.bad_precision()
        return number

    def enum(
        self,
        name: str,
        allowed: tuple[str, ...],
        error: errors.ApiError | None = None,
        *,
        required: bool = False,
    ) -> str | None:
        value = self.get(name, required=required)
        if value is not None and value not in allowed:
            raise error or errors.invalid_param(name)
        return value

    def json_list(self, name: str) -> list[str] | None:
        """A JSON array of strings, e.g. symbols=["BTCUSDT","BNBUSDT"]."""
        value = self.get(name)
        if value is None:
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            raise errors.invalid_json(name) from None
        if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
            raise errors.invalid_json(name)
        return parsed

    def limit(self, name: str, default: int, maximum: int) -> int:
        value = self.integer(name)
        if value is None:
            return default
        if value < 1:
            raise errors.invalid_param(name)
        return min(value, maximum)


def check_names(method: str, path: str, signed: bool, values: dict[str, str]) -> None:
    """Unknown and empty parameters of a listed endpoint (see ENDPOINT_PARAMS): -1101 when a
    public endpoint takes none, -1104 when some sent ones are not the endpoint's, -1105 (or
    the name's own code) for an empty optional one. SIGNED_PARAMS are let through anywhere:
    clients commonly sign USER_STREAM calls too."""
    spec = ENDPOINT_PARAMS.get((method, path))
    if spec is None:
        return
    mandatory = {n[:-1] for n in spec if n.endswith("*")}
    known = {n.rstrip("*") for n in spec} | set(SIGNED_PARAMS)
    unknown = [n for n in values if n not in known]
    sent = len(values)
    if unknown and not spec and not signed:
        raise errors.ApiError(-1101, f"Too many parameters; expected '0' and received '{sent}'.")
    if unknown:
        raise errors.ApiError(
            -1104,
            f"Not all sent parameters were read; read '{sent - len(unknown)}' parameter(s) "
            f"but was sent '{sent}'.",
        )
    for name, value in values.items():
        if value == "" and name not in mandatory:
            make = EMPTY_ERRORS.get(name)
            raise make() if make else errors.param_empty(name)
