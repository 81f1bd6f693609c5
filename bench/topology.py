"""The desk scaled out on one machine, through a SIGKILL of each kind of process and a Redis
restart.

    .venv/bin/python bench/topology.py [--users 50] [--connections-per-user 2] [--seconds 60]
        [--symbols 4] [--book-sockets 40] [--order-rate 4] [--transfers 100] [--keep]

Starts PostgreSQL, Redis and the sandbox, then nginx (Debian's, on deploy/nginx/desk.conf with
TLS) in front of 2 daphne and 2 fan-out processes, 2 Celery workers, 2 Celery beats and 3 stream
processes, all on that one database and Redis, as deploy/compose.yml runs them. ``--users``
users get ``--connections-per-user`` trading connections each (every connection its own sandbox
account; the first ``--transfer-users`` users' first connection is a master account with a
sub-account). Then, for ``--seconds``:

- orders: resting LIMIT BUYs posted to the order ticket's view through nginx (the user's
  session cookie and CSRF token, as the page posts them) at ``--order-rate`` a second, spread
  over the connections;
- transfers: ``--transfers`` one-off scheduled transfers master → sub spread over the run, each
  a distinct amount, planned by the beats and sent by the workers;
- book watching: ``--book-sockets`` browsers' market sockets through nginx (so spread over both
  fan-out processes), and one connection socket (orders, balances) per traded connection
  through nginx to daphne; a closed socket reconnects after 0.5 s as the page's code does, and
  a connection socket re-reads the open orders on reconnecting, as the page does;

while, at each sixth of the run, it SIGKILLs a stream process, a worker (with its children), a
daphne and a fan-out process, and then restarts Redis (empty). The killed processes stay dead.
When the run ends it waits for every order and transfer to settle (the beats' sweeps) and
prints:

- items held twice (the exchange's own count of sockets per market stream and user data
  stream, and the WebSocket API sessions' live keys, sampled every 0.1 s; must be 0) and the
  seconds until every item was held again after the stream SIGKILL and after the Redis restart;
- book pushes lost per socket: updates (by lastUpdateId) other sockets of the same symbol got
  while this socket was open or reconnecting and this one never did, and whether each socket
  that lost its connection was live again (a fresh book) afterwards;
- user-data pushes: of the orders placed on a watched connection, how many the socket was told
  of, how many it learned only by re-reading on reconnect, and how many it never learned of;
- orders and transfers duplicated or lost (exchange against the desk's rows; must be 0);
- requests answered 5XX, as the clients saw them and as nginx's access log has them.

Exits 1 if anything was held twice, an item was not held again within ``--timeout``, an order
or transfer was duplicated or lost, or the work did not settle.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import secrets
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stream_failover import Judge, until_held  # noqa: E402
from tests import proxy  # noqa: E402
from tests.support import (  # noqa: E402
    WORKER_QUEUES,
    app_env,
    exchange_client,
    free_port,
    manage,
    start_postgres,
    start_redis,
    start_sandbox,
    terminate,
    wait_for,
)

# The proxy's certificate is a throwaway self-signed one.
warnings.filterwarnings("ignore", message="Unverified HTTPS request")
ORIGIN = f"https://{proxy.HOST}"
UNSETTLED_ORDERS = ("SENDING", "UNKNOWN")
SETTLED_RUNS = ("executed", "failed", "skipped")


class TimedJudge(Judge):
    """The stream failover bench's judge, remembering when each item was held twice."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.twice_at: list[tuple[float, str]] = []

    def sample(self) -> tuple[bool, list[str]]:
        held, twice = super().sample()
        now = time.monotonic()
        self.twice_at.extend((now, item) for item in twice)
        return held, twice


