"""The exactly-once claim for custodian and credit-line transfers under real crashes: a Celery
worker SIGKILLed again and again while transfers, undos and credit-line transfers are sent and
the sandbox injects faults (bench/custody_chaos.py, small scale, started when collection ends:
tests/early.py)."""

import pytest

from tests import early

N = 10
JOB = early.Job.of(
    580,
    custody_chaos=early.Bench(
        "bench/custody_chaos.py",
        ("--n", str(N), "--lines", "2", "--kill-every", "1,2.5", "--seed", "11"),
    ),
)
pytestmark = pytest.mark.early_run(JOB)


@pytest.mark.timeout(600)
def test_it_moves_each_custody_and_credit_line_transfer_exactly_once_through_kills_and_faults():
    result = early.result(JOB)["custody_chaos"]
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    kills = int(out.split("worker SIGKILLs: ")[1].split(" ")[0])
    assert kills >= 2, out  # the run really was violent (a quick run lasts ~11 s: two kills)
    lines = dict(line.split(": ", 1) for line in out.splitlines() if line.startswith(KINDS))
    for kind in KINDS:
        assert "duplicates 0 · lost 0 · wrongly failed 0" in lines[kind], out
    for kind in ("wallet → custodial", "partner → custodial"):
        assert asked(lines[kind]) - refused(lines[kind]) == N, out
    credit = sum(asked(lines[k]) - refused(lines[k]) for k in ("credit line in", "credit line out"))
    assert credit == N, out
    assert asked(lines["undo of a partner transfer"]) >= 1, out
    assert "duplicates: 0 · lost: 0 · wrongly failed: 0" in out, out


KINDS = (
    "wallet → custodial",
    "partner → custodial",
    "undo of a partner transfer",
    "credit line in",
    "credit line out",
)


def asked(line: str) -> int:
    return int(line.split("asked ")[1].split(" ")[0])


def refused(line: str) -> int:
    return int(line.split("refused before sending ")[1].split(" ")[0])
