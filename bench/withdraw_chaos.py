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
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import Chaos, ChaosStack, parse_args

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


class Stack(ChaosStack):
    def __init__(self, seed: int):
        super().__init__(
            "withdraw_chaos",
            seed,
            {"DESK_BALANCE_STALE_SECONDS": "3600"},  # the checks use the balances synced once
        )

    def withdrawals(self) -> list[dict]:
        return json.loads(self.shell(SWEEP_AND_REPORT))


def ledger(stack: Stack, account: dict) -> tuple[collections.Counter, set[str]]:
    """How many times each amount left, and every withdrawOrderId, from the exchange's history."""
    with stack.client(account) as client:
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
    args = parse_args(parser)
    stack = Stack(args.seed)
    started = time.monotonic()
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
        stack.shell(SETUP, setup)
        stack.start_worker()
        chaos = Chaos(stack, args.seed, args.kill_every, ["withdrawApply"])
        chaos.until(
            lambda: all(r["status"] in SETTLED for r in stack.withdrawals()),
            deadline=started + args.timeout,
            late="timed out before every withdrawal settled",
        )
        rows = stack.withdrawals()
        amounts, order_ids = ledger(stack, account)
    finally:
        stack.close()
    seconds = time.monotonic() - started
    report(args.withdrawals, rows, amounts, order_ids, chaos.kills, chaos.faults, seconds)


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