class Stack:
    """Every process of the topology, each with its log in the temporary directory."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-topology-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.postgres, database_url = start_postgres(self.tmp)
        self.redis, self.redis_url = start_redis(self.tmp)
        self.sandbox, self.sandbox_url = start_sandbox(seed=args.seed, log=self.tmp / "sandbox.log")
        self.env = app_env(
            DEBUG="0",  # production settings: secure cookies, the proxy's X-Forwarded-Proto
            DESK_VAR_DIR=str(self.tmp),
            DATABASE_URL=database_url,
            REDIS_URL=self.redis_url,
            CELERY_BROKER_URL=self.redis_url,
            SANDBOX_REST_URL=self.sandbox_url,
            SANDBOX_WS_URL=self.sandbox_url.replace("http", "ws"),
            ALLOWED_HOSTS=f"{proxy.HOST},127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=ORIGIN,
            LOG_LEVEL="INFO" if args.keep else "WARNING",
            EXCHANGE_WEIGHT_PER_MINUTE=str(args.weight),
            EXCHANGE_TIMEOUT="3",
            # The sweeps' periods and grace, short enough for a run of a minute (as the chaos
            # benches): an order or transfer whose sender died is found again in seconds.
            ORDER_RECONCILE_SECONDS="2",
            ORDER_STALE_SECONDS="5",
            ORDER_RECONCILE_GRACE_SECONDS="10",
            TRANSFER_PLAN_SECONDS="1",
            TRANSFER_RECONCILE_SECONDS="2",
            TRANSFER_STALE_SECONDS="10",
            TRANSFER_RECONCILE_GRACE_SECONDS="15",
        )
        self.env["DJANGO_SETTINGS_MODULE"] = "desk.settings"
        self.web_ports = [free_port() for _ in range(args.web)]
        self.fanout_ports = [free_port() for _ in range(args.fanouts)]
        self.https_port = free_port()
        self.https = f"https://127.0.0.1:{self.https_port}"
        self.nginx: subprocess.Popen | None = None

    def admin(self, method: str, path: str, doc: dict | None = None) -> dict:
        r = requests.request(method, f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def start(self, name: str, argv: list[str]) -> None:
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=(self.tmp / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one killpg takes a worker's children too
        )

    def start_all(self) -> None:
        bin_dir = Path(sys.executable).parent
        manage(self.env, "collectstatic", "--noinput", "--verbosity", "0")
        for i, port in enumerate(self.web_ports):
            daphne = [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
            self.start(f"web-{i}", [*daphne, "--proxy-headers", "desk.asgi:application"])
        for i, port in enumerate(self.fanout_ports):
            self.start(
                f"fanout-{i}", [sys.executable, "manage.py", "runfanout", "--port", str(port)]
            )
        celery = [str(bin_dir / "celery"), "-A", "desk"]
        for i in range(self.args.workers):
            self.start(
                f"worker-{i}",
                [
                    *celery,
                    "worker",
                    *WORKER_QUEUES,
                    "-n",
                    f"worker{i}@%h",
                    "--concurrency",
                    "2",
                    "--without-gossip",
                    "--without-mingle",
                    "--prefetch-multiplier",
                    "1",
                ],
            )
        for i in range(self.args.beats):
            self.start(f"beat-{i}", [*celery, "beat", "-s", str(self.tmp / f"beat-{i}.db")])
        for i in range(self.args.streams):
            self.start(f"stream-{i}", [sys.executable, "manage.py", "runstreams"])
        # Every upstream answers before nginx starts: a probe that finds one down marks it
        # failed, and a WebSocket sent to a failed server as its retry keeps it marked while it
        # stays open (nginx clears the mark only when a request to it completes).
        for port in self.web_ports:
            wait_for(lambda p=port: _answers(p, "/login/"), timeout=60, what="daphne")
        for port in self.fanout_ports:
            wait_for(lambda p=port: _listens(p), timeout=60, what="the fan-out server")
        wrapper = proxy.config_copy(
            self.tmp / "nginx",
            web=self.web_ports,
            fanout=self.fanout_ports,
            http=free_port(),
            https=self.https_port,
            static=self.tmp / "staticfiles",
            access_log=True,
        )
        self.nginx = proxy.start_nginx(self.tmp / "nginx", wrapper, self.https)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart_redis(self) -> None:
        port = int(self.redis_url.rsplit(":", 1)[1].split("/")[0])
        terminate(self.redis)
        self.redis, url = start_redis(self.tmp, port=port)
        assert url == self.redis_url

    def access_log_5xx(self) -> collections.Counter:
        counts: collections.Counter = collections.Counter()
        log = self.tmp / "nginx" / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            status, method, uri, _upstream = line.split("|", 3)
            if status.startswith("5"):
                counts[f"{status} {method} {_route(uri)}"] += 1
        return counts

    def close(self) -> None:
        if self.nginx:
            terminate(self.nginx)
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for proc in (self.sandbox, self.redis, self.postgres):
            terminate(proc)
        if self.args.keep:
            print(f"logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _answers(port: int, path: str) -> bool:
    # Not followed: without the proxy's X-Forwarded-Proto the app redirects to HTTPS.
    r = requests.get(f"http://127.0.0.1:{port}{path}", timeout=2, allow_redirects=False)
    return r.status_code < 500


def _listens(port: int) -> bool:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _route(uri: str) -> str:
    """A path with its numbers and symbol as placeholders, so the 5XX counts group by route."""
    parts = ["<n>" if p.isdigit() else p for p in uri.split("/")]
    if len(parts) > 3 and parts[1:3] == ["ws", "market"]:
        parts[3] = "<symbol>"
    return "/".join(parts)


# ---- the users, their connections and the work -------------------------------------------


@dataclass
class Seat:
    """One trading connection as the bench drives it: whose session, which sandbox account."""

    pk: int
    user: str
    session: str
    account: dict
    sub_email: str | None = None


def django_setup(stack: Stack) -> None:
    os.environ.update(stack.env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)


def seats_create(stack: Stack, args: argparse.Namespace) -> list[Seat]:
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from accounts import services

    seats = []
    for u in range(args.users):
        user = get_user_model().objects.create_user(f"user{u}", password=secrets.token_hex(12))
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "accounts.backends.UserBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        for c in range(args.connections_per_user):
            email = f"user{u}-{c}@example.test"
            balances = {"USD": "1000000", "BTC": "10"}
            account = stack.admin("POST", "accounts", {"email": email, "balances": balances})
            sub = None
            if c == 0 and u < args.transfer_users:
                sub = f"user{u}-sub@example.test"
                stack.admin("POST", "accounts", {"email": sub, "master": email, "balances": {}})
            connection = services.connection_import(
                user=user,
                label=f"User {u} #{c}",
                key_type="exchange",
                environment="sandbox",
                api_key=account["apiKey"],
                api_secret=account["secretKey"],
            )
            if sub:
                connection.account_email = email
                connection.save(update_fields=["account_email"])
            seats.append(Seat(connection.pk, user.username, session.session_key, account, sub))
    return seats


def transfers_schedule(seats: list[Seat], n: int, start_in: float, spread: float) -> dict:
    """``n`` one-off transfers, master → sub, spread over ``spread`` seconds from ``start_in``
    seconds from now, each a distinct amount: {amount: master seat}."""
    from datetime import timedelta

    from django.utils import timezone

    from transfers.models import TransferSchedule
    from transfers.scheduling import schedule_first_run

    masters = [s for s in seats if s.sub_email]
    planned = {}
    first = timezone.now() + timedelta(seconds=start_in)
    for i in range(n if masters else 0):
        seat = masters[i % len(masters)]
        amount = Decimal(1) + Decimal(i) / 1000
        schedule = TransferSchedule(
            connection_id=seat.pk,
            name=f"topology {i}",
            to_email=seat.sub_email,
            asset="USD",
            amount_kind="fixed",
            amount=amount,
            recurrence="once",
            timezone="UTC",
            starts_at=first + timedelta(seconds=spread * i / n),
        )
        schedule.next_run_at = schedule_first_run(schedule, now=schedule.starts_at)
        schedule.save()
        planned[str(amount.normalize())] = seat
    return planned


class Requests:
    """What the clients saw of every request through the proxy."""

    def __init__(self) -> None:
        self.statuses: collections.Counter = collections.Counter()
        self.lock = threading.Lock()

    def post(self, stack: Stack, seat: Seat, path: str, data: dict) -> requests.Response | None:
        token = secrets.token_hex(16)  # a CSRF secret of our own, as the cookie and the header
        return self._send(
            "POST",
            stack,
            seat,
            path,
            data=data,
            cookies={"csrftoken": token},
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )

    def get(self, stack: Stack, seat: Seat, path: str) -> requests.Response | None:
        return self._send("GET", stack, seat, path, headers={"Accept": "application/json"})

    def _send(self, method, stack, seat, path, *, cookies=None, headers=None, data=None):
        try:
            r = requests.request(
                method,
                stack.https + path,
                data=data,
                cookies={"sessionid": seat.session, **(cookies or {})},
                headers={"Host": proxy.HOST, "Origin": ORIGIN, "Referer": ORIGIN + "/", **headers},
                verify=False,
                allow_redirects=False,
                timeout=20,
            )
        except requests.RequestException as exc:
            with self.lock:
                self.statuses[type(exc).__name__] += 1
            return None
        with self.lock:
            self.statuses[r.status_code] += 1
        return r

    def five_xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and s >= 500)


@dataclass
class Placed:
    coid: str
    seat: Seat
    sent: float
    answered: float = 0.0
    status: int | str = ""


def order_loop(stack, args, seats, price: Decimal, until: float, log: Requests) -> list[Placed]:
    """Orders through the ticket's view, ``--order-rate`` a second from a few threads."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(args.seed)
    placed: list[Placed] = []

    def place(p: Placed) -> None:
        fields = {
            "symbol": args.order_symbol,
            "client_order_id": p.coid,
            "side": "BUY",
            "type": "LIMIT",
            "price": str(price),
            "quantity": "0.001",
            "time_in_force": "GTC",
        }
        r = log.post(stack, p.seat, f"/market/orders/{p.seat.pk}/place/", fields)
        p.answered, p.status = time.monotonic(), (r.status_code if r is not None else "no answer")

    with ThreadPoolExecutor(max_workers=8) as pool:
        i, started = 0, time.monotonic()
        while time.monotonic() < until:
            time.sleep(max(0.0, started + i / args.order_rate - time.monotonic()))
            p = Placed(f"topo-{i:06d}", rng.choice(seats[: args.traded]), time.monotonic())
            placed.append(p)
            pool.submit(place, p)
            i += 1
    return placed


