"""Periodic work over many rows, one row at a time.

A row that fails — a connection whose keys cannot be decrypted or sent, a symbol the exchange
does not know, a bug — is logged with its traceback and skipped: the rows after it are still
done, and it is tried again on the next run. The task's time limit is not a row's failure: it
ends the run (the next one starts over)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TypeVar

from celery.exceptions import SoftTimeLimitExceeded

log = logging.getLogger(__name__)

Row = TypeVar("Row")
Result = TypeVar("Result")

ERROR = "error"


def each_row(what: str, rows: Iterable[Row], work: Callable[[Row], Result]) -> list[Result | str]:
    """``work(row)`` for every row, in order; a row that raised gives ``ERROR``."""
    results: list[Result | str] = []
    for row in rows:
        try:
            results.append(work(row))
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            log.error("%s %s failed; going on with the others: %s", what, row, failure(exc))
            results.append(ERROR)
    return results


def failure(exc: BaseException) -> str:
    """The exception's type and where it was raised, never its message: that may quote a
    credential (an API key that no HTTP header can carry is quoted whole)."""
    frames = "".join(traceback.format_tb(exc.__traceback__, limit=-4))
    return f"{type(exc).__name__}\n{frames}"
