"""The worker side of an intent kind, written once: claim the intent, send it once, settle it.

A kind subclasses :class:`Sender` and says what is particular to it: the request
(:meth:`Sender.call`), what an answer means (:meth:`Sender.executed`, and
:meth:`Sender.refused` for an exchange code that needs reading), how it is audited and pushed,
and which task sends it. Everything else (the atomic claim, "sending" committed before the call,
the verdicts, the release on a rate limit, the settle transaction with its after-commit work) is
here, the same for every kind::

    planned ──claim──▶ claimed ──mark sending──▶ sending ──the kit's verdict──▶ settled
       ▲                                            │
       └────── LATER (429 / 418 / weight budget): not sent, released, queued again
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone

from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import AuditOutcome
from desk.intents.models import Intent, State
from desk.intents.outcomes import Outcome, Verdict, intent_send
from desk.intents.settle import intent_mark_sending, intent_release, intent_settle, queue

KEYS_UNUSABLE = "The connection's keys need replacing."
_AUDIT_OUTCOMES = {
    State.EXECUTED: AuditOutcome.OK,
    State.FAILED: AuditOutcome.ERROR,
    State.UNKNOWN: AuditOutcome.UNKNOWN,
}


class Sender:
    """One kind's worker side. Subclasses set ``model``, ``claimed`` (the stored value of a
    claim) and ``audit_action``, and answer :meth:`call`, :meth:`push` and :meth:`task`."""

    model: ClassVar[type[Intent]]
    claimed: ClassVar[str]
    audit_action: ClassVar[str]
    # The states after which the intent is over for the desk (its ``finished_at`` is set).
    FINISHED: ClassVar[tuple[State, ...]] = (State.EXECUTED, State.FAILED)

    # -- what a kind says ------------------------------------------------------------------------
    def call(self, client, intent: Intent) -> Any:
        """Send the request; its answer, or the client's exception."""
        raise NotImplementedError

    def executed(self, intent: Intent, answer: Any) -> tuple[State, dict, str]:
        """What an answer the kit calls executed means: (state, fields, message)."""
        return State.EXECUTED, {}, ""

    def refused(self, intent: Intent, outcome: Outcome) -> tuple[State, str] | None:
        """An exchange refusal that means something else than failed (state, message)."""
        return None

    def exchange_ids(self, intent: Intent) -> dict:
        return {}

    def push(self, intent: Intent) -> None:
        """Tell the pages (called after commit)."""
        raise NotImplementedError

    def after_executed(self, intent: Intent) -> None:
        """After commit, once the request executed (refresh balances, histories)."""

    def task(self):
        """The Celery task that sends one intent (imported when needed: tasks import us)."""
        raise NotImplementedError

    # -- the same for every kind -----------------------------------------------------------------
    def send(self, pk: int, *, sleep: Callable[[float], Any] = time.sleep) -> Intent | None:
        """Claim the intent and send it once. None if another worker has it."""
        planned = self.model.STATES[State.PLANNED]
        claimed = self.model.objects.filter(pk=pk, **{self.model.STATE_FIELD: planned}).update(
            **{self.model.STATE_FIELD: self.claimed, "claimed_at": timezone.now()}
        )
        if not claimed:
            return None
        intent = self.model.objects.select_related("connection", "connection__user").get(pk=pk)
        try:
            client = client_for_connection(intent.connection)
        except crypto.CredentialsUnavailable:
            return self.finish(intent, State.FAILED, message=KEYS_UNUSABLE)
        with client:
            if not intent_mark_sending(intent, sent_at=timezone.now()):
                return None  # the sweep handed the claim to another worker
            outcome = intent_send(lambda: self.call(client, intent), sleep=sleep)
        return self.settled(intent, outcome)

    def settled(self, intent: Intent, outcome: Outcome) -> Intent:
        if outcome.verdict is Verdict.LATER:
            return intent_release(intent, outcome, task=self.task())
        if outcome.verdict is Verdict.EXECUTED:
            state, fields, message = self.executed(intent, outcome.answer)
            return self.finish(intent, state, message=message, fields=fields)
        special = self.refused(intent, outcome)
        if special is not None:
            state, message = special
            return self.finish(intent, state, code=outcome.code, message=message)
        state = State.UNKNOWN if outcome.verdict is Verdict.UNKNOWN else State.FAILED
        return self.finish(intent, state, code=outcome.code, message=outcome.message)

    def finish(
        self,
        intent: Intent,
        state: State,
        *,
        code: int | None = None,
        message: str = "",
        fields: dict | None = None,
    ) -> Intent:
        """Settle the intent: saved and audited in one transaction, pushed after commit; once
        executed, :meth:`after_executed` runs first, so a page that re-reads what the push
        announces reads what it forgot or refreshed (not a cached read from before)."""
        then = [lambda: self.after_executed(intent)] if state is State.EXECUTED else []
        then.append(lambda: self.push(intent))
        finished = timezone.now() if state in self.FINISHED else None
        return intent_settle(
            intent,
            state,
            code=code,
            message=message,
            fields={"finished_at": finished, **(fields or {})},
            audit=self.audit,
            then=then,
        )

    def push_after_commit(self, intent: Intent) -> None:
        transaction.on_commit(lambda: self.push(intent))

    def audit(self, intent: Intent) -> None:
        ids = self.exchange_ids(intent)
        audit_record(
            user=intent.connection.user,
            action=self.audit_action(intent) if callable(self.audit_action) else self.audit_action,
            outcome=_AUDIT_OUTCOMES.get(intent.intent_state, AuditOutcome.ERROR),
            connection=intent.connection,
            params={**intent.audit_params(), "status": getattr(intent, intent.STATE_FIELD)},
            error_code=intent.error_code,
            error_message=intent.error_message,
            exchange_ids={k: v for k, v in ids.items() if v},
        )

    def requeue(self) -> Callable[[int], None]:
        """Queue one intent's send again (for sweeps and schedulers)."""
        return lambda pk: queue(self.task(), pk)
