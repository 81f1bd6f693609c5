"""Account history backfill under the exchange's real rate limits.

    .venv/bin/python bench/history_backfill.py [--orders 100000] [--days 30] [--share 0.6]

Starts a private redis-server, a sandbox exchange with its rate limits enforced
(``--enforce-limits``: 1200 weight per minute per IP, 429 + Retry-After beyond, then 418 bans)
and a database; gives one account ``--orders`` filled orders with one trade each, spread over the
last ``--days`` days (admin bulk history); stores a connection for it; then runs the real history
services (``trading.history.services.history_sync``, the function the Celery tasks call) for
orders, trades, OCO lists and prevented matches until all four are done, sleeping whenever a
slice says the minute's weight share is spent.

Prints rows stored per minute, the highest ``X-MBX-USED-WEIGHT-1M`` the exchange reported (as a
percentage of its limit) and how many 429 / 418 answers came back (must be 0), and checks that
every generated order and trade is stored exactly once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    app_env,
    manage,
    private_database_url,
    start_redis,
    start_sandbox,
    terminate,
)

SETUP = """
import json, sys
from django.contrib.auth import get_user_model
from accounts import services
a = json.loads(sys.argv[1])
user = get_user_model().objects.create_user("bench", password="bench-pass-123")
conn = services.connection_import(user=user, label="Backfill", key_type="exchange",
    environment="sandbox", api_key=a["apiKey"], api_secret=a["secretKey"])
print(conn.pk)
"""

# Runs inside Django: the real services, with the client's headers and back-offs observed.
BACKFILL = """
import json, sys, time
import binanceus
from binanceus import RedisWeightBudget
from binanceus._weights import parse_rate_headers
from trading.history import services
from trading.models import AccountTrade, HistoryKind, HistorySync, Order
a = json.loads(sys.argv[1])
stats = {"max_used": 0, "status_429": 0, "status_418": 0, "requests": 0, "pauses": 0}
observe, back_off = RedisWeightBudget.observe, RedisWeightBudget.back_off

def seen(self, headers):
    used = parse_rate_headers(headers).get("X-MBX-USED-WEIGHT-1M")
    if used is not None:
        stats["max_used"] = max(stats["max_used"], int(used))
    return observe(self, headers)

def refused(self, retry_after, *, status=429):
    stats[f"status_{status}"] = stats.get(f"status_{status}", 0) + 1
    return back_off(self, retry_after, status=status)

RedisWeightBudget.observe, RedisWeightBudget.back_off = seen, refused
work = [(HistoryKind.ORDERS, "BTCUSD"), (HistoryKind.TRADES, "BTCUSD"),
        (HistoryKind.ORDER_LISTS, ""), (HistoryKind.PREVENTED, "BTCUSD")]
due = {w: 0.0 for w in work}
started = time.monotonic()
while due:
    wait = min(due.values()) - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    for w in sorted(due, key=due.get):
        if due[w] > time.monotonic():
            continue
        # Prevented matches follow the order history: run them once orders are done.
        if w[0] == HistoryKind.PREVENTED and (HistoryKind.ORDERS, "BTCUSD") in due:
            due[w] = time.monotonic() + 1
            continue
        out = services.history_sync(connection_id=a["pk"], kind=w[0], symbol=w[1])
        stats["requests"] += out.requests
        if out.error:
            raise SystemExit(f"{w}: {out.error}")
        if not out.again:
            del due[w]
        else:
            stats["pauses"] += out.delay > 0
            due[w] = time.monotonic() + out.delay
elapsed = time.monotonic() - started
orders = list(Order.objects.values_list("order_id", flat=True))
trades = list(AccountTrade.objects.values_list("trade_id", flat=True))
print(json.dumps({**stats, "elapsed": elapsed, "orders": orders and [min(orders), max(orders)],
    "order_rows": len(orders), "distinct_orders": len(set(orders)),
    "trades": trades and [min(trades), max(trades)], "trade_rows": len(trades),
    "distinct_trades": len(set(trades)),
    "syncs": list(HistorySync.objects.values("kind", "rows", "done"))}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--share", default="0.6", help="HISTORY_WEIGHT_SHARE")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="desk-history-"))
    redis_proc, redis_url = start_redis(tmp)
    sandbox, base = start_sandbox("--tick-ms", "0", "--enforce-limits", seed=3)
    env = {
        **app_env(),
        "DATABASE_URL": private_database_url(tmp, "history"),
        "REDIS_URL": redis_url,
        "SANDBOX_REST_URL": base,
        "SANDBOX_WS_URL": base.replace("http", "ws"),
        "HISTORY_WEIGHT_SHARE": args.share,
        "LOG_LEVEL": "WARNING",
    }
    try:
        limits = requests.get(f"{base}/sandbox/v1/limits", timeout=5).json()
        assert limits["enforce"], "the sandbox must enforce its rate limits"
        manage(env, "migrate", "--noinput")
        email = "backfill@example.test"
        acct = requests.post(
            f"{base}/sandbox/v1/accounts",
            json={"email": email, "balances": {"USD": "1000", "BTC": "1"}},
            timeout=5,
        ).json()
        end = int(time.time() * 1000) - 60_000
        made = requests.post(
            f"{base}/sandbox/v1/accounts/{email}/history",
            json={
                "symbol": "BTCUSD",
                "orders": args.orders,
                "start": end - int(args.days * 86_400_000),
                "end": end,
            },
            timeout=300,
        ).json()
        pk = int(manage(env, "shell", "-c", _with_args(SETUP, acct)).strip().splitlines()[-1])
        out = manage(env, "shell", "-c", _with_args(BACKFILL, {"pk": pk}))
        report = json.loads(out.strip().splitlines()[-1])
    finally:
        terminate(sandbox)
        terminate(redis_proc)
        shutil.rmtree(tmp, ignore_errors=True)
    _print(args, limits, made, report)


def _with_args(script: str, doc: dict) -> str:
    return script.replace("sys.argv[1]", repr(json.dumps(doc)))


def _print(args, limits: dict, made: dict, r: dict) -> None:
    rows = r["order_rows"] + r["trade_rows"]
    minutes = r["elapsed"] / 60
    limit = limits["weightPerMinute"]
    complete = (
        r["orders"] == [made["firstOrderId"], made["lastOrderId"]]
        and r["trades"] == [made["firstTradeId"], made["lastTradeId"]]
        and r["order_rows"] == r["distinct_orders"] == args.orders
        and r["trade_rows"] == r["distinct_trades"] == args.orders
    )
    print(f"generated:        {args.orders} orders + {args.orders} trades over {args.days:g} days")
    print(f"stored:           {r['order_rows']} orders, {r['trade_rows']} trades")
    print(f"complete, once:   {'yes' if complete else 'NO'}")
    print(f"requests:         {r['requests']} ({r['pauses']} pauses for the weight share)")
    print(f"elapsed:          {r['elapsed']:.1f} s")
    print(f"rows/min:         {rows / minutes:,.0f}")
    print(
        f"max used weight:  {r['max_used']} of {limit} per minute "
        f"({100 * r['max_used'] / limit:.1f}%, share setting {float(args.share):.0%})"
    )
    print(f"429 answers:      {r['status_429']}   418 answers: {r['status_418']}")
    if not complete or r["status_429"] or r["status_418"] or r["max_used"] > 0.9 * limit:
        sys.exit(1)


if __name__ == "__main__":
    main()
