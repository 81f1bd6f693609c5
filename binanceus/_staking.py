"""Staking methods (``staking`` area): assets, stake / unstake, balances and histories."""

from __future__ import annotations

from decimal import Decimal
from typing import Unpack

from ._endpoints import endpoint
from ._params import PagedWindow
from ._staking_models import (
    StakingAsset,
    StakingBalance,
    StakingRecord,
    StakingResult,
    StakingReward,
)
from ._transport import Transport, as_amount, rows, sends


class StakingMethods(Transport):
    """Staking assets, stake / unstake, balances, history and rewards.

    Stake and unstake take no client id and are never retried automatically: on
    :class:`ExecutionUnknown` (``params`` hold what was sent) look for the operation in
    :meth:`staking_history` (asset, type, amount, time) before trying again.
    """

    areas = ("staking",)

    @sends("GET /sapi/v1/staking/asset", rows(StakingAsset.from_api))
    def staking_assets(self, *, staking_asset: str | None = None) -> list[StakingAsset]:
        """The stakable assets (one when ``staking_asset`` is given): rates, limits, unstaking
        period."""

    @endpoint("POST /sapi/v1/staking/stake")
    def stake(
        self, *, staking_asset: str, amount: Decimal, auto_restake: bool = True
    ) -> StakingResult:
        """Stake ``amount`` of ``staking_asset`` (``auto_restake``: restake the rewards; always
        sent, the spec's default is true)."""
        return StakingResult.from_api(
            self._call(
                "POST /sapi/v1/staking/stake",
                {
                    "stakingAsset": staking_asset,
                    "amount": as_amount(amount),
                    "autoRestake": auto_restake,
                },
            )
        )

    @endpoint("POST /sapi/v1/staking/unstake")
    def unstake(self, *, staking_asset: str, amount: Decimal) -> StakingResult:
        """Unstake ``amount`` of ``staking_asset``; it returns after the asset's
        ``unstaking_period``."""
        return StakingResult.from_api(
            self._call(
                "POST /sapi/v1/staking/unstake",
                {"stakingAsset": staking_asset, "amount": as_amount(amount)},
            )
        )

    @sends("GET /sapi/v1/staking/stakingBalance", rows(StakingBalance.from_api, "data"))
    def staking_balance(self, *, asset: str | None = None) -> list[StakingBalance]:
        """Staked amounts (of ``asset``, or of every asset with a balance)."""

    @sends("GET /sapi/v1/staking/history", rows(StakingRecord.from_api))
    def staking_history(
        self, *, asset: str | None = None, **window: Unpack[PagedWindow]
    ) -> list[StakingRecord]:
        """Stakes and unstakes (``page`` from 1; ``limit`` up to 500 a page)."""

    @sends("GET /sapi/v1/staking/stakingRewardsHistory", rows(StakingReward.from_api, "data"))
    def staking_rewards_history(
        self, *, asset: str | None = None, **window: Unpack[PagedWindow]
    ) -> list[StakingReward]:
        """Rewards paid (``page`` from 1; ``limit`` up to 500 a page)."""
