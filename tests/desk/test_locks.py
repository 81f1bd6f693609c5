"""desk.locks against the session's Redis: one holder at a time, kept while its holder lives
however long it takes, let go soon after a holder killed mid-way (as a SIGKILLed worker)."""

import json
import os
import signal
import subprocess
import sys
import time

from django.conf import settings

from desk import locks
from tests.support import ROOT

KEY = "desk:test:sync-lock:1"


def test_a_second_holder_is_refused_while_the_first_holds_it_and_let_in_after():
    with locks.held(KEY) as first:
        assert first
        with locks.held(KEY) as second:
            assert not second
    with locks.held(KEY) as third:
        assert third


def test_a_live_holder_keeps_it_past_its_lease_however_long_the_body_takes():
    lease = 1
    with locks.held(KEY, seconds=lease) as mine:
        assert mine
        until = time.monotonic() + 4 * lease
        while time.monotonic() < until:  # four leases' time: renewed, never lapsed
            with locks.held(KEY, seconds=lease) as other:
                assert not other
            time.sleep(0.05)
    with locks.held(KEY, seconds=lease) as after:
        assert after


def test_a_holder_killed_mid_way_lets_go_within_its_lease():
    lease = 1
    holder = _holder(lease)
    try:
        assert _said(holder) == "held"
        with locks.held(KEY, seconds=lease) as other:
            assert not other
        os.kill(holder.pid, signal.SIGKILL)  # no finally of its own runs
        holder.wait(timeout=10)
        killed = time.monotonic()
        while not _free():
            # A lock held for a fixed time longer than any body would still be held here.
            assert time.monotonic() - killed < 10 * lease, "still held by a dead holder"
            time.sleep(0.05)
    finally:
        if holder.poll() is None:
            holder.kill()


def _free() -> bool:
    with locks.held(KEY) as mine:
        return mine


def _said(holder: subprocess.Popen) -> str:
    """The holder's word on the lock (after whatever ``manage shell`` prints first)."""
    for line in holder.stdout:
        if line.strip() in ("held", "refused"):
            return line.strip()
    return "nothing"


def _holder(lease: int) -> subprocess.Popen:
    """Another process (``manage shell``, on this test's cache) that takes the lock and keeps
    it until it is killed."""
    script = f"""
import json, time
from django.test import override_settings
with override_settings(CACHES=json.loads({json.dumps(settings.CACHES)!r})):
    from desk import locks
    with locks.held({KEY!r}, seconds={lease}) as mine:
        print("held" if mine else "refused", flush=True)
        time.sleep(600)
"""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "desk.settings"},
    )
