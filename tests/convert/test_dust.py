"""Dust conversions against the real sandbox: two assets converted into BTC once at the fee rate
the exchange listed beforehand; an unknown answer settled from the dust log (never sent again); the
exchange's restricted time and a second conversion in flight refused before anything is sent."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from convert import pages, reads, reconcile, sending, services
from convert.models import DustConversion
from desk.intents.models import Status
from desk.problems import Refused

pytestmark = pytest.mark.django_db

NO_SLEEP = {"sleep": lambda _: None}
EIGHT = Decimal("0.00000001")


def _key(n: int = 1) -> str:
    return f"{timezone.now().timestamp():.6f}".replace(".", "").ljust(31, "d") + str(n)


def _convert(conn, assets=("ETH", "SOL"), *, key=None) -> DustConversion:
    conversion = services.dust_request(
        connection=conn,
        user=conn.user,
        from_assets=list(assets),
        to_asset="BTC",
        request_key=key or _key(),
    )
    return sending.dust_send(conversion_id=conversion.pk, **NO_SLEEP) or conversion


def _listed(conn) -> dict:
    dust = reads.dust_assets(connection=conn, to_asset="BTC", fresh=True).value
    return {a.from_asset: a for a in dust.assets}


def test_it_converts_two_assets_once_for_the_fee_it_showed(dust_account):
    conn, exchange = dust_account
    listed = _listed(conn)
    assert {"ETH", "SOL"} <= set(listed) and "BTC" not in listed and "USD" not in listed
    rate = reads.dust_assets(connection=conn, to_asset="BTC", fresh=True).value.fee_rate
    conversion = _convert(conn)
    assert conversion.status == Status.DONE
    by_asset = {r["asset"]: r for r in conversion.results}
    assert set(by_asset) == {"ETH", "SOL"}
    # The market trades on between the listing and the conversion, so the amounts are the
    # conversion's own; the fee is the listed rate x the converted amount (L6721-6724).
    fees = received = Decimal(0)
    for asset in ("ETH", "SOL"):
        row = by_asset[asset]
        converted, fee = Decimal(row["transferred"]), Decimal(row["fee"])
        assert Decimal(row["amount"]) == listed[asset].available_balance
        assert fee == (converted * rate).quantize(EIGHT, rounding=ROUND_HALF_UP) > 0
        fees, received = fees + fee, received + converted - fee
    assert conversion.total_service_charge == fees
    assert exchange.free("BTC") == Decimal("0.5") + received
    assert exchange.free("ETH") == 0 and exchange.free("SOL") == 0


def test_an_unknown_answer_is_settled_from_the_dust_log(dust_account):
    conn, exchange = dust_account
    exchange.faults(dust={"mode": "execute_then_500", "count": 1})
    sent = exchange.calls("dust")
    conversion = _convert(conn)
    assert conversion.status == Status.UNKNOWN and not conversion.results
    counts = reconcile.conversions_reconcile(now=timezone.now() + timedelta(seconds=1))
    conversion.refresh_from_db()
    assert counts["done"] == 1 and conversion.status == Status.DONE
    assert {r["asset"] for r in conversion.results} == {"ETH", "SOL"}
    assert exchange.calls("dust") == sent + 1


def test_the_list_drawn_after_a_conversion_is_not_the_one_cached_before_it(dust_account):
    # No after-commit work runs in this test's transaction: the list is asked for as a page
    # asks on the conversion's push, before the worker has done anything after its commit.
    conn, _ = dust_account
    before = pages.dust_assets_context(conn, "BTC")
    assert {"ETH", "SOL"} <= {a.from_asset for a in before["dust"].assets}
    assert _convert(conn).status == Status.DONE
    after = pages.dust_assets_context(conn, "BTC")
    assert after["assets_settled"] > before["assets_settled"]
    assert not {"ETH", "SOL"} & {a.from_asset for a in after["dust"].assets}


def test_the_restricted_time_is_shown_and_refused_before_sending(dust_account):
    conn, exchange = dust_account
    exchange.admin("dust", {"cooldownMs": 3_600_000})
    assert _convert(conn, ["ETH"]).status == Status.DONE
    assert reads.dust_assets(connection=conn, to_asset="BTC").value.within_restricted_time
    sent = exchange.calls("dust")
    with pytest.raises(Refused, match="no dust conversion right now"):
        _convert(conn, ["SOL"], key=_key(2))
    assert exchange.calls("dust") == sent
    assert DustConversion.objects.filter(connection=conn).count() == 1


def test_one_conversion_at_a_time(dust_account):
    conn, _ = dust_account
    services.dust_request(
        connection=conn, user=conn.user, from_assets=["ETH"], to_asset="BTC", request_key=_key()
    )
    with pytest.raises(Refused, match="still being sent"):
        services.dust_request(
            connection=conn, user=conn.user, from_assets=["SOL"], to_asset="BTC",
            request_key=_key(2),
        )  # fmt: skip
    assert DustConversion.objects.filter(connection=conn).count() == 1


@pytest.mark.parametrize(
    ("assets", "says"),
    [([], "tick at least one"), (["BTC"], "is the target"), (["USD"], "not convertible")],
)
def test_a_bad_dust_request_is_refused_on_its_field(dust_account, assets, says):
    conn, exchange = dust_account
    sent = exchange.calls("dust")
    with pytest.raises(Refused) as refused:
        _convert(conn, assets)
    assert refused.value.problems[0].field == "from_assets"
    assert says in refused.value.problems[0].message
    assert exchange.calls("dust") == sent
    assert not DustConversion.objects.filter(connection=conn).exists()
