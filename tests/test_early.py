"""tests/early.py: bench runs started before their tests ask, with tiny scripts as benches."""

from __future__ import annotations

import textwrap

from tests.early import Bench, Job, _Runner
from tests.support import until


def _script(tmp_path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def _marks_then_waits(tmp_path, name: str, wait_for: str) -> Bench:
    """Writes its mark, then waits (at most 20 s) for another file; exits 0 if it came."""
    script = _script(
        tmp_path,
        name,
        f"""
        import pathlib, sys, time
        pathlib.Path({str(tmp_path / name)!r}).touch()
        deadline = time.monotonic() + 20
        while not pathlib.Path({str(tmp_path / wait_for)!r}).exists():
            if time.monotonic() > deadline:
                sys.exit(3)
            time.sleep(0.01)
        print("{name} done")
        """,
    )
    return Bench(script, ())


def test_a_job_runs_before_its_test_asks_and_its_benches_run_at_once(tmp_path):
    # Each bench waits for the other's mark: both finish only if they ran side by side.
    job = Job.of(
        30, a=_marks_then_waits(tmp_path, "a", "b"), b=_marks_then_waits(tmp_path, "b", "a")
    )
    runner = _Runner()
    runner.start([job])
    until(lambda: (tmp_path / "a").exists() and (tmp_path / "b").exists(), timeout=20)
    runs = runner.result(job)
    assert [runs["a"].returncode, runs["b"].returncode] == [0, 0]
    assert (runs["a"].stdout, runs["b"].stdout) == ("a done\n", "b done\n")


def test_a_job_asked_for_before_it_started_runs_where_it_is_asked(tmp_path):
    job = Job.of(30, only=Bench(_script(tmp_path, "hi", "print('hi')"), ()))
    first = _marks_then_waits(tmp_path, "first", "never")
    runner = _Runner()
    runner.start([Job.of(30, first=first), job])  # the thread is busy with the first job
    until(lambda: (tmp_path / "first").exists(), timeout=20)
    assert runner.result(job)["only"].stdout == "hi\n"
    runner.stop()


def test_a_bench_past_its_timeout_is_interrupted_and_cleans_up(tmp_path):
    cleaned = tmp_path / "cleaned"
    script = _script(
        tmp_path,
        "hangs",
        f"""
        import pathlib, time
        try:
            print("started", flush=True)
            time.sleep(600)
        finally:
            pathlib.Path({str(cleaned)!r}).touch()
        """,
    )
    job = Job.of(3, hangs=Bench(script, ()))
    run = _Runner().result(job)["hangs"]
    assert run.returncode != 0
    assert run.stdout == "started\n"
    assert "stopped at its job's timeout" in run.stderr
    assert cleaned.exists()  # SIGINT, not SIGKILL: the bench's own finally ran


def test_a_bench_gets_the_environment_collection_left_and_its_own(tmp_path, monkeypatch):
    script = _script(tmp_path, "env", "import os; print(os.environ['A'], os.environ['B'])")
    job = Job.of(30, env=Bench(script, (), env=(("B", "own"),)))
    monkeypatch.setenv("A", "suite")
    runner = _Runner()
    runner.start([])
    monkeypatch.setenv("A", "set by a test later")
    assert runner.result(job)["env"].stdout == "suite own\n"


def test_stopping_the_session_ends_a_running_job(tmp_path):
    job = Job.of(60, waits=_marks_then_waits(tmp_path, "waits", "never"))
    runner = _Runner()
    runner.start([job])
    until(lambda: (tmp_path / "waits").exists(), timeout=20)
    runner.stop()
    assert runner.result(job)["waits"].returncode != 0
