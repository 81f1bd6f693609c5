"""Accounts, balances and API keys (in memory).

A key belongs to one account and has a type ("exchange", "custodial", "credit_line", see the
spec's "API Key Types") that decides which endpoint areas it may call.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

from .decimals import ZERO

KEY_TYPES = ("exchange", "custodial", "credit_line")
KEY_RE = re.compile(r"^[A-Za-z0-9]{64}$")
MAKER_RATE = Decimal("0.001")
TAKER_RATE = Decimal("0.001")


@dataclass(slots=True)
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO


@dataclass(eq=False, slots=True)
class Account:
    account_id: int
    email: str
    internal: bool = False  # market-flow accounts: not listed, closed orders not archived
    balances: dict[str, Balance] = field(default_factory=dict)
    maker_rate: Decimal = MAKER_RATE
    taker_rate: Decimal = TAKER_RATE
    update_time: int = 0
    keys: list[ApiKey] = field(default_factory=list)

    def bal(self, asset: str) -> Balance:
        b = self.balances.get(asset)
        if b is None:
            b = self.balances[asset] = Balance()
        return b

    def lock(self, asset: str, amount: Decimal) -> None:
        b = self.bal(asset)
        b.free -= amount
        b.locked += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        b = self.bal(asset)
        b.locked -= amount
        b.free += amount


@dataclass(eq=False, slots=True)
class ApiKey:
    api_key: str
    secret: str
    key_type: str
    account: Account


class Registry:
    """All accounts and keys. Key material comes from a seeded RNG so runs are repeatable."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.by_email: dict[str, Account] = {}
        self.by_id: dict[int, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self._next_id = 1

    def create_account(
        self, email: str, balances: dict[str, Decimal], *, internal: bool = False
    ) -> Account:
        if email in self.by_email:
            raise KeyError(email)
        acct = Account(self._next_id, email, internal)
        self._next_id += 1
        for asset, amount in balances.items():
            acct.bal(asset).free = amount
        self.by_email[email] = acct
        self.by_id[acct.account_id] = acct
        return acct

    def new_secret(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits, k=64))

    def add_key(
        self, acct: Account, key_type: str, api_key: str | None = None, secret: str | None = None
    ) -> ApiKey:
        """Issue a key; raises ValueError on a bad type/format, KeyError if the key exists."""
        if key_type not in KEY_TYPES:
            raise ValueError(f"type must be one of {', '.join(KEY_TYPES)}")
        api_key = api_key or self.new_secret()
        secret = secret or self.new_secret()
        for name, value in (("apiKey", api_key), ("secretKey", secret)):
            if not KEY_RE.match(value):
                raise ValueError(f"{name} must be 64 letters/digits")
        if api_key in self.keys:
            raise KeyError(api_key)
        key = ApiKey(api_key, secret, key_type, acct)
        self.keys[api_key] = key
        acct.keys.append(key)
        return key
