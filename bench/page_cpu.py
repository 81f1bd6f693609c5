"""What an open page costs the machine while nobody touches it: CPU per second, by process.

    .venv/bin/python bench/page_cpu.py [--path /market/BTCUSD/] [--seconds 10] [--rounds 3]

Starts the whole product as bench/order_latency.py does (sandbox with its live market, daphne,
worker, beat, stream process, fan-out), opens the page in Chromium as the demo user, lets it
settle, then reads each process's CPU time from /proc over ``--seconds``, ``--rounds`` times.
Prints, per round and as medians, the CPU milliseconds per second of each of Chromium's
processes by kind (browser, renderer, gpu-process, utility) and of the stack's processes. A
page that redraws when nothing it shows has changed is seen in the renderer and gpu-process
figures; the stack's figures are what the market data costs whoever watches it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from order_latency import CpuMeter, Stack  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, login  # noqa: E402
from tests.support import proc_stat  # noqa: E402

SETTLE_SECONDS = 3.0


def chromium_kind(pid: int) -> str | None:
    """browser, renderer, gpu-process, utility or zygote; None if not Chromium. Chromium
    rewrites its children's command lines into one string, so it is split on spaces too."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return None
    if not words or not words[0].endswith(b"chromium"):
        return None
    for word in words:
        if word.startswith(b"--type="):
            return word.split(b"=", 1)[1].decode()
    return "browser"


def chromium_seconds() -> dict[int, tuple[str, float]]:
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        kind = chromium_kind(pid)
        if kind is None:
            continue
        try:
            out[pid] = (kind, proc_stat(pid)[1])
        except OSError:  # ended meanwhile
            continue
    return out


def one_round(stack: Stack, seconds: float) -> dict[str, float]:
    """CPU ms per second over ``seconds``: Chromium's processes by kind, then the stack's."""
    before = chromium_seconds()
    with CpuMeter(stack) as meter:
        time.sleep(seconds)
    after = chromium_seconds()
    used: dict[str, float] = {}
    for pid, (kind, spent) in after.items():
        start = before.get(pid, (kind, 0.0))[1]
        used[f"chromium {kind}"] = used.get(f"chromium {kind}", 0.0) + (spent - start) * 1000
    for name, ms in meter.per_order_ms(1).items():
        if name not in ("Chromium", "bench"):
            used[name] = ms
    return {name: ms / seconds for name, ms in used.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default="/market/BTCUSD/")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing; `make test` installs Debian's chromium")
    stack = Stack()
    rounds = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(base_url=stack.url).new_page()
            login(page)
            page.goto(args.path)
            page.wait_for_load_state("load")
            time.sleep(SETTLE_SECONDS)
            for _ in range(args.rounds):
                rounds.append(one_round(stack, args.seconds))
            browser.close()
    finally:
        stack.close()
    report(args, rounds)


def report(args, rounds: list[dict[str, float]]) -> None:
    names = sorted({n for r in rounds for n in r}, key=lambda n: (not n.startswith("chromium"), n))
    print(f"{args.path}: CPU ms per second, {args.rounds} × {args.seconds:g} s, page left alone")
    print(f"{'process':28}" + "".join(f"{i + 1:>8}" for i in range(len(rounds))) + "  median")
    for name in names:
        values = [r.get(name, 0.0) for r in rounds]
        cells = "".join(f"{v:8.1f}" for v in values)
        print(f"{name:28}{cells}{statistics.median(values):8.1f}")
    chromium = [sum(v for n, v in r.items() if n.startswith("chromium")) for r in rounds]
    print(f"{'chromium, all':28}" + "".join(f"{v:8.1f}" for v in chromium), end="")
    print(f"{statistics.median(chromium):8.1f}")


if __name__ == "__main__":
    main()
