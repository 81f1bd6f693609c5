"""Custodian transfers and undos sent exactly once against the real sandbox: each kind end to
end (a partner transfer received, processed on the sandbox clock and followed by the sync),
an unknown answer reconciled by clientOrderId (never sent again), a 503 sent again after the
backoff, a 4XX failed with the exchange's code and message."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.exchange import client_for_connection
from accounts.models import AuditRecord
from custody import reads, reconcile, sending, services, sync
from custody.models import CustodialBalance, CustodySettlement, CustodySync, CustodyTransfer
from tests.custody.conftest import RAIL

pytestmark = pytest.mark.django_db

NO_SLEEP = {"sleep": lambda _: None}
PROCESSED_MS = 6_000  # past the sandbox's default processing delay (5 s of its clock)


def _requested(conn, kind, amount, *, asset="BTC", key=None):
    return services.transfer_request(
        connection=conn,
        user=conn.user,
        kind=kind,
        asset=asset,
        amount=Decimal(amount),
        client_order_id=key or f"{timezone.now().timestamp():.6f}".replace(".", "").ljust(32, "a"),
    )


def _ask(conn, kind, amount, *, asset="BTC", key=None):
    transfer = _requested(conn, kind, amount, asset=asset, key=key)
    return sending.transfer_send(transfer_id=transfer.pk, **NO_SLEEP) or transfer


def _processed(conn, partner, transfer) -> CustodyTransfer:
    """Past the partner's processing on the sandbox clock, and synced."""
    partner.advance_clock(PROCESSED_MS)
    sync.custody_sync(connection_id=conn.pk)
    transfer.refresh_from_db()
    return transfer


def _undo(conn, origin, key="f" * 32):
    undo = services.undo_request(
        connection=conn, user=conn.user, origin_id=origin.pk, request_key=key
    )
    return sending.transfer_send(transfer_id=undo.pk, **NO_SLEEP) or undo


def test_it_moves_the_exchange_wallet_into_custody_once(custody_master):
    conn, partner = custody_master
    transfer = _ask(conn, "wallet", "0.5")
    assert transfer.status == "done" and transfer.exchange_status == "SUCCESS"
    [row] = partner.wallet_history()
    assert row.client_order_id == transfer.client_order_id == transfer.intent_key
    assert row.transfer_id == transfer.transfer_id and row.amount == Decimal("0.5")
    assert partner.wallet_free("BTC") == Decimal("1.5")
    assert partner.custodial_free("BTC") == Decimal("1.5")
    assert AuditRecord.objects.filter(action="custody.wallet", outcome="ok").count() == 1


def test_a_partner_transfer_is_received_then_followed_to_success(custody_master):
    conn, partner = custody_master
    transfer = _ask(conn, "custodian", "3")
    # "Transfer request received " (L7751): taken, not processed yet.
    assert transfer.status == "done" and transfer.exchange_status == "Transfer request received"
    assert not transfer.is_final
    assert partner.custodial_free("BTC") == Decimal("1")
    transfer = _processed(conn, partner, transfer)
    assert transfer.exchange_status == "SUCCESS" and transfer.is_final
    assert partner.custodial_free("BTC") == Decimal("4")
    assert CustodialBalance.objects.get(connection=conn, asset="BTC").free == Decimal("4")


def test_an_undo_takes_a_processed_partner_transfer_back(custody_master):
    conn, partner = custody_master
    origin = _processed(conn, partner, _ask(conn, "custodian", "2"))
    undo = _undo(conn, origin)
    assert undo.status == "done" and undo.kind == "undo"
    assert undo.origin_transfer_id == origin.transfer_id
    assert partner.custodial_free("BTC") == Decimal("1")
    undo_rows = [r for r in partner.partner_history() if r.transfer_id == undo.transfer_id]
    assert len(undo_rows) == 1 and undo_rows[0].amount == Decimal("2")
    # Undone once: the origin is no longer offered, and a second undo is refused.
    with pytest.raises(services.checks.CustodyProblems):
        _undo(conn, origin, key="e" * 32)


def test_the_sync_stores_balances_setting_histories_and_settlements(custody_master):
    conn, _partner = custody_master
    _ask(conn, "wallet", "0.25")
    exchange_wallet = sync.custody_balances_sync(connection=conn)
    assert {r.asset: r.free for r in exchange_wallet}["BTC"] == Decimal("1.75")
    with client_for_connection(conn) as open_client:  # as the accounts balance sync calls it
        again = sync.custody_balances_sync(connection=conn, client=open_client)
    assert again == exchange_wallet
    # The balances are stored already: the wallet history's row and the settlement are new.
    assert sync.custody_sync(connection_id=conn.pk) == 2
    eth = CustodialBalance.objects.get(connection=conn, asset="ETH")
    assert eth.in_settlement == Decimal("0.5")
    state = CustodySync.objects.get(connection=conn)
    assert state.settlement_active is True and state.frequency_in_hours == 12
    assert state.next_trigger_time.year == 2100
    [settlement] = CustodySettlement.objects.filter(connection=conn)
    assert settlement.status == "SUCCESS" and settlement.assets[0]["amount"] == "0.25"
    assert conn.custody_history.filter(source="wallet").count() == 1
    assert sync.custody_sync(connection_id=conn.pk) == 0  # re-read, nothing new


