"""Request parameters: merging query string and form body, and typed, validated access.

Per the spec ("Making Requests"), parameters may come from the query string, the
form-encoded body or both; on a clash the query string wins. A name repeated within one
source is -1101.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import parse_qsl

from . import errors
from .decimals import DECIMAL_RE, scale

INT_RE = re.compile(r"^-?[0-9]{1,19}$")


def _pairs(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name in out:
            raise errors.duplicate_param()
        out[name] = value
    return out


def merge(query: str, body: str) -> dict[str, str]:
    return {**_pairs(body), **_pairs(query)}


class Params:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

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

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.get(name, required=required)
        if value is None:
            return None
        if not INT_RE.match(value):
            raise errors.ApiError(
                -1100,
                f"Illegal characters found in parameter '{name}'; the legal range is "
                f"'{INT_RE.pattern}'.",
            )
        return int(value)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.get(name, required=required)
        if value is None:
            return None
        if not DECIMAL_RE.match(value):
            raise errors.ApiError(
                -1100,
                f"Illegal characters found in parameter '{name}'; the legal range is "
                f"'{DECIMAL_RE.pattern}'.",
            )
        number = Decimal(value)
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
