"""Bench runs that tests read, started as soon as collection ends and run one after another in a
thread of their own while the rest of the suite goes on.

Five tests each drive a bench script (tests/bench, and the custody, transfers and convert chaos
tests): whole stacks of processes for 35-140 s each, mostly waiting for workers to be killed,
for schedules spread over a minute, for leases to run out. Run in turn they took 300-440 s of a
1830-1930 s suite, whose in-process tests meanwhile kept one of the machine's two cores busy
(and left the other idle). Started early, CI took 1468 s. A test
marked ``early_run(job)`` is sorted last (tests/conftest.py) and waits for its job's result; a
job not started yet when its test asks (a run of that one test) is run there and then.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from tests.support import ROOT

# Past its timeout a bench is interrupted (SIGINT: Python's KeyboardInterrupt, so the bench's
# own ``finally`` tears its stack down), then killed.
_STOP_GRACE = 15


@dataclass(frozen=True)
class Bench:
    """A bench script (its path from the repository's root) with its arguments and any
    environment of its own."""

    script: str
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    def argv(self) -> list[str]:
        return [sys.executable, self.script, *self.args]


@dataclass(frozen=True)
class Job:
    """Benches run at the same moment, each answered as a ``CompletedProcess`` by its name."""

    benches: tuple[tuple[str, Bench], ...]
    timeout: float  # for all of them together

    @classmethod
    def of(cls, timeout: float, **benches: Bench) -> Job:
        return cls(tuple(benches.items()), timeout)


class _Runner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._results: dict[Job, Future] = {}
        self._live: set[subprocess.Popen] = set()
        self._stopped = False
        self._env = dict(os.environ)

    def start(self, jobs: list[Job]) -> None:
        with self._lock:
            # The suite's environment as collection left it: a test that sets a variable for
            # a moment must not hand it to a bench starting in that moment.
            self._env = dict(os.environ)
            self._queue = [job for job in dict.fromkeys(jobs) if job not in self._results]
        if self._queue:
            threading.Thread(target=self._work, name="early-runs", daemon=True).start()

    def result(self, job: Job) -> dict[str, subprocess.CompletedProcess]:
        with self._lock:
            future = self._results.get(job)
            unclaimed = future is None
            if unclaimed:
                future = self._claim(job)
        if unclaimed:
            self._run(job, future)
        return future.result()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._queue.clear()
            live = list(self._live)
        for proc in live:
            _stop(proc)

    def _claim(self, job: Job) -> Future:
        if job in self._queue:
            self._queue.remove(job)
        future: Future = Future()
        self._results[job] = future
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._stopped or not self._queue:
                    return
                job = self._queue[0]
                future = self._claim(job)
            self._run(job, future)

    def _run(self, job: Job, future: Future) -> None:
        try:
            future.set_result(self._run_benches(job))
        except BaseException as exc:  # the test reading it fails with it
            future.set_exception(exc)

    def _run_benches(self, job: Job) -> dict[str, subprocess.CompletedProcess]:
        deadline = time.monotonic() + job.timeout
        with tempfile.TemporaryDirectory(prefix="desk-early-") as tmp:
            procs: dict[str, subprocess.Popen] = {}
            try:
                for name, bench in job.benches:  # those started stopped if a later one fails
                    procs[name] = self._popen(bench, f"{tmp}/{name}")
                return {
                    name: _finish(proc, deadline, f"{tmp}/{name}") for name, proc in procs.items()
                }
            finally:
                for proc in procs.values():
                    _stop(proc)
                    with self._lock:
                        self._live.discard(proc)

    def _popen(self, bench: Bench, out: str) -> subprocess.Popen:
        # Output to files, not pipes: benches of one job are waited for one at a time, and a
        # full pipe would hold up the ones not read yet.
        with self._lock, open(f"{out}.out", "w") as stdout, open(f"{out}.err", "w") as stderr:
            if self._stopped:
                raise RuntimeError("the test session ended before this bench started")
            proc = subprocess.Popen(
                bench.argv(),
                cwd=ROOT,
                env={**self._env, **dict(bench.env)},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
            self._live.add(proc)
        return proc


def _finish(proc: subprocess.Popen, deadline: float, out: str) -> subprocess.CompletedProcess:
    late = ""
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _stop(proc)
        late = "\n[tests.early: stopped at its job's timeout]"
    with open(f"{out}.out") as stdout, open(f"{out}.err") as stderr:
        return subprocess.CompletedProcess(
            proc.args, proc.returncode, stdout.read(), stderr.read() + late
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


runner = _Runner()


def job_of(item) -> Job | None:
    marker = item.get_closest_marker("early_run")
    return marker.args[0] if marker else None


def result(job: Job) -> dict[str, subprocess.CompletedProcess]:
    return runner.result(job)