# ---- browsers' sockets ------------------------------------------------------------------


@dataclass
class Socket:
    """What one browser socket saw: its messages and the times it was (re)connected."""

    path: str
    seat: Seat
    books: dict[int, float] = field(default_factory=dict)  # lastUpdateId -> when received
    coids: set[str] = field(default_factory=set)  # orders pushed
    resynced: set[str] = field(default_factory=set)  # orders read again on reconnecting
    connects: list[float] = field(default_factory=list)
    drops: list[float] = field(default_factory=list)
    live_after_drop: bool = True


class Browsers(threading.Thread):
    """Every socket in one event loop, reconnecting as the pages' code does until stopped."""

    def __init__(self, stack: Stack, log: Requests, sockets: list[Socket]) -> None:
        super().__init__(daemon=True)
        self.stack, self.log, self.sockets = stack, log, sockets
        self.stop = threading.Event()
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.handshakes: collections.Counter = collections.Counter()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        tasks = [asyncio.create_task(self._follow(s)) for s in self.sockets]
        while not self.stop.is_set():
            await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, sock: Socket) -> None:
        import websockets

        headers = {"Origin": ORIGIN, "Cookie": f"sessionid={sock.seat.session}"}
        url = f"wss://127.0.0.1:{self.stack.https_port}{sock.path}"
        while True:
            try:
                async with websockets.connect(
                    url, additional_headers=headers, ssl=self.ctx, max_queue=None, open_timeout=10
                ) as ws:
                    self.handshakes["101"] += 1
                    sock.connects.append(time.monotonic())
                    if len(sock.connects) > 1 and "/connections/" in sock.path:
                        await asyncio.to_thread(self._resync, sock)
                    async for raw in ws:
                        self._seen(sock, json.loads(raw))
            except asyncio.CancelledError:
                raise
            except websockets.InvalidStatus as exc:
                self.handshakes[str(exc.response.status_code)] += 1
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                self.handshakes[type(exc).__name__] += 1
            sock.drops.append(time.monotonic())
            await asyncio.sleep(0.5)

    def _seen(self, sock: Socket, msg: dict) -> None:
        if msg.get("type") == "book" and msg.get("state") == "live":
            sock.books.setdefault(int(msg["lastUpdateId"]), time.monotonic())
        elif msg.get("type") == "order":
            sock.coids.add(msg["order"]["clientOrderId"])

    def _resync(self, sock: Socket) -> None:
        """As the orders page on reconnecting: read the open orders again."""
        r = self.log.get(self.stack, sock.seat, f"/market/orders/{sock.seat.pk}/open.json")
        if r is not None and r.status_code == 200:
            sock.resynced.update(o["clientOrderId"] for o in r.json().get("orders", []))


