"""The columns every money-moving intent carries, and how a kind names its own."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import ClassVar

from django.db import models
from django.utils import timezone


class State(enum.StrEnum):
    """Where an intent is in its life, whatever a kind stores for it (see ``desk.intents``)."""

    PLANNED = "planned"
    SENDING = "sending"
    EXECUTED = "executed"
    FAILED = "failed"
    UNKNOWN = "unknown"


UNSETTLED = (State.SENDING, State.UNKNOWN)


class IntentMoved(Exception):
    """The intent changed since it was read (another sweep settled it, or a worker sent it
    again): what this reader decided from its stale copy is not written."""


class Intent(models.Model):
    """An exactly-once request to the exchange, stored before it is sent.

    A concrete kind keeps its own names for the idempotency key (``KEY_FIELD``, unique per
    connection through the kind's own constraint) and the state (``STATE_FIELD``), and says in
    ``STATES`` how it stores each of the kit's states: orders keep the exchange's status
    vocabulary in the same column, so renaming columns would buy nothing but a data migration.
    A stored value missing from ``STATES`` and ``ALSO`` is the exchange's own (executed)."""

    # How many times the request went out (a re-planned intent goes out again).
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why it failed, or why its outcome is unknown: the exchange's code and message if it answered.
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    unknown_since = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    KEY_FIELD: ClassVar[str]
    STATE_FIELD: ClassVar[str]
    STATES: ClassVar[Mapping[State, str]]
    # Further stored values and the kit state each one means (a claimed run is still planned).
    ALSO: ClassVar[Mapping[str, State]] = {}

    class Meta:
        abstract = True

    @property
    def intent_key(self) -> str:
        return getattr(self, self.KEY_FIELD)

    @property
    def intent_state(self) -> State:
        stored = getattr(self, self.STATE_FIELD)
        for state, value in self.STATES.items():
            if value == stored:
                return state
        return self.ALSO.get(stored, State.EXECUTED)

    def intent_set_state(self, state: State) -> str:
        """Set the state as this kind stores it; the name of the column changed."""
        setattr(self, self.STATE_FIELD, self.STATES[state])
        return self.STATE_FIELD

    def intent_hold(self) -> None:
        """From now on write only over the state and attempt read here (see ``intent_write``):
        two sweeps, or a sweep and the worker re-sending a re-planned intent, overlap."""
        self._intent_read = {self.STATE_FIELD: getattr(self, self.STATE_FIELD)}
        self._intent_read["attempts"] = self.attempts

    def intent_write(self, fields) -> None:
        """Save ``fields``; for a held intent only if its row still holds what was read, else
        :class:`IntentMoved` and nothing is written."""
        read = getattr(self, "_intent_read", None)
        if read is None:
            self.save(update_fields=fields)
            return
        self.updated_at = timezone.now()
        values = {name: getattr(self, name) for name in {*fields, "updated_at"}}
        if not type(self).objects.filter(pk=self.pk, **read).update(**values):
            raise IntentMoved(f"{type(self).__name__} {self.pk}")
        self.intent_hold()


class Status(models.TextChoices):
    """The stored states of a kind that needs no vocabulary of its own (staking operations,
    credit-line and custodian transfers): the kit's, plus "claimed" by a worker."""

    PLANNED = "planned", "Planned"
    CLAIMED = "claimed", "Claimed by a worker"
    SENDING = "sending", "Sending"
    UNKNOWN = "unknown", "Unknown — checking"
    FAILED = "failed", "Failed"
    DONE = "done", "Done"


IN_FLIGHT = (Status.PLANNED, Status.CLAIMED, Status.SENDING, Status.UNKNOWN)


class StatusIntent(Intent):
    """An intent stored in a ``status`` column of :class:`Status`, with the times of its claim,
    its (last) request and its end."""

    STATE_FIELD = "status"
    STATES = {
        State.PLANNED: Status.PLANNED,
        State.SENDING: Status.SENDING,
        State.EXECUTED: Status.DONE,
        State.UNKNOWN: Status.UNKNOWN,
        State.FAILED: Status.FAILED,
    }
    ALSO = {Status.CLAIMED: State.PLANNED}

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_final(self) -> bool:
        return self.status in (Status.DONE, Status.FAILED)
