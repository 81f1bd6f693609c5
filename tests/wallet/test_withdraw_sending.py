"""Withdrawals against the real sandbox, through each fault it can inject. The question is always
"how many withdrawals does the exchange's own ledger hold?"."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditRecord
from tests.wallet.conftest import (
    FIAT_WITHDRAW_PATH,
    exchange_fiat_withdrawals,
    exchange_withdrawals,
    withdraw_calls,
)
from wallet.withdrawals import follow, reconcile, sending, services
from wallet.withdrawals.models import Withdrawal, WithdrawalStatus

pytestmark = pytest.mark.django_db


def _request(conn, entry, amount="1", *, key=None, coin=None, network=None) -> Withdrawal:
    return services.withdrawal_request(
        connection=conn,
        user=conn.user,
        entry=entry,
        coin=coin or entry.coin,
        network=network or entry.network,
        amount=Decimal(amount),
        request_key=key or uuid.uuid4().hex,
        confirmed=True,
    )


def _no_sleep(delays):
    return delays.append


def _mine(chain, withdrawal):
    rows = exchange_withdrawals(chain, withdrawal.coin)
    return [r for r in rows if r.withdraw_order_id == withdrawal.request_key]


def test_it_withdraws_once_with_the_intent_key_as_withdraw_order_id(wallet_master, usable_address):
    conn, chain = wallet_master
    w = _request(conn, usable_address(), "1.5")
    assert w.status == WithdrawalStatus.PLANNED and w.fee == Decimal("0.0015")
    done = sending.withdrawal_send(withdrawal_id=w.pk)
    assert done.status == WithdrawalStatus.SENT and done.withdraw_id
    assert chain.free("ETH") == Decimal("48.5")
    [row] = _mine(chain, done)
    assert row.id == done.withdraw_id and row.amount == Decimal("1.4985")
    # A second delivery of the task finds it taken and sends nothing.
    before = withdraw_calls(chain)
    assert sending.withdrawal_send(withdrawal_id=w.pk) is None
    assert withdraw_calls(chain) == before
    record = AuditRecord.objects.get(action="withdrawal")
    assert record.outcome == "ok" and record.exchange_ids["withdrawOrderId"] == w.request_key
    assert AuditRecord.objects.filter(action="withdrawal.request").count() == 1


def test_it_marks_an_executed_but_unanswered_withdrawal_unknown_then_finds_it(
    wallet_master, usable_address
):
    conn, chain = wallet_master
    chain.faults(withdrawApply={"mode": "execute_then_500", "count": 1})
    w = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    assert w.status == WithdrawalStatus.UNKNOWN and w.unknown_since is not None
    before = withdraw_calls(chain)
    counts = reconcile.withdrawals_reconcile()
    w.refresh_from_db()
    assert counts["sent"] == 1 and w.status == WithdrawalStatus.SENT and w.withdraw_id
    assert withdraw_calls(chain) == before  # looked up, never sent again
    assert len(_mine(chain, w)) == 1 and chain.free("ETH") == Decimal("49")


def test_it_times_out_into_unknown_never_into_a_resend(wallet_master, usable_address, settings):
    conn, chain = wallet_master
    settings.EXCHANGE_TIMEOUT = 1
    chain.faults(withdrawApply={"mode": "execute_then_timeout", "count": 1, "holdSeconds": 3})
    before = withdraw_calls(chain)
    w = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    assert w.status == WithdrawalStatus.UNKNOWN
    assert withdraw_calls(chain) - before == 1
    reconcile.withdrawals_reconcile()
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.SENT and len(_mine(chain, w)) == 1


def test_it_waits_out_the_history_lag_then_fails_an_absent_one(
    wallet_master, usable_address, settings
):
    conn, chain = wallet_master
    settings.WITHDRAW_RECONCILE_GRACE_SECONDS, settings.WITHDRAW_STALE_SECONDS = 300, 120
    w = _request(conn, usable_address())
    # A worker died after committing "sending", before the request left.
    Withdrawal.objects.filter(pk=w.pk).update(
        status=WithdrawalStatus.SENDING, sent_at=timezone.now() - timedelta(seconds=130)
    )
    assert reconcile.withdrawals_reconcile()["waiting"] == 1  # now unknown, within grace
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.UNKNOWN
    later = timezone.now() + timedelta(seconds=200)
    assert reconcile.withdrawals_reconcile(now=later)["failed"] == 1
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.FAILED and "nothing was withdrawn" in w.error_message
    assert _mine(chain, w) == [] and chain.free("ETH") == Decimal("50")


def test_it_retries_503_with_backoff_and_withdraws_once(wallet_master, usable_address):
    conn, chain = wallet_master
    chain.faults(withdrawApply={"mode": "unavailable_503", "count": 2})
    delays = []
    w = _request(conn, usable_address())
    done = sending.withdrawal_send(withdrawal_id=w.pk, sleep=_no_sleep(delays))
    assert done.status == WithdrawalStatus.SENT and delays == [0.2, 0.4]
    assert len(_mine(chain, done)) == 1 and chain.free("ETH") == Decimal("49")


def test_it_fails_with_the_exchanges_code_and_message(wallet_master, usable_address):
    conn, chain = wallet_master
    w = _request(conn, usable_address(), "2")
    # The exchange's coin switch goes off between the check and the send.
    chain.change_catalog({"coins": {"ETH": {"withdrawAllEnable": False}}})
    done = sending.withdrawal_send(withdrawal_id=w.pk)
    assert done.status == WithdrawalStatus.FAILED
    assert done.error_code == -1130 and "coin" in done.error_message
    assert _mine(chain, done) == [] and chain.free("ETH") == Decimal("50")
    record = AuditRecord.objects.get(action="withdrawal")
    assert record.outcome == "error" and record.error_code == -1130


def test_it_takes_a_duplicate_answer_as_proof_it_went_through(wallet_master, usable_address):
    conn, chain = wallet_master
    w = _request(conn, usable_address())
    sending.withdrawal_send(withdrawal_id=w.pk)
    # As if a dead worker's send had gone out: the same withdrawOrderId sent again.
    Withdrawal.objects.filter(pk=w.pk).update(status=WithdrawalStatus.PLANNED)
    again = sending.withdrawal_send(withdrawal_id=w.pk)
    assert again.status == WithdrawalStatus.UNKNOWN and again.error_code == -2010
    reconcile.withdrawals_reconcile()
    again.refresh_from_db()
    assert again.status == WithdrawalStatus.SENT and len(_mine(chain, again)) == 1


def test_it_sends_one_withdrawal_for_a_form_submitted_twice(wallet_master, usable_address):
    conn, chain = wallet_master
    entry, key = usable_address(), uuid.uuid4().hex
    first = _request(conn, entry, key=key)
    second = _request(conn, entry, key=key)
    assert first.pk == second.pk and Withdrawal.objects.count() == 1
    with pytest.raises(services.WithdrawalRequestConflict):
        _request(conn, entry, "2", key=key)
    sending.withdrawal_send(withdrawal_id=first.pk)
    sending.withdrawal_send(withdrawal_id=second.pk)
    assert len(_mine(chain, first)) == 1


def test_it_follows_the_exchange_until_completed_with_a_tx_id(wallet_master, usable_address):
    conn, chain = wallet_master
    w = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    assert follow.withdrawals_follow()["changed"] == 0  # still processing
    chain.end_withdrawal(w.withdraw_id, 6)
    assert follow.withdrawals_follow()["changed"] == 1
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.COMPLETED and w.tx_id and w.finished_at
    assert w.exchange_status == "completed"
    assert AuditRecord.objects.filter(action="withdrawal.status", outcome="ok").exists()


def test_it_follows_a_withdrawal_the_exchanges_clock_completes(wallet_master, usable_address):
    conn, chain = wallet_master
    w = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    chain.advance_clock(31_000)  # past the network's withdrawSeconds (30)
    assert follow.withdrawals_follow()["changed"] == 1
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.COMPLETED and w.tx_id.startswith("0x")


def test_it_follows_a_refused_withdrawal_to_returned(wallet_master, usable_address):
    conn, chain = wallet_master
    w = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    chain.end_withdrawal(w.withdraw_id, 5)
    follow.withdrawals_follow()
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.RETURNED and w.exchange_status == "failure"
    assert chain.free("ETH") == Decimal("50")  # refunded


def test_it_follows_the_other_withdrawals_when_one_connection_cannot_be_read(
    wallet_master, usable_address
):
    from tests.factories import make_connection

    conn, chain = wallet_master
    good = sending.withdrawal_send(withdrawal_id=_request(conn, usable_address()).pk)
    broken = make_connection(conn.user)  # keys the exchange does not know
    Withdrawal.objects.create(
        connection=broken,
        request_key=uuid.uuid4().hex,
        kind="crypto",
        coin="ETH",
        network="ETH",
        address="0x" + "cd" * 20,
        amount=Decimal("1"),
        status=WithdrawalStatus.SENT,
        sent_at=timezone.now(),
    )
    chain.end_withdrawal(good.withdraw_id, 6)
    counts = follow.withdrawals_follow()
    good.refresh_from_db()
    assert counts == {"changed": 1, "errors": 1} and good.status == WithdrawalStatus.COMPLETED


def test_it_withdraws_usd_once_and_allows_one_in_flight(wallet_master, usable_address):
    conn, chain = wallet_master
    entry = usable_address("USD", "BITGO", "bitgo-account-1", label="Bank")
    first = _request(conn, entry, "100")
    with pytest.raises(services.WithdrawalRefused, match="still being sent"):
        _request(conn, entry, "50")
    done = sending.withdrawal_send(withdrawal_id=first.pk)
    assert done.status == WithdrawalStatus.SENT and done.withdraw_id
    assert chain.free("USD") == Decimal("99900")
    second = _request(conn, entry, "50")  # the first's outcome is known now
    assert second.kind == "fiat"


def test_the_database_refuses_a_second_fiat_withdrawal_in_flight(wallet_master):
    from django.db import IntegrityError, transaction

    conn, _ = wallet_master
    fields = dict(connection=conn, kind="fiat", coin="USD", network="BITGO", address="a")
    Withdrawal.objects.create(request_key="a" * 32, amount=Decimal(1), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Withdrawal.objects.create(request_key="b" * 32, amount=Decimal(2), **fields)


def test_it_finds_an_unanswered_usd_withdrawal_by_amount_and_time(wallet_master, usable_address):
    conn, chain = wallet_master
    entry = usable_address("USD", "BITGO", "bitgo-account-2", label="Bank")
    older = sending.withdrawal_send(withdrawal_id=_request(conn, entry, "70").pk)
    chain.faults(fiatWithdrawApply={"mode": "execute_then_500", "count": 1})
    w = sending.withdrawal_send(withdrawal_id=_request(conn, entry, "70").pk)
    assert w.status == WithdrawalStatus.UNKNOWN
    before = withdraw_calls(chain, FIAT_WITHDRAW_PATH)
    assert reconcile.withdrawals_reconcile()["sent"] == 1
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.SENT and w.withdraw_id not in ("", older.withdraw_id)
    assert withdraw_calls(chain, FIAT_WITHDRAW_PATH) == before
    ids = {r.order_id for r in exchange_fiat_withdrawals(chain)}
    assert {older.withdraw_id, w.withdraw_id} <= ids and len(ids) == 2
    chain.end_fiat_order(w.withdraw_id, "Successful")
    follow.withdrawals_follow()
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.COMPLETED


def test_it_pushes_the_settled_withdrawal_to_its_connection_socket(
    wallet_master, usable_address, django_capture_on_commit_callbacks
):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from accounts.realtime import connection_group

    conn, _ = wallet_master
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(connection_group(conn.pk), channel)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    w = _request(conn, usable_address(), "1")
    with django_capture_on_commit_callbacks(execute=True):
        sending.withdrawal_send(withdrawal_id=w.pk)
    pushed = async_to_sync(receive)()
    while pushed["type"] != "withdrawal.updated":
        pushed = async_to_sync(receive)()
    assert pushed["payload"]["id"] == w.pk and pushed["payload"]["status"] == "sent"
    assert pushed["payload"]["amount"] == "1" and pushed["payload"]["receive"] == "0.9985"


def test_it_hands_back_a_claim_whose_worker_died_before_sending(
    wallet_master, usable_address, settings
):
    conn, chain = wallet_master
    settings.WITHDRAW_STALE_SECONDS = 120
    w = _request(conn, usable_address())
    long_ago = timezone.now() - timedelta(seconds=200)
    Withdrawal.objects.filter(pk=w.pk).update(
        status=WithdrawalStatus.CLAIMED, claimed_at=long_ago, updated_at=long_ago
    )
    assert reconcile.withdrawals_reconcile()["requeued"] == 1
    w.refresh_from_db()
    assert w.status == WithdrawalStatus.PLANNED  # nothing went out: it may be sent after all
    done = sending.withdrawal_send(withdrawal_id=w.pk)
    assert done.status == WithdrawalStatus.SENT and len(_mine(chain, done)) == 1