def book_losses(sockets: list[Socket], ended: float) -> tuple[list[int], int, int]:
    """Per market socket, the updates others of its symbol got, during its life, that it never
    did; how many sockets were dropped, and how many of those were live again after."""
    by_path: dict[str, list[Socket]] = collections.defaultdict(list)
    for s in sockets:
        by_path[s.path].append(s)
    lost, dropped, recovered = [], 0, 0
    for group in by_path.values():
        everyone = {uid: t for s in group for uid, t in s.books.items()}
        for s in group:
            if not s.connects:
                lost.append(len(everyone))
                continue
            life = (s.connects[0], ended)
            seen_by_others = {u for u, t in everyone.items() if life[0] + 1 <= t <= life[1] - 1}
            lost.append(len(seen_by_others - set(s.books)))
            if s.drops and s.drops[0] < ended:
                dropped += 1
                recovered += any(t > s.drops[-1] for t in s.books.values())
    return lost, dropped, recovered


# ---- settling and judging -----------------------------------------------------------------


def settle(timeout: float) -> bool:
    from django.db import close_old_connections

    from trading.models import Order
    from transfers.models import TransferRun, TransferSchedule

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        orders_open = Order.objects.filter(status__in=UNSETTLED_ORDERS).exists()
        runs = TransferRun.objects.count()
        schedules = TransferSchedule.objects.count()
        runs_open = TransferRun.objects.exclude(status__in=SETTLED_RUNS).exists()
        if not orders_open and not runs_open and runs >= schedules:
            return True
        time.sleep(1)
    return False


