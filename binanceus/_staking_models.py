"""Models of the staking answers: staking assets, stake / unstake results, balances, the
staking history and rewards.

Conventions as in :mod:`binanceus._models`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ._fields import Model, model, wire

__all__ = [
    "StakingAsset",
    "StakingBalance",
    "StakingRecord",
    "StakingResult",
    "StakingReward",
]

SUCCESS_CODE = "000000"


@model
class StakingAsset(Model):
    """One row of ``GET /sapi/v1/staking/asset``."""

    staking_asset: str
    reward_asset: str
    apr: Decimal
    """Annual rate without rewards restaked (``0.0517`` = 5.17 %)."""
    apy: Decimal
    """Annual rate with rewards restaked."""
    unstaking_period: int
    """Hours between an unstake and the asset's return."""
    min_staking_limit: Decimal
    max_staking_limit: Decimal
    auto_restake: bool = wire(missing=False)

    @property
    def unstaking_delay(self) -> timedelta:
        return timedelta(hours=self.unstaking_period)


@model
class StakingResult(Model):
    """``POST /sapi/v1/staking/stake`` / ``.../unstake`` answer: ``{code, message,
    data: {result, purchaseRecordId}, success}`` (unstake has no ``purchaseRecordId``)."""

    code: str = wire(missing="")
    message: str = wire(missing="")
    result: str = wire("data.result", missing="")
    """``"SUCCESS"`` in the spec."""
    purchase_record_id: str | None = wire("data.purchaseRecordId")
    success: bool = wire(missing=False)

    @property
    def ok(self) -> bool:
        """``success`` with the success code and result."""
        return self.success and self.code == SUCCESS_CODE and self.result == "SUCCESS"


@model
class StakingBalance(Model):
    """One row of ``GET /sapi/v1/staking/stakingBalance`` (``data``)."""

    asset: str
    staking_amount: Decimal
    reward_asset: str | None
    apr: Decimal | None
    apy: Decimal | None
    auto_restake: bool = wire(missing=False)


@model
class StakingRecord(Model):
    """One row of ``GET /sapi/v1/staking/history`` (``type``: ``"staked"``, ``"unstaked"``,
    ...; ``status``: ``"SUCCESS"``, ...)."""

    asset: str
    amount: Decimal
    type: str
    initiated_time: datetime
    status: str = wire(missing="")


@model
class StakingReward(Model):
    """One row of ``GET /sapi/v1/staking/stakingRewardsHistory`` (``data``)."""

    asset: str | None
    amount: Decimal
    usd_value: Decimal | None
    time: datetime
    tran_id: int
    auto_restaked: bool = wire(missing=False)
