"""At-most-once evidence for desk orders when the exchange drops answers.

    .venv/bin/python bench/order_chaos.py [--orders 1000] [--rate 4] [--probability 0.3]
        [--transport rest|ws]

Starts a private redis-server, a sandbox exchange, a private SQLite database and a
real Celery worker (it runs the reconcile_order tasks the desk queues for unknown outcomes).
In this process, Django places ``--orders`` resting LIMIT BUYs (a ``--rejected`` share of them
priced under the symbol's PERCENT_PRICE_BY_SIDE, so the exchange refuses them: under a fault
their answer is lost too, and only the grace period can tell they were never placed) through
``trading.orders.services.order_place`` — the function the ticket's view calls — from a few
threads at ``--rate`` orders a second, while a driver re-arms the sandbox's "order" fault every
``--switch`` seconds with a random mode among execute_then_500 (executed, then HTTP 500 -1007),
execute_then_timeout (executed, then no answer before the client's timeout) and a few
unavailable_503 (not executed; the client re-sends, which the spec allows), each applying to
``--probability`` of the calls; and, half of those periods, the orderVisibility fault (an order
placed then stays invisible to GET /api/v3/order for ``--lag`` seconds, less than the desk's
grace period). Every ``--sweep`` seconds it runs the reconcile sweep the beat runs
(``trading.orders.reconcile.orders_reconcile``); once every order is placed the faults are
cleared and the sweep runs until no intent is unsettled.

With ``--transport ws`` the orders go over the WebSocket API: the stream process
(``manage.py runstreams``) is started too and holds the connection's session, the user's
preference is the WebSocket API, and half of the fault periods also arm the sandbox's wsApi
fault execute_then_drop on order.place (the order runs, then the socket is cut before its
answer: unknown, reconciled by client order id) at the same probability. An order the session
could not take goes over REST (counted apart).

Then it reads GET /api/v3/allOrders for the account and compares it with the desk's rows:
duplicates (a client order id on the exchange more than once), wrongly failed (a FAILED row
whose order is on the exchange), lost (an exchange order with no live desk row, a live row with
no exchange order or another orderId/status, or a row never settled) must all be 0, and the
exchange's orders must be exactly the desk rows that are not FAILED. Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    WORKER_QUEUES,
    app_env,
    start_redis,
    start_sandbox,
    terminate,
)

SYMBOL = "BTCUSD"
MODES = ["execute_then_500", "execute_then_timeout"] * 4 + ["unavailable_503"]
UNSETTLED = ("SENDING", "UNKNOWN")


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-order-chaos-"))
        self.redis, redis_url = start_redis(self.tmp)
        self.sandbox, self.sandbox_url = start_sandbox(seed=args.seed)
        self.env = app_env(
            DESK_VAR_DIR=str(self.tmp),
            DATABASE_URL=f"sqlite:///{self.tmp / 'chaos.sqlite3'}",
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            SANDBOX_REST_URL=self.sandbox_url,
            SANDBOX_WS_URL=self.sandbox_url.replace("http", "ws"),
            EXCHANGE_TIMEOUT=str(args.timeout),
            ORDER_STALE_SECONDS=str(args.stale),
            ORDER_RECONCILE_GRACE_SECONDS=str(args.grace),
            LOG_LEVEL="ERROR",
        )
        self.env["DJANGO_SETTINGS_MODULE"] = "desk.settings"
        self.worker: subprocess.Popen | None = None
        self.streams: subprocess.Popen | None = None

    def admin(self, method: str, path: str, doc: dict | None = None) -> dict:
        r = requests.request(method, f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def start_worker(self) -> None:
        celery = str(Path(sys.executable).parent / "celery")
        self.worker = subprocess.Popen(
            [
                celery,
                "-A",
                "desk",
                "worker",
                *WORKER_QUEUES,
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=(self.tmp / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
        )

    def start_streams(self) -> None:
        """The stream process: it holds the connection's WebSocket API session."""
        self.streams = subprocess.Popen(
            [sys.executable, "manage.py", "runstreams"],
            cwd=ROOT,
            env=self.env,
            stdout=(self.tmp / "streams.log").open("w"),
            stderr=subprocess.STDOUT,
        )

    def close(self) -> None:
        for proc in (self.streams, self.worker):
            if proc is not None:
                terminate(proc)
        terminate(self.sandbox)
        terminate(self.redis)
        shutil.rmtree(self.tmp, ignore_errors=True)


