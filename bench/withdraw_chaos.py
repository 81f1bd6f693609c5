"""Exactly-once evidence for crypto withdrawals under worker crashes and faults.

    .venv/bin/python bench/withdraw_chaos.py [--withdrawals 1000] [--kill-every 1.5,5] [--seed 7]

Starts a private redis-server, a sandbox exchange, a database and a Celery worker. Asks for
``--withdrawals`` withdrawals through the desk's own service (checked, confirmed, committed under
a form key, queued), each of a distinct amount so every one can be found in the exchange's
ledger by its amount as well as by its ``withdrawOrderId``; then, until every one has settled:
- SIGKILLs the whole worker (parent and children) at random moments and starts a new one,
- injects ``withdrawApply`` faults in the sandbox at random: executed-then-500,
  executed-then-held (the worker is stuck inside the call, after the withdrawal happened, when
  the kill lands), and 503 "Service Unavailable" (not executed),
- runs the reconcile sweep (``wallet.withdrawals.reconcile.withdrawals_reconcile``, what the
  beat's ``reconcile_withdrawals`` runs) with a short grace period.
Finally it reads the exchange's withdraw history and prints, per withdrawal, how often it left:
duplicates (the same amount withdrawn more than once) and lost (withdrawn but not marked sent,
marked sent but absent, or never settled) must both be 0. A withdrawal whose worker died
before its request left is absent past the grace period and ends failed ("nothing was
withdrawn"): withdrawals are never re-sent without their owner, so these are counted, not lost.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
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

ADDRESS = "0x" + "ab" * 20
BASE, STEP = Decimal("0.01"), Decimal("0.00001")

SETUP = """
import json, sys, uuid
from datetime import timedelta
from decimal import Decimal
from django.contrib.auth import get_user_model
from django.utils import timezone
from accounts import services
from wallet.withdrawals import services as withdrawals
a = json.loads(sys.argv[1])
user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")
conn = services.connection_import(user=user, label="Wallet", key_type="exchange",
    environment="sandbox", api_key=a["apiKey"], api_secret=a["secretKey"])
services.connection_sync_balances(connection_id=conn.pk)
conn.refresh_from_db()
entry = withdrawals.address_add(connection=conn, user=user, coin="ETH", network="ETH",
    address=a["address"], label="Chaos", cool_off_hours=1)
entry.usable_from = timezone.now() - timedelta(seconds=1)
entry.save(update_fields=["usable_from"])
for i in range(a["n"]):
    withdrawals.withdrawal_request(connection=conn, user=user, entry=entry, coin="ETH",
        network="ETH", amount=Decimal(a["base"]) + Decimal(a["step"]) * i,
        request_key=uuid.uuid4().hex, confirmed=True)
