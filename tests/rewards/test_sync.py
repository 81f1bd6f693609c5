"""Syncing referral rewards and partner rebates against the real sandbox: what the exchange
lists is what is stored, once, however often it is read; rebates come from real fills of
orders carrying the partner prefix (L3302); the once-a-minute gate; refusals kept as a reason;
and the push that tells open pages."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

import binanceus
from accounts import crypto, realtime
from rewards import selectors, services, sync
from rewards.models import PartnerRebate, ReferralReward, RewardsProfile

pytestmark = pytest.mark.django_db

REFERRALS = "GET /sapi/v1/marketing/referral/reward/history"
MS = 1_700_000_000_000


@pytest.fixture(autouse=True)
def _fresh_gate(rewards_account):
    conn, _ = rewards_account
    cache.delete(f"desk:rewards:synced:{conn.pk}")


def _row(user_id: int, amount: str, at: int, asset: str = "USD") -> dict:
    return {"userId": user_id, "rewardAmount": amount, "receiveDateTime": at, "rewardType": asset}


def test_it_stores_the_referral_rewards_of_both_roles_once(rewards_account):
    conn, exchange = rewards_account
    exchange.referrals(
        referrer=[_row(11, "8", MS), _row(12, "2.5", MS + 1000)],
        referee=[_row(99, "0.00012345", MS + 2000, "BTC")],
    )
    assert sync.rewards_sync(connection_id=conn.pk) is True
    assert sync.rewards_sync(connection_id=conn.pk, force=True) is True  # read again: no copies
    stored = ReferralReward.objects.filter(connection=conn)
    as_referrer = sorted(stored.filter(biz_type=0).values_list("user_id", "reward_amount"))
    assert as_referrer == [(11, Decimal("8")), (12, Decimal("2.5"))]
    referee = stored.get(biz_type=1)
    assert (referee.reward_amount, referee.reward_type) == (Decimal("0.00012345"), "BTC")
    assert binanceus.to_ms(referee.received) == MS + 2000
    assert RewardsProfile.objects.get(connection=conn).synced_at is not None


def test_it_keeps_identical_rows_apart(rewards_account):
    conn, exchange = rewards_account
    exchange.referrals(referrer=[_row(5, "1", MS), _row(5, "1", MS)])
    sync.rewards_sync(connection_id=conn.pk)
    exchange.referrals(referrer=[_row(5, "1", MS)])  # a third, identical, later
    sync.rewards_sync(connection_id=conn.pk, force=True)
    assert ReferralReward.objects.filter(connection=conn).count() == 3
    assert {r.occurrence for r in ReferralReward.objects.filter(connection=conn)} == {0, 1, 2}


def test_it_stores_the_rebates_of_orders_with_the_partner_prefix(rewards_account):
    conn, exchange = rewards_account
    partner_id = exchange.register_partner()
    services.partner_set(connection=conn, user=conn.user, partner_id=partner_id)
    prefix = selectors.partner_prefix(connection=conn)
    assert prefix == f"{partner_id}-"
    earning = exchange.buy(prefix + "a1b2c3d4e5f6")
    exchange.buy(binanceus.generate_client_order_id())  # no prefix: no rebate
    assert sync.rewards_sync(connection_id=conn.pk) is True
    with exchange.client() as client:
        listed = client.partner_rebates(partner_id=partner_id)
    stored = PartnerRebate.objects.filter(connection=conn)
    assert len(listed) == len(earning.fills) == stored.count() > 0
    commission = sum((f.commission for f in earning.fills), Decimal(0))
    assert sum((r.qty for r in stored), Decimal(0)) == sum((r.qty for r in listed), Decimal(0))
    assert Decimal(0) < sum((r.qty for r in stored), Decimal(0)) <= commission
    assert {r.partner_id for r in stored} == {partner_id}
    sync.rewards_sync(connection_id=conn.pk, force=True)
    assert PartnerRebate.objects.filter(connection=conn).count() == len(listed)


def test_it_reads_at_most_once_a_minute_unless_asked(rewards_account):
    conn, exchange = rewards_account
    before = exchange.calls(REFERRALS)
    assert sync.rewards_sync(connection_id=conn.pk) is True
    assert sync.rewards_sync(connection_id=conn.pk) is None
    assert exchange.calls(REFERRALS) == before + 2  # one read per role
    assert sync.rewards_sync(connection_id=conn.pk, force=True) is True
    assert exchange.calls(REFERRALS) == before + 4


def test_an_exchange_refusal_keeps_the_rows_and_says_why(rewards_account):
    conn, exchange = rewards_account
    exchange.referrals(referrer=[_row(1, "3", MS)])
    sync.rewards_sync(connection_id=conn.pk)
    conn.api_key_encrypted = crypto.encrypt("K" * 64)  # well formed, unknown to the exchange
    conn.save(update_fields=["api_key_encrypted"])
    assert sync.rewards_sync(connection_id=conn.pk, force=True) is False
    assert ReferralReward.objects.filter(connection=conn).count() == 1
    assert "-2015" in RewardsProfile.objects.get(connection=conn).sync_error


def test_keys_that_cannot_be_read_mark_the_connection(rewards_account):
    conn, _ = rewards_account
    type(conn).objects.filter(pk=conn.pk).update(api_key_encrypted="gAAAAAB-not-a-token")
    assert sync.rewards_sync(connection_id=conn.pk) is None
    conn.refresh_from_db()
    assert conn.needs_new_keys


def test_a_sync_tells_the_open_pages(rewards_account, django_capture_on_commit_callbacks):
    conn, exchange = rewards_account
    exchange.referrals(referrer=[_row(1, "3", MS), _row(2, "4", MS)])
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.connection_group(conn.pk), channel)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    with django_capture_on_commit_callbacks(execute=True):
        sync.rewards_sync(connection_id=conn.pk)
    pushed = async_to_sync(receive)()
    assert pushed["type"] == "rewards.updated"
    assert pushed["payload"] == {"synced": True, "added": 2}


def test_the_periodic_sync_follows_the_tabs_opened(rewards_account):
    from rewards import tasks

    conn, exchange = rewards_account
    exchange.referrals(referee=[_row(3, "1", MS)])
    assert conn.pk not in selectors.rewards_connections()
    RewardsProfile.objects.create(connection=conn)
    assert conn.pk in selectors.rewards_connections()
    tasks.sync_rewards.apply(args=(conn.pk, True))
    assert ReferralReward.objects.filter(connection=conn, biz_type=1).count() == 1
