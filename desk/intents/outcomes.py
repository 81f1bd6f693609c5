"""What an answer (or its absence) means, per the exchange's HTTP status semantics, and sending
a request once with the one retry the spec allows."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import binanceus
from accounts import crypto

# 503 "Service Unavailable": "retry with backoff (e.g., 200ms → 400ms → 800ms, max 3–5 retries)".
BACKOFF = (0.2, 0.4, 0.8, 1.6, 3.2)


class Verdict(enum.StrEnum):
    EXECUTED = "executed"
    FAILED = "failed"  # 4XX, or refused before sending: certainly not executed
    UNKNOWN = "unknown"  # other 5XX, timeout, -1006 / -1007: only the exchange's records tell
    RETRY = "retry"  # 503 "Service Unavailable" or never connected: not executed, may resend
    LATER = "later"  # a rate limit or the weight budget: not executed, wait ``retry_after``


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    code: int | None = None
    message: str = ""
    retry_after: float | None = None
    answer: Any = None
    tries: int = 1

    @property
    def not_executed(self) -> bool:
        return self.verdict in (Verdict.FAILED, Verdict.RETRY, Verdict.LATER)


# Checked in order: a RateLimited is a ClientError and a ServiceUnavailable a ServerError.
_VERDICTS: tuple[tuple[tuple[type[Exception], ...], Verdict], ...] = (
    ((binanceus.WeightLimitExceeded, binanceus.RateLimited, binanceus.IPBanned), Verdict.LATER),
    ((binanceus.ServiceUnavailable, binanceus.TransportError), Verdict.RETRY),
    ((binanceus.ExecutionUnknown,), Verdict.UNKNOWN),
    (
        (binanceus.ClientError, binanceus.OrderRejectedLocally, crypto.CredentialsUnavailable),
        Verdict.FAILED,
    ),
)
# What a send may raise; anything else is a bug and propagates (the intent stays SENDING and
# the sweep settles it from the exchange's records).
SEND_ERRORS = (binanceus.BinanceUSError, crypto.CredentialsUnavailable)


def outcome_of(exc: Exception) -> Outcome:
    """The verdict on a failed send. Whatever is not known to be refused — an undecodable answer,
    another 5XX — may have executed, so it is UNKNOWN, never FAILED."""
    verdict = next((v for types, v in _VERDICTS if isinstance(exc, types)), Verdict.UNKNOWN)
    code, message = describe(exc)
    return Outcome(verdict, code, message, retry_after=getattr(exc, "retry_after", None))


def describe(exc: Exception) -> tuple[int | None, str]:
    """The exchange's code and message where it answered, else what happened on the way."""
    if isinstance(exc, binanceus.APIError):
        return exc.code, exc.msg
    if isinstance(exc, binanceus.ExecutionUnknown):
        return exc.code, exc.msg or str(exc)
    if isinstance(exc, binanceus.TransportError):
        return None, "Could not reach the exchange; nothing was sent."
    if isinstance(exc, binanceus.WeightLimitExceeded):
        return None, f"Not sent: request-weight limit; try again in {math.ceil(exc.retry_after)} s."
    if isinstance(exc, crypto.CredentialsUnavailable):
        return None, "The connection's keys cannot be read; add them again."
    problems = getattr(exc, "problems", None)
    if problems:
        return None, "; ".join(str(p) for p in problems)
    return getattr(exc, "code", None), str(exc)


def intent_send(
    send: Callable[[], Any], *, backoff: Sequence[float] = BACKOFF, sleep=time.sleep
) -> Outcome:
    """Call ``send`` once; again after each ``backoff`` delay only while the answer says it was
    not executed (RETRY). Out of delays, a RETRY is FAILED. Pass ``backoff=()`` where the client
    already retries (trading endpoints, whose client ids make a resend harmless)."""
    for tries, delay in enumerate((*backoff, None), start=1):
        try:
            answer = send()
        except SEND_ERRORS as exc:
            outcome = replace(outcome_of(exc), tries=tries)
        else:
            return Outcome(Verdict.EXECUTED, answer=answer, tries=tries)
        if outcome.verdict is not Verdict.RETRY:
            return outcome
        if delay is None:
            after = f" (after {tries} tries)" if tries > 1 else ""
            return replace(outcome, verdict=Verdict.FAILED, message=outcome.message + after)
        sleep(delay)
    raise AssertionError("unreachable")
