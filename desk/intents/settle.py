"""Writing an intent's life: committed before the request, settled with its audit and pushes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from desk.intents.models import Intent, State

log = logging.getLogger(__name__)

I = TypeVar("I", bound=Intent)  # noqa: E741
STRANDED_AFTER = timedelta(seconds=30)


def intent_commit(
    model: type[I], *, key: Mapping[str, Any], fields: Mapping[str, Any]
) -> tuple[I, bool]:
    """The intent row, committed before anything is sent; or the one already stored under
    ``key`` (created False): a double submit finds it and sends nothing."""
    try:
        with transaction.atomic():
            return model.objects.create(**key, **fields), True
    except IntegrityError:  # the same key committed first elsewhere
        return model.objects.get(**key), False


def intent_mark_sending(intent: Intent, **fields: Any) -> bool:
    """Committed before the request leaves: from here on only the exchange's records can say
    whether it executed, never a blind resend.

    Written only over the claim this worker read (its state and ``claimed_at``): a worker that
    stalled past the stale period may find its claim handed back by the sweep and taken by
    another worker, which sends it; then this one gets False and must send nothing."""
    read = {intent.STATE_FIELD: getattr(intent, intent.STATE_FIELD)}
    if hasattr(intent, "claimed_at"):
        read["claimed_at"] = intent.claimed_at
    changed = [intent.intent_set_state(State.SENDING), "attempts", *fields]
    intent.attempts += 1
    intent.updated_at = timezone.now()
    for name, value in fields.items():
        setattr(intent, name, value)
    values = {name: getattr(intent, name) for name in {*changed, "updated_at"}}
    return bool(type(intent).objects.filter(pk=intent.pk, **read).update(**values))


def intent_settle(
    intent: I,
    state: State,
    *,
    code: int | None = None,
    message: str = "",
    fields: Mapping[str, Any] | None = None,
    audit: Callable[[I], Any],
    push: Callable[[I], Any] | None = None,
    then: Iterable[Callable[[], Any]] = (),
) -> I:
    """Save the outcome, audit it and push it in one transaction; ``then`` runs after commit
    (a task queued earlier could read the row before it is visible)."""
    changed = {intent.intent_set_state(state), "error_code", "error_message", "updated_at"}
    intent.error_code, intent.error_message = code, message[:300]
    if state is State.UNKNOWN and intent.unknown_since is None:
        intent.unknown_since = timezone.now()
        changed.add("unknown_since")
    for name, value in (fields or {}).items():
        setattr(intent, name, value)
        changed.add(name)
    with transaction.atomic():
        intent.intent_write(sorted(changed))
        audit(intent)
        if push is not None:
            push(intent)
        for callback in then:
            transaction.on_commit(callback)
    return intent


def intent_release(intent: I, outcome, *, task) -> I:
    """Refused for a rate limit (verdict LATER, not executed): back to planned, the attempt not
    counted, and handed to ``task`` again once the exchange's window has passed."""
    if intent.intent_state is State.SENDING:  # refused, not taken: not an attempt that counts
        intent.attempts -= 1
    changed = [intent.intent_set_state(State.PLANNED), "sent_at", "attempts", "error_message"]
    intent.sent_at = None
    intent.error_message = f"Waiting for the exchange's rate limit ({outcome.message})."[:300]
    intent.save(update_fields=[*changed, "updated_at"])
    delay = max(1.0, float(outcome.retry_after or 5))
    transaction.on_commit(lambda: queue(task, intent.pk, countdown=delay))
    return intent


def intents_requeue_unsent(
    model: type[Intent], *, task, claimed: str, stale: timedelta, now: datetime
) -> int:
    """Claimed (stored state ``claimed``) but never sending (a dead worker), or planned with no
    worker taking it within ``STRANDED_AFTER`` (a lost message): nothing went out, so each is
    queued again; only one claim can succeed. How many were queued."""
    planned, state = model.STATES[State.PLANNED], model.STATE_FIELD
    model.objects.filter(**{state: claimed, "claimed_at__lt": now - stale}).update(
        **{state: planned}
    )
    stranded = model.objects.filter(**{state: planned, "updated_at__lt": now - STRANDED_AFTER})
    pks = list(stranded.values_list("pk", flat=True))
    for pk in pks:
        queue(task, pk)
    return len(pks)


def queue(task, *args: Any, countdown: float = 0) -> None:
    """Hand ``task`` to the broker; if it is down right now the beat sweep settles it later."""
    try:
        task.apply_async(args, countdown=countdown)
    except Exception as exc:
        log.warning("could not queue %s: %s", task.name, type(exc).__name__)
