"""Polling a credit line against the real sandbox: figures, the once-a-minute gate, alerts
raised by a price shock (stored once, pushed, e-mailed once), and balances like any other."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import cache

from accounts import crypto
from accounts.models import Balance
from creditline import sync
from creditline.models import CreditAlert, CreditLineState, CreditLoan, LtvPoint

pytestmark = pytest.mark.django_db

ACCOUNT_PATH = "/sapi/v2/cl/account"


@pytest.fixture(autouse=True)
def _fresh_gate(credit_line):
    conn, _ = credit_line
    cache.delete(f"desk:credit-line:polled:{conn.pk}")
    yield


def test_it_stores_what_the_exchange_reports(credit_line):
    conn, line = credit_line
    # The figures that follow the live SOL price are pinned: the desk's read and the test's own
    # come a moment apart, and the market trades in between.
    line.configure(currentLTV="0.5", availableAmountToTransferOut="2500")
    assert sync.credit_line_poll(connection_id=conn.pk) is True
    state = CreditLineState.objects.get(connection=conn)
    exchange = line.account()
    assert state.current_ltv == exchange.current_ltv
    assert Decimal("0.49") <= state.current_ltv <= Decimal("0.51")  # the fixture's 0.5
    assert (state.margin_call_ltv, state.liquidation_ltv) == (
        exchange.margin_call_ltv,
        exchange.liquidation_ltv,
    )
    assert state.available_to_transfer_out == exchange.available_amount_to_transfer_out > 0
    assert state.contract_end is not None and state.contract_end.tzinfo is not None
    loan = CreditLoan.objects.get(connection=conn)
    assert (
        loan.asset == "USD"
        and loan.current_loan_quantity == exchange.loan_assets[0].current_loan_quantity
    )
    assert Balance.objects.get(connection=conn, asset="SOL").free == Decimal("100")
    assert LtvPoint.objects.filter(connection=conn).count() == 1


def test_it_reads_the_account_at_most_once_a_minute(credit_line):
    conn, line = credit_line
    before = line.calls(ACCOUNT_PATH)
    assert sync.credit_line_poll(connection_id=conn.pk) is True
    assert sync.credit_line_poll(connection_id=conn.pk) is None
    assert line.calls(ACCOUNT_PATH) == before + 1
    # A forced poll (after a transfer) reads again.
    assert sync.credit_line_poll(connection_id=conn.pk, force=True) is True
    assert line.calls(ACCOUNT_PATH) == before + 2


def _poll(conn, capture, **kwargs):
    """A poll with its after-commit work (pushes, e-mails) run, as in a worker."""
    with capture(execute=True):
        return sync.credit_line_poll(connection_id=conn.pk, **kwargs)


def test_a_price_shock_raises_one_margin_call_and_one_email(
    credit_line, django_capture_on_commit_callbacks
):
    conn, line = credit_line
    _poll(conn, django_capture_on_commit_callbacks)
    # LTV 0.5 -> 0.5 / 0.6 = 0.83: past the margin call (0.8), short of liquidation (0.9).
    line.shock(line.price() * Decimal("0.6"))
    assert _poll(conn, django_capture_on_commit_callbacks, force=True) is True
    alert = CreditAlert.objects.get(connection=conn)
    assert alert.alert_type == "MARGIN_CALL" and alert.dismissed_at is None
    assert Decimal("0.8") <= alert.current_ltv < Decimal("0.9")
    assert CreditLineState.objects.get(connection=conn).level == "margin_call"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [conn.user.email] and "Margin call" in mail.outbox[0].subject
    # Polled again: the same alert is not stored or sent twice.
    _poll(conn, django_capture_on_commit_callbacks, force=True)
    assert CreditAlert.objects.filter(connection=conn).count() == 1 and len(mail.outbox) == 1


def test_a_crash_past_liquidation_raises_both_alerts(
    credit_line, django_capture_on_commit_callbacks
):
    conn, line = credit_line
    _poll(conn, django_capture_on_commit_callbacks)
    line.shock(line.price() * Decimal("0.5"))  # LTV 1.0
    _poll(conn, django_capture_on_commit_callbacks, force=True)
    kinds = sorted(CreditAlert.objects.filter(connection=conn).values_list("alert_type", flat=True))
    assert kinds == ["LIQUIDATION_CALL", "MARGIN_CALL"]
    assert CreditLineState.objects.get(connection=conn).level == "liquidation"
    assert len(mail.outbox) == 2


def test_alerts_older_than_the_first_poll_are_history_not_news(
    credit_line, django_capture_on_commit_callbacks
):
    conn, line = credit_line
    line.configure(alert={"alertType": "MARGIN_CALL", "currentLTV": "0.81"})
    _poll(conn, django_capture_on_commit_callbacks)
    alert = CreditAlert.objects.get(connection=conn)
    assert alert.dismissed_at is not None and alert.notified_at is not None
    assert mail.outbox == []


def test_an_exchange_refusal_keeps_the_last_figures(credit_line):
    conn, _ = credit_line
    sync.credit_line_poll(connection_id=conn.pk)
    before = CreditLineState.objects.get(connection=conn)
    good = conn.api_key_encrypted
    conn.api_key_encrypted = crypto.encrypt("K" * 64)  # well formed, unknown
    conn.save(update_fields=["api_key_encrypted"])
    assert sync.credit_line_poll(connection_id=conn.pk, force=True) is False
    after = CreditLineState.objects.get(connection=conn)
    assert after.current_ltv == before.current_ltv and after.synced_at == before.synced_at
    assert "-2015" in after.last_error
    conn.api_key_encrypted = good
    conn.save(update_fields=["api_key_encrypted"])


def test_the_balance_sweep_reads_credit_lines_too(credit_line):
    from accounts.services.balances import connection_sync_balances

    conn, _ = credit_line
    connection_sync_balances(connection_id=conn.pk)
    assert CreditLineState.objects.filter(connection=conn).exists()
    assert Balance.objects.filter(connection=conn, asset="SOL").exists()


def test_points_older_than_the_chart_are_dropped(credit_line):
    from datetime import timedelta

    from django.utils import timezone

    conn, _ = credit_line
    old = LtvPoint.objects.create(
        connection=conn, at=timezone.now() - timedelta(days=31), ltv=Decimal("0.4")
    )
    recent = LtvPoint.objects.create(
        connection=conn, at=timezone.now() - timedelta(days=29), ltv=Decimal("0.45")
    )
    sync.credit_line_poll(connection_id=conn.pk)
    kept = set(LtvPoint.objects.filter(connection=conn).values_list("pk", flat=True))
    assert recent.pk in kept and old.pk not in kept and len(kept) == 2
