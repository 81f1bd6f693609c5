"""What the chaos benches (transfers, withdrawals, staking, custody) share: a private stack whose
Celery worker can be SIGKILLed and restarted, and the loop that does so at random moments while
it injects sandbox faults at random, until the bench's work has settled. A bench whose work
must be asked for as earlier work settles runs a driver (``ChaosStack.run_driver``): a
``manage shell`` process asking through the desk's services, its last line the report.

Not a bench: the benches import it (``from bench.chaos import ...``).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import requests

# Importing this as ``bench.chaos`` puts the repository on the path already.
from tests.support import (
    ROOT,
    WORKER_QUEUES,
    app_env,
    manage,
    private_database_url,
    start_redis,
    start_sandbox,
    terminate,
)

FAULT_MODES = ("execute_then_500", "execute_then_timeout", "unavailable_503")


def parse_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The bench's own options, already on ``parser``, and those every chaos bench takes."""
    parser.add_argument(
        "--kill-every",
        default="1.5,5",
        type=kill_range,
        help="min,max seconds between kills",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900)
    return parser.parse_args()


def kill_range(text: str) -> tuple[float, float]:
    lo, hi = (float(x) for x in text.split(","))
    return lo, hi


def with_arg(script: str, arg: dict) -> str:
    """``script`` with ``arg`` in place of its ``sys.argv[1]`` (``manage shell -c`` takes none)."""
    return script.replace("sys.argv[1]", repr(json.dumps(arg)))


