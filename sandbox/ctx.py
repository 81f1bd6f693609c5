"""The per-request context REST handlers receive (authenticated by `app.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import errors
from .accounts import Account, ApiKey
from .params import Params
from .state import Exchange


@dataclass(slots=True)
class Ctx:
    ex: Exchange
    params: Params
    key: ApiKey | None
    ip: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def account(self) -> Account:
        """The key's account; only called by authenticated endpoints."""
        assert self.key is not None
        return self.key.account

    def now(self) -> int:
        return self.ex.clock.now_ms()


def positive_amount(p: Params, name: str) -> Decimal:
    """A mandatory DECIMAL parameter that must be > 0 (-1130 otherwise)."""
    amount = p.decimal(name, required=True)
    assert amount is not None
    if amount <= 0:
        raise errors.invalid_param(name)
    return amount


def page_of(rows: list, page: int | None, size: int) -> list:
    """1-based page `page` (default 1) of `size` rows."""
    page = page or 1
    if page < 1:
        raise errors.invalid_param("page")
    return rows[(page - 1) * size : page * size]


def in_window(t: int, start: int | None, end: int | None) -> bool:
    return (start is None or t >= start) and (end is None or t <= end)