def orders_judged(stack: Stack, seats: list[Seat], symbol: str) -> dict[str, int]:
    from trading.models import Order

    desk = list(
        Order.objects.filter(client_order_id__startswith="topo-").values(
            "client_order_id", "status", "order_id", "connection_id"
        )
    )
    exchange = []
    for seat in seats:
        with _judge_client(stack, seat) as client:
            exchange += client.all_orders(symbol=symbol, limit=1000)
    on_exchange = collections.Counter(o.client_order_id for o in exchange)
    rows = collections.Counter(r["client_order_id"] for r in desk)
    live = {r["client_order_id"] for r in desk if r["status"] != "FAILED"}
    failed = {r["client_order_id"] for r in desk if r["status"] == "FAILED"}
    return {
        "rows": len(desk),
        "on exchange": len(on_exchange),
        "failed": len(failed),
        "duplicated": sum(n > 1 for n in on_exchange.values()) + sum(n > 1 for n in rows.values()),
        "lost": len(set(on_exchange) ^ live) + sum(r["status"] in UNSETTLED_ORDERS for r in desk),
        "wrongly failed": len(failed & set(on_exchange)),
    }


def _judge_client(stack: Stack, seat: Seat):
    """The bench's own reads: the sandbox reports the weight the whole run spent from this
    address, which a client's default budget would take as its own and refuse to go on."""
    import binanceus

    budget = binanceus.InMemoryWeightBudget(10**9)
    account = seat.account
    return exchange_client(
        account["apiKey"], account["secretKey"], stack.sandbox_url, weight_budget=budget
    )


def transfers_judged(stack: Stack, planned: dict) -> dict[str, int]:
    from transfers.models import TransferRun

    runs = list(TransferRun.objects.values("amount_param", "status"))
    executed = collections.Counter(
        str(r["amount_param"].normalize()) for r in runs if r["status"] == "executed"
    )
    moved: collections.Counter = collections.Counter()
    masters = {seat.pk: seat for seat in planned.values()}
    for seat in masters.values():
        with _judge_client(stack, seat) as client:
            rows = client.sub_account_transfer_history(email=seat.sub_email, limit=500)
            moved.update(str(r.qty.normalize()) for r in rows if r.to_email == seat.sub_email)
    return {
        "planned": len(planned),
        "executed": sum(executed.values()),
        "duplicated": sum(n > 1 for n in moved.values()),
        "lost": sum(1 for a in planned if moved[a] != 1 or executed[a] != 1),
    }


def user_data_judged(sockets: list[Socket], placed: list[Placed]) -> dict[str, int]:
    from trading.models import Order

    live = set(
        Order.objects.filter(client_order_id__startswith="topo-")
        .exclude(status="FAILED")
        .values_list("client_order_id", flat=True)
    )
    by_seat = {s.seat.pk: s for s in sockets}
    counts = collections.Counter()
    for p in placed:
        sock = by_seat.get(p.seat.pk)
        if sock is None or p.coid not in live:
            continue
        if p.coid in sock.coids:
            counts["pushed"] += 1
        elif p.coid in sock.resynced:
            counts["read again on reconnecting"] += 1
        else:
            counts["never learned of"] += 1
            counts.setdefault("missed", []).append(p)
    return counts


