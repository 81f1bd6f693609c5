"""Order latency in the browser: an order submitted on the market page → its row rendered.

    .venv/bin/python bench/order_latency.py [--orders 200] [--warmup 5] [--symbol BTCUSD]
        [--transport ws rest]

Starts the whole product as `make run` does — the sandbox with the demo bootstrap, daphne, a
Celery worker and beat, the stream process and the fan-out server — over a private redis-server
and SQLite file (the same start sequence as tests/e2e/conftest.py), logs Chromium in as the
demo user on /market/<symbol>/, then for each order, inside the page:

- posts a resting LIMIT BUY (``--below`` % under the average price, so it never fills) to the
  ticket's own place URL with the page's fetch, the ticket's fields and CSRF token, timed with
  performance.now(); the HTTP answer is deliberately *not* used to draw the row, so the row
  that appears is the one the connection's live socket pushed (what every other open page of
  the user sees);
- a MutationObserver on the open-orders table notes when the row with that client order id
  is in the DOM;
- cancels the order through the page's cancel URL and waits for the row to go (so the table
  stays the same size, and the sandbox's MAX_NUM_ORDERS is never reached).

``--transport`` names the ways orders go, measured one after the other in the same run (both
by default): ``ws`` over the demo connection's WebSocket API session (held by the stream
process), ``rest`` over REST, each set as the demo user's preference on the orders page's
own form. Every answer must say it went the way measured.

``--without-stream`` leaves the stream process out: the row can then only come from the push
the place view makes when it stores the exchange's answer, not from the executionReport — and
the page gets no live book or trades either (the same process carries market data), so the
difference between the two runs is not the executionReport's alone.

Prints, per transport, p50 / p90 / p99 / max (ms) of: HTTP submit → row rendered; exchange
transactTime → row rendered (both clocks are this host's: the sandbox runs with no skew); HTTP
submit → HTTP answer; cancel submit → row removed; and the CPU time each process of the run used
per measured order (place and cancel), which says where the two cores go. Exits 1 if an order was
not placed, its row never appeared, or a cancel did not remove it; the p50 target
(``--target-ms``) is reported, not enforced.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, login  # noqa: E402
from tests.support import (  # noqa: E402
    AS_DEPLOYED_OVER_HTTP,
    WORKER_QUEUES,
    app_env,
    free_port,
    manage,
    proc_stat,
    start_redis,
    start_sandbox,
    terminate,
    wait_for,
)

# One order, timed inside the page. Resolves when the row is in the DOM (or after `wait` ms).
PLACE = """
async ({url, csrf, fields, coid, wait}) => {
  const rows = document.getElementById("open-order-rows");
  const find = () => rows.querySelector(`tr[data-client-order-id="${coid}"]`);
  const seen = new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      if (find()) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(rows, {childList: true, subtree: true});
    setTimeout(() => { obs.disconnect(); resolve(null); }, wait);
  });
  const t0 = performance.now();
  const resp = await fetch(url, {
    method: "POST",
    body: new URLSearchParams({...fields, client_order_id: coid}),
    credentials: "same-origin",
    headers: {"X-CSRFToken": csrf, Accept: "application/json"},
  });
  const answered = performance.now();
  const doc = await resp.json();
  const rendered = await seen;
  return {origin: performance.timeOrigin, t0, answered, rendered, doc};
}
"""

# Cancel one order (by the desk's row id) and resolve when its row has left the table.
CANCEL = """
async ({url, csrf, coid, wait}) => {
  const rows = document.getElementById("open-order-rows");
  const find = () => rows.querySelector(`tr[data-client-order-id="${coid}"]`);
  const gone = new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      if (!find()) { obs.disconnect(); resolve(performance.now()); }
    });
    obs.observe(rows, {childList: true, subtree: true});
    setTimeout(() => { obs.disconnect(); resolve(null); }, wait);
  });
  const t0 = performance.now();
  const resp = await fetch(url, {
    method: "POST", body: new URLSearchParams({}), credentials: "same-origin",
    headers: {"X-CSRFToken": csrf, Accept: "application/json"},
  });
  const doc = await resp.json();
  const removed = find() ? await gone : performance.now();
  return {t0, removed, doc};
}
"""


class Stack:
    """sandbox · daphne · worker · beat · stream process · fan-out, as tests/e2e starts them."""

    def __init__(self, *, stream: bool = True, debug: bool = False) -> None:
        self.stream = stream
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-latency-"))
        self.procs: list[subprocess.Popen] = []
        self.names: dict[int, str] = {}  # pid → what it is, for the CPU figures
        redis, redis_url = start_redis(self.tmp)
        self.procs.append(redis)
        self.names[redis.pid] = "redis"
        self.env = app_env(
            DESK_VAR_DIR=str(self.tmp),
            DATABASE_URL=f"sqlite:///{self.tmp / 'desk.sqlite3'}",
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            LOG_LEVEL="WARNING",
            **({} if debug else AS_DEPLOYED_OVER_HTTP),
        )
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        bootstrap = self.tmp / "sandbox-bootstrap.json"
        manage(self.env, "migrate", "--noinput")
        manage(self.env, "seed_demo", "--bootstrap", str(bootstrap))
        sandbox, self.sandbox_url = start_sandbox("--bootstrap", str(bootstrap), seed=7)
        self.procs.append(sandbox)
        self.names[sandbox.pid] = "sandbox"
        self.env["SANDBOX_REST_URL"] = self.sandbox_url
        self.env["SANDBOX_WS_URL"] = self.sandbox_url.replace("http://", "ws://")
        port, fanout_port = free_port(), free_port()
        self.env["DESK_FANOUT_PORT"] = str(fanout_port)
        self.url = f"http://127.0.0.1:{port}"
        self._start(port, fanout_port)

    def _start(self, port: int, fanout_port: int) -> None:
        bin_dir = Path(sys.executable).parent
        celery = [str(bin_dir / "celery"), "-A", "desk"]
        commands = {
            "web": [
                str(bin_dir / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "desk.asgi:application",
            ],
            "worker": [
                *celery,
                "worker",
                *WORKER_QUEUES,
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": [*celery, "beat"],
            "stream": [sys.executable, "manage.py", "runstreams"],
            "fanout": [sys.executable, "manage.py", "runfanout", "--port", str(fanout_port)],
        }
        if not self.stream:
            del commands["stream"]
        for name, cmd in commands.items():
            out = (self.tmp / f"{name}.log").open("w")
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
            self.procs.append(proc)
            self.names[proc.pid] = name
        wait_for(
            lambda: requests.get(f"{self.url}/login/", timeout=1).ok, timeout=30, what="daphne"
        )

    def close(self) -> None:
        for proc in reversed(self.procs):
            terminate(proc)
        shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class Figures:
    transport: str = "ws"
    rendered: list[float] = field(default_factory=list)  # HTTP submit → row in the DOM
    from_exchange: list[float] = field(default_factory=list)  # transactTime → row in the DOM
    answered: list[float] = field(default_factory=list)  # HTTP submit → HTTP answer
    removed: list[float] = field(default_factory=list)  # cancel submit → row gone
    problems: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU ms per measured order, by process


class CpuMeter:
    """CPU time of every process of the run, by what it is: the stack's (and their children, as
    Celery's pool), Chromium's, and this script with Playwright's driver. Per order it includes
    what goes on whatever the orders (the page's live book and trades, their fan-out), so it is
    higher when the orders are slower: it says where the cores go, not what one order costs."""

    GROUPS = ("web", "stream", "sandbox", "redis", "worker", "beat", "fanout", "Chromium", "bench")

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.start: dict[int, tuple[str, float]] = {}

    def __enter__(self) -> CpuMeter:
        self.start = self._now()
        return self

    def __exit__(self, *exc) -> None:
        self.end = self._now()

    def per_order_ms(self, orders: int) -> dict[str, float]:
        used = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, seconds) in self.end.items():
            before = self.start.get(pid, (group, 0.0))[1]
            used[group] = used.get(group, 0.0) + (seconds - before) * 1000 / orders
        return used

    def _now(self) -> dict[int, tuple[str, float]]:
        parents, seconds = {}, {}
        for pid in (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()):
            try:
                parents[pid], seconds[pid] = proc_stat(pid)
            except OSError:  # ended meanwhile
                continue
        groups = {}
        for pid in seconds:
            group = self._group(pid, parents)
            if group is not None:
                groups[pid] = (group, seconds[pid])
        return groups

    def _group(self, pid: int, parents: dict[int, int]) -> str | None:
        me, chain = os.getpid(), pid
        while chain and chain != me:
            if chain in self.stack.names:
                return self.stack.names[chain]
            chain = parents.get(chain, 0)
        if chain != me:
            return None  # not this run's
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return "Chromium" if b"chromium" in command else "bench"


def avg_price(stack: Stack, symbol: str) -> Decimal:
    doc = requests.get(
        f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": symbol}, timeout=5
    ).json()
    return Decimal(doc["price"])


def open_market(browser, stack: Stack, symbol: str):
    context = browser.new_context(base_url=stack.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page)
    page.goto(f"/market/{symbol}/")
    page.wait_for_selector("#ticket-form")
    return page


def page_setup(page) -> dict:
    return page.evaluate(
        """() => ({
            place: document.getElementById("ticket-form").action,
            base: document.getElementById("open-orders").dataset.baseUrl,
            csrf: document.querySelector("#ticket-form input[name=csrfmiddlewaretoken]").value,
        })"""
    )


def transact_ms(order: dict) -> float:
    """The exchange's transactTime of a new order: its row's update time (ms precision)."""
    return datetime.fromisoformat(order["updatedAt"]).timestamp() * 1000


def one_order(page, ids: dict, fields: dict, coid: str, figures: Figures | None) -> None:
    placed = page.evaluate(
        PLACE,
        {"url": ids["place"], "csrf": ids["csrf"], "fields": fields, "coid": coid, "wait": 10_000},
    )
    doc = placed["doc"]
    if not doc.get("ok") or doc["order"]["status"] != "NEW":
        raise SystemExit(f"order {coid} not placed: {doc.get('message') or doc.get('errors')}")
    if figures is not None and doc.get("via") != figures.transport:
        figures.problems.append(f"{coid}: sent over {doc.get('via')}: {doc.get('message')}")
    if placed["rendered"] is None and figures is not None:
        figures.problems.append(f"{coid}: row never rendered")
    elif figures is not None:
        figures.rendered.append(placed["rendered"] - placed["t0"])
        figures.answered.append(placed["answered"] - placed["t0"])
        figures.from_exchange.append(
            placed["origin"] + placed["rendered"] - transact_ms(doc["order"])
        )
    url = f"{ids['base']}{doc['order']['id']}/cancel/"
    canceled = page.evaluate(
        CANCEL, {"url": url, "csrf": ids["csrf"], "coid": coid, "wait": 10_000}
    )
    if not canceled["doc"].get("ok") or canceled["removed"] is None:
        raise SystemExit(f"order {coid} not canceled: {canceled['doc'].get('message')}")
    if figures is not None:
        figures.removed.append(canceled["removed"] - canceled["t0"])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def use_transport(page, ids: dict, transport: str) -> None:
    """The demo user's preference, saved through the orders page's own form fields; over the
    WebSocket API only once its session is live (the stream-health JSON says so)."""
    saved = page.evaluate(
        """async ({url, csrf, transport}) => (await fetch(url, {
            method: "POST", credentials: "same-origin",
            headers: {"X-CSRFToken": csrf, Accept: "application/json"},
            body: new URLSearchParams({confirm_notional_over: "1000000",
              confirm_balance_percent_over: "100", order_transport: transport}),
        })).json()""",
        {"url": f"{ids['base']}preferences/", "csrf": ids["csrf"], "transport": transport},
    )
    if not saved.get("ok"):
        raise SystemExit(f"preference not saved: {saved}")
    if transport == "ws":
        # Asked from here: wait_for_function takes the async function's promise as its truthy
        # answer, and measured orders went over REST while the session was still opening.
        wait_for(
            lambda: page.evaluate(
                """async () => (await (await fetch("/market/health.json")).json())
                    .wsApi.some((s) => s.state === "up")"""
            ),
            timeout=30,
            what="the WebSocket API session",
        )


def report(args, figures: Figures) -> None:
    print(
        f"{figures.transport.upper()}: orders: {len(figures.rendered)} of {args.orders} measured "
        f"(after {args.warmup} warm-up) · {args.symbol} LIMIT BUY {args.quantity} at "
        f"-{args.below}% · Chromium, loopback"
        f"{' · no stream process' if args.without_stream else ''}"
    )
    print(f"{'ms':<38}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}")
    for label, values in (
        ("HTTP submit → row rendered", figures.rendered),
        ("exchange transactTime → row rendered", figures.from_exchange),
        ("HTTP submit → HTTP answer", figures.answered),
        ("cancel submit → row removed", figures.removed),
    ):
        if values:
            cells = [percentile(values, p) for p in (50, 90, 99, 100)] + [statistics.fmean(values)]
            print(f"{label:<38}" + "".join(f"{v:>8.1f}" for v in cells))
    if figures.cpu:
        used = " · ".join(f"{group} {ms:.1f}" for group, ms in figures.cpu.items())
        print(f"CPU ms per order (place + cancel): {used} · all {sum(figures.cpu.values()):.1f}")
    for problem in figures.problems:
        print(f"PROBLEM: {problem}")
    if figures.rendered:
        p50 = percentile(figures.rendered, 50)
        verdict = "met" if p50 <= args.target_ms else "NOT met"
        print(f"target p50 ≤ {args.target_ms:g} ms (submit → rendered): {verdict} ({p50:.1f} ms)")


def failed(args, figures: Figures) -> bool:
    return bool(figures.problems) or len(figures.rendered) != args.orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--symbol", default="BTCUSD")
    parser.add_argument("--quantity", default="0.001")
    parser.add_argument("--below", type=int, default=10, help="percent under the average price")
    parser.add_argument("--target-ms", type=float, default=20)
    parser.add_argument("--transport", nargs="+", choices=["ws", "rest"], default=["ws", "rest"])
    parser.add_argument(
        "--without-stream",
        action="store_true",
        help="no stream process (no executionReports, no live market data): rows come only "
        "from the place view's own push",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="DEBUG on, as `make run` starts the demo (every query's SQL kept); off by default, "
        "as deployed",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing; `make test` installs Debian's chromium")
    if args.without_stream and "ws" in args.transport:
        raise SystemExit("--transport ws needs the stream process (it holds the session)")
    stack = Stack(stream=not args.without_stream, debug=args.debug)
    runs = [Figures(transport=t) for t in args.transport]
    try:
        price = (avg_price(stack, args.symbol) * (100 - args.below) / 100).quantize(Decimal("0.01"))
        fields = {
            "symbol": args.symbol,
            "side": "BUY",
            "type": "LIMIT",
            "time_in_force": "GTC",
            "price": str(price),
            "quantity": args.quantity,
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = open_market(browser, stack, args.symbol)
            ids = page_setup(page)
            for figures in runs:
                use_transport(page, ids, figures.transport)
                coids = (f"bench-latency-{figures.transport}-{i:05d}" for i in range(10**5))
                for _ in range(args.warmup):
                    one_order(page, ids, fields, next(coids), None)
                with CpuMeter(stack) as cpu:
                    for _ in range(args.orders):
                        one_order(page, ids, fields, next(coids), figures)
                figures.cpu = cpu.per_order_ms(args.orders)
            browser.close()
    finally:
        stack.close()
    for figures in runs:
        report(args, figures)
    if len(runs) == 2 and all(r.rendered for r in runs):
        ws, rest = (percentile(r.rendered, 50) for r in runs)
        print(
            f"p50 submit → rendered, {runs[0].transport} vs {runs[1].transport}: {ws:.1f} vs "
            f"{rest:.1f} ms ({rest / ws:.2f}×)"
        )
    if any(failed(args, figures) for figures in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
