"""Staking endpoints (spec "Staking Endpoints"); state and clock-driven progress are
staking_book.py's, the admin catalogue calls admin_wallet.py's.

Envelopes, each as its example: GET staking/asset and GET staking/history answer bare lists;
POST stake / unstake {"code": "000000", "message": "success", "data": {"result": "SUCCESS"
(, "purchaseRecordId")}, "success": true}; GET stakingBalance {"code", "message", "data": [..],
"status": ["holding"], "success"}; GET stakingRewardsHistory {"code", "message", "data": [..],
"total", "success"}.

Where the spec is silent, the sandbox chooses:
- Parameters as the spec's tables name them (stakingAsset, not the stake curl's userId/asset);
  every endpoint is SIGNED (timestamp required, though no table lists it).
- Errors: asset not in the catalogue -1130 'stakingAsset'; amount <= 0, below
  minStakingLimit, or taking the total staked above maxStakingLimit -1130 'amount'; more than
  the free balance (stake) or than the staked amount (unstake) -2010 "Account has insufficient
  balance for requested action."; autoRestake other than true/false (any case) -1130 'autoRestake'.
- autoRestake (default true) applies to the whole position and is effective only when the
  asset's catalogue autoRestake is true and rewards are paid in the staked asset: otherwise
  rewards are paid out (stakingBalance shows the effective value).
- Unstaking: the amount leaves the position at once (no rewards on it) and a history row
  {"type": "unstaked", "status": "PENDING"} turns "SUCCESS" when the amount is credited,
  unstakingPeriod hours of sandbox time later.
- GET staking/asset with an unknown stakingAsset, and stakingBalance with an asset not
  staked, answer an empty list, not an error. stakingBalance lists positions above zero.
- Histories are oldest first (as the staking history example), filtered by asset and by
  startTime/endTime (no default window), paged by page (1-based) and limit (default and max
  500); stakingRewardsHistory's total counts the rows matching before paging. Both are
  "Data Source: Database": they honour the admin history lag (a row shows only that long
  after it was written). usdValue is the reward at the book's mid then, 2 decimals.
"""

from __future__ import annotations

from decimal import Decimal

from . import errors
from .ctx import Ctx, in_window, page_of
from .routes import route
from .staking_book import StakingAsset
from .wallet_catalog import plain

PAGE = 500


def envelope(data: object, **extra: object) -> dict:
    return {"code": "000000", "message": "success", "data": data, **extra, "success": True}


def asset_of(ctx: Ctx) -> StakingAsset:
    spec = ctx.ex.staking.assets.get(ctx.params.req("stakingAsset"))
    if spec is None:
        raise errors.invalid_param("stakingAsset")
    return spec


def amount_of(ctx: Ctx) -> Decimal:
    qty = ctx.params.decimal("amount", required=True)
    assert qty is not None
    if qty <= 0:
        raise errors.invalid_param("amount")
    return qty


@route("GET", "/sapi/v1/staking/asset")
def staking_assets(ctx: Ctx) -> object:
    wanted = ctx.params.get("stakingAsset")
    return [
        spec.row()
        for spec in ctx.ex.staking.assets.values()
        if wanted is None or spec.staking_asset == wanted
    ]


@route("POST", "/sapi/v1/staking/stake")
def stake(ctx: Ctx) -> object:
    spec = asset_of(ctx)
    qty = amount_of(ctx)
    restake = (ctx.params.get("autoRestake") or "true").lower()
    if restake not in ("true", "false"):
        raise errors.invalid_param("autoRestake")
    book, acct = ctx.ex.staking, ctx.account
    refused = book.stake_refusal(acct, spec, qty)
    if refused == "limits":
        raise errors.invalid_param("amount")
    if refused == "balance":
        raise errors.insufficient_balance()
    record = book.stake(acct, spec, qty, restake != "false")
    return envelope({"result": "SUCCESS", "purchaseRecordId": record})


@route("POST", "/sapi/v1/staking/unstake")
def unstake(ctx: Ctx) -> object:
    spec = asset_of(ctx)
    qty = amount_of(ctx)
    book, acct = ctx.ex.staking, ctx.account
    if book.staked(acct, spec.staking_asset) < qty:
        raise errors.insufficient_balance()
    book.unstake(acct, spec, qty)
    return envelope({"result": "SUCCESS"})


@route("GET", "/sapi/v1/staking/stakingBalance")
def staking_balance(ctx: Ctx) -> object:
    wanted = ctx.params.get("asset")
    book = ctx.ex.staking
    rows = []
    for asset, pos in book.positions.get(ctx.account.account_id, {}).items():
        spec = book.assets.get(asset)
        if pos.amount <= 0 or (wanted is not None and asset != wanted):
            continue
        rows.append(
            {
                "asset": asset,
                "stakingAmount": plain(pos.amount),
                "rewardAsset": spec.reward_asset if spec else asset,
                "apr": plain(spec.apr) if spec else "0",
                "apy": plain(spec.apy) if spec else "0",
                "autoRestake": pos.auto_restake,
            }
        )
    return envelope(rows, status=["holding"])


def _visible(ctx: Ctx, rows: list[dict], time_key: str) -> list[dict]:
    p = ctx.params
    asset = p.get("asset")
    start, end = p.integer("startTime"), p.integer("endTime")
    if start is not None and end is not None and end < start:
        raise errors.invalid_param("endTime")
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    return [
        dict(r)
        for r in rows
        if r[time_key] <= cutoff
        and (asset is None or r["asset"] == asset)
        and in_window(r[time_key], start, end)
    ]


def paged(ctx: Ctx, rows: list[dict]) -> list[dict]:
    page = ctx.params.integer("page")
    if page is not None and page < 1:
        raise errors.invalid_param("page")
    return page_of(rows, page, ctx.params.limit("limit", PAGE, PAGE))


@route("GET", "/sapi/v1/staking/history")
def staking_history(ctx: Ctx) -> object:
    rows = _visible(ctx, ctx.ex.staking.history.get(ctx.account.account_id, []), "initiatedTime")
    return paged(ctx, rows)


@route("GET", "/sapi/v1/staking/stakingRewardsHistory")
def staking_rewards_history(ctx: Ctx) -> object:
    rows = _visible(ctx, ctx.ex.staking.rewards.get(ctx.account.account_id, []), "time")
    return envelope(paged(ctx, rows), total=len(rows))
