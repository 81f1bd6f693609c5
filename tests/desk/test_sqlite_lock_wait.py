"""desk.db.sqlite3: BEGIN IMMEDIATE waits for another writer in fine steps, up to the timeout.

The backend is exercised on a file of its own, so these run whatever DATABASE_URL the suite uses.
"""

import sqlite3

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from desk.db.sqlite3 import base

# pytest-django opens no connection without this, however private the file.
pytestmark = pytest.mark.django_db


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "locks.sqlite3"
    opened = []

    def open_with(timeout: float):
        handler = ConnectionHandler(
            {
                "default": {
                    "ENGINE": "desk.db.sqlite3",
                    "NAME": str(path),
                    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
                }
            }
        )
        conn = handler["default"]
        with conn.cursor() as cur:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        opened.extend([conn, other])
        return conn, other

    yield open_with
    for c in opened:
        c.close()


def _write_in_transaction(conn, value: int) -> None:
    """What transaction.atomic does on this connection: BEGIN, write, COMMIT."""
    conn._start_transaction_under_autocommit()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO t VALUES (%s)", [value])
    conn.connection.execute("COMMIT")


def _values(conn) -> list[int]:
    with conn.cursor() as cur:
        cur.execute("SELECT v FROM t ORDER BY v")
        return [v for (v,) in cur.fetchall()]


def test_a_transaction_waits_for_the_writer_ahead_of_it_and_then_writes(database, monkeypatch):
    conn, other = database(timeout=5)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    pauses = []
    real_sleep = base.time.sleep

    def sleep(seconds):  # the first refusal is the moment the other writer finishes
        pauses.append(seconds)
        if len(pauses) == 1:
            other.execute("COMMIT")
        real_sleep(seconds)

    monkeypatch.setattr(base.time, "sleep", sleep)
    _write_in_transaction(conn, 2)

    assert pauses[0] == base.FIRST_PAUSE
    assert _values(conn) == [1, 2]
    with conn.cursor() as cur:  # other statements keep SQLite's own busy handler
        cur.execute("PRAGMA busy_timeout")
        assert cur.fetchone()[0] == 5000


def test_a_writer_that_holds_the_lock_past_the_timeout_fails_the_transaction(database):
    conn, other = database(timeout=0.05)
    other.execute("BEGIN IMMEDIATE")

    with pytest.raises(OperationalError, match="locked"):
        _write_in_transaction(conn, 3)

    other.execute("ROLLBACK")
    _write_in_transaction(conn, 4)  # the connection is usable again
    assert _values(conn) == [4]


def test_the_suites_own_sqlite_database_uses_this_backend(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        assert settings.DATABASES["default"]["ENGINE"] == "desk.db.sqlite3"
