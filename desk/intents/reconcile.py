"""One sweep for every kind of intent whose outcome is unknown: ask the kind's strategy whether
the exchange's own records hold it, and never send it again to find out.

Absence right after the request is evidence, not proof: the exchange's records are read from a
database that lags the matching engine ("Data Source: Database"). Only once the strategy's grace
period has passed since the request went out does absence settle the intent (FAILED, or sent
again where the kind allows it). A SENDING intent is left alone while its own request may still
be in flight (the strategy's ``stale`` period, longer than the request timeout).

Sweeps overlap (a beat tick comes before the last sweep ended), and a re-planned intent is sent
again by a worker meanwhile: every write the sweep makes is conditional on the state and attempt
it read (``Intent.intent_hold``), so a stale copy never overwrites a newer outcome."""

from __future__ import annotations

import collections
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

import binanceus
from desk.intents.models import UNSETTLED, Intent, IntentMoved, State
from desk.intents.settle import intents_requeue_unsent
from desk.periodic import ERROR, each_row

log = logging.getLogger(__name__)

WAITING, FOUND, FAILED, SETTLED, REPLANNED = "waiting", "found", "failed", "settled", "replanned"


class LookupFailed(Exception):
    """The exchange's records could not be read this time; the intent waits for the next look."""


class Strategy:
    """How the sweep settles one kind. Subclasses set ``kind`` and ``model`` and answer
    :meth:`lookup`, :meth:`found` and :meth:`absent`."""

    kind: str
    model: type[Intent]
    # When the request (last) left: the start of both the stale and the grace periods.
    sent_field = "created_at"
    # The settings (seconds) the two periods are read from, when the kind has its own.
    grace_setting: str = ""
    stale_setting: str = ""

    def grace(self) -> timedelta:
        return timedelta(seconds=getattr(settings, self.grace_setting))

    def stale(self) -> timedelta:
        return timedelta(seconds=getattr(settings, self.stale_setting))

    def pending(self, *, now: datetime) -> list[int]:
        """Unknown intents, and SENDING ones a dead worker left behind."""
        state, sent = self.model.STATE_FIELD, self.sent_field
        stored = self.model.STATES
        unsettled = Q(**{state: stored[State.UNKNOWN]}) | Q(
            **{state: stored[State.SENDING], f"{sent}__lt": now - self.stale()}
        )
        return list(
            self.model.objects.filter(unsettled).order_by("pk").values_list("pk", flat=True)
        )

    def load(self, pk: int) -> Intent | None:
        rows = self.model.objects.select_related("connection", "connection__user")
        return rows.filter(pk=pk).first()

    def lookup(self, intent: Intent, *, now: datetime) -> Any | None:
        """The exchange's record of the intent, or None if its records do not hold it; raises
        :class:`LookupFailed` when they cannot be read. By default: :meth:`record` with a client
        of the intent's connection."""
        from accounts import crypto
        from accounts.exchange import client_for_connection

        try:
            with client_for_connection(intent.connection) as client:
                return self.record(client, intent)
        except (crypto.CredentialsUnavailable, binanceus.BinanceUSError) as exc:
            raise LookupFailed(f"history unavailable ({type(exc).__name__})") from exc

    def record(self, client: binanceus.Client, intent: Intent) -> Any | None:
        """The exchange's record of the intent, read with ``client``; None if absent."""
        raise NotImplementedError

    def found(self, intent: Intent, record: Any) -> None:
        """Settle the intent as the exchange records it (audited, pushed)."""
        raise NotImplementedError

    def absent(self, intent: Intent, *, now: datetime) -> str:
        """Settle an intent absent past the grace period: FAILED, or REPLANNED."""
        raise NotImplementedError

    def push(self, intent: Intent) -> None:
        """Tell the pages that the intent is now unknown (after commit)."""


def intent_reconcile(*, strategy: Strategy, pk: int, now: datetime | None = None) -> str:
    """Look one unsettled intent up; what became of it, in one word."""
    now = now or timezone.now()
    intent = strategy.load(pk)
    if intent is None or intent.intent_state not in UNSETTLED:  # gone, or settled meanwhile
        return SETTLED
    intent.intent_hold()
    try:
        return _settle_from_records(strategy, intent, now)
    except IntentMoved:  # another sweep or the worker got there first: theirs is newer
        return SETTLED


def _settle_from_records(strategy: Strategy, intent: Intent, now: datetime) -> str:
    sent = getattr(intent, strategy.sent_field) or intent.created_at
    if intent.intent_state is State.SENDING and now - sent < strategy.stale():
        return WAITING
    try:
        record = strategy.lookup(intent, now=now)
    except LookupFailed as exc:
        return _still_unknown(strategy, intent, sent, now, reason=str(exc))
    if record is not None:
        strategy.found(intent, record)
        return FOUND
    if now - (intent.unknown_since or sent) > strategy.grace():
        return strategy.absent(intent, now=now)
    return _still_unknown(strategy, intent, sent, now, reason="not visible yet")


def _still_unknown(strategy: Strategy, intent: Intent, sent: datetime, now, *, reason: str) -> str:
    log.info("%s %s: outcome still unknown (%s)", strategy.kind, intent.pk, reason)
    changed = ["checked_at", "updated_at"]
    intent.checked_at = now
    if intent.intent_state is State.SENDING:
        changed.append(intent.intent_set_state(State.UNKNOWN))
        intent.unknown_since = sent
        changed.append("unknown_since")
    intent.intent_write(changed)
    if "unknown_since" in changed:
        strategy.push(intent)
    return WAITING


def intents_reconcile(*strategies: Strategy, now: datetime | None = None) -> collections.Counter:
    """The sweep: every pending intent of every strategy, one at a time; how many ended how
    (``ERROR``: the look-up itself raised, logged; tried again next sweep)."""
    now = now or timezone.now()
    counts: collections.Counter = collections.Counter()
    for strategy in strategies:
        # One intent that cannot be looked up (unusable keys, a bug) never holds up the others.
        counts.update(
            each_row(
                f"reconcile {strategy.kind}",
                strategy.pending(now=now),
                lambda pk, s=strategy: intent_reconcile(strategy=s, pk=pk, now=now),
            )
        )
    return counts


__all__ = [
    "ERROR",
    "FAILED",
    "FOUND",
    "REPLANNED",
    "SETTLED",
    "WAITING",
    "LookupFailed",
    "Strategy",
    "intent_reconcile",
    "intents_reconcile",
]


def intents_sweep(
    strategy: Strategy, *, task, claimed: str, now: datetime | None = None
) -> dict[str, int]:
    """A kind's whole beat sweep: its unsent intents handed back (``intents_requeue_unsent``)
    and its unknown ones settled; how many ended how."""
    now = now or timezone.now()
    requeued = intents_requeue_unsent(
        strategy.model, task=task, claimed=claimed, stale=strategy.stale(), now=now
    )
    counts = intents_reconcile(strategy, now=now)
    return {
        "requeued": requeued,
        "done": counts[FOUND],
        "failed": counts[FAILED],
        "waiting": counts[WAITING],
        "errors": counts[ERROR],
    }
