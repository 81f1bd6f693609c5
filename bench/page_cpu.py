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

SETTLE_SECONDS = 3.0


class PageCpu(CpuMeter):
    """bench/order_latency.py's meter, with Chromium's processes told apart by kind."""

    def _group(self, pid: int, parents: dict[int, int]) -> str | None:
        group = super()._group(pid, parents)
        return f"chromium {chromium_kind(pid)}" if group == "Chromium" else group


def chromium_kind(pid: int) -> str:
    """browser, renderer, gpu-process, utility or zygote. Chromium rewrites its children's
    command lines into one string, so it is split on spaces too."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:  # ended meanwhile
        return "browser"
    kinds = [w.split(b"=", 1)[1].decode() for w in words if w.startswith(b"--type=")]
    return kinds[0] if kinds else "browser"


def one_round(stack: Stack, seconds: float) -> dict[str, float]:
    """CPU ms per second over ``seconds``: Chromium's processes by kind, then the stack's."""
    with PageCpu(stack) as meter:
        time.sleep(seconds)
    used = meter.per_order_ms(1)
    return {name: ms / seconds for name, ms in used.items() if name not in ("Chromium", "bench")}


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
