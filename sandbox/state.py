"""The exchange as one object: clock, faults, accounts, engine, streams, limits, flow."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

from . import price_history
from .accounting import RequestLog
from .accounts import Account, Registry
from .clock import Clock, Faults
from .decimals import parse_amount
from .engine import Engine
from .market import MarketFlow
from .ratelimit import RateLimiter
from .staking_book import Staking
from .streams import StreamHub
from .symbols import SYMBOLS
from .userstream import ListenKeys
from .wallet_book import Wallet


def parse_balances(raw: object) -> dict[str, Decimal]:
    """{"USD": "10000"} -> Decimals; raises ValueError with a readable message."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError("balances must be an object of asset -> amount")
    out = {}
    for asset, amount in raw.items():
        if not isinstance(asset, str) or not asset.isalnum() or not asset.isupper():
            raise ValueError(f"bad asset name {asset!r}")
        out[asset] = parse_amount(amount, f"balances.{asset}")
    return out


class Exchange:
    def __init__(self, seed: int = 1, history_days: float = 0) -> None:
        """`history_days`: days of synthetic trades before now (price_history.py); 0 opens
        with an empty tape, which is what tests that count trades and volumes expect."""
        self.seed = seed
        self.clock = Clock()
        self.faults = Faults()
        self.requests = RequestLog()
        self.sub_transfers: list = []  # subaccounts.SubTransfer, in execution order
        self.next_txn = 2966662588  # sub-account transfer txnIds count up from here
        self.next_custody_id = 2022092709232937542366  # custodial transferIds likewise
        self.next_cl_id = 1331390  # credit-line transferIds likewise
        self.registry = Registry(random.Random(f"keys:{seed}"))
        self.engine = Engine(SYMBOLS.values(), self.clock, random.Random(f"ids:{seed}"))
        price_history.fill(self.engine.books.values(), seed, self.clock.now_ms(), history_days)
        self.listen_keys = ListenKeys(self.clock, random.Random(f"listen:{seed}"))
        self.hub = StreamHub(self.engine, self.listen_keys, self.clock, self.faults)
        self.engine.listener = self.hub
        self.limits = RateLimiter(self.clock)
        self.flow = MarketFlow(self.engine, self.registry, seed)
        self.flow.seed_book()
        self.wallet = Wallet(self.clock, self.hub, seed)
        self.staking = Staking(self.clock, self.hub, self.usd_price)
        self.otc_due: dict[int, Account] = {}  # accounts with OTC orders not final (otc.py)

    def usd_price(self, asset: str) -> Decimal:
        from .subaccounts import usd_price  # subaccounts imports this module

        return usd_price(self, asset)

    def settle(self) -> None:
        """Move what the sandbox clock has made due: withdrawals and deposits (wallet_book.py),
        unstakes and rewards (staking_book.py), OTC orders (otc.py). Run before every REST
        request, after the admin moves the clock, and every second."""
        now = self.clock.now_ms()
        self.wallet.settle(now)
        self.staking.settle(now)
        if self.otc_due:
            from .otc import settle_due  # otc imports this module

            settle_due(self, now)

    def deposit(self, acct: Account, asset: str, amount: Decimal) -> None:
        acct.bal(asset).free += amount
        acct.update_time = self.clock.now_ms()
        self.hub.on_deposit(acct, asset, amount)

    def load_bootstrap(self, path: Path) -> None:
        """Create the accounts and keys of a bootstrap file (see README in __main__)."""
        doc = json.loads(path.read_text())
        for entry in doc.get("accounts", []):
            # A sub-account names its master, which must come earlier in the file.
            master = self.registry.by_email[entry["master"]] if entry.get("master") else None
            acct = self.registry.create_account(
                entry["email"], parse_balances(entry.get("balances")), master=master
            )
            acct.update_time = self.clock.now_ms()
            for key in entry.get("keys", []):
                self.registry.add_key(
                    acct, key.get("type", "exchange"), key.get("apiKey"), key.get("secretKey")
                )
            self._bootstrap_areas(acct, entry)

    def _bootstrap_areas(self, acct: Account, entry: dict) -> None:
        """ "custody" and "creditLine": the documents the admin calls take (custody.configure,
        creditline.configure), for a demo whose custodial and credit-line keys have something
        to show from the start; "staking": stake requests' parameters, staked from the
        balances just given (Staking.stake_at_start)."""
        from . import creditline, custody  # they import this module

        if entry.get("staking"):
            self.staking.stake_at_start(acct, entry["staking"])
        if entry.get("custody"):
            custody.configure(acct, entry["custody"], self.clock.now_ms())
        if entry.get("creditLine"):
            creditline.configure(self, acct, entry["creditLine"])
