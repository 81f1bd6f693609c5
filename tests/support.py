"""Helpers shared by tests and fixtures: waiting for an outcome, ports, subprocess lifecycle.

Wait for what a test expects with ``until`` (or ``until_async`` inside a coroutine), never with
a fixed sleep: a sleep is either too short on a loaded machine or longer than needed elsewhere.
When the exchange's clock decides (listen-key expiry, history lag, visibility lag), move the
sandbox's clock instead (``POST /sandbox/v1/clock {"advanceMs": N}``).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

import binanceus

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GiveUp(Exception):
    """Raised by a condition when waiting longer cannot help (the process died): ``until``
    passes it on at once, whatever it ignores."""


class WaitTimeout(AssertionError, TimeoutError):
    """The outcome never came: a failed assertion to a test, a ``TimeoutError`` to the code
    that starts processes and catches that."""


def until(
    condition: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "",
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call ``condition`` until it returns something truthy, and return that.

    ``message`` names what is awaited, for the failure. Exceptions in ``ignoring`` count as
    "not yet" (a server still starting); any other propagates at once, so a broken condition
    fails fast instead of timing out. The condition runs at least once, and once more at the
    deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value, error = condition(), None
        except GiveUp:
            raise
        except ignoring as exc:
            value, error = None, exc
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(message, timeout, value, error)
        time.sleep(min(interval, left))


async def until_async(
    condition: Callable[[], Any],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "",
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """``until`` for coroutines: sleeps without blocking the event loop, and awaits the
    condition's result when it is awaitable (an ``async def``, or ``sync_to_async(f)`` for a
    condition that reads the database)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value, error = condition(), None
            if inspect.isawaitable(value):
                value = await value
        except GiveUp:
            raise
        except ignoring as exc:
            value, error = None, exc
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(message, timeout, value, error)
        await asyncio.sleep(min(interval, left))


def _timed_out(message: str, timeout: float, value: Any, error: BaseException | None):
    last = f"it last raised {error!r}" if error is not None else f"it last returned {value!r:.200}"
    return WaitTimeout(f"{message or 'the condition'} did not happen within {timeout:g} s; {last}")


def wait_for(predicate, *, timeout: float = 15.0, what: str = "condition") -> None:
    """``until`` as the process-starting code of ``tests/e2e`` and ``bench/`` calls it: every
    error of the probe means "not up yet"."""
    until(predicate, timeout=timeout, message=what, ignoring=(Exception,))


def terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_sandbox(
    *extra: str, seed: int = 1, log: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """``log``: a file for the sandbox's output (default: inherit the test run's)."""
    port = free_port()
    out = log.open("w") if log else None
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--seed",
            str(seed),
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
    )
    if out:
        out.close()  # the child holds its own descriptor
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise GiveUp(f"sandbox exited with {proc.returncode}")
        return requests.get(f"{base}/api/v3/ping", timeout=1).ok

    try:
        until(ready, timeout=15, message="the sandbox to answer", ignoring=(Exception,))
    except (TimeoutError, GiveUp):
        terminate(proc)
        raise
    return proc, base


def start_redis(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A private, non-persistent redis-server on a free loopback port (or ``port``, to restart
    one); returns (process, URL)."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is missing; `make test` installs Debian's redis-server")
    port = port or free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ready() -> bool:
        if proc.poll() is not None:
            raise GiveUp(f"redis-server exited with {proc.returncode}")
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    until(ready, timeout=15, message="redis-server to answer", ignoring=(Exception,))
    return proc, f"redis://127.0.0.1:{port}/0"


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    exe = str(found[-1]) if found else shutil.which(name)
    if exe is None:
        raise RuntimeError(f"{name} is missing; `make test` installs Debian's postgresql")
    return exe


