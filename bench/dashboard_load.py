"""Server time of the portfolio pages on a large account, and their query counts as it grows.

    .venv/bin/python bench/dashboard_load.py [--scale 1] [--runs 30]

Starts a private redis-server, a sandbox (the prices and symbols the pages value holdings
with) and a database (SQLite, or PostgreSQL when ``DATABASE_URL`` names one); gives one user
10 connections and, at ``--scale 1``, 100,000 orders, 200,000 trades, 20,000 sub-account
transfers, a year of portfolio snapshots (as thinned: daily past a week, hourly past a day,
every five minutes within it) and some deposits, stakes, rewards and conversions. The data is
written in two steps, a tenth first and then the rest, and each page is measured at both
sizes: the query count must not grow with the data.

Each page is asked for ``--runs`` times through Django's full request path (middleware,
session, view, template) in one process, with DEBUG off as deployed; the figures are p50 /
p95 of the server time. CSV exports are read to the end (the time covers every row) and
their peak Python memory is measured apart, with tracemalloc, to show it stays flat when the
export is 10x longer.
Exits 1 if a page's query count grows with the data or an export's memory does.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    AS_DEPLOYED_OVER_HTTP,
    app_env,
    manage,
    private_database_url,
    start_redis,
    start_sandbox,
    terminate,
)

# Runs inside Django (manage.py shell): writes the data, then measures every page.
MEASURE = r"""
import gc, json, random, statistics, sys, time, tracemalloc
from datetime import timedelta
from decimal import Decimal
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.contrib.auth import get_user_model
from accounts import services
from accounts.models import Balance
from convert.models import OtcConversion
from dashboard.models import PortfolioSnapshot
from desk.intents.models import Status
from tests.factories import login
from trading.models import AccountTrade, Order
from transfers.models import TransferHistoryRecord
from wallet.activity.models import WalletActivity
from wallet.staking.models import StakingEvent, StakingReward

args = json.loads(sys.argv[1])
rng = random.Random(7)
NOW = timezone.now().replace(microsecond=0)
YEAR = 365 * 86400
SYMBOLS = ["BTCUSD", "ETHUSD", "SOLUSD", "BTCUSDT"]
user = get_user_model().objects.create_user("bench", password="bench-pass-123")
conns = [
    services.connection_import(user=user, label=f"Account {i}", key_type="exchange",
        environment="sandbox", api_key=f"BENCHKEY{i:056d}", api_secret=f"BENCHSECRET{i:053d}")
    for i in range(10)
]
for c in conns:
    Balance.objects.bulk_create([
        Balance(connection=c, asset=a, free=Decimal(v), locked=Decimal(0), updated_at=NOW)
        for a, v in (("USD", "1000"), ("BTC", "0.1"), ("ETH", "2"), ("SOL", "30"))
    ])
made = {"orders": 0, "trades": 0, "transfers": 0, "other": 0}

def owner(n):
    # Half of every kind of row on the first connection: the pages of one big account.
    return conns[0] if n % 2 else conns[1 + n % 9]

def ago():
    return NOW - timedelta(seconds=rng.uniform(60, YEAR))

def write(model, rows):
    model.objects.bulk_create(rows, batch_size=5000)

def grow(orders, trades, transfers, other):
    for _ in range(0, orders, 10000):
        batch = []
        for _ in range(min(10000, orders)):
            n = made["orders"] = made["orders"] + 1
            at = ago()
            batch.append(Order(connection=owner(n), symbol=SYMBOLS[n % 4], order_id=n,
                client_order_id=f"bench{n}", origin="exchange", side="BUY", type="LIMIT",
                time_in_force="GTC", price=Decimal("30000"), orig_qty=Decimal("0.01"),
                executed_qty=Decimal("0.01"), cummulative_quote_qty=Decimal("300"),
                status="FILLED", exchange_created_at=at, exchange_updated_at=at))
        write(Order, batch)
        orders -= len(batch)
    for _ in range(0, trades, 10000):
        batch = []
        for _ in range(min(10000, trades)):
            n = made["trades"] = made["trades"] + 1
            batch.append(AccountTrade(connection=owner(n), symbol=SYMBOLS[n % 4],
                trade_id=n, order_id=n // 2, price=Decimal("30000"), qty=Decimal("0.005"),
                quote_qty=Decimal("150"), commission=Decimal("0.15"), commission_asset="USD",
                time=ago(), is_buyer=n % 2 == 0, is_maker=n % 3 == 0))
        write(AccountTrade, batch)
        trades -= len(batch)
    rows = []
    for _ in range(transfers):
        n = made["transfers"] = made["transfers"] + 1
        rows.append(TransferHistoryRecord(connection=owner(n), from_email="m@example.com",
            to_email=f"s{n % 3}@example.com", asset="USD", qty=Decimal(n), time=ago()))
    write(TransferHistoryRecord, rows)
    for _ in range(other):
        n = made["other"] = made["other"] + 1
        c = owner(n)
        WalletActivity.objects.create(connection=c, kind="deposit", exchange_id=f"d{n}",
            coin="USD", amount=Decimal("100"), status="1", state="success", time=ago(),
            updated_at=NOW)
        StakingEvent.objects.create(connection=c, asset="SOL", type="staked",
            amount=Decimal("1"), initiated_time=ago(), status="SUCCESS")
        StakingReward.objects.create(connection=c, tran_id=n, asset="SOL",
            amount=Decimal("0.01"), time=ago())
        OtcConversion.objects.create(connection=c, quote_id=f"q{n}", from_coin="USD",
            to_coin="BTC", from_amount=Decimal("300"), to_amount=Decimal("0.01"),
            ratio=Decimal("0.0000333"), valid_until=NOW, status=Status.DONE, finished_at=ago())

