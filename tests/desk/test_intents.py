"""The exactly-once kit (``desk.intents``) against the real sandbox: each verdict from a real
answer (or a real failure to get one), the intent committed once, settling audited with its
follow-ups after commit, and the one sweep settling several kinds from the exchange's records —
absent ones only after the grace period, never by sending again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts.exchange import client_for_connection
from accounts.models import AuditRecord
from desk.intents import (
    BACKOFF,
    FAILED,
    FOUND,
    WAITING,
    IntentMoved,
    State,
    Verdict,
    intent_commit,
    intent_send,
    intent_settle,
    intents_reconcile,
    outcome_of,
)
from tests.trading.orders import conftest as order_fixtures
from tests.transfers import conftest as transfer_fixtures
from trading.models import Order, OrderStatus
from trading.orders import services as order_services
from trading.orders.reconcile import OrderStrategy
from transfers.models import AmountKind, RunStatus, TransferRun
from transfers.reconcile import RunStrategy
from transfers.runs import run_execute

pytestmark = pytest.mark.django_db

# The areas' own fixtures: a funded trader, and a master account with two sub-accounts.
trader = order_fixtures.trader
master = transfer_fixtures.master


def _transfer(conn, ledger, amount="1"):
    """One real transfer request, master → first sub-account, as the worker sends it."""

    def send():
        with client_for_connection(conn) as client:
            return client.sub_account_transfer(
                from_email=ledger.master,
                to_email=ledger.subs[0],
                asset="USD",
                amount=Decimal(amount),
            )

    return send


def _run(conn, ledger, **fields) -> TransferRun:
    return TransferRun.objects.create(
        connection=conn,
        planned_at=timezone.now(),
        to_email=ledger.subs[0],
        asset="USD",
        amount_kind=AmountKind.FIXED,
        amount_param=Decimal("10"),
        **fields,
    )


# --- verdicts -----------------------------------------------------------------------------------
def test_it_calls_a_plain_answer_executed_and_sends_once(master):
    conn, ledger = master
    outcome = intent_send(_transfer(conn, ledger, "2"))
    assert (outcome.verdict, outcome.tries) == (Verdict.EXECUTED, 1) and outcome.answer.txn_id
    assert ledger.free(ledger.subs[0], "USD") == "52.00000000"


def test_it_calls_a_503_service_unavailable_not_executed_and_backs_off(master):
    conn, ledger = master
    ledger.faults(transfer={"mode": "unavailable_503", "count": 2})
    delays: list[float] = []
    outcome = intent_send(_transfer(conn, ledger), sleep=delays.append)
    assert (outcome.verdict, outcome.tries) == (Verdict.EXECUTED, 3)
    assert delays == list(BACKOFF[:2])  # 200 ms → 400 ms, as the spec suggests
    assert ledger.free(ledger.subs[0], "USD") == "51.00000000"  # moved once


def test_it_gives_up_on_503_after_the_bounded_backoff_with_nothing_moved(master):
    conn, ledger = master
    ledger.faults(transfer={"mode": "unavailable_503", "count": 10})
    delays: list[float] = []
    outcome = intent_send(_transfer(conn, ledger), backoff=(0.2, 0.4), sleep=delays.append)
    assert (outcome.verdict, outcome.tries, outcome.code) == (Verdict.FAILED, 3, -1008)
    assert outcome.not_executed and outcome.message.endswith("(after 3 tries)")
    assert delays == [0.2, 0.4]
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


def test_it_calls_a_500_after_execution_unknown_and_never_resends(master):
    conn, ledger = master
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    before = ledger.transfer_calls()
    outcome = intent_send(_transfer(conn, ledger), sleep=pytest.fail)
    assert (outcome.verdict, outcome.code) == (Verdict.UNKNOWN, -1007)
    assert not outcome.not_executed
    assert ledger.transfer_calls() - before == 1
    assert ledger.free(ledger.subs[0], "USD") == "51.00000000"  # it did execute


def test_it_calls_a_timeout_unknown(master, settings):
    conn, ledger = master
    settings.EXCHANGE_TIMEOUT = 1
    ledger.faults(transfer={"mode": "execute_then_timeout", "count": 1, "holdSeconds": 3})
    outcome = intent_send(_transfer(conn, ledger), sleep=pytest.fail)
    assert outcome.verdict is Verdict.UNKNOWN


def test_it_calls_a_4xx_failed_with_the_exchanges_code_and_message(master):
    conn, ledger = master
    outcome = intent_send(_transfer(conn, ledger, "5000"), sleep=pytest.fail)
    assert (outcome.verdict, outcome.code) == (Verdict.FAILED, -2010)
    assert "insufficient balance" in outcome.message.lower()


def test_it_calls_an_unreachable_exchange_not_executed():
    with binanceus.Client("k", "s", base_url="http://127.0.0.1:9", timeout=1) as client:
        outcome = intent_send(
            lambda: client.sub_account_transfer(
                from_email="a@example.test",
                to_email="b@example.test",
                asset="USD",
                amount=Decimal(1),
            ),
            backoff=(),
        )
    assert outcome.verdict is Verdict.FAILED and "nothing was sent" in outcome.message


def test_it_calls_a_rate_limit_later_not_failed():
    refused = binanceus.WeightLimitExceeded("budget spent", retry_after=2.5)
    outcome = outcome_of(refused)
    assert (outcome.verdict, outcome.retry_after) == (Verdict.LATER, 2.5) and outcome.not_executed


# --- committing and settling --------------------------------------------------------------------
def test_it_commits_an_intent_once_per_key(master):
    conn, _ = master
    fields = {
        "connection": conn,
        "planned_at": timezone.now(),
        "asset": "USD",
        "amount_kind": AmountKind.FIXED,
        "amount_param": Decimal("3"),
    }
    first, created = intent_commit(TransferRun, key={"request_key": "kit-1"}, fields=fields)
    again, created_again = intent_commit(TransferRun, key={"request_key": "kit-1"}, fields=fields)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert TransferRun.objects.filter(request_key="kit-1").count() == 1
    assert first.intent_state is State.PLANNED and first.intent_key == "kit-1"


def test_it_settles_with_its_audit_and_runs_follow_ups_only_after_commit(
    master, django_capture_on_commit_callbacks
):
    conn, ledger = master
    run, after = _run(conn, ledger), []

    def audit(row):
        AuditRecord.objects.create(user=conn.user, action="kit.test", outcome="unknown")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        intent_settle(
            run,
            State.UNKNOWN,
            code=-1007,
            message="lost",
            audit=audit,
            then=[lambda: after.append(run.pk)],
        )
        assert after == []  # the row is not visible to anyone else yet
    assert after == [run.pk] and len(callbacks) == 1
    run.refresh_from_db()
    assert (run.status, run.error_code, run.error_message) == (RunStatus.UNKNOWN, -1007, "lost")
    assert run.unknown_since is not None and run.intent_state is State.UNKNOWN
    assert AuditRecord.objects.filter(action="kit.test").count() == 1


# --- the one sweep ------------------------------------------------------------------------------
def test_one_sweep_settles_orders_and_transfers_from_the_exchanges_records(
    master, trader, settings
):
    settings.ORDER_RECONCILE_GRACE_SECONDS = 60
    settings.TRANSFER_RECONCILE_GRACE_SECONDS = 60
    conn, ledger = master
    tconn, ex = trader
    # A transfer and an order that executed without an answer...
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    lost_run = run_execute(run_id=_run(conn, ledger).pk)
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    lost_order = order_services.order_place(
        user=tconn.user,
        connection=tconn,
        client_order_id="kit-lost",
        request=order_services.OrderRequest(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.01"),
            price=ex.below(),
            time_in_force="GTC",
        ),
    )
    assert (lost_run.status, lost_order.status) == (RunStatus.UNKNOWN, OrderStatus.UNKNOWN)
    # ... and an order whose worker died before its request left (no request reached the exchange).
    never = Order.objects.create(
        connection=tconn,
        symbol="BTCUSD",
        client_order_id="kit-never",
        origin="desk",
        side="BUY",
        type="LIMIT",
        status=OrderStatus.SENDING,
    )
    Order.objects.filter(pk=never.pk).update(created_at=timezone.now() - timedelta(seconds=40))
    placed_before, moved_before = len(ex.orders()), ledger.transfer_calls()

    counts = intents_reconcile(OrderStrategy(), RunStrategy())
    assert (counts[FOUND], counts[WAITING]) == (2, 1)
    never.refresh_from_db()
    assert never.status == OrderStatus.UNKNOWN  # absent, but still within the grace period
    assert (
        intents_reconcile(
            OrderStrategy(), RunStrategy(), now=timezone.now() + timedelta(seconds=30)
        )[FAILED]
        == 1
    )
    lost_run.refresh_from_db()
    lost_order.refresh_from_db()
    never.refresh_from_db()
    assert lost_run.status == RunStatus.EXECUTED and lost_order.status == OrderStatus.NEW
    assert never.status == OrderStatus.FAILED and "not placed" in never.error_message
    # Only looked up: nothing was placed or moved a second time.
    assert (len(ex.orders()), ledger.transfer_calls()) == (placed_before, moved_before)
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"


def test_a_stale_copy_never_overwrites_what_another_sweep_settled(master):
    conn, ledger = master
    run = _run(conn, ledger, status=RunStatus.UNKNOWN)
    stale = TransferRun.objects.get(pk=run.pk)
    stale.intent_hold()  # what a sweep does once it has read the intent
    fresh = TransferRun.objects.get(pk=run.pk)
    fresh.intent_hold()
    intent_settle(fresh, State.EXECUTED, audit=lambda row: None)  # the other sweep, first
    with pytest.raises(IntentMoved):
        intent_settle(stale, State.FAILED, message="absent", audit=pytest.fail)
    run.refresh_from_db()
    assert (run.status, run.error_message) == (RunStatus.EXECUTED, "")
