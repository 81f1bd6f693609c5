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
    # Per-symbol (maker, taker) rates set through the admin API; other symbols use the above.
    symbol_rates: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    # Traded quote volume in USD by UTC day number (accounting.VolumeTap keeps it).
    volume_by_day: dict[int, Decimal] = field(default_factory=dict)
    update_time: int = 0
    keys: list[ApiKey] = field(default_factory=list)
    # Sub-accounts: a sub-account names its master; a master lists its subs (creation order).
    master: Account | None = None
    subs: list[Account] = field(default_factory=list)
    sub_enabled: bool = True
    create_time: int = 0
    # GET /sapi/v3/accountStatus "msg" and GET /sapi/v3/apiTradingStatus "status" (admin-set).
    status_msg: str = "Normal"
    trading_status: dict = field(default_factory=dict)
    # Crypto deposits credited through the admin API (sub-account deposit history).
    deposits: list[dict] = field(default_factory=list)
    # Custodial Solution and Credit Line state (custody.py / creditline.py), when set up.
    custody: object = None
    credit_line: object = None
    # OTC, dust and partner/broker state (otc.py / dust.py / partners.py), made on first use.
    otc: object = None
    dust: object = None
    partners: object = None

    def rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """(maker, taker) commission rates on `symbol`."""
        return self.symbol_rates.get(symbol, (self.maker_rate, self.taker_rate))

    def rate(self, symbol: str, is_maker: bool) -> Decimal:
        maker, taker = self.rates(symbol)
        return maker if is_maker else taker

    def family(self) -> list[Account]:
        """This account and its sub-accounts: what a key of this account may manage."""
        return [self, *self.subs]

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
    # Key permissions (spec "API Key Types": keys may be restricted, e.g. no TRADE routes).
    can_trade: bool = True
    can_withdraw: bool = True
    can_deposit: bool = True


class Registry:
    """All accounts and keys. Key material comes from a seeded RNG so runs are repeatable."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.by_email: dict[str, Account] = {}
        self.by_id: dict[int, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self._next_id = 1

    def create_account(
        self,
        email: str,
        balances: dict[str, Decimal],
        *,
        internal: bool = False,
        master: Account | None = None,
    ) -> Account:
        if email in self.by_email:
            raise KeyError(email)
        acct = Account(self._next_id, email, internal, master=master)
        if master is not None:
            master.subs.append(acct)
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
