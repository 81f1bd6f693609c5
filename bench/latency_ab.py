"""Order latency of two checkouts, paired: each order on one followed by one on the other.

    .venv/bin/python bench/latency_ab.py A_DIR B_DIR [--orders 200] [--transport ws]

Runs, at the same time, the whole stack of each checkout as ``bench/order_latency.py`` starts it
(each checkout's own ``Stack``, page and one-order step: a checkout older than this script is
measured by its own bench), each with a Chromium logged in on its market page. Orders then
alternate between the two (which one goes first alternates too), so the two are measured on a
machine in the same state: on this one the same code moved ±4 ms between runs minutes apart,
more than most changes it was meant to tell apart.

Prints, per checkout, p50 / p90 of HTTP submit → row rendered, HTTP submit → HTTP answer and
cancel submit → row removed, then for each the median of the paired differences (B − A) and in
how many pairs B was the faster.
Both stacks idle between their orders, but their live market data keeps going: figures are
higher than one stack alone measures, and are for comparing the two, not for the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

WARMUP = 5


def worker(root: str, transport: str, symbol: str) -> None:
    """One checkout's stack and page; runs one order per "go <coid>" line read, answers JSON."""
    from decimal import Decimal

    sys.path[:0] = [root, str(Path(root) / "bench")]
    import order_latency as ol
    from playwright.sync_api import sync_playwright

    stack = ol.Stack()
    try:
        price = (ol.avg_price(stack, symbol) * 90 / 100).quantize(Decimal("0.01"))
        fields = {
            "symbol": symbol,
            "side": "BUY",
            "type": "LIMIT",
            "time_in_force": "GTC",
            "price": str(price),
            "quantity": "0.001",
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=ol.CHROMIUM, args=ol.CHROMIUM_ARGS)
            page = ol.open_market(browser, stack, symbol)
            ids = ol.page_setup(page)
            ol.use_transport(page, ids, transport)
            for i in range(WARMUP):
                ol.one_order(page, ids, fields, f"ab-warm-{i}", None)
            print("ready", flush=True)
            for line in sys.stdin:
                figures = ol.Figures(transport=transport)
                ol.one_order(page, ids, fields, line.split()[1], figures)
                row = {
                    "rendered": figures.rendered,
                    "answered": figures.answered,
                    "removed": figures.removed,
                }
                print(json.dumps({**row, "problems": figures.problems}), flush=True)
            browser.close()
    finally:
        stack.close()


class Side:
    def __init__(self, name: str, root: Path, args) -> None:
        self.name, self.root = name, root
        # A checkout's own virtualenv where it has one: a change of dependencies is measured too.
        own = root / ".venv" / "bin" / "python"
        python = str(own) if own.exists() else sys.executable
        cmd = [python, __file__, "--worker", str(root), "--transport", args.transport]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root
        )
        self.rendered: list[float] = []
        self.answered: list[float] = []
        self.removed: list[float] = []

    def ready(self) -> None:
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"{self.name} ({self.root}) did not start: {line!r}")

    def order(self, coid: str) -> None:
        self.proc.stdin.write(f"go {coid}\n")
        self.proc.stdin.flush()
        got = json.loads(self.proc.stdout.readline())
        if got["problems"] or not got["rendered"]:
            raise SystemExit(f"{self.name}: {got['problems'] or 'no row'}")
        self.rendered += got["rendered"]
        self.answered += got["answered"]
        self.removed += got["removed"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def report(a: Side, b: Side) -> None:
    # This checkout's bench (imported here only: a worker imports its own checkout's).
    sys.path.insert(0, str(Path(__file__).parent))
    from order_latency import percentile as p

    for side in (a, b):
        print(
            f"{side.name} {side.root}: submit → row rendered p50 {p(side.rendered, 50):.1f} "
            f"p90 {p(side.rendered, 90):.1f} · submit → HTTP answer p50 {p(side.answered, 50):.1f} "
            f"p90 {p(side.answered, 90):.1f} · cancel → row removed p50 "
            f"{p(side.removed, 50):.1f} p90 {p(side.removed, 90):.1f} ms"
        )
    for what in ("rendered", "answered", "removed"):
        pairs = list(zip(getattr(a, what), getattr(b, what), strict=True))
        diffs = [y - x for x, y in pairs]
        faster = sum(d < 0 for d in diffs)
        print(
            f"B − A, {what}: median of {len(pairs)} paired differences "
            f"{statistics.median(diffs):+.1f} ms; B faster in {faster} ({faster / len(pairs):.0%})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path, nargs="?")
    parser.add_argument("b", type=Path, nargs="?")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--transport", choices=["ws", "rest"], default="ws")
    parser.add_argument("--symbol", default="BTCUSD")
    parser.add_argument("--gap-ms", type=float, default=0, help="pause before each order")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.transport, args.symbol)
    if args.a is None or args.b is None:
        parser.error("two checkouts to compare: A_DIR B_DIR")
    a, b = Side("A", args.a.resolve(), args), Side("B", args.b.resolve(), args)
    try:
        a.ready()
        b.ready()
        for i in range(args.orders):
            first, second = (a, b) if i % 2 == 0 else (b, a)
            for side in (first, second):
                time.sleep(args.gap_ms / 1000)
                side.order(f"ab-{side.name}-{i:05d}")
    finally:
        a.close()
        b.close()
    report(a, b)


if __name__ == "__main__":
    main()
