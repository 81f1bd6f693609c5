"""The rules a stake or an unstake must meet before anything is sent: the exchange's own staking
catalogue (limits), the free balance (stake) and the staked amount (unstake).

Each refusal names the form field it is about; the exchange checks it all again, so checking
first means a refusal costs nothing and never leaves a failed operation behind.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.models import ExchangeConnection
from desk.money import plain
from wallet.staking import reads
from wallet.staking.models import OperationKind
from wallet.withdrawals.checks import Problem, WithdrawalProblems, free_balance

MAX_DECIMALS = 8


# One refusal for the wallet's checks (the free balance is read by the withdrawal's): refused
# before anything was sent; ``problems`` say where and why.
StakingProblems = WithdrawalProblems


def _decimals(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def _refuse(field: str | None, message: str) -> StakingProblems:
    return StakingProblems([Problem(field, message)])


def _amount_check(amount: Decimal) -> None:
    if amount <= 0:
        raise _refuse("amount", "must be more than 0")
    if _decimals(amount) > MAX_DECIMALS:
        raise _refuse("amount", f"at most {MAX_DECIMALS} decimal places")


def _staked(connection: ExchangeConnection, asset: str) -> Decimal:
    staked, why = reads.staked_amount(connection=connection, asset=asset)
    if staked is None:
        raise _refuse(
            None, f"The staking balance cannot be read right now ({why}); nothing was sent."
        )
    return staked


def operation_check(
    *, connection: ExchangeConnection, kind: str, asset: str, amount: Decimal
) -> None:
    """Raises ``StakingProblems`` naming what is wrong; returns when the operation may go."""
    assets = reads.staking_assets(connection=connection)
    if assets.error:
        raise _refuse(None, f"The staking catalogue cannot be read ({assets.error}).")
    spec = next((a for a in assets.rows if a.staking_asset == asset), None)
    if spec is None:
        raise _refuse("asset", f"{asset} cannot be staked on this exchange")
    _amount_check(amount)
    staked = _staked(connection, asset)
    if kind == OperationKind.UNSTAKE:
        if amount > staked:
            raise _refuse("amount", f"more than is staked ({plain(staked)} {asset})")
        return
    if amount < spec.min_staking_limit:
        least = plain(spec.min_staking_limit)
        raise _refuse("amount", f"below the minimum stake of {least} {asset}")
    if staked + amount > spec.max_staking_limit:
        room = max(spec.max_staking_limit - staked, Decimal(0))
        raise _refuse(
            "amount",
            f"over the maximum of {plain(spec.max_staking_limit)} {asset} staked "
            f"(at most {plain(room)} more)",
        )
    free = free_balance(connection=connection, coin=asset)
    if amount > free:
        raise _refuse("amount", f"more than the free balance ({plain(free)} {asset})")