class ChaosStack:
    """A private redis-server, sandbox exchange and database, and the Celery processes on them.

    ``name`` names the temporary directory and the database; ``env`` adds to (or overrides) the
    desk's environment, e.g. the bench's short periods.
    """

    def __init__(self, name: str, seed: int, env: dict[str, str]):
        self.tmp = Path(tempfile.mkdtemp(prefix=f"desk-{name.replace('_', '-')}-"))
        self.redis, redis_url = start_redis(self.tmp)
        # No market flow: nothing here trades, and the flow would only take CPU from the worker.
        self.sandbox, self.sandbox_url = start_sandbox("--tick-ms", "0", seed=seed)
        self.env = {
            **app_env(),
            "DATABASE_URL": private_database_url(self.tmp, name),
            "REDIS_URL": redis_url,
            "SANDBOX_REST_URL": self.sandbox_url,
            "SANDBOX_WS_URL": self.sandbox_url.replace("http", "ws"),
            "EXCHANGE_TIMEOUT": "3",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.driver: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def shell(self, script: str, arg: dict | None = None) -> str:
        """The last line ``script`` prints in ``manage shell``: it may print a banner first."""
        if arg is not None:
            script = with_arg(script, arg)
        return self.manage("shell", "-c", script).strip().splitlines()[-1]

    def admin(self, path: str, doc: dict) -> dict:
        r = requests.post(f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def clear_faults(self) -> None:
        requests.delete(f"{self.sandbox_url}/sandbox/v1/faults", timeout=5)

    def client(self, account: dict):
        """A Binance.US client of the sandbox account ``account`` (as ``admin`` created it)."""
        import binanceus

        return binanceus.Client(account["apiKey"], account["secretKey"], base_url=self.sandbox_url)

    def celery(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "desk",
                *args,
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: one killpg takes parent and children
        )

    def start_beat(self) -> None:
        self.beat = self.celery("beat")

    def start_worker(self) -> None:
        self.worker = self.celery(
            "worker",
            *WORKER_QUEUES,
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--prefetch-multiplier",
            "1",
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def run_driver(self, script: str, arg: dict) -> None:
        """Start ``script`` in ``manage shell`` (``arg`` as its ``sys.argv[1]``), its output
        kept for :meth:`driver_report`. It is never killed: it stands for the pages."""
        script = with_arg(script, arg)
        with (self.tmp / "driver.out").open("w") as out, (self.tmp / "driver.err").open("w") as err:
            self.driver = subprocess.Popen(
                [sys.executable, "manage.py", "shell", "-c", script],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
            )

    def driver_report(self) -> dict:
        """The driver's last line (JSON); its standard error when it ended without one."""
        out = (self.tmp / "driver.out").read_text().strip().splitlines()
        err = (self.tmp / "driver.err").read_text()
        if err.strip():
            print(f"the driver's standard error (its end):\n{err[-3000:]}", file=sys.stderr)
        if self.driver.returncode != 0 or not out:
            raise SystemExit(f"the driver ended with {self.driver.returncode} and no report")
        return json.loads(out[-1])

    def close(self) -> None:
        if self.driver and self.driver.poll() is None:
            terminate(self.driver)
        for proc in (self.worker, self.beat):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
        terminate(self.sandbox)
        terminate(self.redis)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Chaos:
    """Every 0.25 s: a sandbox fault under one of ``fault_keys`` now and then (8 %), and a
    SIGKILL and restart of the worker whenever the next random kill time (``kill_every``:
    (min, max) seconds apart) has passed. Start it once the worker runs. ``by_key`` counts the
    faults injected under each key."""

    def __init__(
        self,
        stack: ChaosStack,
        seed: int,
        kill_every: tuple[float, float],
        fault_keys: Sequence[str],
    ):
        self.stack, self.rng, self.fault_keys = stack, random.Random(seed), tuple(fault_keys)
        self.kill_lo, self.kill_hi = kill_every
        self.kills = self.faults = 0
        self.by_key: collections.Counter[str] = collections.Counter()
        self.next_kill = time.monotonic() + self.rng.uniform(self.kill_lo, self.kill_hi)

    def step(self) -> None:
        time.sleep(0.25)
        if self.rng.random() < 0.08:
            self.inject_fault()
        if time.monotonic() >= self.next_kill:
            self.stack.kill_worker()
            self.kills += 1
            self.stack.start_worker()
            self.next_kill = time.monotonic() + self.rng.uniform(self.kill_lo, self.kill_hi)

    def inject_fault(self) -> None:
        mode = self.rng.choice(FAULT_MODES)
        doc = {"mode": mode, "count": self.rng.randint(1, 3)}
        if mode == "execute_then_timeout":
            doc["holdSeconds"] = 5  # longer than the client's 3 s timeout
        # A choice among one key would still draw from rng and shift every later draw.
        keys = self.fault_keys
        key = keys[0] if len(keys) == 1 else self.rng.choice(keys)
        self.stack.admin("faults", {key: doc})
        self.faults += 1
        self.by_key[key] += 1

    def until(
        self, settled: Callable[[], bool], *, deadline: float, late: str, every: float = 3
    ) -> bool:
        """Steps until ``settled()`` (asked every ``every`` s: it may be a whole ``manage``
        call) or, failing that, the monotonic ``deadline`` (saying ``late`` on standard error),
        then clears the faults not yet used up. Whether it settled."""
        next_check = time.monotonic() + every
        while True:
            self.step()
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + every
            done = settled()
            if done or time.monotonic() > deadline:
                break
        if not done:
            print(late, file=sys.stderr)
        self.stack.clear_faults()
        return done

    @classmethod
    def drive(cls, stack: ChaosStack, script: str, arg: dict, args, fault_keys) -> tuple:
        """The worker and the driver (``script`` given ``arg``) started, then killed and
        faulted until the driver is done: its report and the chaos it went through."""
        stack.start_worker()
        stack.run_driver(script, arg)
        chaos = cls(stack, args.seed, args.kill_every, fault_keys)
        chaos.until_driver(timeout=args.timeout)
        return stack.driver_report(), chaos

    def until_driver(self, *, timeout: float) -> None:
        """Steps until the stack's driver ends by itself (it stops at its own ``timeout``);
        one that hangs past that by two minutes is stopped."""
        driver = self.stack.driver
        if not self.until(
            lambda: driver.poll() is not None,
            every=0,
            deadline=time.monotonic() + timeout + 120,
            late="the driver did not stop by itself",
        ):
            terminate(driver)
