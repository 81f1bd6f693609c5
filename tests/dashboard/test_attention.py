"""The dashboard's "Needs attention" list (``dashboard.attention``) and its card."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import ExchangeConnection, KeyType, SubAccount
from convert.models import DustConversion, OtcConversion
from creditline.models import AlertType, CreditAlert, CreditLineState, CreditTransfer
from custody.models import CustodialOrder, CustodySync, CustodyTransfer
from dashboard.attention import QUERIES, TIER, Item, attention_items
from desk.intents.models import Status
from tests.factories import login, make_connection, make_user
from trading.models import HistorySync, Order, OrderList, OrderStatus
from transfers.models import RunStatus, TransferHistoryCursor, TransferRun, TransferSchedule
from wallet.models import (
    ActivitySync,
    AddressBookEntry,
    StakingOperation,
    StakingSync,
    Withdrawal,
    WithdrawalStatus,
)

pytestmark = pytest.mark.django_db

_n = itertools.count(1)
LONG_AGO = timedelta(hours=3)


def _key() -> str:
    return uuid.uuid4().hex


def _ago(delta: timedelta = LONG_AGO):
    return timezone.now() - delta


class Desk:
    """One user's three connections, one per key type (each area's pages need their own)."""

    def __init__(self, user):
        self.user = user
        self.exchange = make_connection(user, label=f"Main {next(_n)}")
        self.custodial = make_connection(
            user, label=f"Custody {next(_n)}", key_type=KeyType.CUSTODIAL
        )
        self.credit = make_connection(
            user, label=f"Credit {next(_n)}", key_type=KeyType.CREDIT_LINE
        )


# --- one row that needs attention, per kind ----------------------------------------------------
def _order(desk, status=OrderStatus.UNKNOWN):
    return Order.objects.create(
        connection=desk.exchange,
        symbol="BTCUSD",
        client_order_id=_key(),
        origin="desk",
        side="BUY",
        type="LIMIT",
        orig_qty=Decimal("0.01"),
        price=Decimal("30000"),
        status=status,
    )


def _oco(desk):
    return OrderList.objects.create(
        connection=desk.exchange,
        symbol="BTCUSD",
        list_client_order_id=_key(),
        origin="desk",
        list_status_type="UNKNOWN",
        request={"side": "SELL", "quantity": "0.5"},
    )


def _run(desk, status=RunStatus.UNKNOWN, **fields):
    return TransferRun.objects.create(
        connection=desk.exchange,
        request_key=_key(),
        planned_at=timezone.now(),
        to_email="sub@example.test",
        asset="BTC",
        amount_kind="fixed",
        amount_param=Decimal("0.1"),
        amount=Decimal("0.1"),
        status=status,
        **fields,
    )


def _withdrawal(desk, status=WithdrawalStatus.UNKNOWN):
    return Withdrawal.objects.create(
        connection=desk.exchange,
        request_key=_key(),
        kind="crypto",
        coin="BTC",
        network="BTC",
        address="bc1qexampleaddress",
        label="Cold wallet",
        amount=Decimal("0.2"),
        status=status,
    )


def _staking(desk):
    return StakingOperation.objects.create(
        connection=desk.exchange,
        request_key=_key(),
        kind="stake",
        asset=f"A{next(_n)}",  # one operation in flight per asset
        amount=Decimal("3"),
        status=Status.UNKNOWN,
    )


def _credit_transfer(desk):
    # One credit transfer in flight per connection: each one needs its own credit line.
    conn = make_connection(desk.user, key_type=KeyType.CREDIT_LINE)
    return CreditTransfer.objects.create(
        connection=conn,
        request_key=_key(),
        transfer_type="TRANSFER_IN",
        asset="BTC",
        quantity=Decimal("0.5"),
        status=Status.UNKNOWN,
    )


def _custody_transfer(desk):
    return CustodyTransfer.objects.create(
        connection=desk.custodial,
        client_order_id=str(uuid.uuid4()),
        kind="wallet",
        rail="ANCHORAGE",
        asset="BTC",
        amount=Decimal("1"),
        status=Status.UNKNOWN,
    )


def _custody_order(desk):
    return CustodialOrder.objects.create(
        connection=desk.custodial,
        request_key=str(uuid.uuid4()),
        rail="ANCHORAGE",
        symbol=f"S{next(_n)}USD",  # one order in flight per symbol
        side="BUY",
        type="MARKET",
        quantity=Decimal("0.1"),
        status=Status.UNKNOWN,
    )


def _otc(desk):
    return OtcConversion.objects.create(
        connection=desk.exchange,
        quote_id=_key(),
        from_coin="USD",
        to_coin="BTC",
        from_amount=Decimal("100"),
        to_amount=Decimal("0.003"),
        ratio=Decimal("0.00003"),
        valid_until=timezone.now(),
        status=Status.UNKNOWN,
    )


def _dust(desk):
    # One dust conversion in flight per connection.
    conn = make_connection(desk.user)
    return DustConversion.objects.create(
        connection=conn,
        request_key=_key(),
        from_assets=["DOGE", "SHIB"],
        to_asset="BNB",
        status=Status.UNKNOWN,
    )


def _alert(desk, **fields):
    return CreditAlert.objects.create(
        connection=desk.credit,
        alert_time=timezone.now() - timedelta(seconds=next(_n)),
        alert_type=AlertType.MARGIN_CALL,
        current_ltv=Decimal("0.81"),
        initial_ltv=Decimal("0.65"),
        margin_call_ltv=Decimal("0.8"),
        liquidation_ltv=Decimal("0.9"),
        total_balance=Decimal("1000"),
        **fields,
    )


def _credit_state(desk, *, ltv="0.85", conn=None, **fields):
    return CreditLineState.objects.create(
        connection=conn or make_connection(desk.user, key_type=KeyType.CREDIT_LINE),
        current_ltv=Decimal(ltv),
        initial_ltv=Decimal("0.65"),
        margin_call_ltv=Decimal("0.8"),
        liquidation_ltv=Decimal("0.9"),
        is_active=True,
        required_deposit_amount=Decimal(0),
        available_to_transfer_out=Decimal(0),
        synced_at=fields.pop("synced_at", timezone.now()),
        **fields,
    )


def _keys_to_replace(desk):
    conn = make_connection(desk.user)
    ExchangeConnection.objects.filter(pk=conn.pk).update(needs_new_keys=True)
    return None


def _connection_error(desk):
    conn = make_connection(desk.user)
    ExchangeConnection.objects.filter(pk=conn.pk).update(last_sync_error="Invalid API-key.")
    return None


def _failed_run(desk):
    return _run(
        desk, RunStatus.FAILED, finished_at=timezone.now(), error_message="Balance insufficient."
    )


def _paused_schedule(desk, reason="The rule cannot fire again."):
    return TransferSchedule.objects.create(
        connection=desk.exchange,
        name=f"Sweep {next(_n)}",
        to_email="sub@example.test",
        asset="BTC",
        amount_kind="fixed",
        amount=Decimal("0.1"),
        recurrence="daily",
        starts_at=timezone.now(),
        is_paused=True,
        paused_reason=reason,
    )


def _address(desk, usable_in=timedelta(hours=24)):
    return AddressBookEntry.objects.create(
        connection=desk.exchange,
        coin="BTC",
        network="BTC",
        address=f"bc1q{next(_n):030d}",
        label="New cold wallet",
        usable_from=timezone.now() + usable_in,
    )


def _history_sync(desk, **fields):
    now = timezone.now()
    fields.setdefault("last_error", "Timestamp outside the recvWindow.")
    fields.setdefault("synced_at", now)
    return HistorySync.objects.create(
        connection=desk.exchange,
        kind="orders",
        symbol=f"S{next(_n)}USD",
        backfill_from=now - timedelta(days=365),
        started_at=now,
        backfilled_to=now,
        **fields,
    )


def _wallet_sync(desk):
    conn = make_connection(desk.user)  # one row per connection and kind
    return ActivitySync.objects.create(connection=conn, kind="deposit", synced_at=_ago())


def _staking_sync(desk):
    conn = make_connection(desk.user)
    return StakingSync.objects.create(connection=conn, last_error="Service unavailable.")


def _custody_sync(desk):
    conn = make_connection(desk.user, key_type=KeyType.CUSTODIAL)
    return CustodySync.objects.create(connection=conn, synced_at=_ago())


def _transfer_history_sync(desk):
    conn = make_connection(desk.user)
    SubAccount.objects.create(connection=conn, email="sub@example.test", synced_at=timezone.now())
    return TransferHistoryCursor.objects.create(connection=conn, last_error="Try again later.")


def _credit_sync(desk):
    return _credit_state(desk, ltv="0.1", last_error="Credit line unavailable.")


MAKERS = {
    "order-unknown": _order,
    "oco-unknown": _oco,
    "transfer-unknown": _run,
    "withdrawal-unknown": _withdrawal,
    "staking-unknown": _staking,
    "credit-transfer-unknown": _credit_transfer,
    "custody-transfer-unknown": _custody_transfer,
    "custody-order-unknown": _custody_order,
    "otc-unknown": _otc,
    "dust-unknown": _dust,
    "credit-ltv": _credit_state,
    "credit-alert": _alert,
    "keys-replace": _keys_to_replace,
    "connection-error": _connection_error,
    "transfer-failed": _failed_run,
    "schedule-paused": _paused_schedule,
    "address-cooling-off": _address,
    "history-sync": _history_sync,
    "wallet-sync": _wallet_sync,
    "staking-sync": _staking_sync,
    "custody-sync": _custody_sync,
    "transfer-history-sync": _transfer_history_sync,
    "credit-sync": _credit_sync,
}


def _of(items: list[Item], kind: str) -> list[Item]:
    return [i for i in items if i.kind == kind]


def test_every_kind_has_a_maker_and_a_tier():
    assert set(MAKERS) == set(TIER)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_each_kind_is_listed_with_a_page_its_owner_can_open(client, kind):
    desk = Desk(make_user())
    row = MAKERS[kind](desk)
    items = _of(attention_items(user=desk.user), kind)
    assert len(items) == 1, items
    item = items[0]
    assert item.object_id == (row.pk if row is not None else None)
    assert item.text and "“" in item.text  # names its connection
    assert item.since is None or timezone.is_aware(item.since)
    resolve(item.url)
    login(client, desk.user)
    assert client.get(item.url).status_code == 200, item.url


@pytest.mark.parametrize("kind", list(MAKERS))
def test_another_users_rows_never_appear(kind):
    mine, theirs = Desk(make_user()), Desk(make_user())
    MAKERS[kind](theirs)
    assert attention_items(user=mine.user) == []
    assert {i.connection_id for i in attention_items(user=theirs.user)} <= set(
        theirs.user.connections.values_list("pk", flat=True)
    )


def test_the_texts_say_what_and_where():
    desk = Desk(make_user())
    _order(desk)
    _withdrawal(desk)
    _failed_run(desk)
    texts = {i.kind: i.text for i in attention_items(user=desk.user)}
    label = desk.exchange.label
    assert texts["order-unknown"] == (
        f"BUY LIMIT BTCUSD 0.01 on “{label}”: outcome unknown — being checked"
    )
    assert texts["withdrawal-unknown"] == (
        f"Withdrawal of 0.2 BTC to Cold wallet on “{label}”: outcome unknown — being checked"
    )
    assert texts["transfer-failed"] == (
        f"Transfer of 0.1 BTC from the master account to sub@example.test on “{label}” "
        "failed: Balance insufficient."
    )


def test_a_sending_row_is_news_only_once_its_request_is_stale(settings):
    desk = Desk(make_user())
    _order(desk, OrderStatus.SENDING)  # its request may still be in flight
    stuck = _order(desk, OrderStatus.SENDING)
    old = _ago(timedelta(seconds=settings.ORDER_STALE_SECONDS + 5))
    Order.objects.filter(pk=stuck.pk).update(created_at=old)
    items = _of(attention_items(user=desk.user), "order-unknown")
    assert [i.object_id for i in items] == [stuck.pk]
    assert items[0].text.endswith("sent, no answer yet — being checked")
    assert items[0].since == old


def test_settled_rows_do_not_appear():
    desk = Desk(make_user())
    _order(desk, OrderStatus.FILLED)
    _order(desk, OrderStatus.SENDING)  # still in flight
    _run(desk, RunStatus.EXECUTED)
    _run(desk, RunStatus.FAILED, finished_at=_ago(timedelta(days=8)))
    _withdrawal(desk, WithdrawalStatus.COMPLETED)
    _withdrawal(desk, WithdrawalStatus.SENT)
    _paused_schedule(desk, reason="")  # paused by its owner
    _address(desk, usable_in=-timedelta(hours=1))
    _alert(desk, dismissed_at=timezone.now())
    _credit_state(desk, ltv="0.5")
    _history_sync(desk, last_error="")
    ActivitySync.objects.create(
        connection=desk.exchange, kind="deposit", synced_at=_ago(timedelta(minutes=5))
    )
    TransferHistoryCursor.objects.create(connection=desk.exchange, last_error="no sub-accounts")
    off = make_connection(desk.user)
    ExchangeConnection.objects.filter(pk=off.pk).update(is_active=False, needs_new_keys=True)
    assert attention_items(user=desk.user) == []


def test_a_syncs_rows_are_one_item_per_connection():
    desk = Desk(make_user())
    first = _history_sync(desk)
    _history_sync(desk)
    _history_sync(desk, last_error="", synced_at=_ago())
    (item,) = _of(attention_items(user=desk.user), "history-sync")
    assert item.object_id == first.pk
    assert item.url == reverse("history:orders", args=[desk.exchange.pk])
    assert "(orders " in item.text and " and 2 more)" in item.text
    assert item.text.endswith(": Timestamp outside the recvWindow.")


def test_a_connection_without_working_keys_is_told_once_not_per_sync():
    desk = Desk(make_user())
    _history_sync(desk)
    ExchangeConnection.objects.filter(pk=desk.exchange.pk).update(needs_new_keys=True)
    _order(desk)
    items = attention_items(user=desk.user)
    assert [i.kind for i in items] == ["order-unknown", "keys-replace"]
    # Its Orders tab is refused: the link goes where the keys are fixed.
    assert items[0].url == reverse("accounts:detail", args=[desk.exchange.pk])


def test_items_come_by_severity_then_newest_first():
    desk = Desk(make_user())
    older = _order(desk)
    Order.objects.filter(pk=older.pk).update(unknown_since=_ago())
    newer = _order(desk)
    Order.objects.filter(pk=newer.pk).update(unknown_since=_ago(timedelta(minutes=1)))
    _wallet_sync(desk)
    _address(desk)
    _connection_error(desk)
    _alert(desk)
    items = attention_items(user=desk.user)
    assert [i.kind for i in items] == [
        "order-unknown",
        "order-unknown",
        "credit-alert",
        "connection-error",
        "address-cooling-off",
        "wallet-sync",
    ]
    assert [i.object_id for i in items[:2]] == [newer.pk, older.pk]


def test_each_kind_is_capped():
    desk = Desk(make_user())
    for _ in range(25):
        _order(desk)
    assert len(_of(attention_items(user=desk.user), "order-unknown")) == 20


def _fill(desk, times: int) -> None:
    for maker in MAKERS.values():
        for _ in range(times):
            maker(desk)


def _count(user) -> tuple[int, list[Item]]:
    with CaptureQueriesContext(db) as ctx:
        items = attention_items(user=user)
    return len(ctx.captured_queries), items


def test_the_query_count_does_not_grow_with_rows_or_connections():
    few, many = Desk(make_user()), Desk(make_user())
    _fill(few, 1)
    _fill(many, 4)
    few_queries, few_items = _count(few.user)
    many_queries, many_items = _count(many.user)
    assert len(many_items) > len(few_items) >= len(MAKERS)
    assert few_queries == many_queries == QUERIES


def test_the_card_links_every_item():
    item = Item("order-unknown", "BUY <b> on “Main”", "/connections/1/orders/", 1, 7, None)
    html = render_to_string("dashboard/_attention.html", {"attention": [item]})
    assert 'id="attention" aria-labelledby="attention-title"' in html
    assert '<h2 id="attention-title">Needs attention</h2>' in html
    assert 'data-kind="order-unknown" data-connection="1" data-object="7"' in html
    assert '<a href="/connections/1/orders/">BUY &lt;b&gt; on “Main”</a>' in html
    assert "Nothing needs your attention." not in html
    assert "<script" not in html and "style=" not in html


def test_the_card_says_when_nothing_needs_attention():
    html = render_to_string("dashboard/_attention.html", {"attention": []})
    assert "Nothing needs your attention." in html
    assert '<ul id="attention-items">' in html


def test_an_anonymous_user_has_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert attention_items(user=AnonymousUser()) == []


# --- the card live (js/attention.js reads the list again from dashboard:attention) --------------
def test_the_list_is_read_again_as_the_card_shows_it_and_only_its_owners(client):
    desk, other = Desk(make_user()), Desk(make_user())
    mine, theirs = _order(desk), _order(other)
    login(client, desk.user)
    resp = client.get(reverse("dashboard:attention"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.lstrip().startswith('<ul id="attention-items">')
    assert f'data-kind="order-unknown" data-connection="{desk.exchange.pk}"' in html
    assert f'data-object="{mine.pk}"' in html and f'data-object="{theirs.pk}"' not in html
    assert "<script" not in html

    Order.objects.filter(pk=mine.pk).update(status=OrderStatus.NEW)  # the outcome came
    html = client.get(reverse("dashboard:attention")).content.decode()
    assert "order-unknown" not in html and "Nothing needs your attention." in html


def test_the_list_is_only_for_a_signed_in_user(client):
    resp = client.get(reverse("dashboard:attention"))
    assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_the_card_follows_the_sockets_of_the_connections_that_trade(client):
    desk = Desk(make_user())
    login(client, desk.user)
    page = client.get("/").content.decode()
    card = page.split('id="attention"')[1].split("</section>")[0]
    # The custodial and credit-line keys place no spot orders: no socket of theirs to follow.
    assert f'data-connections="{desk.exchange.pk}"' in card
    assert f'data-live-url="{reverse("dashboard:attention")}"' in card
    assert 'id="attention-status" role="status" aria-live="polite"' in card
    assert 'src="/static/js/attention.js"' in page
