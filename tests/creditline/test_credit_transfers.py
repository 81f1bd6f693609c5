"""Credit-line transfers against the real sandbox, through each fault it can inject. The
question is always "how many transfers does the exchange's own transfer history hold?"."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditRecord
from creditline import reconcile, sending, services, sync
from creditline.models import CreditTransfer, TransferStatus
from desk.problems import Refused

pytestmark = pytest.mark.django_db

TRANSFER_PATH = "/sapi/v1/cl/transfer"


@pytest.fixture
def polled(credit_line):
    conn, line = credit_line
    cache.delete(f"desk:credit-line:polled:{conn.pk}")
    sync.credit_line_poll(connection_id=conn.pk)
    return conn, line


def _request(conn, quantity="1", *, kind="TRANSFER_IN", asset="SOL", key=None):
    return services.transfer_request(
        connection=conn,
        user=conn.user,
        transfer_type=kind,
        asset=asset,
        quantity=Decimal(quantity),
        request_key=key or uuid.uuid4().hex,
    )


def _rows(line, kind="TRANSFER_IN"):
    return [r for r in line.transfers() if r.transfer_type == kind]


def test_it_transfers_in_once(polled):
    conn, line = polled
    transfer = _request(conn, "2.5")
    done = sending.transfer_send(transfer_id=transfer.pk)
    assert done.status == TransferStatus.DONE and done.transfer_id
    assert [r.amount for r in _rows(line)] == [Decimal("2.5")]
    assert line.account().balances[0].free == Decimal("102.5")
    before = line.calls(TRANSFER_PATH)
    assert sending.transfer_send(transfer_id=transfer.pk) is None  # a second delivery
    assert line.calls(TRANSFER_PATH) == before
    record = AuditRecord.objects.get(action="credit_line.transfer")
    assert record.outcome == "ok" and record.exchange_ids["transferId"] == done.transfer_id


def test_a_form_submitted_twice_is_one_transfer(polled):
    conn, _ = polled
    key = uuid.uuid4().hex
    first = _request(conn, "1", key=key)
    assert _request(conn, "1", key=key).pk == first.pk
    with pytest.raises(services.TransferRefused, match="already submitted"):
        _request(conn, "2", key=key)
    assert CreditTransfer.objects.filter(connection=conn).count() == 1


def test_out_beyond_what_may_leave_is_refused_before_sending(polled):
    conn, line = polled
    available = line.account().available_amount_to_transfer_out
    price = line.price()
    too_much = ((available / price) + Decimal("0.5")).quantize(Decimal("0.01"))
    before = line.calls(TRANSFER_PATH)
    with pytest.raises(Refused) as refused:
        _request(conn, str(too_much), kind="TRANSFER_OUT")
    problem = refused.value.problems[0]
    assert problem.field == "quantity" and "available to transfer out" in problem.message
    assert line.calls(TRANSFER_PATH) == before
    assert not CreditTransfer.objects.filter(connection=conn).exists()


def test_out_within_what_may_leave_goes(polled):
    conn, line = polled
    transfer = _request(conn, "1", kind="TRANSFER_OUT")
    assert sending.transfer_send(transfer_id=transfer.pk).status == TransferStatus.DONE
    assert [r.amount for r in _rows(line, "TRANSFER_OUT")] == [Decimal("1")]


def test_out_of_more_than_is_held_names_the_balance(polled):
    conn, _ = polled
    with pytest.raises(Refused, match="more than the free SOL balance"):
        _request(conn, "1000", kind="TRANSFER_OUT")


def test_a_second_transfer_waits_for_the_first(polled):
    conn, _ = polled
    _request(conn, "1")
    with pytest.raises(services.TransferRefused, match="still being sent"):
        _request(conn, "1")


def test_executed_then_500_is_unknown_then_found_once(polled):
    conn, line = polled
    line.faults(creditLineTransfer={"mode": "execute_then_500", "count": 1})
    transfer = _request(conn, "3")
    unknown = sending.transfer_send(transfer_id=transfer.pk)
    assert unknown.status == TransferStatus.UNKNOWN
    with override_settings(CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS=0):
        counts = reconcile.credit_transfers_reconcile(now=timezone.now() + timedelta(seconds=1))
    transfer.refresh_from_db()
    assert counts["done"] == 1 and transfer.status == TransferStatus.DONE and transfer.transfer_id
    assert [r.amount for r in _rows(line)] == [Decimal("3")]


def test_503_is_sent_again_and_goes_once(polled):
    conn, line = polled
    line.faults(creditLineTransfer={"mode": "unavailable_503", "count": 1})
    transfer = _request(conn, "4")
    before = line.calls(TRANSFER_PATH)
    done = sending.transfer_send(transfer_id=transfer.pk, sleep=lambda s: None)
    assert done.status == TransferStatus.DONE and line.calls(TRANSFER_PATH) == before + 2
    assert [r.amount for r in _rows(line)] == [Decimal("4")]


def test_unknown_and_absent_past_the_grace_fails_without_resending(polled):
    conn, line = polled
    transfer = _request(conn, "5")
    CreditTransfer.objects.filter(pk=transfer.pk).update(
        status=TransferStatus.UNKNOWN, sent_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    before = line.calls(TRANSFER_PATH)
    with override_settings(CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS=0):
        counts = reconcile.credit_transfers_reconcile()
    transfer.refresh_from_db()
    assert counts["failed"] == 1 and transfer.status == TransferStatus.FAILED
    assert "Not in the exchange's transfer history" in transfer.error_message
    assert line.calls(TRANSFER_PATH) == before and _rows(line) == []


def test_the_exchange_refusing_fails_with_its_code(polled):
    conn, line = polled
    transfer = _request(conn, "1", kind="TRANSFER_OUT")
    line.configure(canTransferOut=False)  # changed after the desk's check
    failed = sending.transfer_send(transfer_id=transfer.pk)
    assert failed.status == TransferStatus.FAILED and failed.error_code is not None
    assert "disabled" in failed.error_message
