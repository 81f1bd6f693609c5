"""bench/topology.py, small: the whole scaled-out desk (nginx, 2 daphne, 2 fan-out, 2 workers,
2 beats, 3 stream processes, PostgreSQL, Redis) through a SIGKILL of each kind of process and
a Redis restart, with orders, scheduled transfers and open sockets throughout: nothing held
twice, every item held again, no order or transfer duplicated or lost, every socket that lost
its server live again, and every order shown on its page's socket, the Redis restart's
included. The run starts when collection ends (tests/early.py)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests import early

ARGS = (
    "--users", "3", "--connections-per-user", "2", "--traded", "4", "--transfer-users", "2",
    "--transfers", "10", "--symbols", "3", "--book-sockets", "6", "--order-rate", "3",
    "--seconds", "30", "--timeout", "40",
)  # fmt: skip
JOB = early.Job.of(400, topology=early.Bench("bench/topology.py", ARGS))
pytestmark = pytest.mark.early_run(JOB)


@pytest.fixture(scope="module")
def run() -> subprocess.CompletedProcess:
    return early.result(JOB)["topology"]


def _line(run, start: str) -> str:
    return next(line for line in run.stdout.splitlines() if line.startswith(start))


def test_it_ends_with_no_correctness_failure(run):
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "settled: yes" in run.stdout


def test_no_stream_item_is_held_twice_and_every_one_is_taken_over(run):
    assert "held twice: 0 item-samples" in run.stdout
    for event in ("SIGKILL stream-0", "Redis restarted"):
        assert re.match(rf"{event} +\d+\.\d s\b", _line(run, event)), run.stdout


def test_no_order_or_transfer_is_duplicated_or_lost(run):
    orders = _line(run, "orders:")
    assert int(re.search(r"orders: (\d+) rows", orders).group(1)) > 0
    assert "duplicated 0, lost 0, wrongly failed 0" in orders
    assert _line(run, "transfers:") == ("transfers: 10 planned, 10 executed; duplicated 0, lost 0")


def test_every_dropped_socket_comes_back_live(run):
    book = _line(run, "book sockets:")
    dropped, back = re.search(r"sockets dropped (\d+), live again after (\d+)", book).groups()
    assert int(dropped) > 0 and back == dropped  # the fan-out kill dropped some


def test_every_order_reaches_its_page_through_the_redis_restart(run):
    """Pushed on the open socket, or read again by a page that reconnected (the channel layer
    closes daphne's sockets once it subscribed again after the restart, desk.layers)."""
    user_data = _line(run, "user-data sockets:")
    pushed = int(re.search(r"orders pushed (\d+)", user_data).group(1))
    assert pushed > 0 and "never learned of 0" in user_data, user_data
