"""The worker side of sub-account transfers: sending a run exactly once (``desk.intents``).

The life of a run::

    planned ──claim (atomic UPDATE)──▶ claimed ──commit──▶ sending ──exchange──▶ executed
       ▲  ▲                               │                   │  └─ 4XX ─────────▶ failed
       │  └── a dead worker's claim ◀─────┘                   │  └─ 503 (not executed): retry
       │      (nothing was sent yet)                          └─ 5XX / timeout / -1006 / -1007
       │                                                         or a worker that died here
       │                                                              ▼
       │                               reconcile with transfer history ──▶ executed | failed
       └── a scheduled run absent past the grace period (``transfers.reconcile``) ◀─┘

A run's row exists before any exchange call; "sending" is committed before the call, so a
crash at any point leaves either a run that certainly was not sent (planned/claimed: safe to
send) or one that may have been (sending/unknown: only history decides, never a blind resend).
The view side (requests, retries, schedules) is ``transfers.schedules``.
"""

from __future__ import annotations

import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto, realtime
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from desk.intents import (
    Outcome,
    State,
    Verdict,
    intent_mark_sending,
    intent_release,
    intent_send,
    intent_settle,
    outcome_of,
)
from transfers.models import AmountKind, RunStatus, TransferRun
from transfers.selectors import run_payload

NOTHING_TO_MOVE = "nothing to move: the balance is already where the rule wants it"


class TransferRejected(Exception):
    """The transfer cannot be made as asked (nothing was sent)."""


def run_execute(*, run_id: int, sleep=time.sleep) -> TransferRun | None:
    """Claim the run and send it once. Returns the run, or None if another worker has it."""
    claimed = TransferRun.objects.filter(pk=run_id, status=RunStatus.PLANNED).update(
        status=RunStatus.CLAIMED, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    run = TransferRun.objects.select_related("connection", "connection__user").get(pk=run_id)
    try:
        client = client_for_connection(run.connection)
    except crypto.CredentialsUnavailable:
        return run_finish(run, State.FAILED, message="The connection's keys need replacing.")
    with client:
        try:
            parties, amount = run_parties(run), _resolve_amount(client, run)
        except TransferRejected as exc:
            return _rejected(run, str(exc))
        except binanceus.BinanceUSError as exc:
            return _not_sent(run, outcome_of(exc))
        if not intent_mark_sending(run, amount=amount, sent_at=timezone.now()):
            return None  # the sweep handed the claim to another worker
        outcome = intent_send(lambda: _transfer(client, run, *parties), sleep=sleep)
    return _settled(run, outcome)


def _transfer(client: binanceus.Client, run: TransferRun, from_email: str, to_email: str):
    return client.sub_account_transfer(
        from_email=from_email, to_email=to_email, asset=run.asset, amount=run.amount
    )


def _not_sent(run: TransferRun, outcome: Outcome) -> TransferRun:
    """A balance read failed: nothing was sent, whatever the read's own verdict."""
    if outcome.verdict is Verdict.LATER:
        return _release(run, outcome)
    return run_finish(run, State.FAILED, code=outcome.code, message=outcome.message)


def _settled(run: TransferRun, outcome: Outcome) -> TransferRun:
    if outcome.verdict is Verdict.LATER:
        return _release(run, outcome)
    if outcome.verdict is Verdict.EXECUTED:
        return run_finish(run, State.EXECUTED, txn_id=outcome.answer.txn_id or "")
    state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
    return run_finish(run, state, code=outcome.code, message=outcome.message)


def _rejected(run: TransferRun, message: str) -> TransferRun:
    if message == NOTHING_TO_MOVE:
        run.status, run.error_code, run.error_message = RunStatus.SKIPPED, None, message
        run.finished_at = timezone.now()
        with transaction.atomic():
            run.save(update_fields=["status", "error_code", "error_message", "finished_at"])
            _audit(run)
        return run
    return run_finish(run, State.FAILED, message=message)


def _release(run: TransferRun, outcome: Outcome) -> TransferRun:
    from transfers.tasks import execute_run  # tasks import the worker side

    return intent_release(run, outcome, task=execute_run)


def _party(run: TransferRun, email: str) -> str:
    """The exchange addresses the master by its own email, which the sub-account list gives."""
    return email or _master_email(run)


def _master_email(run: TransferRun) -> str:
    email = run.connection.account_email
    if not email:
        raise TransferRejected("The master account's email is unknown; refresh sub-accounts.")
    return email


def run_parties(run: TransferRun) -> tuple[str, str]:
    """(from, to) as the exchange names them in a request and in its history."""
    return _party(run, run.from_email), _party(run, run.to_email)


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
        raise TransferRejected(NOTHING_TO_MOVE)
    if amount > source:
        raise TransferRejected(
            f"Insufficient balance: {amount} {run.asset} wanted, {source} available."
        )
    return amount


def _balance(client: binanceus.Client, run: TransferRun, email: str) -> Decimal:
    if email:
        return client.sub_account_assets(email=email).balance(run.asset).free
    return client.account().balance(run.asset).free


def run_finish(
    run: TransferRun,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    txn_id: str = "",
) -> TransferRun:
    """Settle the run (executed, failed or unknown), audited; its owner told of a failure and
    the pages' balances refreshed after a move, once committed."""
    then = [lambda: _push(run)]
    if state is State.FAILED:
        then.append(lambda: _notify_failure(run.pk))
    elif state is State.EXECUTED:
        then.append(lambda: _refresh_after_transfer(run.connection_id))
    finished = None if state is State.UNKNOWN else timezone.now()
    return intent_settle(
        run,
        state,
        code=code,
        message=message,
        fields={"finished_at": finished, "txn_id": txn_id},
        audit=_audit,
        then=then,
    )


def _push(run: TransferRun) -> None:
    """The run's page follows it on the connection's socket instead of polling."""
    realtime.transfer_run_push(connection_id=run.connection_id, payload=run_payload(run))


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