def start_postgres(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A private PostgreSQL server in ``workdir/pg`` on a free loopback port, with a database
    ``desk`` (trust authentication; fsync off: a crash of the bench loses nothing it needs).
    PostgreSQL will not run as root: as root it runs as the ``postgres`` user Debian's package
    creates. Returns (process, DATABASE_URL)."""
    import psycopg

    data, port = workdir / "pg", free_port()
    data.mkdir()
    user = None
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam("postgres")
        workdir.chmod(0o711)  # mkdtemp's 0700 would keep the server out of its own directory
        os.chown(data, entry.pw_uid, entry.pw_gid)
        user = "postgres"
    subprocess.run(
        [_postgres_bin("initdb"), "-D", str(data), "-U", "desk", "-A", "trust", "--no-sync"],
        user=user,
        check=True,
        capture_output=True,
    )
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(data),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "400",
    }
    flags = [arg for k, v in settings.items() for arg in ("-c", f"{k}={v}")]
    proc = subprocess.Popen(
        [_postgres_bin("postgres"), "-D", str(data), "-p", str(port), *flags],
        user=user,
        stdout=(workdir / "postgres.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    server = f"postgresql://desk@127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise GiveUp(f"postgres exited with {proc.returncode}")
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=1) as conn:
            conn.execute("CREATE DATABASE desk")
        return True

    until(ready, timeout=30, message="postgres to answer", ignoring=(psycopg.OperationalError,))
    return proc, f"{server}/desk"


# The Celery queues (desk/settings.py DESK_TASK_QUEUES; tests/desk/test_queues.py keeps the two
# equal). A worker started by a test or bench consumes them all, as the Procfile's does, so no task
# waits for a worker that is not there.
TASK_QUEUES = ("exchange", "history", "default")
WORKER_QUEUES = ["-Q", ",".join(TASK_QUEUES)]


def worker_queues(argv: list[str]) -> set[str]:
    """The queues a `celery worker` command line consumes: its -Q list, else the default queue."""
    for flag in ("-Q", "--queues"):
        if flag in argv:
            return set(argv[argv.index(flag) + 1].split(","))
    return {"default"}  # CELERY_TASK_DEFAULT_QUEUE


def broker_clear(r) -> None:
    """Empty every Celery queue in the broker ``r`` (a redis.Redis)."""
    r.delete(*TASK_QUEUES)


def broker_messages(r) -> list[bytes]:
    """Every message waiting in the broker, queue by queue, each queue newest first (as LRANGE
    lists it: the Redis transport pushes on the left and a worker pops on the right)."""
    return [raw for queue in TASK_QUEUES for raw in r.lrange(queue, 0, -1)]


def broker_pop(r) -> bytes | None:
    """The oldest message of the first queue holding one, taken as a worker would; None when
    every queue is empty."""
    for queue in TASK_QUEUES:
        if (raw := r.rpop(queue)) is not None:
            return raw
    return None


def private_database_url(directory: Path, name: str) -> str:
    """A fresh database for a stack or bench of its own: a SQLite file in ``directory``, or,
    when the suite runs on PostgreSQL (``DATABASE_URL``), ``<database>_<name>`` created anew on
    that server (never the database ``DATABASE_URL`` names: it may hold a developer's data)."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{directory / f'{name}.sqlite3'}"
    import psycopg

    server, _, database = base.rpartition("/")
    private = f"{database.split('?')[0]}_{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{private}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{private}"')
    return f"{server}/{private}"


# Settings as deployed (DEBUG off: no SQL kept per query, no debug templates) for a bench that
# talks plain HTTP to the app (loopback, or Django's test client): no redirect to HTTPS, and
# cookies sent without TLS.
AS_DEPLOYED_OVER_HTTP = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
}


def proc_stat(pid: int) -> tuple[int, float]:
    """A process's parent pid and the CPU seconds it has used (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_env(**overrides: str) -> dict[str, str]:
    """The environment for app processes a test or bench starts: fresh secrets, DEBUG on."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "1",
        "SECRET_KEY": Fernet.generate_key().decode(),
        "DESK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        **overrides,
    }


def manage(env: dict[str, str], *args: str) -> str:
    """Run a manage.py command with ``env``; its standard output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# The desk's weight budget in tests (tests/conftest.py): ten times the exchange's 1200.
SUITE_WEIGHT_PER_MINUTE = 12_000


def exchange_client(
    api_key: str | None = None, secret: str | None = None, base_url: str = "", **kwargs: Any
) -> binanceus.Client:
    """A test's own client of a sandbox, on the suite's weight budget: the sandbox reports the
    weight of every test on its one address, which the default 1200 would take as its own and
    refuse requests once the suite has been busy for a minute (tests/binanceus's custody tests
    did, right after tests/accounts, once nothing slow ran between them)."""
    kwargs.setdefault("weight_budget", binanceus.InMemoryWeightBudget(SUITE_WEIGHT_PER_MINUTE))
    return binanceus.Client(api_key, secret, base_url=base_url, **kwargs)