# ---- the run -----------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    stack = Stack(args)
    result: dict = {}
    try:
        started = time.monotonic()
        django_setup(stack)
        seats = seats_create(stack, args)
        symbols = _symbols(stack, args.symbols)
        stack.start_all()
        result["started in"] = time.monotonic() - started
        log = Requests()
        sockets = [
            Socket(f"/ws/market/{symbols[i % len(symbols)]}/", seats[i % len(seats)])
            for i in range(args.book_sockets)
        ]
        users = [Socket(f"/ws/connections/{s.pk}/", s) for s in seats[: args.traded]]
        browsers = Browsers(stack, log, sockets + users)
        browsers.start()
        judge = TimedJudge(stack, symbols, {s.pk: str(s.account["accountId"]) for s in seats}, 0.1)
        judge.start()
        result["every item held at start"] = until_held(judge, args.timeout, time.monotonic())
        planned = transfers_schedule(seats, args.transfers, 2, args.seconds * 0.8)
        price = _resting_price(stack, args.order_symbol)
        run_started = result["run started"] = time.monotonic()
        orders: list[Placed] = []
        placer = threading.Thread(
            target=lambda: orders.extend(
                order_loop(stack, args, seats, price, run_started + args.seconds, log)
            )
        )
        placer.start()
        result["phases"], result["last held"] = kills(stack, judge, args, run_started)
        placer.join()
        result["settled"] = settle(args.timeout * 3)
        browsers.stop.set()
        browsers.join()
        judge.stop.set()
        judge.join()
        result["book"] = book_losses(sockets, time.monotonic())
        result["user data"] = user_data_judged(users, orders)
        result["orders"] = orders_judged(stack, seats[: args.traded], args.order_symbol)
        result["transfers"] = transfers_judged(stack, planned)
        result["5xx seen"] = log.five_xx()
        result["statuses"] = log.statuses
        result["handshakes"] = browsers.handshakes
        result["5xx logged"] = stack.access_log_5xx()
        result["held twice"] = judge.twice
        result["twice at"] = judge.twice_at
        result["samples"] = judge.samples
        result["seats"] = (args.users, len(seats), len(symbols), len(sockets), len(users))
    finally:
        stack.close()
    sys.exit(report(args, result))


def kills(stack: Stack, judge: Judge, args, run_started: float) -> tuple[dict, dict]:
    """One kill of each kind at each sixth of the run, then the Redis restart; the seconds
    until every stream item was held again after the two that move them, and the last items
    to be held again."""
    step = args.seconds / 6
    phases: dict[str, float | None] = {}
    last_held: dict[str, list[str]] = {}
    plan = [
        ("SIGKILL stream-0", lambda: stack.kill("stream-0")),
        ("SIGKILL worker-0", lambda: stack.kill("worker-0")),
        ("SIGKILL web-0 (daphne)", lambda: stack.kill("web-0")),
        ("SIGKILL fanout-0", lambda: stack.kill("fanout-0")),
        ("Redis restarted", stack.restart_redis),
    ]
    for n, (name, act) in enumerate(plan, start=1):
        time.sleep(max(0.0, run_started + n * step - time.monotonic()))
        at = time.monotonic()
        act()
        if name.startswith(("SIGKILL stream", "Redis")):
            phases[name] = until_held(judge, args.timeout, at)
            last_held[name] = judge.missing[:4]
        else:
            phases[name] = time.monotonic() - at
    return phases, last_held


def _symbols(stack: Stack, n: int) -> list[str]:
    info = requests.get(f"{stack.sandbox_url}/api/v3/exchangeInfo", timeout=5).json()
    names = sorted(s["symbol"] for s in info["symbols"])
    return (["BTCUSD"] + [s for s in names if s != "BTCUSD"])[:n]


