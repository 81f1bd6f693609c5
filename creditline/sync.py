"""Polling a credit line: its account (LTV, thresholds, loans, balances) and its new alerts.

    account   GET /sapi/v2/cl/account        weight 10: at most once a minute per connection
    alerts    GET /sapi/v2/cl/alertHistory   from ``OVERLAP`` before the newest alert stored

A poll stores the figures, one point of the LTV chart and the connection's balances, inserts
the alerts it has not seen, then (after commit) pushes to the owner's pages and e-mails each new
alert once (``notified_at`` is claimed with one conditional UPDATE, so two polls cannot both
send it). The alerts found by a connection's first poll are history, not news: they are stored
as already notified and dismissed, so adding a credit line does not ring every old alarm.

A poll refused by the weight budget or the exchange keeps the last figures, with ``last_error``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import access, crypto, realtime
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection
from accounts.services.balances import balances_store
from creditline.models import CreditAlert, CreditLineState, CreditLoan, LtvPoint
from creditline.selectors import CHART_DAYS, alert_payload
from desk.rows import save_if_present

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)  # the alert history is read from a database that lags
ALERT_PAGE = 200  # the alert history's default and largest page
KEEP_POINTS = timedelta(days=CHART_DAYS)


def credit_line_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, access.CREDIT_LINE)
    )


def credit_line_poll(*, connection_id: int, force: bool = False) -> bool | None:
    """Read and store the credit line. None: skipped (polled less than a minute ago, unless
    ``force``, or not a usable credit-line connection); False: the exchange refused."""
    if not _gate(connection_id, force=force):
        return None
    try:
        return _poll(connection_id)
    finally:
        cache.delete(f"desk:credit-line:polling:{connection_id}")


def _poll(connection_id: int) -> bool | None:
    connection = ExchangeConnection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None or not credit_line_syncable(connection=connection):
        return None
    state = CreditLineState.objects.filter(connection=connection).first()
    try:
        with client_for_connection(connection) as client:
            account = client.credit_line_account()
            alerts = client.credit_line_alert_history(**_alert_window(state))
    except crypto.CredentialsUnavailable:
        connection.needs_new_keys = True
        connection.save(update_fields=["needs_new_keys", "updated_at"])
        return None
    except binanceus.BinanceUSError as exc:
        _keep_error(state, describe_error(exc))
        return False
    _store(connection, state, account, alerts)
    return True


def _gate(connection_id: int, *, force: bool) -> bool:
    """At most one poll a minute per connection (the account read weighs 10); a forced one
    (after a transfer) still waits for one that is running."""
    running = f"desk:credit-line:polling:{connection_id}"
    if not cache.add(running, 1, timeout=30):
        return False
    recent = f"desk:credit-line:polled:{connection_id}"
    if force:
        cache.set(recent, 1, timeout=settings.CREDIT_LINE_POLL_SECONDS)
        return True
    if not cache.add(recent, 1, timeout=settings.CREDIT_LINE_POLL_SECONDS):
        cache.delete(running)
        return False
    return True


def _alert_window(state: CreditLineState | None) -> dict:
    if state is None or state.alerts_read_until is None:
        return {"limit": ALERT_PAGE}
    return {"start_time": state.alerts_read_until - OVERLAP, "limit": ALERT_PAGE}


def _keep_error(state: CreditLineState | None, message: str) -> None:
    if state is not None:
        state.last_error = message[:300]
        save_if_present(state, "last_error")


def _store(connection, state, account: binanceus.CreditLineAccount, alerts) -> None:
    now = timezone.now()
    first = state is None
    with transaction.atomic():
        # First: it writes the connection's row, which answers whether it was deleted meanwhile.
        if not balances_store(connection=connection, balances=account.balances, synced_at=now):
            return
        state = _store_state(connection, account, now)
        _store_loans(connection, account.loan_assets)
        LtvPoint.objects.create(connection=connection, at=now, ltv=account.current_ltv)
        # The chart shows CHART_DAYS: older points would only grow the table (a point a minute).
        LtvPoint.objects.filter(connection=connection, at__lt=now - KEEP_POINTS).delete()
        new = _store_alerts(connection, state, alerts, quiet=first, now=now)
        payload = {"ltv": str(account.current_ltv), "level": state.level}
        transaction.on_commit(lambda: _after_commit(connection, payload, new))


def _store_state(connection, account: binanceus.CreditLineAccount, now) -> CreditLineState:
    fields = {
        "cl_account_id": account.cl_account_id,
        "current_ltv": account.current_ltv,
        "initial_ltv": account.initial_ltv,
        "margin_call_ltv": account.margin_call_ltv,
        "liquidation_ltv": account.liquidation_ltv,
        "interest_rate": account.interest_rate,
        "liquidation_fee_rate": account.liquidation_fee_rate,
        "contract_start": account.contract_start_time,
        "contract_end": account.contract_end_time,
        "is_active": account.is_active,
        "can_trade": account.can_trade,
        "can_transfer_in": account.can_transfer_in,
        "can_transfer_out": account.can_transfer_out,
        "required_deposit_amount": account.required_deposit_amount,
        "available_to_transfer_out": account.available_amount_to_transfer_out,
        "synced_at": now,
        "last_error": "",
    }
    state, _ = CreditLineState.objects.update_or_create(connection=connection, defaults=fields)
    return state


def _store_loans(connection, loans) -> None:
    CreditLoan.objects.filter(connection=connection).exclude(
        asset__in=[loan.loan_asset for loan in loans]
    ).delete()
    for loan in loans:
        CreditLoan.objects.update_or_create(
            connection=connection,
            asset=loan.loan_asset,
            defaults={
                "loan_quantity": loan.loan_quantity,
                "current_loan_quantity": loan.current_loan_quantity,
                "reclaim_sequence": loan.reclaim_sequence,
            },
        )


def _store_alerts(connection, state, alerts, *, quiet: bool, now) -> list[CreditAlert]:
    """Insert the alerts not stored yet; the new ones (none when ``quiet``: a first poll)."""
    seen = set(
        CreditAlert.objects.filter(connection=connection).values_list("alert_time", "alert_type")
    )
    new = []
    for alert in sorted(alerts, key=lambda a: a.alert_time):
        if (alert.alert_time, alert.alert_type) in seen:
            continue
        new.append(
            CreditAlert.objects.create(
                connection=connection,
                alert_time=alert.alert_time,
                alert_type=alert.alert_type,
                current_ltv=alert.current_ltv,
                initial_ltv=alert.initial_ltv,
                margin_call_ltv=alert.margin_call_ltv,
                liquidation_ltv=alert.liquidation_ltv,
                total_balance=alert.total_balance,
                dismissed_at=now if quiet else None,
                notified_at=now if quiet else None,
            )
        )
    newest = max((a.alert_time for a in alerts), default=None)
    if newest and (state.alerts_read_until is None or newest > state.alerts_read_until):
        state.alerts_read_until = newest
        state.save(update_fields=["alerts_read_until"])
    return [] if quiet else new


def _after_commit(connection, payload: dict, new: list[CreditAlert]) -> None:
    realtime.balances_push(connection_id=connection.pk)
    if new:
        payload = {**payload, "alert": alert_payload(new[-1])}
    realtime.credit_line_push(connection_id=connection.pk, payload=payload)
    for alert in new:
        _notify(connection, alert)


def _notify(connection, alert: CreditAlert) -> None:
    """E-mail the owner once per alert; a failed send is logged, the banner still shows."""
    claimed = CreditAlert.objects.filter(pk=alert.pk, notified_at=None).update(
        notified_at=timezone.now()
    )
    if not claimed or not connection.user.email:
        return
    kind = alert.get_alert_type_display()
    subject = f"{kind} on {connection.label}: loan-to-value {alert.current_ltv:.4f}"
    body = (
        f"Your credit line {connection.label} raised a {kind.lower()} at "
        f"{alert.alert_time:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Loan-to-value: {alert.current_ltv}\n"
        f"Margin call at: {alert.margin_call_ltv}\n"
        f"Liquidation at: {alert.liquidation_ltv}\n\n"
        "Add collateral or repay to bring it down; the Credit line tab shows the figures live."
    )
    try:
        send_mail(subject, body, None, [connection.user.email])
    except OSError:
        log.warning("credit-line alert %s: e-mail to the owner failed", alert.pk)
