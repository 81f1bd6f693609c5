"""Moving money between a master account and its sub-accounts, exactly once.

The life of a run::

    planned ──claim (atomic UPDATE)──▶ claimed ──commit──▶ sending ──exchange──▶ executed
       ▲                                  │                   │  └─ 4XX ─────────▶ failed
       └──── a dead worker's claim ◀──────┘                   │  └─ 503 (not executed): retry
             (nothing was sent yet)                           └─ 5XX / timeout / -1006 / -1007
                                                                 or a worker that died here
                                                                      ▼
                                       reconcile with transfer history ──▶ executed | failed

A run's row exists before any exchange call; "sending" is committed before the call, so a
crash at any point leaves either a run that certainly was not sent (planned/claimed: safe to
send) or one that may have been (sending/unknown: only history decides, never a blind resend).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection, describe_error
from accounts.models import AuditOutcome
from transfers.models import AmountKind, RunStatus, TransferRun

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.4, 0.8, 1.6, 3.2)  # seconds: 503 "Service Unavailable" is not executed
# History matching window around the moment a transfer was sent.
MATCH_BEFORE = timedelta(seconds=60)
MATCH_AFTER = timedelta(seconds=180)


class TransferRejected(Exception):
    """The transfer cannot be made as asked (nothing was sent)."""


# Refusals that certainly happened before the exchange did anything: our own weight budget (the
# request never left), and the exchange's rate limits (429/418 are rejections, per the spec).
NOT_SENT_YET = (binanceus.WeightLimitExceeded, binanceus.RateLimited, binanceus.IPBanned)


def run_execute(*, run_id: int, sleep=time.sleep) -> TransferRun | None:
    """Claim the run and send it once. Returns the run, or None if another worker has it."""
    claimed = TransferRun.objects.filter(pk=run_id, status=RunStatus.PLANNED).update(
        status=RunStatus.CLAIMED, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    run = TransferRun.objects.select_related("connection", "connection__user").get(pk=run_id)
    try:
        client = client_for_connection(run.connection)
    except crypto.CredentialsUnavailable:
        return _finish(run, RunStatus.FAILED, message="The connection's keys need replacing.")
    with client:
        try:
            amount = _resolve_amount(client, run)
        except TransferRejected as exc:
            status = RunStatus.SKIPPED if "nothing to move" in str(exc) else RunStatus.FAILED
            return _finish(run, status, message=str(exc))
        except NOT_SENT_YET as exc:
            return _release(run, exc)
        except binanceus.BinanceUSError as exc:
            return _finish(
                run, RunStatus.FAILED, code=getattr(exc, "code", None), message=describe_error(exc)
            )
        _mark_sending(run, amount)
        try:
            return _send(client, run, sleep=sleep)
        except NOT_SENT_YET as exc:
            return _release(run, exc)


def _release(run: TransferRun, exc: binanceus.BinanceUSError) -> TransferRun:
    """Give the run back, unsent, to be picked up again once the limit window has passed."""
    from transfers.tasks import execute_run  # tasks import services

    run.status, run.sent_at = RunStatus.PLANNED, None
    run.error_message = f"Waiting for the exchange's rate limit ({type(exc).__name__})."
    run.save(update_fields=["status", "sent_at", "error_message"])
    delay = max(1.0, float(getattr(exc, "retry_after", None) or 5))
    transaction.on_commit(lambda: execute_run.apply_async((run.pk,), countdown=delay))
    return run


def _mark_sending(run: TransferRun, amount: Decimal) -> None:
    """Committed before the exchange call: from here on only history can say what happened."""
    run.amount, run.status, run.sent_at = amount, RunStatus.SENDING, timezone.now()
    run.save(update_fields=["amount", "status", "sent_at"])


def _send(client: binanceus.Client, run: TransferRun, *, sleep) -> TransferRun:
    for attempt, delay in enumerate((*RETRY_DELAYS, None)):
        try:
            result = client.sub_account_transfer(
                from_email=_party(run, run.from_email),
                to_email=_party(run, run.to_email),
                asset=run.asset,
                amount=run.amount,
            )
        except NOT_SENT_YET:
            raise
        except (binanceus.ServiceUnavailable, binanceus.TransportError) as exc:
            # Documented as not executed (or never sent): the one case where trying again is safe.
            if delay is None:
                return _finish(
                    run,
                    RunStatus.FAILED,
                    code=getattr(exc, "code", None),
                    message=f"{describe_error(exc)} (after {attempt + 1} tries)",
                )
            sleep(delay)
        except binanceus.ExecutionUnknown as exc:
            return _finish(run, RunStatus.UNKNOWN, code=exc.code, message=str(exc.msg or exc))
        except binanceus.BinanceUSError as exc:
            return _finish(
                run, RunStatus.FAILED, code=getattr(exc, "code", None), message=describe_error(exc)
            )
        else:
            return _finish(run, RunStatus.EXECUTED, txn_id=result.txn_id or "")
    raise AssertionError("unreachable")


def _party(run: TransferRun, email: str) -> str:
    """The exchange addresses the master by its own email, which the sub-account list gives."""
    return email or _master_email(run)


def _master_email(run: TransferRun) -> str:
    email = run.connection.account_email
    if not email:
        raise TransferRejected("The master account's email is unknown; refresh sub-accounts.")
    return email


def _resolve_amount(client: binanceus.Client, run: TransferRun) -> Decimal:
    """The amount to send now: fixed, or computed from live balances (sweep / top-up).

    A fixed amount needs no balance read: the exchange refuses an over-balance transfer itself
    (-2010, not executed), and the forms already checked against the known balances.
    """
    if run.amount_kind == AmountKind.FIXED:
        return run.amount_param
    source = _balance(client, run, run.from_email)
    if run.amount_kind == AmountKind.SWEEP:
        amount = source - run.amount_param
    else:
        amount = run.amount_param - _balance(client, run, run.to_email)
    if amount is None or amount <= 0:
        raise TransferRejected("nothing to move: the balance is already where the rule wants it")
    if amount > source:
        raise TransferRejected(
            f"Insufficient balance: {amount} {run.asset} wanted, {source} available."
        )
    return amount


def _balance(client: binanceus.Client, run: TransferRun, email: str) -> Decimal:
    if email:
        return client.sub_account_assets(email=email).balance(run.asset).free
    return client.account().balance(run.asset).free


def _finish(
    run: TransferRun, status: str, *, code: int | None = None, message: str = "", txn_id: str = ""
) -> TransferRun:
    with transaction.atomic():
        run.status, run.finished_at = status, timezone.now()
        run.error_code, run.error_message, run.txn_id = code, message[:300], txn_id
        if status == RunStatus.UNKNOWN:
            run.finished_at = None
        run.save(update_fields=["status", "finished_at", "error_code", "error_message", "txn_id"])
        _audit(run)
        if status == RunStatus.FAILED:
            transaction.on_commit(lambda: _notify_failure(run.pk))
        elif status == RunStatus.EXECUTED:
            transaction.on_commit(lambda: _refresh_after_transfer(run.connection_id))
    return run


def _refresh_after_transfer(connection_id: int) -> None:
    """Money moved: the pages should show the new balances and the history row soon."""
    from accounts.tasks import sync_balances, sync_subaccounts
    from transfers.tasks import sync_transfer_history

    for task in (sync_balances, sync_subaccounts, sync_transfer_history):
        task.delay(connection_id)


def _audit(run: TransferRun) -> None:
    outcome = {
        RunStatus.EXECUTED: AuditOutcome.OK,
        RunStatus.UNKNOWN: AuditOutcome.UNKNOWN,
        RunStatus.SKIPPED: AuditOutcome.OK,
    }.get(run.status, AuditOutcome.ERROR)
    audit_record(
        user=run.connection.user,
        action="subaccount.transfer",
        outcome=outcome,
        connection=run.connection,
        params={
            "from": run.from_email or "master",
            "to": run.to_email or "master",
            "asset": run.asset,
            "amount": run.amount,
            "run": run.pk,
            "schedule": run.schedule_id,
            "status": run.status,
        },
        error_code=run.error_code,
        error_message=run.error_message,
        exchange_ids={"txnId": run.txn_id} if run.txn_id else None,
    )


def _notify_failure(run_id: int) -> None:
    from transfers.notifications import run_failed_notify

    run_failed_notify(run_id=run_id)


# --- reconciliation -----------------------------------------------------------------------------
def runs_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Settle runs whose outcome is unknown — reported so, or left "sending" by a dead worker —
    against the exchange's transfer history; and return runs a dead worker claimed but never
    sent to the queue."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TRANSFER_STALE_SECONDS)
    counts = {"requeued": _requeue_dead_claims(stale), "executed": 0, "failed": 0, "waiting": 0}
    counts["errors"] = 0
    pending = TransferRun.objects.filter(
        Q(status=RunStatus.UNKNOWN) | Q(status=RunStatus.SENDING, sent_at__lt=stale)
    ).values_list("pk", flat=True)
    for run_id in pending:
        # One run at a time, loaded on its own: a run that cannot be settled (or even read)
        # is logged and left for the next pass, and never keeps the others unsettled.
        try:
            run = TransferRun.objects.select_related("connection", "connection__user").get(
                pk=run_id
            )
            counts[_reconcile_one(run, now)] += 1
        except Exception:
            log.exception("run %s: reconciliation failed; will retry", run_id)
            counts["errors"] += 1
    return counts


def _requeue_dead_claims(stale: datetime) -> int:
    """Claimed but not yet sending: nothing went out, so the run may be sent after all."""
    return TransferRun.objects.filter(status=RunStatus.CLAIMED, claimed_at__lt=stale).update(
        status=RunStatus.PLANNED
    )


def _reconcile_one(run: TransferRun, now: datetime) -> str:
    try:
        client = client_for_connection(run.connection)
        with client:
            found = _found_in_history(client, run, now)
    except (crypto.CredentialsUnavailable, binanceus.BinanceUSError, TransferRejected) as exc:
        log.warning("run %s: history unavailable (%s); will retry", run.pk, type(exc).__name__)
        return "waiting"
    if found:
        _finish(run, RunStatus.EXECUTED, message="Confirmed in the exchange's transfer history.")
        return "executed"
    if now - run.sent_at > timedelta(seconds=settings.TRANSFER_RECONCILE_GRACE_SECONDS):
        _finish(
            run,
            RunStatus.FAILED,
            code=run.error_code,
            message="Not in the exchange's transfer history after the grace period: "
            "nothing was moved. Retry it if you still want it.",
        )
        return "failed"
    if run.status == RunStatus.SENDING:
        run.status = RunStatus.UNKNOWN
        run.save(update_fields=["status"])
    return "waiting"


HISTORY_PAGE = 500  # the spec's batch size
MAX_HISTORY_PAGES = 40


def _history_rows(client: binanceus.Client, *, email: str, start: datetime, end: datetime):
    """Every history row in the window: a busy window spans several 500-row pages, and missing
    one would wrongly call an executed transfer absent."""
    rows = []
    for page in range(1, MAX_HISTORY_PAGES + 1):
        batch = client.sub_account_transfer_history(
            email=email, start_time=start, end_time=end, page=page, limit=HISTORY_PAGE
        )
        rows.extend(batch)
        if len(batch) < HISTORY_PAGE:
            return rows
    raise TransferRejected("too many transfers in the window to be sure; will look again")


def _found_in_history(client: binanceus.Client, run: TransferRun, now: datetime) -> bool:
    """Whether the exchange lists this transfer. History rows carry no id, so we count: the
    matching rows in the window must outnumber the runs we already know to be executed there."""
    start, end = run.sent_at - MATCH_BEFORE, min(now, run.sent_at + MATCH_AFTER)
    sub = run.to_email or run.from_email
    rows = _history_rows(client, email=sub, start=start, end=end)
    src, dst = _party(run, run.from_email), _party(run, run.to_email)
    matching = [
        r
        for r in rows
        if (r.from_email, r.to_email, r.asset, r.qty) == (src, dst, run.asset, run.amount)
    ]
    known = (
        TransferRun.objects.filter(
            connection=run.connection,
            status=RunStatus.EXECUTED,
            from_email=run.from_email,
            to_email=run.to_email,
            asset=run.asset,
            amount=run.amount,
            sent_at__gte=start - MATCH_AFTER,
            sent_at__lte=end + MATCH_BEFORE,
        )
        .exclude(pk=run.pk)
        .count()
    )
    return len(matching) > known
