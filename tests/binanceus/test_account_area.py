"""System status, trade fee, trading volume and asset distribution history (fake exchange)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    ASSET_DISTRIBUTION_HISTORY,
    SYSTEM_STATUS,
    TRADE_FEE,
    TRADING_VOLUME,
)


def test_it_reads_system_status(fake, client):
    fake.reply("GET", "/sapi/v1/system/status", SYSTEM_STATUS)
    status = client.system_status()
    assert_signed(fake.calls("GET", "/sapi/v1/system/status")[0])
    assert status.status == 0 and status.is_normal
    fake.reply("GET", "/sapi/v1/system/status", {"status": 1, "msg": "system maintenance"})
    assert not client.system_status().is_normal


def test_it_reads_trade_fees_for_all_or_one_symbol(fake, client):
    fake.reply("GET", "/sapi/v1/asset/query/trading-fee", TRADE_FEE)
    fake.reply("GET", "/sapi/v1/asset/query/trading-fee", [TRADE_FEE[0]])
    fees = client.trade_fee()
    one = client.trade_fee(symbol="1INCHUSD")
    all_rec, one_rec = fake.calls("GET", "/sapi/v1/asset/query/trading-fee")
    assert_signed(all_rec)
    assert sent_params(all_rec) == {} and sent_params(one_rec) == {"symbol": "1INCHUSD"}
    assert [f.symbol for f in fees] == ["1INCHUSD", "1INCHUSDT"]
    assert fees[0].maker_commission == Decimal("0.004")
    assert fees[0].taker_commission == Decimal("0.006")
    assert [f.symbol for f in one] == ["1INCHUSD"]
    assert_typed(fees)


def test_it_reads_the_30_day_trading_volume_as_decimal(fake, client):
    fake.reply("GET", "/sapi/v1/asset/query/trading-volume", TRADING_VOLUME)
    volume = client.trading_volume()
    assert volume == Decimal(100) and type(volume) is Decimal
    assert_signed(fake.calls("GET", "/sapi/v1/asset/query/trading-volume")[0])


def test_it_reads_asset_distribution_history_with_filters(fake, client):
    fake.reply("GET", "/sapi/v1/asset/assetDistributionHistory", ASSET_DISTRIBUTION_HISTORY)
    rows = client.asset_distribution_history(
        asset="BHFT",
        category="airdrop",
        start_time=datetime(2019, 7, 1, tzinfo=UTC),
        end_time=datetime(2019, 8, 1, tzinfo=UTC),
        limit=20,
    )
    rec = fake.calls("GET", "/sapi/v1/asset/assetDistributionHistory")[0]
    assert_signed(rec)
    assert sent_params(rec) == {
        "asset": "BHFT",
        "category": "airdrop",
        "startTime": "1561939200000",
        "endTime": "1564617600000",
        "limit": "20",
    }
    assert len(rows) == 2
    assert rows[0].amount == Decimal("10.00000000") and rows[0].tran_id == 2968885920
    assert rows[0].div_time == datetime(2019, 7, 15, 11, 12, 46, tzinfo=UTC)
    assert_typed(rows)
