"""Settling transfer runs whose outcome is unknown against the exchange's transfer history —
reported so, or left "sending" by a dead worker — through the kit's one sweep
(``desk.intents.intents_reconcile``); and handing back runs a dead worker claimed but never sent.

A scheduled run still absent from history past the grace period certainly did not move money:
it is re-planned and sent again, up to ``TRANSFER_REPLAN_ABSENT`` times (default once), so a
crash between "sending" and the request never costs a schedule its run. A "transfer now" run is
failed instead: its owner is on the page and decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from desk.intents import ERROR as ROW_ERROR
from desk.intents import (
    FAILED,
    FOUND,
    REPLANNED,
    WAITING,
    LookupFailed,
    State,
    Strategy,
    intents_reconcile,
    queue,
)
from transfers.models import RunStatus, TransferRun
from transfers.runs import TransferRejected, run_finish, run_parties

# History matching window around the moment a transfer was sent.
MATCH_BEFORE = timedelta(seconds=60)
MATCH_AFTER = timedelta(seconds=180)
HISTORY_PAGE = 500  # the spec's batch size
MAX_HISTORY_PAGES = 40


def _replans_allowed() -> int:
    return settings.TRANSFER_REPLAN_ABSENT  # 0: never


class RunStrategy(Strategy):
    kind = "transfer run"
    model = TransferRun
    sent_field = "sent_at"

    def grace(self) -> timedelta:
        return timedelta(seconds=settings.TRANSFER_RECONCILE_GRACE_SECONDS)

    def stale(self) -> timedelta:
        return timedelta(seconds=settings.TRANSFER_STALE_SECONDS)

    def lookup(self, run: TransferRun, *, now: datetime) -> bool | None:
        try:
            with client_for_connection(run.connection) as client:
                return _found_in_history(client, run, now) or None
        except (crypto.CredentialsUnavailable, binanceus.BinanceUSError, TransferRejected) as exc:
            raise LookupFailed(f"history unavailable ({type(exc).__name__})") from exc

    def found(self, run: TransferRun, record: bool) -> None:
        run_finish(run, State.EXECUTED, message="Confirmed in the exchange's transfer history.")

    def absent(self, run: TransferRun, *, now: datetime) -> str:
        if run.schedule_id is not None and run.attempts <= _replans_allowed():
            _replan(run, now)
            return REPLANNED
        run_finish(
            run,
            State.FAILED,
            code=run.error_code,
            message="Not in the exchange's transfer history after the grace period: "
            "nothing was moved. Retry it if you still want it.",
        )
        return FAILED


def _replan(run: TransferRun, now: datetime) -> None:
    """Certainly not executed: the run goes back to planned and is sent again (its attempts say
    how often it went out), audited, queued once committed."""
    from transfers.tasks import execute_run  # tasks import the worker side

    run.status, run.sent_at, run.unknown_since, run.checked_at = RunStatus.PLANNED, None, None, now
    run.error_message = (
        f"Not in the exchange's transfer history after the grace period (attempt "
        f"{run.attempts}): nothing was moved, so it was planned again."
    )
    with transaction.atomic():
        run.intent_write(["status", "sent_at", "unknown_since", "checked_at", "error_message"])
        audit_record(
            user=run.connection.user,
            action="subaccount.transfer.replan",
            outcome=AuditOutcome.OK,
            connection=run.connection,
            params={"run": run.pk, "schedule": run.schedule_id, "attempts": run.attempts},
            error_message=run.error_message,
        )
        transaction.on_commit(lambda: queue(execute_run, run.pk))


def runs_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep over transfer runs; how many ended how (``errors``: the run could not even be
    looked at, logged; tried again next sweep)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TRANSFER_STALE_SECONDS)
    requeued = _requeue_dead_claims(stale)
    counts = intents_reconcile(RunStrategy(), now=now)
    return {
        "requeued": requeued,
        "executed": counts[FOUND],
        "failed": counts[FAILED],
        "replanned": counts[REPLANNED],
        "waiting": counts[WAITING],
        "errors": counts[ROW_ERROR],
    }


def _requeue_dead_claims(stale: datetime) -> int:
    """Claimed but not yet sending: nothing went out, so the run may be sent after all."""
    return TransferRun.objects.filter(status=RunStatus.CLAIMED, claimed_at__lt=stale).update(
        status=RunStatus.PLANNED
    )


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
    rows = _history_rows(client, email=run.to_email or run.from_email, start=start, end=end)
    wanted = (*run_parties(run), run.asset, run.amount)
    matching = [r for r in rows if (r.from_email, r.to_email, r.asset, r.qty) == wanted]
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
