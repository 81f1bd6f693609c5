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
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import Chaos, ChaosStack, parse_args

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


class Stack(ChaosStack):
    def __init__(self, seed: int):
        super().__init__(
            "chaos",
            seed,
            {
                "TRANSFER_PLAN_SECONDS": "1",
                "TRANSFER_RECONCILE_SECONDS": "2",
                "TRANSFER_STALE_SECONDS": "15",
                "TRANSFER_RECONCILE_GRACE_SECONDS": "20",
                "DESK_BALANCE_SYNC_SECONDS": "3600",
            },
        )

    def runs(self) -> list[dict]:
        return json.loads(self.shell(REPORT))


def ledger(stack: Stack, master: dict, sub: str) -> collections.Counter:
    """How many times each amount was moved master → sub, from the exchange's own history."""
    counts: collections.Counter = collections.Counter()
    with stack.client(master) as client:
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
    args = parse_args(parser)
    stack = Stack(args.seed)
    started = time.monotonic()
    try:
        stack.manage("migrate", "--noinput")
        master_email, sub = "chaos-master@example.test", "chaos-sub@example.test"
        master = stack.admin("accounts", {"email": master_email, "balances": {"USD": "1000000"}})
        stack.admin("accounts", {"email": sub, "master": master_email, "balances": {}})
        stack.shell(SETUP, {**master, "sub": sub, "runs": args.runs})
        stack.start_beat()
        stack.start_worker()
        chaos = Chaos(stack, args.seed, args.kill_every, ["transfer"])

        def settled() -> bool:
            runs = stack.runs()
            return len(runs) == args.runs and all(r["status"] in SETTLED for r in runs)

        chaos.until(
            settled,
            deadline=started + args.timeout,
            late="timed out before every run settled",
        )
        runs = stack.runs()
        moved = ledger(stack, master, sub)
    finally:
        stack.close()
    report(args.runs, runs, moved, chaos.kills, chaos.faults, time.monotonic() - started)


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
