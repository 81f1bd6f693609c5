"""The exactly-once claim for OTC and dust conversions under real crashes: a Celery worker
SIGKILLed again and again while OTC orders are placed from quotes and dust is converted on
several accounts, and the sandbox injects faults (bench/convert_chaos.py, small scale, started
when collection ends: tests/early.py)."""

import pytest

from tests import early

N = {"OTC conversion": 20, "dust conversion": 8}
JOB = early.Job.of(
    580,
    convert_chaos=early.Bench(
        "bench/convert_chaos.py",
        (
            "--otc", str(N["OTC conversion"]), "--dust", str(N["dust conversion"]),
            "--dust-accounts", "4", "--kill-every", "1.5,4", "--seed", "11",
        ),
    ),
)  # fmt: skip
pytestmark = pytest.mark.early_run(JOB)


@pytest.mark.timeout(600)
def test_it_converts_each_otc_and_dust_conversion_exactly_once_through_kills_and_faults():
    result = early.result(JOB)["convert_chaos"]
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    kills = int(out.split("worker SIGKILLs: ")[1].split(" ")[0])
    assert kills >= 3, out  # the run really was violent
    lines = dict(line.split(": ", 1) for line in out.splitlines() if line.startswith(tuple(N)))
    for kind, n in N.items():
        assert "duplicates 0 · lost 0 · wrongly failed 0" in lines[kind], out
        assert asked(lines[kind]) - refused(lines[kind]) == n, out
    assert "duplicates: 0 · lost: 0 · wrongly failed: 0 · done but unlike" in out, out
    assert "done but unlike the exchange's record: 0" in out, out


def asked(line: str) -> int:
    return int(line.split("asked ")[1].split(" ")[0])


def refused(line: str) -> int:
    return int(line.split("refused before sending ")[1].split(" ")[0])
