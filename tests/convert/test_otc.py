"""OTC conversions against the real sandbox: a quote accepted once and its order followed from
PROCESS to SUCCESS with the balances moved; an expired quote refused before anything is sent;
the same quote accepted twice placing one order; an unknown answer settled from the order list
(never sent again, never re-quoted); an order the exchange fails leaving the balances alone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditRecord
from convert import reconcile, sending, services
from convert.models import OtcConversion, OtcQuote
from desk.intents.models import Status
from desk.problems import Refused
from tests.support import until

pytestmark = pytest.mark.django_db

NO_SLEEP = {"sleep": lambda _: None}
SETTLED_MS = 1_500  # past the sandbox's default settle delay (1 s of its clock)


def _quote(conn, amount="0.01", *, from_coin="BTC", to_coin="USD", request_coin=None):
    return services.quote_request(
        connection=conn,
        from_coin=from_coin,
        to_coin=to_coin,
        request_coin=request_coin or from_coin,
        request_amount=Decimal(amount),
    )


def _accept(conn, quote) -> OtcConversion:
    conversion = services.conversion_accept(
        connection=conn, user=conn.user, quote_id=quote.quote_id
    )
    return sending.otc_send(conversion_id=conversion.pk, **NO_SLEEP) or conversion


def _followed(conn, exchange, conversion) -> OtcConversion:
    exchange.advance_clock(SETTLED_MS)
    sending.otc_follow(conversion_id=conversion.pk, tries=sending.FOLLOW_TRIES)
    conversion.refresh_from_db()
    return conversion


def test_it_converts_at_the_quoted_price_once_and_follows_the_order(convert_account):
    conn, exchange = convert_account
    quote = _quote(conn, "0.01")
    assert quote.quote_id and quote.from_amount == Decimal("0.01")
    # The spec's quote: to = from x ratio (L5094-5101).
    assert abs(quote.to_amount - quote.from_amount * quote.ratio) < Decimal("0.01")
    conversion = _accept(conn, quote)
    assert conversion.status == Status.DONE and conversion.order_id
    assert conversion.order_status in ("PROCESS", "ACCEPT_SUCCESS")
    conversion = _followed(conn, exchange, conversion)
    assert conversion.order_status == "SUCCESS" and conversion.order_final
    assert exchange.free("BTC") == Decimal("0.99")
    assert exchange.free("USD") == Decimal("10000") + conversion.to_amount
    [row] = exchange.otc_orders()
    assert row.quote_id == quote.quote_id and row.order_id == conversion.order_id
    assert AuditRecord.objects.filter(action="convert.otc", outcome="ok").count() == 1


def test_a_quote_for_what_i_receive_prices_the_other_side(convert_account):
    conn, _ = convert_account
    quote = _quote(conn, "100", request_coin="USD")
    assert quote.to_amount == Decimal("100") and quote.request_coin == "USD"
    assert quote.from_amount > 0 and quote.from_coin == "BTC"


def test_an_expired_quote_is_refused_and_nothing_is_sent(convert_account):
    conn, exchange = convert_account
    exchange.admin("otc", {"quoteValidityMs": 1000})
    quote = _quote(conn)
    until(
        lambda: services.exchange_now(conn) >= quote.valid_until,
        message="the quote's validity to pass on the exchange's clock",
    )
    sent = exchange.calls("order")
    with pytest.raises(Refused) as refused:
        services.conversion_accept(connection=conn, user=conn.user, quote_id=quote.quote_id)
    [problem] = refused.value.problems
    assert problem.field == "quote_id" and "expired" in problem.message
    assert not OtcConversion.objects.filter(connection=conn).exists()
    assert exchange.calls("order") == sent


def test_accepting_the_same_quote_twice_places_one_order(convert_account):
    conn, exchange = convert_account
    quote = _quote(conn)
    sent = exchange.calls("order")
    first = _accept(conn, quote)
    again = _accept(conn, quote)
    assert again.pk == first.pk
    assert exchange.calls("order") == sent + 1
    assert OtcConversion.objects.filter(connection=conn).count() == 1


def test_an_unknown_answer_is_settled_from_the_order_list_not_sent_again(convert_account):
    conn, exchange = convert_account
    exchange.faults(otcOrder={"mode": "execute_then_500", "count": 1})
    quote = _quote(conn)
    sent = exchange.calls("order")
    conversion = _accept(conn, quote)
    assert conversion.status == Status.UNKNOWN and not conversion.order_id
    counts = reconcile.conversions_reconcile(now=timezone.now() + timedelta(seconds=1))
    conversion.refresh_from_db()
    assert counts["done"] == 1 and conversion.status == Status.DONE
    [row] = exchange.otc_orders()
    assert conversion.order_id == row.order_id and row.quote_id == quote.quote_id
    assert exchange.calls("order") == sent + 1
    assert OtcQuote.objects.filter(connection=conn).count() == 1  # no new quote asked


def test_an_order_absent_past_the_grace_period_fails_without_sending(convert_account, settings):
    conn, exchange = convert_account
    quote = _quote(conn)
    # As a worker that died after committing "sending" but before the request left.
    conversion = OtcConversion.objects.create(
        connection=conn,
        quote_id=quote.quote_id,
        from_coin=quote.from_coin,
        to_coin=quote.to_coin,
        from_amount=quote.from_amount,
        to_amount=quote.to_amount,
        ratio=quote.ratio,
        valid_until=quote.valid_until,
        status=Status.SENDING,
        sent_at=timezone.now() - timedelta(seconds=settings.CONVERT_STALE_SECONDS + 1),
    )
    sent = exchange.calls("order")
    later = timezone.now() + timedelta(seconds=settings.CONVERT_RECONCILE_GRACE_SECONDS + 5)
    counts = reconcile.conversions_reconcile(now=later)
    conversion.refresh_from_db()
    assert counts["failed"] == 1 and conversion.status == Status.FAILED
    assert "nothing was converted" in conversion.error_message
    assert exchange.calls("order") == sent


def test_an_order_the_exchange_fails_leaves_the_balances(convert_account):
    conn, exchange = convert_account
    exchange.admin("otc", {"failNextOrders": 1})
    conversion = _followed(conn, exchange, _accept(conn, _quote(conn, "0.2")))
    assert conversion.order_status == "FAIL" and conversion.order_final
    assert exchange.free("BTC") == Decimal("1")
    assert exchange.free("USD") == Decimal("10000")


@pytest.mark.parametrize(
    ("asked", "field", "says"),
    [
        ({"amount": "0.01", "to_coin": "BTC"}, "to_coin", "must differ"),
        ({"amount": "0", "to_coin": "USD"}, "request_amount", "more than 0"),
        ({"amount": "5", "to_coin": "USD"}, "request_amount", "free BTC balance"),
        ({"amount": "100000", "to_coin": "USD"}, "request_amount", "between"),
        ({"amount": "0.01", "to_coin": "DOGE"}, "to_coin", "cannot be converted"),
    ],
)
def test_a_bad_quote_request_is_refused_on_its_field(convert_account, asked, field, says):
    conn, exchange = convert_account
    sent = exchange.calls("quote")
    with pytest.raises(Refused) as refused:
        _quote(conn, asked["amount"], to_coin=asked["to_coin"])
    [problem] = refused.value.problems
    assert problem.field == field and says in problem.message
    assert exchange.calls("quote") == sent
    assert not OtcQuote.objects.filter(connection=conn).exists()
