"""Staking methods against the in-process fake, fed the spec's example responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

import binanceus as bu

from .helpers import assert_signed, assert_typed, sent_params
from .wallet_staking_examples import (
    STAKE,
    STAKING_ASSET,
    STAKING_BALANCE,
    STAKING_HISTORY,
    STAKING_REWARDS_HISTORY,
    UNSTAKE,
)

STAKE_PATH = "/sapi/v1/staking/stake"
UNSTAKE_PATH = "/sapi/v1/staking/unstake"
UNKNOWN_500 = {"code": -1000, "msg": "An unknown error occurred while processing the request."}


def test_the_staking_area_is_typed_whole_by_the_staking_methods():
    staking = {k for k, ep in bu.ENDPOINTS.items() if ep.area == "staking"}
    assert len(staking) == 6
    modeled = bu.coverage().modeled
    assert staking <= set(modeled)
    assert {bu.ENDPOINTS[k].weight for k in staking} == {1}
    assert {bu.ENDPOINTS[k].security for k in staking} == {"SIGNED"}


def test_it_reads_the_staking_assets_from_a_bare_list(fake, client):
    fake.reply("GET", "/sapi/v1/staking/asset", STAKING_ASSET)
    assets = client.staking_assets(staking_asset="BNB")
    (rec,) = fake.calls("GET", "/sapi/v1/staking/asset")
    assert_signed(rec)
    assert sent_params(rec) == {"stakingAsset": "BNB"}
    (bnb,) = assets
    assert (bnb.staking_asset, bnb.reward_asset) == ("BNB", "BNB")
    assert bnb.apr == Decimal("0.0517") and type(bnb.apr) is Decimal
    assert bnb.apy == Decimal("0.04") and type(bnb.apy) is Decimal
    assert bnb.min_staking_limit == Decimal("0.01") and bnb.max_staking_limit == Decimal(10000)
    assert type(bnb.max_staking_limit) is Decimal
    assert bnb.unstaking_period == 168 and bnb.unstaking_delay == timedelta(days=7)
    assert bnb.auto_restake is True
    assert_typed(assets)
    fake.reply("GET", "/sapi/v1/staking/asset", [])
    assert client.staking_assets() == []
    assert sent_params(fake.calls("GET", "/sapi/v1/staking/asset")[1]) == {}


def test_it_stakes_with_the_specs_names_and_reads_the_wrapped_result(fake, client):
    fake.reply("POST", STAKE_PATH, STAKE)
    result = client.stake(staking_asset="BNB", amount=Decimal("1.50"))
    (rec,) = fake.calls("POST", STAKE_PATH)
    assert_signed(rec)
    assert rec.query == "" and rec.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_params(rec) == {"stakingAsset": "BNB", "amount": "1.50", "autoRestake": "true"}
    assert result == bu.StakingResult(
        code="000000",
        message="success",
        result="SUCCESS",
        purchase_record_id="111",
        success=True,
    )
    assert result.ok
    fake.reply("POST", STAKE_PATH, STAKE)
    client.stake(staking_asset="ETH", amount=Decimal(2), auto_restake=False)
    assert sent_params(fake.calls("POST", STAKE_PATH)[1])["autoRestake"] == "false"


def test_it_unstakes_and_reads_a_result_without_a_record_id(fake, client):
    fake.reply("POST", UNSTAKE_PATH, UNSTAKE)
    result = client.unstake(staking_asset="BNB", amount=Decimal("0.25"))
    (rec,) = fake.calls("POST", UNSTAKE_PATH)
    assert_signed(rec)
    assert sent_params(rec) == {"stakingAsset": "BNB", "amount": "0.25"}
    assert result.ok and result.result == "SUCCESS" and result.purchase_record_id is None


def test_a_failed_envelope_is_not_ok():
    failed = bu.StakingResult.from_api(
        {"code": "100001", "message": "failed", "data": None, "success": False}
    )
    assert not failed.ok and failed.result == "" and failed.purchase_record_id is None
    assert (failed.code, failed.message) == ("100001", "failed")


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-5"), Decimal("NaN")])
def test_it_refuses_a_non_positive_stake_or_unstake_without_sending(fake, client, amount):
    with pytest.raises(ValueError, match="positive"):
        client.stake(staking_asset="BNB", amount=amount)
    with pytest.raises(ValueError, match="positive"):
        client.unstake(staking_asset="BNB", amount=amount)
    with pytest.raises(TypeError, match="Decimal"):
        client.stake(staking_asset="BNB", amount=1.5)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("method", "path", "wire"),
    [
        ("stake", STAKE_PATH, {"stakingAsset": "BNB", "amount": Decimal(3), "autoRestake": True}),
        ("unstake", UNSTAKE_PATH, {"stakingAsset": "BNB", "amount": Decimal(3)}),
    ],
)
def test_a_500_on_stake_or_unstake_is_execution_unknown_and_never_resent(
    fake, client, method, path, wire
):
    fake.reply("POST", path, UNKNOWN_500, status=500)
    fake.reply("POST", path, STAKE)
    with pytest.raises(bu.ExecutionUnknown) as info:
        getattr(client, method)(staking_asset="BNB", amount=Decimal(3))
    err = info.value
    assert err.endpoint == f"POST {path}" and (err.status, err.code) == (500, -1000)
    assert err.client_order_id is None and err.params == wire
    assert len(fake.calls("POST", path)) == 1


def test_a_stake_timeout_is_execution_unknown_and_the_documented_503_is_not_resent(fake, client):
    fake.fail("POST", STAKE_PATH, requests.ReadTimeout("read timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.stake(staking_asset="BNB", amount=Decimal(1))
    assert info.value.status is None
    fake.reply("POST", UNSTAKE_PATH, text="Service Unavailable.", status=503)
    fake.reply("POST", UNSTAKE_PATH, UNSTAKE)
    with pytest.raises(bu.ServiceUnavailable) as unavailable:
        client.unstake(staking_asset="BNB", amount=Decimal(1))
    assert not isinstance(unavailable.value, bu.ExecutionUnknown)
    assert len(fake.calls("POST", STAKE_PATH)) == len(fake.calls("POST", UNSTAKE_PATH)) == 1


def test_it_reads_the_staking_balance_from_its_data_envelope(fake, client):
    fake.reply("GET", "/sapi/v1/staking/stakingBalance", STAKING_BALANCE)
    rows = client.staking_balance(asset="BNB")
    (rec,) = fake.calls("GET", "/sapi/v1/staking/stakingBalance")
    assert_signed(rec)
    assert sent_params(rec) == {"asset": "BNB"}
    (bal,) = rows
    assert bal.asset == "BNB" and bal.reward_asset == "BNB"
    assert bal.staking_amount == Decimal("3882.50133916") and type(bal.staking_amount) is Decimal
    assert (bal.apr, bal.apy) == (Decimal("0.0517"), Decimal("0.0869"))
    assert bal.auto_restake is True
    assert_typed(rows)


def test_it_reads_the_staking_history_from_a_bare_list(fake, client):
    fake.reply("GET", "/sapi/v1/staking/history", STAKING_HISTORY)
    start = datetime(2022, 9, 1, tzinfo=UTC)
    rows = client.staking_history(
        asset="ETH", start_time=start, end_time=start + timedelta(days=60), page=1, limit=500
    )
    (rec,) = fake.calls("GET", "/sapi/v1/staking/history")
    assert_signed(rec)
    assert sent_params(rec) == {
        "asset": "ETH",
        "startTime": "1661990400000",
        "endTime": "1667174400000",
        "page": "1",
        "limit": "500",
    }
    first, second = rows
    assert (first.asset, first.type, first.status) == ("ETH", "staked", "SUCCESS")
    assert first.amount == Decimal(2500) and type(first.amount) is Decimal
    assert first.initiated_time == datetime(2022, 9, 13, 19, 14, 50, 748000, tzinfo=UTC)
    assert second.amount == Decimal(1)
    assert second.initiated_time == datetime(2022, 10, 11, 4, 21, 28, 11000, tzinfo=UTC)
    assert_typed(rows)


def test_it_reads_the_rewards_history_from_its_data_envelope(fake, client):
    fake.reply("GET", "/sapi/v1/staking/stakingRewardsHistory", STAKING_REWARDS_HISTORY)
    rows = client.staking_rewards_history(
        asset="BNB",
        start_time=datetime(2022, 7, 22, 7, 32, 13, tzinfo=UTC),
        end_time=datetime(2022, 7, 22, 7, 32, 13, 593000, tzinfo=UTC),
        page=1,
        limit=10,
    )
    (rec,) = fake.calls("GET", "/sapi/v1/staking/stakingRewardsHistory")
    assert_signed(rec)
    assert sent_params(rec) == {
        "asset": "BNB",
        "startTime": "1658475133000",
        "endTime": "1658475133593",
        "page": "1",
        "limit": "10",
    }
    (reward,) = rows
    assert reward.asset == "BNB" and reward.tran_id == 3123201
    assert reward.amount == Decimal("0.03371769") and type(reward.amount) is Decimal
    assert reward.usd_value == Decimal("20.23") and type(reward.usd_value) is Decimal
    assert reward.time == datetime(2022, 7, 22, 7, 32, 13, 9000, tzinfo=UTC)
    assert reward.auto_restaked is False
    assert_typed(rows)
    fake.reply("GET", "/sapi/v1/staking/stakingRewardsHistory", {"data": [], "total": 0})
    assert client.staking_rewards_history() == []
