"""Writes a background task makes to a row it read before calling the exchange."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def save_if_present(obj: models.Model, *fields: str) -> bool:
    """Write `fields` of `obj`; False when its row is gone.

    A user may delete a connection, and every row hanging off it, while a task is on the
    exchange for it; `save(update_fields=...)` raises then. An UPDATE that touches no row is
    the answer "gone", and the UPDATE takes the row's lock, so a delete waits for the task's
    transaction instead of cutting through it.
    """
    values = {name: getattr(obj, name) for name in fields}
    if "updated_at" in values:
        values["updated_at"] = obj.updated_at = timezone.now()
    return type(obj)._default_manager.filter(pk=obj.pk).update(**values) == 1
