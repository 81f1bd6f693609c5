"""The exactly-once kit: every call that moves money (orders, OCO lists, cancel-replace,
sub-account transfers, and the areas to come) is an intent that lives like this::

    planned ──commit──▶ sending ──answer──────────────────────────────────▶ executed
       ▲                   │  └─ 4XX, refused before sending ─────────────▶ failed (code, message)
       │                   │  └─ 503 "Service Unavailable" / no connection: not executed,
       │                   │     sent again after a bounded backoff, then ▶ failed
       │                   └─ other 5XX / timeout / -1006 / -1007 / a dead worker
       │                                      ▼
       │                                   unknown ──the exchange's records──▶ executed
       │                                      │ absent past the grace period ─▶ failed
       └──── absent, and the kind may send it again (scheduled transfers) ◀──┘

1. :func:`intent_commit` stores the intent under its idempotency key before any request: a
   double submit finds the row and sends nothing.
2. :func:`intent_send` sends it once and classifies the answer (:func:`outcome_of`, per
   ``http-status-semantics.txt``) into an :class:`Outcome`.
3. :func:`intent_settle` saves the outcome, audits and pushes it in one transaction, with
   follow-ups (``then``) after commit.
4. :func:`intents_reconcile` settles unknown intents by asking each kind's :class:`Strategy`
   whether the exchange's own records hold it, with a grace period for their lag.

Verdicts (:class:`Verdict`) on a failed send::

    BinanceUSError / CredentialsUnavailable
    ├── LATER      WeightLimitExceeded, RateLimited (429), IPBanned (418): not sent, wait
    ├── RETRY      ServiceUnavailable (503), TransportError: not executed, may resend
    ├── UNKNOWN    ExecutionUnknown (5XX, timeout, -1006/-1007), and anything unclassified
    └── FAILED     ClientError (4XX), OrderRejectedLocally, CredentialsUnavailable
"""

from desk.intents.models import UNSETTLED, Intent, IntentMoved, State
from desk.intents.outcomes import (
    BACKOFF,
    SEND_ERRORS,
    Outcome,
    Verdict,
    describe,
    intent_send,
    outcome_of,
)
from desk.intents.reconcile import (
    ERROR,
    FAILED,
    FOUND,
    REPLANNED,
    SETTLED,
    WAITING,
    LookupFailed,
    Strategy,
    intent_reconcile,
    intents_reconcile,
    intents_sweep,
)
from desk.intents.settle import (
    intent_commit,
    intent_mark_sending,
    intent_release,
    intent_settle,
    intents_requeue_unsent,
    queue,
)

__all__ = [
    "BACKOFF",
    "ERROR",
    "FAILED",
    "FOUND",
    "REPLANNED",
    "SEND_ERRORS",
    "SETTLED",
    "UNSETTLED",
    "WAITING",
    "Intent",
    "IntentMoved",
    "LookupFailed",
    "Outcome",
    "State",
    "Strategy",
    "Verdict",
    "describe",
    "intent_commit",
    "intent_mark_sending",
    "intent_reconcile",
    "intent_release",
    "intent_send",
    "intent_settle",
    "intents_reconcile",
    "intents_requeue_unsent",
    "intents_sweep",
    "outcome_of",
    "queue",
]
