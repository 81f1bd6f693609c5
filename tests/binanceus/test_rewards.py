"""Referral, API partner and broker referral methods against the in-process fake, fed the
spec's example responses (binance-us-api.txt and api-referral.txt)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import binanceus as bu

from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    BROKER_CUSTOMIZATION,
    BROKER_CUSTOMIZATIONS,
    BROKER_IF_NEW_USER,
    BROKER_KICKBACK_EXPORT_START_TEXT,
    BROKER_KICKBACK_EXPORT_TEXT,
    BROKER_KICKBACK_RECENT_RECORD,
    BROKER_REBATE_RECENT_RECORD,
    BROKER_USER_CUSTOMIZATION,
    PARTNER_ELIGIBILITY,
    PARTNER_REBATE_HISTORY,
    REFERRAL_REWARD_HISTORY,
)

CUSTOMIZATION = "/sapi/v1/apiReferral/customization"
USER_CUSTOMIZATION = "/sapi/v1/apiReferral/userCustomization"
REBATES = "/sapi/v1/apiReferral/rebate/recentRecord"
EXPORT = "/sapi/v1/apiReferral/kickback/historicalRecord"
AREAS = ("referral", "api_partner", "broker_referral")


def test_the_reward_areas_are_typed_whole_and_weigh_one_call_each():
    modeled = bu.coverage().modeled
    keys = {k for k, ep in bu.ENDPOINTS.items() if ep.area in AREAS}
    assert len(keys) == 1 + 2 + 9
    assert keys <= set(modeled)
    assert {bu.ENDPOINTS[k].security for k in keys} == {"SIGNED"}
    assert {bu.ENDPOINTS[k].weight_for({}) for k in keys} == {1}  # the broker paths: null


def test_it_reads_a_page_of_referral_rewards(fake, client):
    fake.reply("GET", "/sapi/v1/marketing/referral/reward/history", REFERRAL_REWARD_HISTORY)
    page = client.referral_rewards(user_biz_type=0, page=1, rows=200)
    (rec,) = fake.calls("GET", "/sapi/v1/marketing/referral/reward/history")
    assert_signed(rec)
    assert sent_params(rec) == {"userBizType": "0", "page": "1", "rows": "200"}
    assert page == bu.ReferralRewardPage(
        total=1,
        rows=[
            bu.ReferralReward(
                user_id=350991652,
                reward_amount=Decimal(8),
                received=datetime(2022, 4, 28, 7, 31, 24, 91000, tzinfo=UTC),
                reward_type="USD",
            )
        ],
    )
    assert type(page.rows[0].reward_amount) is Decimal
    assert_typed(page)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"user_biz_type": 2, "page": 1, "rows": 10}, "user_biz_type"),
        ({"user_biz_type": 1, "page": 0, "rows": 10}, "page"),
        ({"user_biz_type": 1, "page": 1, "rows": 0}, "rows"),
        ({"user_biz_type": 1, "page": 1, "rows": 201}, "rows"),
    ],
)
def test_it_refuses_referral_paging_outside_the_spec(fake, client, kwargs, match):
    with pytest.raises(ValueError, match=match):
        client.referral_rewards(**kwargs)
    assert fake.requests == []


def test_it_checks_partner_eligibility(fake, client):
    fake.reply("GET", "/sapi/v1/apipartner/checkEligibility", PARTNER_ELIGIBILITY)
    found = client.partner_eligibility(partner_id="ABCD1234")
    (rec,) = fake.calls("GET", "/sapi/v1/apipartner/checkEligibility")
    assert_signed(rec)
    assert sent_params(rec) == {"partnerId": "ABCD1234"}
    assert found == bu.PartnerEligibility(
        is_eligible=False, if_new_user=True, vip_level=1, referrer_id=39472261
    )


def test_it_reads_the_partner_rebates(fake, client):
    fake.reply("GET", "/sapi/v1/apipartner/rebateHistory", PARTNER_REBATE_HISTORY)
    rebates = client.partner_rebates(
        partner_id="ABCD1234",
        start_time=datetime(2023, 2, 10, tzinfo=UTC),
        end_time=datetime(2023, 2, 17, tzinfo=UTC),
        limit=1000,
        page=1,
    )
    (rec,) = fake.calls("GET", "/sapi/v1/apipartner/rebateHistory")
    assert_signed(rec)
    assert sent_params(rec) == {
        "partnerId": "ABCD1234",
        "startTime": "1675987200000",
        "endTime": "1676592000000",
        "limit": "1000",
        "page": "1",
    }
    btc, usdt = rebates
    assert btc == bu.PartnerRebate(
        qty=Decimal("0.02063898"),
        asset="BTC",
        date=datetime(2023, 2, 16, 22, 17, 41, 493000, tzinfo=UTC),
    )
    assert (usdt.qty, usdt.asset) == (Decimal("1.2063898"), "USDT")
    assert_typed(rebates)
    fake.reply("GET", "/sapi/v1/apipartner/rebateHistory", [])
    assert client.partner_rebates(partner_id="ABCD1234") == []
    assert sent_params(fake.calls("GET", "/sapi/v1/apipartner/rebateHistory")[1]) == {
        "partnerId": "ABCD1234"
    }


def test_it_makes_client_order_ids_that_earn_partner_rebates():
    first, second = (bu.partner_client_order_id("ABCD1234") for _ in range(2))
    assert first.startswith("ABCD1234-") and len(first) == 36
    assert first != second
    for bad in ("", "AB-CD", "X" * 30):
        with pytest.raises(ValueError):
            bu.partner_client_order_id(bad)


def test_it_asks_whether_the_user_is_new_to_a_broker(fake, client):
    fake.reply("GET", "/sapi/v1/apiReferral/ifNewUser", BROKER_IF_NEW_USER)
    found = client.broker_if_new_user(api_agent_code="ABCD1234")
    (rec,) = fake.calls("GET", "/sapi/v1/apiReferral/ifNewUser")
    assert_signed(rec)
    assert sent_params(rec) == {"apiAgentCode": "ABCD1234"}
    assert found == bu.BrokerNewUser(
        api_agent_code="ABCD1234", rebate_working=False, if_new_user=True, referrer_id=39472261
    )


def test_a_broker_customizes_a_client_id_by_email(fake, client):
    fake.reply("POST", CUSTOMIZATION, BROKER_CUSTOMIZATION)
    made = client.broker_customize(customer_id="abc123", email="test12345@126.com")
    (rec,) = fake.calls("POST", CUSTOMIZATION)
    assert_signed(rec)
    assert rec.query == ""
    assert sent_params(rec) == {"customerId": "abc123", "email": "test12345@126.com"}
    assert made == bu.BrokerCustomization(customer_id="abc123", email="test12345@126.com")


@pytest.mark.parametrize("kwargs", [{"customer_id": "abc123"}, {"email": "test12345@126.com"}, {}])
def test_the_customization_needs_both_the_id_and_the_email(fake, client, kwargs):
    with pytest.raises(ValueError, match="both"):
        client.broker_customize(**kwargs)
    assert fake.requests == []


def test_a_broker_reads_customizations_by_id_or_by_email_never_both(fake, client):
    with pytest.raises(ValueError, match="not both"):
        client.broker_customizations(customer_id="abc123", email="testABCD@gmail.com")
    assert fake.requests == []
    for kwargs, wire in [
        ({"email": "testABCD@gmail.com"}, {"email": "testABCD@gmail.com"}),
        ({"customer_id": "abc123"}, {"customerId": "abc123"}),
        ({}, {}),
    ]:
        fake.reply("GET", CUSTOMIZATION, BROKER_CUSTOMIZATIONS)
        found = client.broker_customizations(**kwargs)
        rec = fake.calls("GET", CUSTOMIZATION)[-1]
        assert_signed(rec)
        assert sent_params(rec) == wire
        assert found == [
            bu.BrokerCustomization(customer_id="abc123", email="testABCD@gmail.com"),
            bu.BrokerCustomization(customer_id="abc345", email="testABCD@gmail.com"),
        ]


def test_a_client_customizes_and_reads_its_own_id_with_a_broker(fake, client):
    fake.reply("POST", USER_CUSTOMIZATION, BROKER_USER_CUSTOMIZATION)
    fake.reply("GET", USER_CUSTOMIZATION, BROKER_USER_CUSTOMIZATION)
    made = client.broker_user_customize(customer_id="abc123", api_agent_code="ABCD1234")
    found = client.broker_user_customization(api_agent_code="ABCD1234")
    (post,) = fake.calls("POST", USER_CUSTOMIZATION)
    (get,) = fake.calls("GET", USER_CUSTOMIZATION)
    assert_signed(post)
    assert_signed(get)
    assert sent_params(post) == {"customerId": "abc123", "apiAgentCode": "ABCD1234"}
    assert sent_params(get) == {"apiAgentCode": "ABCD1234"}
    assert made == found == bu.BrokerUserCustomization(customer_id="abc123")


def test_a_broker_reads_its_rebates_over_at_most_seven_days(fake, client):
    fake.reply("GET", REBATES, BROKER_REBATE_RECENT_RECORD)
    start = datetime(2018, 12, 10, tzinfo=UTC)
    rebates = client.broker_rebates(
        customer_id="abd433", start_time=start, end_time=start + timedelta(days=7), limit=500
    )
    (rec,) = fake.calls("GET", REBATES)
    assert_signed(rec)
    assert sent_params(rec) == {
        "customerId": "abd433",
        "startTime": "1544400000000",
        "endTime": "1545004800000",
        "limit": "500",
    }
    none, abd = rebates
    assert none == bu.BrokerRebate(
        customer_id=None,  # the spec's ""
        email="test*****@126.com",
        income=Decimal("0.02063898"),
        asset="BTC",
        symbol="ETHBTC",
        time=datetime(2018, 12, 10, 9, 15, 28, tzinfo=UTC),
        order_id=10491232,
        trade_id=611123,
    )
    assert (abd.customer_id, abd.income, abd.order_id, abd.trade_id) == (
        "abd433",
        Decimal("1.2063898"),
        10500242,
        612323,
    )
    assert abd.time == datetime(2020, 2, 13, 8, tzinfo=UTC)
    assert_typed(rebates)
    fake.reply("GET", REBATES, [])
    assert client.broker_rebates() == []  # both times omitted: the last 7 days
    assert sent_params(fake.calls("GET", REBATES)[1]) == {}


def test_a_broker_rebate_window_is_both_times_or_neither_and_seven_days_at_most(fake, client):
    start = datetime(2018, 12, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="both"):
        client.broker_rebates(start_time=start)
    with pytest.raises(ValueError, match="both"):
        client.broker_rebates(end_time=start)
    with pytest.raises(ValueError, match="7 days"):
        client.broker_rebates(start_time=start, end_time=start + timedelta(days=7, seconds=1))
    assert fake.requests == []


def test_a_trader_reads_its_kickbacks(fake, client):
    fake.reply("GET", "/sapi/v1/apiReferral/kickback/recentRecord", BROKER_KICKBACK_RECENT_RECORD)
    start = datetime(2020, 2, 10, tzinfo=UTC)
    kickbacks = client.broker_kickbacks(start_time=start, end_time=start + timedelta(days=7))
    (rec,) = fake.calls("GET", "/sapi/v1/apiReferral/kickback/recentRecord")
    assert_signed(rec)
    assert sent_params(rec) == {"startTime": "1581292800000", "endTime": "1581897600000"}
    btc, usdt = kickbacks
    assert btc == bu.BrokerKickback(
        income=Decimal("0.02063898"),
        asset="BTC",
        symbol="ETHBTC",
        time=datetime(2018, 12, 10, 9, 15, 28, tzinfo=UTC),
    )
    assert (usdt.income, usdt.symbol) == (Decimal("1.2063898"), "BTCUSDT")
    assert_typed(kickbacks)


def test_it_starts_the_kickback_export_from_the_specs_loose_answer(fake, client):
    fake.reply("POST", EXPORT, text=BROKER_KICKBACK_EXPORT_START_TEXT)
    job = client.broker_kickback_export_start(
        start_time=datetime(2020, 2, 10, tzinfo=UTC), limit=100
    )
    (rec,) = fake.calls("POST", EXPORT)
    assert_signed(rec)
    assert sent_params(rec) == {"startTime": "1581292800000", "limit": "100"}
    assert job == bu.BrokerExportJob(code=200, status="Historical data is collecting", url=None)
    assert not job.ready
    fake.reply("POST", EXPORT, {"code": 200, "msg": "Historical data is collecting"})
    assert client.broker_kickback_export_start() == job
    assert sent_params(fake.calls("POST", EXPORT)[1]) == {}


@pytest.mark.parametrize(
    ("reply", "url"),
    [
        ({"text": BROKER_KICKBACK_EXPORT_TEXT}, "url to the data"),  # R226, as printed
        ({"text": "https://example.test/kickback.csv"}, "https://example.test/kickback.csv"),
        ({"text": json.dumps("https://example.test/k.csv")}, "https://example.test/k.csv"),
        ({"body": {"url": "https://example.test/k.csv"}}, "https://example.test/k.csv"),
        ({"text": ""}, None),
    ],
    ids=["spec", "bare-url", "json-string", "json-object", "empty"],
)
def test_it_reads_the_kickback_export_url_however_it_comes(fake, client, reply, url):
    fake.reply("GET", EXPORT, reply.get("body"), text=reply.get("text"))
    job = client.broker_kickback_export()
    (rec,) = fake.calls("GET", EXPORT)
    assert_signed(rec)
    assert sent_params(rec) == {}
    assert job.url == url and job.ready is (url is not None)


def test_the_export_state_is_read_from_status_when_there_is_no_msg(fake, client):
    fake.reply("GET", EXPORT, {"status": "COLLECTING", "url": None})
    job = client.broker_kickback_export()
    assert (job.status, job.url, job.ready) == ("COLLECTING", None, False)


def test_only_the_export_answers_may_be_other_than_json(fake, client):
    fake.reply("GET", "/sapi/v1/apiReferral/ifNewUser", text="url to the data")
    with pytest.raises(bu.InvalidResponse):
        client.broker_if_new_user(api_agent_code="ABCD1234")
