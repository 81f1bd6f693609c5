"""Exactly-once evidence for scheduled sub-account transfers under worker crashes and faults.

    .venv/bin/python bench/transfers_chaos.py [--runs 1000] [--kill-every 1.5,5] [--seed 7]

Starts a private redis-server, a sandbox exchange, a database, Celery beat and a Celery worker.
Creates ``--runs`` one-off schedules spread over the next minute, each moving a distinct amount
(so every run can be found in the exchange's ledger), then, until every run has settled:
- SIGKILLs the whole worker (parent and children) at random moments and starts a new one,
- injects transfer faults in the sandbox at random: executed-then-500, executed-then-held
  (the worker is stuck inside the call, after the transfer happened, when the kill lands), and
  503 "Service Unavailable" (not executed).
Finally it reads the sandbox's transfer history and prints, per run, how often it executed:
duplicates (executed more than once) and lost (executed but not marked so, marked executed but
absent, or never settled) must both be 0, and every planned run must end executed: a run whose
worker died before its request left is absent from history after the grace period, so it is
re-planned and sent again (``transfers.reconcile``), never left "failed, never sent".
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

SETUP = """
import json, sys
from datetime import timedelta
from decimal import Decimal
from django.contrib.auth import get_user_model
from django.utils import timezone
from accounts import services
from transfers.models import TransferSchedule
from transfers.scheduling import schedule_first_run
a = json.loads(sys.argv[1])
user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")
conn = services.connection_import(user=user, label="Master", key_type="exchange",
    environment="sandbox", api_key=a["apiKey"], api_secret=a["secretKey"])
conn.account_email = a["email"]
conn.save(update_fields=["account_email"])
now = timezone.now() + timedelta(seconds=5)
for i in range(a["runs"]):
    s = TransferSchedule(connection=conn, name=f"chaos {i}", to_email=a["sub"], asset="USD",
        amount_kind="fixed", amount=Decimal(1) + Decimal(i) / 1000, recurrence="once",
        timezone="UTC", starts_at=now + timedelta(milliseconds=60_000 * i // a["runs"]))
    s.next_run_at = schedule_first_run(s, now=s.starts_at)
    s.save()
print(conn.pk)
"""

REPORT = """
import collections, json
from transfers.models import TransferRun
rows = list(TransferRun.objects.values("pk", "amount_param", "status", "error_message", "attempts"))
print(json.dumps([{**r, "amount_param": str(r["amount_param"])} for r in rows]))
"""


SETTLED = ("executed", "failed", "skipped")


class Stack:
    def __init__(self, args):
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-chaos-"))
        self.redis, redis_url = start_redis(self.tmp)
        self.sandbox, self.sandbox_url = start_sandbox("--tick-ms", "0", seed=args.seed)
        self.env = {
            **app_env(),
            "DATABASE_URL": private_database_url(self.tmp, "chaos"),
            "REDIS_URL": redis_url,
            "SANDBOX_REST_URL": self.sandbox_url,
            "SANDBOX_WS_URL": self.sandbox_url.replace("http", "ws"),
            "TRANSFER_PLAN_SECONDS": "1",
            "TRANSFER_RECONCILE_SECONDS": "2",
            "TRANSFER_STALE_SECONDS": "15",
            "TRANSFER_RECONCILE_GRACE_SECONDS": "20",
            "DESK_BALANCE_SYNC_SECONDS": "3600",
            "EXCHANGE_TIMEOUT": "3",
            "LOG_LEVEL": "WARNING",
        }
        self.worker = None
        self.beat = None

    def runs(self) -> list[dict]:
        # `shell` may print a banner first; the report is the last line.
        return json.loads(self.manage("shell", "-c", REPORT).strip().splitlines()[-1])

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def admin(self, path: str, doc: dict) -> dict:
        r = requests.post(f"{self.sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
        r.raise_for_status()
        return r.json()

    def celery(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "desk",
                *args,
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: one killpg takes parent and children
        )

    def start_worker(self) -> None:
        self.worker = self.celery(
            "worker",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--prefetch-multiplier",
            "1",
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def close(self) -> None:
        for proc in (self.worker, self.beat):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
        terminate(self.sandbox)
        terminate(self.redis)
        shutil.rmtree(self.tmp, ignore_errors=True)


def ledger(stack: Stack, master: dict, sub: str) -> collections.Counter:
    """How many times each amount was moved master → sub, from the exchange's own history."""
    import binanceus

    counts: collections.Counter = collections.Counter()
    with binanceus.Client(
        master["apiKey"], master["secretKey"], base_url=stack.sandbox_url
    ) as client:
        page = 1
        while True:
            rows = client.sub_account_transfer_history(email=sub, page=page, limit=500)
            counts.update(str(r.qty.normalize()) for r in rows if r.to_email == sub)
            if len(rows) < 500:
                return counts
            page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
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
        master_email, sub = "chaos-master@example.test", "chaos-sub@example.test"
        master = stack.admin("accounts", {"email": master_email, "balances": {"USD": "1000000"}})
        stack.admin("accounts", {"email": sub, "master": master_email, "balances": {}})
        stack.manage(
            "shell",
            "-c",
            SETUP.replace(
                "sys.argv[1]", repr(json.dumps({**master, "sub": sub, "runs": args.runs}))
            ),
        )
        stack.beat = stack.celery("beat")
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
                stack.admin("faults", {"transfer": doc})
                faults += 1
            if time.monotonic() >= next_kill:
                stack.kill_worker()
                kills += 1
                stack.start_worker()
                next_kill = time.monotonic() + rng.uniform(kill_lo, kill_hi)
            if time.monotonic() < next_check:
                continue
            next_check = time.monotonic() + 3
            runs = stack.runs()
            if len(runs) == args.runs and all(r["status"] in SETTLED for r in runs):
                break
            if time.monotonic() - started > args.timeout:
                print("timed out before every run settled", file=sys.stderr)
                break
        requests.delete(f"{stack.sandbox_url}/sandbox/v1/faults", timeout=5)
        runs = stack.runs()
        moved = ledger(stack, master, sub)
    finally:
        stack.close()
    report(args.runs, runs, moved, kills, faults, time.monotonic() - started)


def report(
    expected: int,
    runs: list[dict],
    moved: collections.Counter,
    kills: int,
    faults: int,
    seconds: float,
) -> None:
    by_status = collections.Counter(r["status"] for r in runs)
    duplicates = lost = 0
    for r in runs:
        n = moved.get(str(Decimal(r["amount_param"]).normalize()), 0)
        duplicates += n > 1
        executed = r["status"] == "executed"
        lost += (n >= 1) != executed or r["status"] not in SETTLED
    failed_reasons = collections.Counter(
        r["error_message"][:60] for r in runs if r["status"] == "failed"
    )
    print(
        f"runs planned: {len(runs)} of {expected} · worker SIGKILLs: {kills} · "
        f"fault injections: {faults} · {seconds:.0f} s"
    )
    print("run outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    for reason, n in failed_reasons.most_common():
        print(f"  failed ({n}): {reason}")
    print(f"ledger transfers: {sum(moved.values())} · duplicates: {duplicates} · lost: {lost}")
    executed = by_status["executed"]
    everyone = executed == expected
    replanned = sum(r["attempts"] > 1 for r in runs)
    print(f"re-planned after being absent past the grace period: {replanned}")
    print(
        f"planned runs executed: {executed} of {expected}"
        + (" (every planned run executed)" if everyone else " (NOT every planned run executed)")
    )
    sys.exit(0 if duplicates == 0 and lost == 0 and len(runs) == expected and everyone else 1)


if __name__ == "__main__":
    main()
