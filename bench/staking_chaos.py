"""Exactly-once evidence for stakes and unstakes under worker crashes and faults.

    .venv/bin/python bench/staking_chaos.py [--operations 500] [--assets 8] [--kill-every 1.5,5]
        [--seed 7] [--timeout 900]

Starts a private redis-server, a sandbox exchange, a database and a Celery worker, and adds
stakable assets to the sandbox's staking catalogue until there are ``--assets`` (ETH and SOL are
seeded). A connection may have one operation per asset in flight (a database constraint), so the
operations cannot all be committed up front: a driver process (``manage shell``) asks for the
next one of every asset whose previous one has settled, through the desk's own service (checked,
committed under a form key, queued) — a stake, then a smaller unstake, and so on, every one of a
distinct amount so it can be found in the exchange's staking history — and runs the reconcile
sweep (``wallet.staking.reconcile.staking_reconcile``, what the beat's ``reconcile_staking``
runs) every 3 s with short periods, until ``--operations`` were committed and all settled. The
desk's checks may refuse one (its shared request-weight budget is spent, so the staked amount
cannot be read; an unstake of more than is staked after a stake failed): nothing is written,
and the asset is asked again 2 s later, for a new amount.
Meanwhile this process:
- SIGKILLs the whole worker (parent and children) at random moments and starts a new one,
- injects ``stake`` / ``unstake`` faults in the sandbox at random: executed-then-500,
  executed-then-held (the worker is stuck inside the call, after the operation happened, when
  the kill lands) and 503 "Service Unavailable" (not executed).
Finally it reads the exchange's staking history of every asset and prints how often each
operation is listed there: duplicates (an amount listed more than once), lost (done but absent,
or never settled) and wrongly failed (failed, or refused by the desk's checks, but listed) must
all be 0. An operation whose worker died before its request left is absent past the grace
period and ends failed ("nothing was staked"): operations are never re-sent without their
owner, so these are counted, not lost.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import Chaos, ChaosStack, parse_args, with_arg
from tests.support import ROOT, terminate

# ETH and SOL are in the sandbox's seeded catalogue; the others are added to it.
ASSETS = ("ETH", "SOL", "BTC", "USDT", "USDC", "ADA", "DOT", "AVAX", "ATOM", "LINK", "XTZ", "ALGO")
NEW_ASSET = {
    "apr": "0.05",
    "apy": "0.0513",
    "unstakingPeriod": 24,
    "minStakingLimit": "0.01",
    "maxStakingLimit": "1000000",
    "autoRestake": True,
}
BALANCE = "1000000"  # of every asset: far more than all the stakes, so no check ever refuses
# Every stake is larger than every unstake (so the staked amount only grows) and each is
# distinct per operation: BASE[kind] + STEP x the operation's number.
BASE = {"stake": Decimal("1"), "unstake": Decimal("0.5")}
STEP = Decimal("0.0001")

# The driver: the user and connection, then asks for operations as the one in flight per asset
# allows, sweeping every 3 s with the bench's short periods; its last line is the report.
DRIVE = """
import json, sys, time, traceback, uuid
from decimal import Decimal
from django.conf import settings
settings.STAKING_RECONCILE_GRACE_SECONDS = 20
settings.STAKING_STALE_SECONDS = 15
from django.contrib.auth import get_user_model
from accounts import services
from wallet.staking import services as staking
from wallet.staking.checks import StakingProblems
from wallet.staking.models import IN_FLIGHT, StakingOperation
from wallet.staking.reconcile import staking_reconcile
a = json.loads(sys.argv[1])
user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")
conn = services.connection_import(user=user, label="Staking", key_type="exchange",
    environment="sandbox", api_key=a["apiKey"], api_secret=a["secretKey"])
