"""The order and stream benches run end to end with tiny sizes and report no correctness failure.

They run at once (each starts its own sandbox, redis-server and desk processes on free loopback
ports), so they take about as long as the slowest, and they start when collection ends
(tests/early.py). bench/order_latency.py (and bench/latency_ab.py, two of its stacks) is left
out: starting its whole stack and Chromium alone takes ~20 s, and tests/e2e already checks that
a placed order's row appears on the market page; so is bench/page_cpu.py (the same stack), whose
point, a page that draws nothing between updates, tests/e2e/test_market_page.py checks."""

from __future__ import annotations

import re

import pytest

from tests import early
from tests.early import Bench

_CHAOS = (
    "--orders", "24", "--rate", "24", "--switch", "0.25", "--lag", "1", "--timeout", "1",
    "--stale", "3", "--grace", "4", "--sweep", "1", "--rejected", "0.25",
)  # fmt: skip
JOB = early.Job.of(
    100,
    order_chaos=Bench("bench/order_chaos.py", _CHAOS),
    # Over the WebSocket API, whose faults add sockets dropped after the order executed.
    order_chaos_ws=Bench("bench/order_chaos.py", (*_CHAOS, "--transport", "ws")),
    # Two stream processes share 4 symbols and 3 connections through a SIGKILL, a join and a
    # Redis restart: nothing followed twice, everything followed again.
    stream_failover=Bench("bench/stream_failover.py", (
        "--processes", "2", "--connections", "3", "--symbols", "4", "--timeout", "40",
    )),
    clock_and_limits=Bench("bench/clock_and_limits.py", (
        "--calls", "3", "--flips", "1", "--processes", "3", "--rounds", "1",
        "--window-ms", "2500",
    )),
)  # fmt: skip
pytestmark = pytest.mark.early_run(JOB)


@pytest.fixture(scope="module")
def bench_runs():
    return early.result(JOB)


def test_it_finds_no_duplicate_lost_or_wrongly_failed_order_under_faults(bench_runs):
    run = bench_runs["order_chaos"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "duplicates: 0 · wrongly failed: 0 · lost: 0" in run.stdout
    assert "same set: yes" in run.stdout


def test_it_finds_none_over_the_websocket_api_with_sockets_dropped_mid_order(bench_runs):
    run = bench_runs["order_chaos_ws"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "socket drops mid-order (wsApi execute_then_drop) in" in run.stdout
    assert "sent over: ws" in run.stdout
    assert "duplicates: 0 · wrongly failed: 0 · lost: 0" in run.stdout
    assert "same set: yes" in run.stdout


def test_it_keeps_minus_1021_and_requests_inside_retry_after_from_happening(bench_runs):
    run = bench_runs["clock_and_limits"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "-1021 errors reaching the caller:  0" in run.stdout
    assert "inside-window requests 0 (must be 0) · 418s 0 (must be 0)" in run.stdout


def test_stream_processes_never_follow_an_item_twice_and_take_over_every_item(bench_runs):
    run = bench_runs["stream_failover"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "held twice: 0 item-samples" in run.stdout
    for phase in ("SIGKILL one process", "one more process joins", "Redis restarted"):
        line = next(line for line in run.stdout.splitlines() if line.startswith(phase))
        assert re.match(rf"{phase} +\d+\.\d s\b", line), line
