"""Django's SQLite backend, waiting for the write lock in fine steps.

Every process (web, workers, beat, stream) writes the one SQLite file, and ``BEGIN IMMEDIATE``
takes its write lock up front. SQLite's own busy handler waits for a held lock by sleeping 1,
then 2, 5, 10, 15… ms between tries, so a lock held for half a millisecond costs the next
writer at least 1 ms and often 3 or 8: bench/order_latency.py saw the stream process's
executionReport wait 1.2 ms (p50) and 8.4 ms (p90) behind the place view's answer being stored.
Here ``BEGIN IMMEDIATE`` tries again itself, after 0.1 ms at first and never more than 2 ms
apart, up to the same ``timeout``. Other statements keep SQLite's handler.
"""

from __future__ import annotations

import sqlite3
import time

from django.db.backends.sqlite3 import base

FIRST_PAUSE, MAX_PAUSE = 0.0001, 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        self._lock_wait = conn_params.get("timeout", 5.0)
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self):
        if self.transaction_mode != "IMMEDIATE":
            return super()._start_transaction_under_autocommit()
        raw = self.connection
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            with self.wrap_database_errors:
                _begin_immediate(raw, time.monotonic() + self._lock_wait)
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(self._lock_wait * 1000)}")


def _begin_immediate(raw: sqlite3.Connection, deadline: float) -> None:
    pause = FIRST_PAUSE
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)
