"""Staking state: the admin-settable catalogue, positions, pending unstakes, rewards, and their
progress on the sandbox clock (`settle`, run with the wallet's: before every REST request, after
the admin moves the clock, and once a second).

Catalogue rows are GET /sapi/v1/staking/asset's: stakingAsset, rewardAsset, apr, apy,
unstakingPeriod (hours), minStakingLimit, maxStakingLimit, autoRestake (whether rewards of
the asset can be restaked). Seeded: ETH (rewards in ETH, restakable, 168 h) and SOL (rewards
in SOL, paid out, 72 h), the stakable assets among the sandbox's symbols.

Money moves (each spot change pushes outboundAccountPosition; no balanceUpdate, which the spec
keeps for deposits and withdrawals):
  stake     free -= amount, the position grows at once (a "staked"/"SUCCESS" history row)
  unstake   the position shrinks at once; a "unstaked"/"PENDING" row; after unstakingPeriod
            hours of sandbox time free += amount and the row turns "SUCCESS"
  rewards   every 24 h of sandbox time from when the position opened (staked from zero), on
            the whole current stake: floor8(stake x apr / 365); restaked into the position
            when the position's autoRestake is on, else paid to free rewardAsset; each with a
            unique tranId; a reward that rounds to 0 is not paid nor listed
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from .decimals import EIGHT, ZERO, parse_amount
from .wallet_catalog import NAME_RE, plain

if TYPE_CHECKING:
    from .accounts import Account
    from .clock import Clock
    from .streams import StreamHub

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(slots=True)
class StakingAsset:
    staking_asset: str
    reward_asset: str
    apr: Decimal
    apy: Decimal
    unstaking_period: int  # hours
    min_limit: Decimal
    max_limit: Decimal
    auto_restake: bool

    def row(self) -> dict:
        return {
            "stakingAsset": self.staking_asset,
            "rewardAsset": self.reward_asset,
            "apr": plain(self.apr),
            "apy": plain(self.apy),
            "unstakingPeriod": self.unstaking_period,
            "minStakingLimit": plain(self.min_limit),
            "maxStakingLimit": plain(self.max_limit),
            "autoRestake": self.auto_restake,
        }


def default_assets() -> dict[str, StakingAsset]:
    D = Decimal
    rows = [
        StakingAsset("ETH", "ETH", D("0.0325"), D("0.0330"), 168, D("0.01"), D("10000"), True),
        StakingAsset("SOL", "SOL", D("0.0617"), D("0.0636"), 72, D("0.1"), D("50000"), False),
    ]
    return {r.staking_asset: r for r in rows}


@dataclass(slots=True)
class Position:
    amount: Decimal = ZERO
    auto_restake: bool = True
    next_reward: int = 0


@dataclass(slots=True)
class Unstake:
    account: Account
    asset: str
    amount: Decimal
    due: int
    row: dict


@dataclass(slots=True)
class Staking:
    clock: Clock
    hub: StreamHub
    usd_price: Callable[[str], Decimal]
    assets: dict[str, StakingAsset] = field(default_factory=default_assets)
    # account id -> asset -> position
    positions: dict[int, dict[str, Position]] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    history: dict[int, list[dict]] = field(default_factory=dict)
    rewards: dict[int, list[dict]] = field(default_factory=dict)
    pending: list[Unstake] = field(default_factory=list)
    next_record: int = 110
    next_tran: int = 3123200

    def position(self, acct: Account, asset: str) -> Position:
        self.accounts[acct.account_id] = acct
        return self.positions.setdefault(acct.account_id, {}).setdefault(asset, Position())

    def staked(self, acct: Account, asset: str) -> Decimal:
        pos = self.positions.get(acct.account_id, {}).get(asset)
        return pos.amount if pos else ZERO

    def _spot(self, acct: Account, asset: str, delta: Decimal) -> None:
        now = self.clock.now_ms()
        acct.bal(asset).free += delta
        acct.update_time = now
        self.hub.on_balances(acct, [asset], now)

    def _record(self, acct: Account, asset: str, qty: Decimal, kind: str, status: str) -> dict:
        row = {
            "asset": asset,
            "amount": plain(qty),
            "type": kind,
            "initiatedTime": self.clock.now_ms(),
            "status": status,
        }
        self.history.setdefault(acct.account_id, []).append(row)
        return row

    def stake(self, acct: Account, spec: StakingAsset, qty: Decimal, restake: bool) -> str:
        """Stake a checked amount; returns the purchaseRecordId."""
        now = self.clock.now_ms()
        pos = self.position(acct, spec.staking_asset)
        if pos.amount == 0:
            pos.next_reward = now + DAY_MS
        pos.amount += qty
        pos.auto_restake = restake and spec.auto_restake
        self._spot(acct, spec.staking_asset, -qty)
        self._record(acct, spec.staking_asset, qty, "staked", "SUCCESS")
        self.next_record += 1
        return str(self.next_record)

    def stake_refusal(self, acct: Account, spec: StakingAsset, qty: Decimal) -> str | None:
        """Why a stake of `qty` would be refused: "limits" (outside the asset's minimum and
        maximum, with what is staked already) or "balance" (more than is free); None if not."""
        total = self.staked(acct, spec.staking_asset) + qty
        if qty < spec.min_limit or total > spec.max_limit:
            return "limits"
        if acct.bal(spec.staking_asset).free < qty:
            return "balance"
        return None

    def stake_at_start(self, acct: Account, doc: object) -> None:
        """A bootstrap file's "staking": [{"stakingAsset": "SOL", "amount": "60",
        "autoRestake"?: false}, ...], the stake request's parameters, each staked from the free
        balance as that request would be; ValueError where it would be refused."""
        if not isinstance(doc, list):
            raise ValueError("staking must be a list of stakes")
        for i, entry in enumerate(doc):
            where = f"staking[{i}]"
            if not isinstance(entry, dict) or set(entry) - _STAKE_FIELDS:
                raise ValueError(f"{where} takes {', '.join(sorted(_STAKE_FIELDS))}")
            spec = self.assets.get(entry.get("stakingAsset"))  # type: ignore[arg-type]
            if spec is None:
                raise ValueError(f"{where}.stakingAsset is not in the staking catalogue")
            qty = parse_amount(entry.get("amount"), f"{where}.amount")
            refused = self.stake_refusal(acct, spec, qty)
            if refused:
                raise ValueError(f"{where}.amount is {STAKE_REFUSALS[refused]}")
            restake = entry.get("autoRestake", True)
            if not isinstance(restake, bool):
                raise ValueError(f"{where}.autoRestake must be true or false")
            self.stake(acct, spec, qty, restake)

    def unstake(self, acct: Account, spec: StakingAsset, qty: Decimal) -> None:
        pos = self.position(acct, spec.staking_asset)
        pos.amount -= qty
        row = self._record(acct, spec.staking_asset, qty, "unstaked", "PENDING")
        due = self.clock.now_ms() + spec.unstaking_period * HOUR_MS
        self.pending.append(Unstake(acct, spec.staking_asset, qty, due, row))
        self.settle(self.clock.now_ms())  # a 0-hour period credits at once

    # ---- the clock -------------------------------------------------------------------------

    def settle(self, now: int) -> None:
        for u in [u for u in self.pending if u.due <= now]:
            self.pending.remove(u)
            u.row["status"] = "SUCCESS"
            self._spot(u.account, u.asset, u.amount)
        for account_id, by_asset in self.positions.items():
            for asset, pos in by_asset.items():
                while pos.amount > 0 and pos.next_reward <= now:
                    self._reward(self.accounts[account_id], asset, pos, pos.next_reward)
                    pos.next_reward += DAY_MS

    def _reward(self, acct: Account, asset: str, pos: Position, at: int) -> None:
        spec = self.assets.get(asset)
        if spec is None:  # delisted by the admin: no more rewards
            return
        reward = (pos.amount * spec.apr / 365).quantize(EIGHT, rounding=ROUND_DOWN)
        if reward <= 0:
            return
        restaked = pos.auto_restake and spec.reward_asset == asset
        if restaked:
            pos.amount += reward
        else:
            self._spot(acct, spec.reward_asset, reward)
        self.next_tran += 1
        usd = (reward * self.usd_price(spec.reward_asset)).quantize(Decimal("0.01"))
        self.rewards.setdefault(acct.account_id, []).append(
            {
                "asset": spec.reward_asset,
                "amount": plain(reward),
                "usdValue": f"{usd:f}",
                "time": at,
                "tranId": self.next_tran,
                "autoRestaked": restaked,
            }
        )


_STAKE_FIELDS = frozenset({"stakingAsset", "amount", "autoRestake"})
STAKE_REFUSALS = {
    "limits": "outside the asset's staking limits",
    "balance": "more than the free balance",
}


# ---- admin updates ------------------------------------------------------------------------------

_FIELDS = (
    "rewardAsset",
    "apr",
    "apy",
    "unstakingPeriod",
    "minStakingLimit",
    "maxStakingLimit",
    "autoRestake",
)


def update_assets(assets: dict[str, StakingAsset], doc: object) -> dict[str, StakingAsset]:
    """{"ETH": {"apr": "0.05", ...} | null}: a new catalogue (see admin_wallet.py); raises
    ValueError and changes nothing on a bad entry."""
    if not isinstance(doc, dict):
        raise ValueError("the body must be an object of asset -> settings or null")
    out = copy.deepcopy(assets)
    for name, sdoc in doc.items():
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ValueError(f"bad asset name {name!r}")
        if sdoc is None:
            out.pop(name, None)
            continue
        if not isinstance(sdoc, dict):
            raise ValueError(f"{name} must be an object or null")
        unknown = set(sdoc) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown field {name}.{min(unknown)} (known: {', '.join(_FIELDS)})")
        spec = out.get(name)
        if spec is None:
            missing = set(_FIELDS) - set(sdoc) - {"rewardAsset"}
            if missing:
                raise ValueError(f"a new asset {name} needs {', '.join(sorted(missing))}")
            spec = StakingAsset(name, name, ZERO, ZERO, 0, ZERO, ZERO, True)
        for field_name, value in sdoc.items():
            where = f"{name}.{field_name}"
            if field_name == "rewardAsset":
                if not isinstance(value, str) or not NAME_RE.match(value):
                    raise ValueError(f"{where} must be an asset name")
                spec.reward_asset = value
            elif field_name == "unstakingPeriod":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 8760:
                    raise ValueError(f"{where} must be a whole number of hours in [0, 8760]")
                spec.unstaking_period = value
            elif field_name == "autoRestake":
                if not isinstance(value, bool):
                    raise ValueError(f"{where} must be true or false")
                spec.auto_restake = value
            else:
                attr = {
                    "apr": "apr",
                    "apy": "apy",
                    "minStakingLimit": "min_limit",
                    "maxStakingLimit": "max_limit",
                }[field_name]
                setattr(spec, attr, parse_amount(value, where))
        if spec.min_limit > spec.max_limit:
            raise ValueError(f"{name}: minStakingLimit is above maxStakingLimit")
        out[name] = spec
    return out
