"""Locks that let go soon after their holder dies.

A sync takes a cache lock so that it never runs twice at once for a connection. Held for a
fixed time longer than the longest sync (two minutes, five), a lock left by a worker killed
mid-sync kept every later sync of that connection skipped for the rest of that time: after a
crash a partner transfer stayed "processing" on the custody page for up to two minutes, and
bench/custody_chaos.py, whose worker is killed every second or two, waited on such a lock for
about 90 of its 141 s after every transfer had settled.

Here a lock expires ``seconds`` after its holder last renewed it; a thread of the holder renews
it every third of that while the body runs, so a live holder keeps it however long the body takes
and a killed one frees it within ``seconds``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

log = logging.getLogger(__name__)

LEASE_SECONDS = 30


@contextmanager
def held(key: str, *, seconds: int = LEASE_SECONDS) -> Iterator[bool]:
    """Whether the lock ``key`` was free and is now this caller's until the body ends (False:
    someone holds it; the body runs anyway and decides what to do). Whole ``seconds``: the
    cache's expiries are."""
    if not cache.add(key, 1, timeout=seconds):
        yield False
        return
    done = threading.Event()
    renewer = threading.Thread(
        target=_renew, args=(key, seconds, done), name=f"lock {key}", daemon=True
    )
    renewer.start()
    try:
        yield True
    finally:
        done.set()
        renewer.join()
        cache.delete(key)


def _renew(key: str, seconds: int, done: threading.Event) -> None:
    while not done.wait(seconds / 3):
        try:
            cache.touch(key, seconds)
        except Exception as exc:  # Redis away: the next renewal may land; the lock may lapse
            log.warning("lock %s not renewed: %s", key, exc)