def test_the_balances_are_forgotten_before_the_page_is_told(
    custody_master, django_capture_on_commit_callbacks
):
    """The Custody tab re-reads the balances when a transfer's push reaches it: by then the
    cached read the page drew before must be gone, or it draws the old balances again."""
    conn, _ = custody_master
    told = []

    class Told(sending.CustodyTransferSender):
        def push(self, transfer):
            told.append(reads.balances(connection=conn).value)

    def wallet_btc(balance) -> Decimal:
        return next(b.free for b in balance.exchange_wallet_balance if b.asset == "BTC")

    assert wallet_btc(reads.balances(connection=conn).value) == Decimal("2")  # drawn, cached
    transfer = _requested(conn, "wallet", "0.5")
    with django_capture_on_commit_callbacks(execute=True):
        Told().send(transfer.pk, **NO_SLEEP)
    assert wallet_btc(told[-1]) == Decimal("1.5")


def test_a_double_submit_sends_once(custody_master):
    conn, partner = custody_master
    before = partner.calls("custodian")
    first = _ask(conn, "custodian", "1", key="a" * 32)
    again = _ask(conn, "custodian", "1", key="a" * 32)
    assert first.pk == again.pk and partner.calls("custodian") == before + 1
    with pytest.raises(services.TransferRefused):
        _ask(conn, "custodian", "2", key="a" * 32)  # the same key, another amount
    assert partner.calls("custodian") == before + 1


@pytest.mark.parametrize("mode", ["execute_then_500", "execute_then_timeout"])
def test_an_unknown_answer_is_reconciled_by_client_order_id(custody_master, settings, mode):
    conn, partner = custody_master
    settings.EXCHANGE_TIMEOUT = 2
    partner.faults(custodianTransfer={"mode": mode, "count": 1, "holdSeconds": 3})
    before = partner.calls("custodian")
    transfer = _ask(conn, "custodian", "5")
    assert transfer.status == "unknown"
    counts = reconcile.custody_reconcile()
    transfer.refresh_from_db()
    assert counts["done"] == 1 and transfer.status == "done"
    mine = [r for r in partner.partner_history() if r.client_order_id == transfer.client_order_id]
    assert len(mine) == 1 and transfer.transfer_id == mine[0].transfer_id
    assert partner.calls("custodian") == before + 1  # never sent again


def test_an_unknown_transfer_absent_past_the_grace_period_fails(custody_master):
    conn, _partner = custody_master
    transfer = _ask(conn, "wallet", "0.1")
    # As if its answer had been lost: the history holds another client id.
    CustodyTransfer.objects.filter(pk=transfer.pk).update(
        status="unknown", client_order_id="b" * 32, unknown_since=timezone.now()
    )
    assert reconcile.custody_reconcile()["waiting"] == 1
    later = timezone.now() + reconcile.grace() + timedelta(seconds=5)
    assert reconcile.custody_reconcile(now=later)["failed"] == 1
    transfer.refresh_from_db()
    assert transfer.status == "failed" and "grace period" in transfer.error_message


def test_a_503_is_sent_again_once_and_executed(custody_master):
    conn, partner = custody_master
    before = partner.calls("wallet")
    partner.faults(custodianTransfer={"mode": "unavailable_503", "count": 1})
    transfer = _ask(conn, "wallet", "0.3")
    assert transfer.status == "done" and transfer.attempts == 1
    assert partner.calls("wallet") == before + 2
    assert len(partner.wallet_history()) == 1


def test_a_refusal_fails_with_the_exchanges_code_and_message(custody_master):
    conn, partner = custody_master
    transfer = _ask(conn, "custodian", "1000")  # the partner holds 100 BTC
    assert transfer.status == "failed" and transfer.error_code == -2010
    assert transfer.error_message and transfer.is_final
    assert partner.partner_history() == []


def test_an_unknown_undo_is_reconciled_from_the_undo_row(custody_master):
    conn, partner = custody_master
    origin = _processed(conn, partner, _ask(conn, "custodian", "4"))
    before = partner.calls("undo")
    partner.faults(custodianUndo={"mode": "execute_then_500", "count": 1})
    undo = _undo(conn, origin)
    assert undo.status == "unknown" and partner.custodial_free("BTC") == Decimal("1")
    assert reconcile.custody_reconcile()["done"] == 1
    undo.refresh_from_db()
    [row] = [r for r in partner.partner_history() if r.transfer_id == undo.transfer_id]
    assert undo.status == "done" and row.amount == Decimal("4")
    assert row.transfer_id != origin.transfer_id and partner.calls("undo") == before + 1


def test_a_503_undo_is_sent_again_and_executed(custody_master):
    conn, partner = custody_master
    origin = _processed(conn, partner, _ask(conn, "custodian", "1"))
    before = partner.calls("undo")
    partner.faults(custodianUndo={"mode": "unavailable_503", "count": 1})
    undo = _undo(conn, origin)
    assert undo.status == "done" and partner.calls("undo") == before + 2
    assert partner.custodial_free("BTC") == Decimal("1")


def test_it_reads_the_connections_rail(custody_master):
    conn, _ = custody_master
    transfer = _ask(conn, "wallet", "0.01")
    assert transfer.rail == RAIL


def test_an_undo_is_not_matched_to_the_row_of_another_origins_undo(custody_master):
    import binanceus
    from custody.models import CustodyTransfer
    from custody.reconcile import undo_row

    def row(client_order_id: str):
        return binanceus.CustodianTransferRecord.from_api(
            {
                "transferId": "124",
                "clientOrderId": client_order_id,
                "asset": "BTC",
                "amount": "0.5",
                "status": "SUCCESS",
                "createTime": 1764800000000,
                "updateTime": 1764800000000,
            }
        )

    conn, _ = custody_master
    undo = CustodyTransfer(
        connection=conn, kind="undo", asset="BTC", amount=Decimal("0.7"), origin_transfer_id="12"
    )
    assert not undo_row(row("undo-123"), undo, None, set())
    assert undo_row(row("undo-12"), undo, None, set())