def _resting_price(stack: Stack, symbol: str) -> Decimal:
    """Well under the market, so the orders rest, and inside PERCENT_PRICE_BY_SIDE."""
    url = f"{stack.sandbox_url}/api/v3/ticker/price?symbol={symbol}"
    last = Decimal(requests.get(url, timeout=5).json()["price"])
    return (last * Decimal("0.9")).quantize(Decimal("0.01"))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--connections-per-user", type=int, default=2)
    p.add_argument("--traded", type=int, default=20, help="connections that place orders")
    p.add_argument("--transfer-users", type=int, default=5, help="users with a sub-account")
    p.add_argument("--transfers", type=int, default=100)
    p.add_argument("--symbols", type=int, default=4)
    p.add_argument("--order-symbol", default="BTCUSD")
    p.add_argument("--book-sockets", type=int, default=40)
    p.add_argument("--order-rate", type=float, default=4.0, help="orders a second")
    p.add_argument("--seconds", type=float, default=60, help="the run, kills included")
    p.add_argument("--web", type=int, default=2)
    p.add_argument("--fanouts", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--beats", type=int, default=2)
    p.add_argument("--streams", type=int, default=3)
    p.add_argument("--timeout", type=float, default=60)
    # The sandbox enforces no weight here: the desk's own budget is set above what 100
    # connections starting, resyncing and syncing history spend in a minute, as it would be
    # with several outbound addresses (bench/stream_failover.py measures that limit).
    p.add_argument("--weight", type=int, default=60000, help="EXCHANGE_WEIGHT_PER_MINUTE")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keep", action="store_true", help="keep the processes' logs")
    args = p.parse_args()
    args.traded = min(args.traded, args.users * args.connections_per_user)
    return args


def report(args, r: dict) -> int:
    users, connections, symbols, books, user_sockets = r["seats"]
    print(
        f"{args.web} daphne and {args.fanouts} fan-out behind nginx, {args.workers} workers, "
        f"{args.beats} beats, {args.streams} stream processes, PostgreSQL, Redis; "
        f"{users} users, {connections} connections ({args.traded} trading), {symbols} symbols"
    )
    print(
        f"started in {r['started in']:.1f} s; every item held {_s(r['every item held at start'])}"
    )
    print(f"{'event':<26} {'every item held again after':>28}   last held")
    for name, seconds in r["phases"].items():
        moved = name.startswith(("SIGKILL stream", "Redis"))
        last = ", ".join(r["last held"].get(name, []))
        print(f"{name:<26} {_s(seconds) if moved else '-':>28}   {last}".rstrip())
    print(f"held twice: {len(r['held twice'])} item-samples (of {r['samples']} samples)")
    if r["twice at"]:
        times = [t - r["run started"] for t, _ in r["twice at"]]
        items = collections.Counter(item for _, item in r["twice at"]).most_common(5)
        print(f"  from {min(times):.1f} s to {max(times):.1f} s of the run; most: {items}")
    lost, dropped, recovered = r["book"]
    print(
        f"book sockets: {books}; updates lost per socket: median {statistics.median(lost):g}, "
        f"max {max(lost)}; sockets dropped {dropped}, live again after {recovered}"
    )
    ud = r["user data"]
    print(
        f"user-data sockets: {user_sockets}; orders pushed {ud['pushed']}, read again on "
        f"reconnecting {ud['read again on reconnecting']}, never learned of "
        f"{ud['never learned of']} {_when(ud.get('missed', []), r['run started'])}"
    )
    o, t = r["orders"], r["transfers"]
    print(
        f"orders: {o['rows']} rows, {o['on exchange']} on the exchange, {o['failed']} failed; "
        f"duplicated {o['duplicated']}, lost {o['lost']}, wrongly failed {o['wrongly failed']}"
    )
    print(
        f"transfers: {t['planned']} planned, {t['executed']} executed; "
        f"duplicated {t['duplicated']}, lost {t['lost']}"
    )
    statuses = dict(r["statuses"])
    print(f"requests answered 5XX: {r['5xx seen']} as clients saw them; statuses {statuses}")
    print(f"5XX in nginx's log: {sum(r['5xx logged'].values())} {dict(r['5xx logged'])}")
    print(f"socket handshakes: {dict(r['handshakes'])}")
    print(f"settled: {'yes' if r['settled'] else 'no'}")
    failed = (
        r["held twice"]
        or r["every item held at start"] is None
        or any(v is None for v in r["phases"].values())
        or o["duplicated"]
        or o["lost"]
        or o["wrongly failed"]
        or t["duplicated"]
        or t["lost"]
        or not r["settled"]
    )
    return 1 if failed else 0


def _when(missed: list[Placed], since: float) -> str:
    """When the first few orders a socket never learned of were sent, from the run's start."""
    return " ".join(f"{p.coid}@{p.sent - since:.1f}s" for p in missed[:5])


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


if __name__ == "__main__":
    main()
