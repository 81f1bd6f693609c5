"""Several stream processes sharing the work, through a SIGKILL, a join and a Redis restart.

Starts a private Redis, the sandbox and ``--processes`` × ``manage.py runstreams`` over one
SQLite file, with ``--connections`` trading connections (each its own sandbox account) and
``--symbols`` watched symbols. Items of work: each symbol's market streams, each connection's
user data stream and each connection's WebSocket API session (trading.leases).

The exchange is the judge: every ``--sample`` seconds the sandbox's ``GET /sandbox/v1/streams``
says how many sockets follow each market stream and each account's user data; the WebSocket
API sessions are seen by their live keys in Redis. An item is **held** when exactly one socket
follows it (one live key), **held twice** when two do.

Phases: start (until every item is held), SIGKILL one process, start one more (the work is
rebalanced onto it), restart Redis (every lease and watcher entry is lost). For each it prints
the seconds until every item was held again and the samples in which any item was held twice.
Exits 1 if anything was held twice or a phase did not end with every item held within
``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import app_env, start_redis, start_sandbox, terminate  # noqa: E402


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-stream-failover-"))
        self.redis, self.redis_url = start_redis(self.tmp)
        self.sandbox, self.sandbox_url = start_sandbox(seed=args.seed)
        self.env = app_env(
            DESK_VAR_DIR=str(self.tmp),
            DATABASE_URL=f"sqlite:///{self.tmp / 'failover.sqlite3'}",
            REDIS_URL=self.redis_url,
            CELERY_BROKER_URL=self.redis_url,
            SANDBOX_REST_URL=self.sandbox_url,
            SANDBOX_WS_URL=self.sandbox_url.replace("http", "ws"),
            LOG_LEVEL="INFO" if args.keep else "WARNING",
            # A takeover resyncs each connection it moves over REST; from one address, at the
            # exchange's 1200 a minute, that alone spends the budget (see the README).
            EXCHANGE_WEIGHT_PER_MINUTE=str(args.weight),
        )
        self.keep = args.keep
        self.env["DJANGO_SETTINGS_MODULE"] = "desk.settings"
        self.streams: list[subprocess.Popen] = []

    def admin(self, method: str, path: str, doc: dict | None = None) -> dict:
        r = requests.request(method, f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def start_streams(self) -> subprocess.Popen:
        n = len(self.streams)
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runstreams"],
            cwd=ROOT,
            env=self.env,
            stdout=(self.tmp / f"streams-{n}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        self.streams.append(proc)
        return proc

    def restart_redis(self) -> None:
        port = int(self.redis_url.rsplit(":", 1)[1].split("/")[0])
        terminate(self.redis)
        self.redis, url = start_redis(self.tmp, port=port)
        assert url == self.redis_url

    def close(self) -> None:
        for proc in self.streams:
            terminate(proc)
        terminate(self.sandbox)
        terminate(self.redis)
        if self.keep:
            print(f"logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def django_setup(stack: Stack) -> None:
    os.environ.update(stack.env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def connections_create(stack: Stack, n: int) -> dict[int, str]:
    """``n`` trading connections, each on its own sandbox account: {connection id: account id}."""
    from django.contrib.auth import get_user_model

    from accounts import services

    user = get_user_model().objects.create_user("failover", password="failover-pass-123")
    made = {}
    for i in range(n):
        account = stack.admin(
            "POST", "accounts", {"email": f"failover{i}@example.test", "balances": {"USD": "1000"}}
        )
        connection = services.connection_import(
            user=user,
            label=f"Failover {i}",
            key_type="exchange",
            environment="sandbox",
            api_key=account["apiKey"],
            api_secret=account["secretKey"],
        )
        made[connection.pk] = str(account["accountId"])
    return made


class Judge(threading.Thread):
    """Samples the exchange's view (and the sessions' live keys) until stopped."""

    def __init__(self, stack: Stack, symbols: list[str], connections: dict[int, str], every):
        super().__init__(daemon=True)
        self.stack, self.every = stack, every
        self.market = {f"{s.lower()}@depth@100ms" for s in symbols}
        self.connections = connections
        self.stop = threading.Event()
        self.samples = 0
        self.twice: list[str] = []  # one entry per sample and item held twice
        self.all_held = threading.Event()
        self.missing: list[str] = []  # the items not held in the last sample that lacked any

    def run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                held, twice = self.sample()
            except (requests.RequestException, redis.RedisError):
                self.all_held.clear()  # Redis is restarting: the live keys cannot be read
                continue
            self.samples += 1
            self.twice.extend(twice)
            (self.all_held.set if held else self.all_held.clear)()

    def sample(self) -> tuple[bool, list[str]]:
        doc = self.stack.admin("GET", "streams")
        market = {name: doc["market"].get(name, 0) for name in self.market}
        user = {acct: doc["user"].get(acct, 0) for acct in self.connections.values()}
        r = redis.Redis.from_url(self.stack.redis_url, socket_timeout=1)
        try:
            live = r.mget([f"desk:wsapi:live:{pk}" for pk in self.connections])
        finally:
            r.close()
        counts = {**market, **{f"user:{a}": n for a, n in user.items()}}
        twice = [item for item, n in counts.items() if n > 1]
        missing = [item for item, n in counts.items() if n == 0]
        sessions = zip(self.connections, live, strict=True)
        missing += [f"wsapi:{pk}" for pk, key in sessions if not key]
        if missing:
            self.missing = missing
        return not missing and not twice, twice


def watch(stack: Stack, symbols: list[str], stop: threading.Event) -> threading.Thread:
    """A browser's socket server's watcher entries, kept fresh (and re-made after a restart)."""

    def keep() -> None:
        while not stop.wait(1.0):
            try:
                r = redis.Redis.from_url(stack.redis_url, socket_timeout=1)
                expires = time.time() + 90
                for symbol in symbols:
                    r.zadd(f"desk:market:watch:{symbol}", {"bench": expires})
                    r.sadd("desk:market:watched", symbol)
                r.close()
            except redis.RedisError:
                pass

    thread = threading.Thread(target=keep, daemon=True)
    thread.start()
    return thread


def until_held(judge: Judge, timeout: float, since: float) -> float | None:
    """Seconds from ``since`` until every item was held (None: not within ``timeout``)."""
    judge.all_held.clear()
    deadline = since + timeout
    while time.monotonic() < deadline:
        if judge.all_held.wait(0.05):
            return time.monotonic() - since
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--symbols", type=int, default=8)
    parser.add_argument("--sample", type=float, default=0.1, help="seconds between samples")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--weight", type=int, default=12000, help="EXCHANGE_WEIGHT_PER_MINUTE")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    args = parser.parse_args()
    stack = Stack(args)
    phases: dict[str, float | None] = {}
    stop = threading.Event()
    try:
        django_setup(stack)
        connections = connections_create(stack, args.connections)
        info = requests.get(f"{stack.sandbox_url}/api/v3/exchangeInfo", timeout=5).json()
        symbols = sorted(s["symbol"] for s in info["symbols"])[: args.symbols]
        watch(stack, symbols, stop)
        judge = Judge(stack, symbols, connections, args.sample)
        judge.start()

        started = time.monotonic()
        for _ in range(args.processes):
            stack.start_streams()
        phases["start"] = until_held(judge, args.timeout, started)
        last = {"start": judge.missing}

        victim = stack.streams[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        phases["SIGKILL one process"] = until_held(judge, args.timeout, time.monotonic())
        last["SIGKILL one process"] = judge.missing

        joined = time.monotonic()
        stack.start_streams()
        phases["one more process joins"] = _rebalanced(stack, judge, args.timeout, joined)
        last["one more process joins"] = judge.missing

        restarted = time.monotonic()
        stack.restart_redis()
        phases["Redis restarted"] = until_held(judge, args.timeout, restarted)
        last["Redis restarted"] = judge.missing
        judge.stop.set()
        judge.join()
    finally:
        stop.set()
        stack.close()
    report(args, symbols, connections, phases, judge, last)


def _rebalanced(stack: Stack, judge: Judge, timeout: float, since: float) -> float | None:
    """Seconds until the newest process works on some symbols and every item is held."""
    newest = stack.streams[-1].pid
    r = redis.Redis.from_url(stack.redis_url)
    deadline = since + timeout
    try:
        while time.monotonic() < deadline:
            for key in r.scan_iter(match=f"desk:market:health:*:{newest}:*"):
                raw = r.get(key)
                if raw and json.loads(raw)["held"]["market"]:
                    return until_held(judge, deadline - time.monotonic(), since)
            time.sleep(0.05)
    finally:
        r.close()
    return None


def report(args, symbols, connections, phases, judge: Judge, last: dict) -> None:
    items = len(symbols) + 2 * len(connections)
    print(
        f"{args.processes} stream processes (then one killed, one more started), "
        f"{len(symbols)} symbols, {len(connections)} connections: {items} items "
        "(market, user data, WebSocket API session)"
    )
    print(f"{'phase':<26} {'every item held again after':>28}   last held")
    for phase, seconds in phases.items():
        shown = f"{seconds:.1f} s" if seconds is not None else f"not within {args.timeout:.0f} s"
        print(f"{phase:<26} {shown:>28}   {', '.join(last[phase][:4])}")
    print(f"samples: {judge.samples} (every {args.sample} s)")
    print(f"held twice: {len(judge.twice)} item-samples {sorted(set(judge.twice))[:5]}")
    failed = judge.twice or any(s is None for s in phases.values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