print(conn.pk)
"""

# The sweep the beat runs, with the bench's short periods, then the report (its last line).
SWEEP_AND_REPORT = """
import json
from django.conf import settings
settings.WITHDRAW_RECONCILE_GRACE_SECONDS = 20
settings.WITHDRAW_STALE_SECONDS = 15
from wallet.withdrawals.models import Withdrawal
from wallet.withdrawals.reconcile import withdrawals_reconcile
withdrawals_reconcile()
rows = Withdrawal.objects.values("pk", "amount", "status", "error_message", "request_key")
print(json.dumps([{**r, "amount": str(r["amount"])} for r in rows]))
"""

SETTLED = ("sent", "completed", "returned", "failed")
WITHDRAWN = ("sent", "completed", "returned")


class Stack:
    def __init__(self, args):
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-withdraw-chaos-"))
        self.redis, redis_url = start_redis(self.tmp)
        self.sandbox, self.sandbox_url = start_sandbox("--tick-ms", "0", seed=args.seed)
        self.env = {
            **app_env(),
            "DATABASE_URL": private_database_url(self.tmp, "withdraw_chaos"),
            "REDIS_URL": redis_url,
            "SANDBOX_REST_URL": self.sandbox_url,
            "SANDBOX_WS_URL": self.sandbox_url.replace("http", "ws"),
            "DESK_BALANCE_STALE_SECONDS": "3600",  # the checks use the balances synced once
            "EXCHANGE_TIMEOUT": "3",
            "LOG_LEVEL": "WARNING",
        }
        self.worker = None

    def withdrawals(self) -> list[dict]:
        # `shell` may print a banner first; the report is the last line.
        out = self.manage("shell", "-c", SWEEP_AND_REPORT)
        return json.loads(out.strip().splitlines()[-1])

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def admin(self, path: str, doc: dict) -> dict:
        r = requests.post(f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "desk",
                "worker",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--prefetch-multiplier",
                "1",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: one killpg takes parent and children
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def close(self) -> None:
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            self.worker.wait()
        terminate(self.sandbox)
        terminate(self.redis)
        shutil.rmtree(self.tmp, ignore_errors=True)


def ledger(stack: Stack, account: dict) -> tuple[collections.Counter, set[str]]:
    """How many times each amount left, and every withdrawOrderId, from the exchange's history."""
    import binanceus

    with binanceus.Client(
        account["apiKey"], account["secretKey"], base_url=stack.sandbox_url
    ) as client:
        rows: list = []
        while True:
            batch = client.withdraw_history(coin="ETH", limit=1000, offset=len(rows))
            rows += batch
            if len(batch) < 1000:
                break
    # The history's amount is what the chain carries: the requested amount less the fee.
    amounts = collections.Counter(str((r.amount + r.transaction_fee).normalize()) for r in rows)
    return amounts, {r.withdraw_order_id for r in rows if r.withdraw_order_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--withdrawals", type=int, default=1000)
    parser.add_argument("--kill-every", default="1.5,5", help="min,max seconds between kills")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kill_lo, kill_hi = (float(x) for x in args.kill_every.split(","))
    stack = Stack(args)
    started = time.monotonic()
    kills = faults = 0
    try:
        stack.manage("migrate", "--noinput")
        email = "withdraw-chaos@example.test"
        account = stack.admin("accounts", {"email": email, "balances": {"ETH": "100"}})
        setup = {
            **account,
            "address": ADDRESS,
            "n": args.withdrawals,
            "base": str(BASE),
            "step": str(STEP),
        }
        stack.manage("shell", "-c", SETUP.replace("sys.argv[1]", repr(json.dumps(setup))))
        stack.start_worker()
        next_kill = time.monotonic() + rng.uniform(kill_lo, kill_hi)
        next_check = time.monotonic() + 3
        while True:
            time.sleep(0.25)
            if rng.random() < 0.08:
                mode = rng.choice(["execute_then_500", "execute_then_timeout", "unavailable_503"])
                doc = {"mode": mode, "count": rng.randint(1, 3)}
                if mode == "execute_then_timeout":
                    doc["holdSeconds"] = 5  # longer than the client's 3 s timeout
                stack.admin("faults", {"withdrawApply": doc})
                faults += 1
            if time.monotonic() >= next_kill:
                stack.kill_worker()
                kills += 1
                stack.start_worker()
                next_kill = time.monotonic() + rng.uniform(kill_lo, kill_hi)
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + 3
            rows = stack.withdrawals()
            if all(r["status"] in SETTLED for r in rows):
                break
            if time.monotonic() - started > args.timeout:
                print("timed out before every withdrawal settled", file=sys.stderr)
                break
        requests.delete(f"{stack.sandbox_url}/sandbox/v1/faults", timeout=5)
        rows = stack.withdrawals()
        amounts, order_ids = ledger(stack, account)
    finally:
        stack.close()
    report(args.withdrawals, rows, amounts, order_ids, kills, faults, time.monotonic() - started)


def report(expected, rows, amounts, order_ids, kills, faults, seconds) -> None:
    by_status = collections.Counter(r["status"] for r in rows)
    duplicates = lost = 0
    for r in rows:
        n = amounts.get(str(Decimal(r["amount"]).normalize()), 0)
        duplicates += n > 1
        withdrawn = r["status"] in WITHDRAWN
        lost += (n >= 1) != withdrawn or (r["request_key"] in order_ids) != withdrawn
        lost += r["status"] not in SETTLED
    failed = collections.Counter(r["error_message"][:70] for r in rows if r["status"] == "failed")
    print(
        f"withdrawals asked for: {len(rows)} of {expected} · worker SIGKILLs: {kills} · "
        f"fault injections: {faults} · {seconds:.0f} s"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    for reason, n in failed.most_common():
        print(f"  failed ({n}): {reason}")
    print(f"ledger withdrawals: {sum(amounts.values())} · duplicates: {duplicates} · lost: {lost}")
    sys.exit(0 if duplicates == 0 and lost == 0 and len(rows) == expected else 1)


if __name__ == "__main__":
    main()