def django_setup(stack: Stack) -> None:
    """This process becomes a desk process like the web or worker ones, on the stack's env."""
    os.environ.update(stack.env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def connection_create(account: dict, transport: str):
    from django.contrib.auth import get_user_model

    from accounts import services
    from trading.models import TradingPreference

    user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")
    TradingPreference.objects.create(user=user, order_transport=transport)
    return services.connection_import(
        user=user,
        label="Chaos",
        key_type="exchange",
        environment="sandbox",
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )


class FaultDriver(threading.Thread):
    """Re-arms the order fault with a random mode (and, half the time, delayed visibility)."""

    def __init__(self, stack: Stack, args: argparse.Namespace) -> None:
        super().__init__(daemon=True)
        self.stack, self.args = stack, args
        self.rng = random.Random(args.seed)
        self.stop = threading.Event()
        self.modes: collections.Counter = collections.Counter()
        self.visibility_periods = 0
        self.drop_periods = 0

    def run(self) -> None:
        while not self.stop.is_set():
            mode = self.rng.choice(MODES)
            visible_late = self.rng.random() < 0.5
            fault = {"mode": mode, "count": None, "probability": self.args.probability}
            if mode == "execute_then_timeout":
                fault["holdSeconds"] = self.args.timeout + 2  # past the client's timeout
            lag = {"lagSeconds": self.args.lag, "count": None} if visible_late else None
            doc = {"order": fault, "orderVisibility": lag}
            if self.args.transport == "ws":
                drops = self.rng.random() < 0.5
                doc["wsApi"] = None
                if drops:
                    doc["wsApi"] = {
                        "mode": "execute_then_drop",
                        "method": "order.place",
                        "count": None,
                        "probability": self.args.probability,
                    }
                self.drop_periods += drops
            self.stack.admin("POST", "faults", doc)
            self.modes[mode] += 1
            self.visibility_periods += visible_late
            self.stop.wait(self.args.switch)
        self.stack.admin("DELETE", "faults")


class Sweeper(threading.Thread):
    """What the beat does: the reconcile sweep every few seconds."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.stop = threading.Event()
        self.sweeps = 0

    def run(self) -> None:
        from django.db import connection

        from trading.orders import reconcile

        while not self.stop.wait(self.every):
            reconcile.orders_reconcile()
            self.sweeps += 1
        connection.close()


def place_all(
    connection, args: argparse.Namespace, price: Decimal
) -> tuple[collections.Counter, collections.Counter]:
    """Every order once, paced; the status order_place returned, by kind, and which way each
    went."""
    from django.db import connection as db

    from trading.orders import transport
    from trading.orders.services import OrderRequest, order_place

    def request(price: Decimal) -> OrderRequest:
        return OrderRequest(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.001"),
            price=price,
            time_in_force="GTC",
        )

    good, refused = request(price), request((price / 18).quantize(Decimal("0.01")))
    rng = random.Random(args.seed)
    plan = [refused if rng.random() < args.rejected else good for _ in range(args.orders)]
    answers: collections.Counter = collections.Counter()
    vias: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def place(i: int) -> None:
        with transport.watched() as route:
            order = order_place(
                user=connection.user,
                connection=connection,
                client_order_id=f"chaos-{i:05d}",
                request=plan[i],
            )
        kind = order.status
        if order.status == "FAILED":
            kind = f"FAILED ({order.error_code})"
        elif order.status == "UNKNOWN":
            kind = "UNKNOWN (HTTP 500)" if order.error_code == -1007 else "UNKNOWN (no answer)"
        with lock:
            answers[kind] += 1
            vias[f"{route.via} ({route.fallback})" if route.fallback else route.via] += 1
        db.close()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        futures = []
        for i in range(args.orders):
            time.sleep(max(0.0, started + i / args.rate - time.monotonic()))
            futures.append(pool.submit(place, i))
        for f in futures:
            f.result()
    return answers, vias


def settle(args: argparse.Namespace) -> float:
    """Run the sweep until no intent is unsettled; seconds it took."""
    from trading.models import Order
    from trading.orders import reconcile

    started = time.monotonic()
    while Order.objects.filter(status__in=UNSETTLED).exists():
        if time.monotonic() - started > args.grace * 4 + 60:
            break
        reconcile.orders_reconcile()
        time.sleep(1)
    return time.monotonic() - started


def exchange_orders(stack: Stack, account: dict) -> list:
    import binanceus

    rows: list = []
    with binanceus.Client(
        account["apiKey"], account["secretKey"], base_url=stack.sandbox_url
    ) as client:
        after = 0
        while True:
            page = client.all_orders(symbol=SYMBOL, order_id=after, limit=1000)
            rows += page
            if len(page) < 1000:
                return rows
            after = page[-1].order_id + 1


def compare(desk: list[dict], exchange: list) -> dict[str, int]:
    on_exchange = collections.Counter(o.client_order_id for o in exchange)
    by_coid = {o.client_order_id: o for o in exchange}
    rows = collections.Counter(r["client_order_id"] for r in desk)
    live = {r["client_order_id"]: r for r in desk if r["status"] != "FAILED"}
    failed = {r["client_order_id"] for r in desk if r["status"] == "FAILED"}
    mismatched = sum(
        1
        for coid, r in live.items()
        if coid in by_coid
        and (r["order_id"] != by_coid[coid].order_id or r["status"] != by_coid[coid].status)
    )
    return {
        "duplicates": sum(n > 1 for n in on_exchange.values()) + sum(n > 1 for n in rows.values()),
        "wrongly_failed": len(failed & set(on_exchange)),
        "lost": len(set(on_exchange) - set(live))
        + len(set(live) - set(on_exchange))
        + mismatched
        + sum(r["status"] in UNSETTLED for r in desk),
        "exact": set(on_exchange) == set(live),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=4, help="orders placed per second")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--probability", type=float, default=0.3)
    parser.add_argument(
        "--rejected",
        type=float,
        default=0.1,
        help="share of orders the exchange refuses (price under PERCENT_PRICE_BY_SIDE): "
        "under a fault they too come back unknown, and must end FAILED",
    )
    parser.add_argument("--switch", type=float, default=2, help="seconds between fault changes")
    parser.add_argument("--lag", type=float, default=3, help="orderVisibility lag, seconds")
    parser.add_argument("--timeout", type=float, default=2, help="EXCHANGE_TIMEOUT")
    parser.add_argument("--stale", type=int, default=10, help="ORDER_STALE_SECONDS")
    parser.add_argument("--grace", type=int, default=15, help="ORDER_RECONCILE_GRACE_SECONDS")
    parser.add_argument("--sweep", type=float, default=5, help="seconds between sweeps")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--transport", choices=["rest", "ws"], default="rest")
    args = parser.parse_args()
    if args.lag >= args.grace:
        parser.error("--lag must be shorter than --grace: the grace period is what waits it out")
    stack = Stack(args)
    started = time.monotonic()
    try:
        django_setup(stack)
        account = stack.admin(
            "POST", "accounts", {"email": "chaos@example.test", "balances": {"USD": "100000000"}}
        )
        limit = args.orders + 100  # all of them rest on the book at once
        stack.admin(
            "POST",
            "filters",
            {
                SYMBOL: {"MAX_NUM_ORDERS": {"limit": limit}},
                "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": limit}},
            },
        )
        avg = requests.get(
            f"{stack.sandbox_url}/api/v3/avgPrice", params={"symbol": SYMBOL}, timeout=5
        ).json()
        price = (Decimal(avg["price"]) * Decimal("0.9")).quantize(Decimal("0.01"))
        connection = connection_create(account, args.transport)
        stack.start_worker()
        if args.transport == "ws":
            session_up(stack, connection)
        driver, sweeper = FaultDriver(stack, args), Sweeper(args.sweep)
        driver.start()
        sweeper.start()
        answers, vias = place_all(connection, args, price)
        placed_in = time.monotonic() - started
        driver.stop.set()
        driver.join()
        sweeper.stop.set()
        sweeper.join()
        settled_in = settle(args)
        desk = desk_rows()
        exchange = exchange_orders(stack, account)
    finally:
        stack.close()
    report(args, (answers, vias), driver, sweeper, desk, exchange, placed_in, settled_in)


def session_up(stack: Stack, connection) -> None:
    from tests.support import wait_for
    from trading.orders import wsapi

    stack.start_streams()
    live = lambda: wsapi.session_live(connection.pk)  # noqa: E731
    wait_for(live, timeout=60, what="the WebSocket API session")


def desk_rows() -> list[dict]:
    from trading.models import Order

    return list(
        Order.objects.values("client_order_id", "order_id", "status", "error_message", "checked_at")
    )


def report(args, placed, driver, sweeper, desk, exchange, placed_in, settled_in) -> None:
    answers, vias = placed
    result = compare(desk, exchange)
    statuses = collections.Counter(r["status"] for r in desk)
    waited = sum(1 for r in desk if r["status"] == "NEW" and r["checked_at"] is not None)
    reasons = collections.Counter(r["error_message"][:70] for r in desk if r["status"] == "FAILED")
    print(
        f"orders: {args.orders} through order_place at {args.rate:g}/s, {args.threads} threads · "
        f"fault probability {args.probability:g}, switched every {args.switch:g} s "
        f"({', '.join(f'{m} {n}×' for m, n in sorted(driver.modes.items()))}; "
        f"delayed visibility {args.lag:g} s in {driver.visibility_periods} periods) · "
        f"grace {args.grace} s"
    )
    if args.transport == "ws":
        print(f"socket drops mid-order (wsApi execute_then_drop) in {driver.drop_periods} periods")
    print("order_place answered: " + ", ".join(f"{k} {v}" for k, v in sorted(answers.items())))
    print("sent over: " + ", ".join(f"{k} {v}" for k, v in sorted(vias.items())))
    print(
        f"placing: {placed_in:.0f} s · sweeps meanwhile: {sweeper.sweeps} · "
        f"settling afterwards: {settled_in:.0f} s"
    )
    print("desk rows: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"  looked up without an answer at least once, then found: {waited}")
    for reason, n in reasons.most_common():
        print(f"  FAILED ({n}): {reason}")
    print(
        f"exchange orders: {len(exchange)} · desk rows not FAILED: "
        f"{sum(r['status'] != 'FAILED' for r in desk)} · same set: "
        f"{'yes' if result['exact'] else 'NO'}"
    )
    print(
        f"duplicates: {result['duplicates']} · wrongly failed: {result['wrongly_failed']} · "
        f"lost: {result['lost']}"
    )
    ok = (
        result["exact"]
        and result["duplicates"] == result["wrongly_failed"] == result["lost"] == 0
        and len(desk) == args.orders
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