services.connection_sync_balances(connection_id=conn.pk)
conn.refresh_from_db()
assets, n = a["assets"], a["n"]
quota = {x: n // len(assets) + (i < n % len(assets)) for i, x in enumerate(assets)}
# Committed and asked for (a refusal writes nothing: the asset is asked again, after 2 s).
made, asked, resume = dict.fromkeys(assets, 0), dict.fromkeys(assets, 0), dict.fromkeys(assets, 0)
refused, sweep_errors, number = [], 0, 0
deadline, next_sweep = time.monotonic() + a["timeout"], time.monotonic() + 3

def ask(asset, number):
    kind = "stake" if asked[asset] % 2 == 0 else "unstake"
    amount = Decimal(a["base"][kind]) + Decimal(a["step"]) * number
    asked[asset] += 1
    try:
        staking.operation_request(connection=conn, user=user, kind=kind, asset=asset,
            amount=amount, request_key=uuid.uuid4().hex, auto_restake=True)
    except (staking.OperationRefused, StakingProblems) as exc:
        refused.append({"kind": kind, "asset": asset, "amount": str(amount), "error": str(exc)})
        resume[asset] = time.monotonic() + 2
    else:
        made[asset] += 1

while True:
    busy = set(StakingOperation.objects.filter(status__in=IN_FLIGHT)
        .values_list("asset", flat=True))
    if not busy and made == quota:
        break
    for asset in assets:
        if asset not in busy and made[asset] < quota[asset] and time.monotonic() > resume[asset]:
            ask(asset, number)
            number += 1
    if time.monotonic() > deadline:
        print("timed out before every operation settled", file=sys.stderr)
        break
    if time.monotonic() >= next_sweep:
        try:
            staking_reconcile()
        except Exception:
            sweep_errors += 1
            traceback.print_exc()
        next_sweep = time.monotonic() + 3
    time.sleep(0.2)
rows = StakingOperation.objects.values("pk", "kind", "asset", "amount", "status",
    "error_message")
print(json.dumps({"operations": [{**r, "amount": str(r["amount"])} for r in rows],
    "refused": refused, "sweep_errors": sweep_errors}))
"""

SETTLED = ("done", "failed")
HISTORY_TYPE = {"stake": "staked", "unstake": "unstaked"}


class Stack(ChaosStack):
    def __init__(self, seed: int):
        super().__init__(
            "staking_chaos",
            seed,
            {"DESK_BALANCE_STALE_SECONDS": "3600"},  # the checks use the balances synced once
        )
        self.driver: subprocess.Popen | None = None

    def start_driver(self, setup: dict) -> None:
        script = with_arg(DRIVE, setup)
        with (self.tmp / "driver.out").open("w") as out, (self.tmp / "driver.err").open("w") as err:
            self.driver = subprocess.Popen(
                [sys.executable, "manage.py", "shell", "-c", script],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
            )

    def driver_report(self) -> dict:
        """The driver's last line; its standard error when it ended without one."""
        out = (self.tmp / "driver.out").read_text().strip().splitlines()
        err = (self.tmp / "driver.err").read_text()
        if err.strip():
            print(f"the driver's standard error (its end):\n{err[-3000:]}", file=sys.stderr)
        if self.driver.returncode != 0 or not out:
            raise SystemExit(f"the driver ended with {self.driver.returncode} and no report")
        return json.loads(out[-1])

    def close(self) -> None:
        if self.driver and self.driver.poll() is None:
            terminate(self.driver)
        super().close()


def prepare(stack: Stack, args) -> tuple[dict, list[str]]:
    """The database, the added catalogue rows and the sandbox account; (account, assets)."""
    assets = list(ASSETS[: args.assets])
    if len(assets) < args.assets:
        raise SystemExit(f"--assets: at most {len(ASSETS)}")
    stack.manage("migrate", "--noinput")
    added = {asset: NEW_ASSET for asset in assets if asset not in ("ETH", "SOL")}
    if added:
        stack.admin("staking/catalog", added)
    balances = dict.fromkeys(assets, BALANCE)
    account = stack.admin("accounts", {"email": "staking-chaos@example.test", "balances": balances})
    return account, assets


def ledger(stack: Stack, account: dict, assets: list[str]) -> collections.Counter:
    """How many times each (asset, type, amount) is listed in the exchange's staking history."""
    counts: collections.Counter = collections.Counter()
    with stack.client(account) as client:
        for asset in assets:
            page = 1
            while True:
                batch = client.staking_history(asset=asset, page=page, limit=500)
                counts.update((r.asset, r.type, amount_key(r.amount)) for r in batch)
                if len(batch) < 500:
                    break
                page += 1
    return counts


def amount_key(amount) -> str:
    return str(Decimal(amount).normalize())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--operations", type=int, default=500)
    parser.add_argument("--assets", type=int, default=8)
    args = parse_args(parser)
    stack = Stack(args.seed)
    started = time.monotonic()
    try:
        account, assets = prepare(stack, args)
        setup = {
            **account,
            "assets": assets,
            "n": args.operations,
            "base": {kind: str(v) for kind, v in BASE.items()},
            "step": str(STEP),
            "timeout": args.timeout,
        }
        stack.start_worker()
        stack.start_driver(setup)
        chaos = Chaos(stack, args.seed, args.kill_every, ["stake", "unstake"])
        # The driver stops itself at --timeout: this is for a driver that hangs.
        if not chaos.until(
            lambda: stack.driver.poll() is not None,
            every=0,
            deadline=time.monotonic() + args.timeout + 120,
            late="the driver did not stop by itself",
        ):
            terminate(stack.driver)
        result = stack.driver_report()
        counts = ledger(stack, account, assets)
    finally:
        stack.close()
    seconds = time.monotonic() - started
    report(args.operations, result, counts, chaos.kills, chaos.faults, seconds)


def report(expected, result, counts, kills, faults, seconds) -> None:
    rows, refused = result["operations"], result["refused"]
    by_status = collections.Counter(r["status"] for r in rows)
    duplicates = lost = wrongly_failed = 0
    for r in rows:
        n = counts.get((r["asset"], HISTORY_TYPE[r["kind"]], amount_key(r["amount"])), 0)
        duplicates += n > 1
        lost += (r["status"] == "done" and n == 0) or r["status"] not in SETTLED
        wrongly_failed += r["status"] == "failed" and n > 0
    # Refused by the desk's checks: nothing was sent, so nothing may be listed either.
    wrongly_failed += sum(
        counts.get((r["asset"], HISTORY_TYPE[r["kind"]], amount_key(r["amount"])), 0) > 0
        for r in refused
    )
    print(
        f"operations requested: {len(rows) + len(refused)} · committed: {len(rows)} of "
        f"{expected} · refused before sending: {len(refused)} · done: {by_status['done']} · "
        f"failed: {by_status['failed']} · worker SIGKILLs: {kills} · "
        f"fault injections: {faults} · sweep errors: {result['sweep_errors']} · {seconds:.0f} s"
    )
    swept = sum(r["status"] == "done" and r["error_message"].startswith("Confirmed") for r in rows)
    print(f"done as found in the staking history by the sweep (the outcome was unknown): {swept}")
    unsettled = {k: v for k, v in by_status.items() if k not in SETTLED}
    if unsettled:
        print("never settled: " + ", ".join(f"{k} {v}" for k, v in sorted(unsettled.items())))
    reasons = collections.Counter(r["error_message"][:70] for r in rows if r["status"] == "failed")
    reasons.update(r["error"][:70] for r in refused)
    for reason, n in reasons.most_common():
        print(f"  failed or refused ({n}): {reason}")
    print(
        f"ledger operations: {sum(counts.values())} · duplicates: {duplicates} · "
        f"lost: {lost} · wrongly failed: {wrongly_failed}"
    )
    sys.exit(0 if duplicates == lost == wrongly_failed == 0 and len(rows) == expected else 1)


if __name__ == "__main__":
    main()