def snapshots():
    slots = [NOW - timedelta(days=d) for d in range(7, 366)]
    slots += [NOW - timedelta(hours=h) for h in range(24, 7 * 24)]
    slots += [NOW - timedelta(minutes=5 * m) for m in range(288)]
    write(PortfolioSnapshot, [PortfolioSnapshot(user=user, taken_at=t,
        total_usd=Decimal(100000 + i), parts={"spot": str(100000 + i)})
        for i, t in enumerate(sorted(slots))])

client = Client()
login(client, user)
first = conns[0].pk
PAGES = {
    "dashboard": (reverse("dashboard:home"), {}),
    "value history 1y": (reverse("dashboard:portfolio-history"), {"range": "1y"}),
    "activity": (reverse("dashboard:activity"), {}),
    "activity, BTC fills": (reverse("dashboard:activity"), {"kind": "fill", "asset": "BTC"}),
    "trade history": (reverse("history:trades", args=[first]), {}),
    "order history": (reverse("history:orders", args=[first]), {}),
    "orders page": (reverse("trading:orders", args=[first]), {}),
}
EXPORTS = {
    "activity.csv": (reverse("dashboard:activity-csv"), {}),
    "trades.csv": (reverse("history:trades-csv", args=[first]), {}),
    "orders.csv": (reverse("history:orders-csv", args=[first]), {}),
}

def fetch(url, params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return sum(body.count(b"\n") for body in response.streaming_content) - 1
    return 0

def measure(url, params, runs):
    fetch(url, params)  # warm: caches, session
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = fetch(url, params)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(db) as seen:
        fetch(url, params)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    slow = sorted(seen.captured_queries, key=lambda q: -float(q["time"]))[:args["slow"]]
    return {"p50": statistics.median(times), "p95": p95, "queries": len(seen), "rows": rows,
            "slow": [[float(q["time"]) * 1000, q["sql"][:300]] for q in slow]}

def memory(url, params):
    gc.collect()
    tracemalloc.start()
    fetch(url, params)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak

results = []
full = {k: int(v * args["scale"]) for k, v in
        {"orders": 100000, "trades": 200000, "transfers": 20000, "other": 500}.items()}
snapshots()
for step in ("tenth", "full"):
    started = time.perf_counter()
    want = {k: v // 10 if step == "tenth" else v - v // 10 for k, v in full.items()}
    grow(**want)
    db.cursor().execute("ANALYZE")
    wrote = time.perf_counter() - started
    pages = {name: measure(url, p, args["runs"]) for name, (url, p) in PAGES.items()
             if args["only"] in name}
    exports = {name: {**measure(url, p, max(3, args["runs"] // 10)), "peak": memory(url, p)}
               for name, (url, p) in EXPORTS.items() if args["only"] in name}
    results.append({"step": step, "made": dict(made), "wrote": wrote,
                    "pages": pages, "exports": exports})
print(json.dumps(results))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1: the issue's sizes")
    parser.add_argument("--runs", type=int, default=30, help="requests per page and size")
    parser.add_argument("--only", default="", help="measure only pages whose name has this")
    parser.add_argument("--slow", type=int, default=0, help="print each page's N slowest queries")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="desk-dashboard-"))
    redis_proc, redis_url = start_redis(tmp)
    sandbox, base = start_sandbox("--tick-ms", "0", seed=3)
    env = {
        **app_env(),
        "DATABASE_URL": private_database_url(tmp, "dashboard"),
        "REDIS_URL": redis_url,
        "SANDBOX_REST_URL": base,
        "SANDBOX_WS_URL": base.replace("http", "ws"),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver",  # Django's test client, which drives the pages
        # As deployed: DEBUG keeps every query's SQL for the request (a long export's grow).
        **AS_DEPLOYED_OVER_HTTP,
    }
    try:
        manage(env, "migrate", "--noinput")
        script = MEASURE.replace("sys.argv[1]", repr(json.dumps(vars(args))))
        # Not manage(): its errors would be swallowed with its captured stderr.
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        if done.returncode:
            sys.exit(f"the measuring process failed ({done.returncode}): see above")
        results = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        terminate(sandbox)
        terminate(redis_proc)
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(_print(results))


def _print(results: list[dict]) -> int:
    small, big = results
    m = big["made"]
    print(
        f"data: 10 connections, {m['orders']:,} orders, {m['trades']:,} trades, "
        f"{m['transfers']:,} transfers, {m['other']:,} each of deposits, stakes, rewards and "
        f"conversions, a year of snapshots (wrote in {small['wrote'] + big['wrote']:.0f} s)"
    )
    print(f"{'page':22} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}   at a tenth: p95 / queries")
    bad = 0
    for name, r in big["pages"].items():
        s = small["pages"][name]
        grew = r["queries"] != s["queries"]
        bad += grew
        print(
            f"{name:22} {r['p50']:8.1f} {r['p95']:8.1f} {r['queries']:8d}"
            f"   {s['p95']:8.1f} / {s['queries']}{'  GREW' if grew else ''}"
        )
        for ms, sql in r["slow"]:
            print(f"    {ms:7.1f} ms  {sql}")
    print(f"{'export':22} {'p50 ms':>8} {'rows':>8} {'peak KiB':>9}   at a tenth: rows / peak KiB")
    for name, r in big["exports"].items():
        s = small["exports"][name]
        # Below one read chunk an export still grows with its rows; past it, it must not.
        grew = r["peak"] > 2 * s["peak"] + 1024 * 1024
        bad += grew
        print(
            f"{name:22} {r['p50']:8.0f} {r['rows']:8d} {r['peak'] / 1024:9.0f}"
            f"   {s['rows']:8d} / {s['peak'] / 1024:.0f}{'  GREW' if grew else ''}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    main()
