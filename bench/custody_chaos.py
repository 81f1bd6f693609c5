"""Exactly-once evidence for custodian and credit-line transfers under worker crashes and faults.

    .venv/bin/python bench/custody_chaos.py [--n 100] [--lines 4] [--kill-every 1.5,5]
        [--seed 7] [--timeout 900]

Starts a private redis-server, a sandbox exchange, a database and a Celery worker. The sandbox
has one account set up for custody (a custodial key; partner transfers processed 2 s of its
clock after they are received) and ``--lines`` accounts with a credit line (a credit-line key
each; USD pledged, no loan). A driver process (``manage shell``) stands for the pages: through
the desk's own services (checked, committed under the form's key, queued) it asks for
- ``--n`` transfers from the exchange wallet into custody and ``--n`` from the custodial
  partner, at most ``WINDOW`` of each kind unsettled at a time,
- an undo of half the partner transfers, each once the sync has followed it to processed
  (only a processed transfer can be undone), one undo asked per partner transfer,
- ``--n`` credit-line transfers, in then out in turn, spread over the lines: a connection has
  one in flight at a time (a database constraint), so each line asks its next one once its
  previous one settled, every one of a distinct quantity (the transfer carries no client id:
  the sweep finds it in the history by type, asset, quantity and time),
and runs what the beat runs every 3 s with short periods: both reconcile sweeps
(``custody.reconcile.custody_reconcile``, ``creditline.reconcile.credit_transfers_reconcile``)
and the custody sync (``custody.sync.custody_sync``), until every transfer is final: done (a
partner transfer: and processed on the exchange) or failed. A refusal of the desk's checks
(e.g. a balance unreadable while the shared request-weight budget is spent) writes and sends
nothing; the kind is asked again 2 s later, for a new amount (an undo: not that origin again).
Meanwhile this process:
- SIGKILLs the whole worker (parent and children) at random moments and starts a new one,
- injects ``custodianTransfer`` (wallet and partner transfers), ``custodianUndo`` and
  ``creditLineTransfer`` faults in the sandbox at random: executed-then-500, executed-then-held
  (the worker is stuck inside the call, after the transfer happened, when the kill lands) and
  503 "Service Unavailable" (not executed).
Finally it reads the exchange's own histories (``walletTransferHistory``,
``custodianTransferHistory`` with its "Undo Transfer" rows, each line's ``cl/transferHistory``)
and prints per kind how often each transfer is listed there: duplicates (listed more than
once), lost (done but absent, listed but not done, never settled, or listed and asked by
nobody) and wrongly failed (failed, or refused by the checks, but listed) must all be 0. A
transfer whose worker died before its request left is absent past the grace period and ends
failed ("nothing was moved"): transfers are never re-sent without their owner, so these are
counted, not lost.

The sandbox names an undo's origin in its row's ``clientOrderId`` ("undo-<originTransferId>",
see ``sandbox/custody.py``): the ledger counts undos by origin through it.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import Chaos, ChaosStack, parse_args

RAIL = "ANCHORAGE"
ASSET = "BTC"  # of the custody transfers
CREDIT_ASSET = "USD"  # of the credit-line transfers: worth itself, no price to move
PLENTY = "1000000"  # of every balance: no check or exchange refusal for want of funds
PROCESSING_MS = 2_000  # a partner transfer is PROCESS this long (sandbox clock), then SUCCESS
WINDOW = 5  # custody transfers of one kind unsettled at a time, as a few pages would have
# Every amount is distinct per kind: BASE + STEP x the transfer's number.
BASE = {
    "wallet": Decimal("0.01"),
    "custodian": Decimal("0.02"),
    "TRANSFER_IN": Decimal("2"),
    "TRANSFER_OUT": Decimal("1"),
}
STEP = Decimal("0.00001")
FAULT_KEYS = ("custodianTransfer", "custodianUndo", "creditLineTransfer")
# The bench's short periods (the desk reads them from the environment): stale past the
# client's 3 s timeout, absence believed after 20 s.
PERIODS = {
    "CUSTODY_STALE_SECONDS": "15",
    "CUSTODY_RECONCILE_GRACE_SECONDS": "20",
    "CREDIT_TRANSFER_STALE_SECONDS": "15",
    "CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS": "20",
}

# The driver: the user and connections, then asks for transfers as the pages would, sweeping
# and syncing every 3 s; its last line is the report.
DRIVE = """
import json, sys, time, traceback, uuid
from collections import Counter
from decimal import Decimal
from django.contrib.auth import get_user_model
from accounts import services
from accounts.models import Environment, KeyType
from creditline import services as credit
from creditline.models import IN_FLIGHT, CreditTransfer
from creditline.reconcile import credit_transfers_reconcile
from creditline.sync import credit_line_poll
from custody import selectors, services as custody
from custody.models import CustodyTransfer
from custody.reconcile import custody_reconcile
from custody.sync import custody_sync
from desk.problems import Refused
a = json.loads(sys.argv[1])
base, step, n = {k: Decimal(v) for k, v in a["base"].items()}, Decimal(a["step"]), a["n"]
user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")

def connect(label, key_type, key):
    return services.connection_import(user=user, label=label, key_type=key_type,
        environment=Environment.SANDBOX, api_key=key["apiKey"], api_secret=key["secretKey"])

vault = connect("Custody", KeyType.CUSTODIAL, a["custody"])
vault.custodian_rail = a["rail"]
vault.save(update_fields=["custodian_rail"])
lines = [connect(f"Credit {i}", KeyType.CREDIT_LINE, k) for i, k in enumerate(a["lines"])]
for line in lines:
    credit_line_poll(connection_id=line.pk, force=True)  # the credit-line checks read it
quota = {"wallet": n, "custodian": n, "undo": n // 2}
line_quota = [n // len(lines) + (i < n % len(lines)) for i in range(len(lines))]
made, asked, number = Counter(), Counter(), Counter()
line_made, line_asked = [0] * len(lines), [0] * len(lines)
resume, line_resume = Counter(), [0.0] * len(lines)
undo_tried, refused, sweep_errors = set(), [], 0
deadline, next_sweep = time.monotonic() + a["timeout"], time.monotonic() + 3

def refuse(kind, exc, **what):
    refused.append({"kind": kind, "error": str(exc), **what})

def unsettled(kind):
    return CustodyTransfer.objects.filter(kind=kind).exclude(status__in=("done", "failed"))

def ask_custody(kind):
    amount = base[kind] + step * number[kind]
    number[kind] += 1
    asked[kind] += 1
    key = uuid.uuid4().hex
    try:
        custody.transfer_request(connection=vault, user=user, kind=kind, asset=a["asset"],
            amount=amount, client_order_id=key)
    except (custody.TransferRefused, Refused) as exc:
        refuse(kind, exc, key=key)
        resume[kind] = time.monotonic() + 2
    else:
        made[kind] += 1

def ask_undo():
    due = min(quota["undo"], (made["custodian"] + 1) // 2)
    if made["undo"] >= due or time.monotonic() < resume["undo"]:
        return
    origin = next((t for t in selectors.undoable_list(connection=vault)
        if t.pk not in undo_tried), None)
    if origin is None:
        return
    undo_tried.add(origin.pk)
    asked["undo"] += 1
    try:
        custody.undo_request(connection=vault, user=user, origin_id=origin.pk,
            request_key=uuid.uuid4().hex)
    except (custody.TransferRefused, Refused) as exc:
        refuse("undo", exc, key=origin.transfer_id)
        resume["undo"] = time.monotonic() + 2
    else:
        made["undo"] += 1

def ask_credit(i):
    kind = "TRANSFER_IN" if line_asked[i] % 2 == 0 else "TRANSFER_OUT"
    quantity = base[kind] + step * number[kind]
    number[kind] += 1
    line_asked[i] += 1
    try:
        credit.transfer_request(connection=lines[i], user=user, transfer_type=kind,
            asset=a["credit_asset"], quantity=quantity, request_key=uuid.uuid4().hex)
    except (credit.TransferRefused, Refused) as exc:
        refuse(kind, exc, line=i, key=str(quantity))
        line_resume[i] = time.monotonic() + 2
    else:
        line_made[i] += 1

def undos_possible():
    # Every partner transfer final and none processed left to undo: the rest cannot be asked.
    return bool(unsettled("custodian").exists() or any(
        t.pk not in undo_tried for t in selectors.undoable_list(connection=vault)))

def finished():
    if any(made[k] < quota[k] for k in ("wallet", "custodian")) or line_made != line_quota:
        return False
    if made["undo"] < quota["undo"] and undos_possible():
        return False
    if CreditTransfer.objects.filter(status__in=IN_FLIGHT).exists():
        return False
    return all(t.is_final for t in CustodyTransfer.objects.all())

def sweep():
    global sweep_errors
    for step_ in (custody_reconcile, credit_transfers_reconcile,
                  lambda: custody_sync(connection_id=vault.pk)):
        try:
            step_()
        except Exception:
            sweep_errors += 1
            traceback.print_exc()

while not finished():
    now = time.monotonic()
    for kind in ("wallet", "custodian"):
        room = unsettled(kind).count() < a["window"]
        if made[kind] < quota[kind] and now > resume[kind] and room:
            ask_custody(kind)
    ask_undo()
    busy = set(CreditTransfer.objects.filter(status__in=IN_FLIGHT)
        .values_list("connection_id", flat=True))
    for i, line in enumerate(lines):
        if line.pk not in busy and line_made[i] < line_quota[i] and now > line_resume[i]:
            ask_credit(i)
    if now > deadline:
        print("timed out before every transfer settled", file=sys.stderr)
        break
    if now >= next_sweep:
        sweep()
        next_sweep = time.monotonic() + 3
    time.sleep(0.2)
index = {line.pk: i for i, line in enumerate(lines)}
custody_rows = list(CustodyTransfer.objects.values("kind", "client_order_id",
    "origin_transfer_id", "status", "exchange_status", "error_message"))
credit_rows = []
for r in CreditTransfer.objects.values("connection_id", "transfer_type", "quantity", "status",
        "error_message"):
    r["line"], r["quantity"] = index[r.pop("connection_id")], str(r["quantity"])
    credit_rows.append(r)
print(json.dumps({"custody": custody_rows, "credit": credit_rows, "refused": refused,
    "sweep_errors": sweep_errors}))
"""

KINDS = {
    "wallet": "wallet → custodial",
    "custodian": "partner → custodial",
    "undo": "undo of a partner transfer",
    "TRANSFER_IN": "credit line in",
    "TRANSFER_OUT": "credit line out",
}
PROCESSED = "SUCCESS"


class Stack(ChaosStack):
    def __init__(self, seed: int):
        super().__init__("custody_chaos", seed, PERIODS)

    def custody_account(self) -> dict:
        """The custody account's custodial key."""
        email = "custody-chaos@example.test"
        self.admin("accounts", {"email": email, "balances": {ASSET: PLENTY}})
        self.admin(
            f"accounts/{email}/custody",
            {
                "rail": RAIL,
                "balances": {ASSET: PLENTY},
                "partnerBalances": {ASSET: PLENTY},
                "transferEligible": [ASSET],
                "processingDelayMs": PROCESSING_MS,
            },
        )
        return self.admin("keys", {"email": email, "type": "custodial"})

    def credit_account(self, i: int) -> dict:
        """Line ``i``'s credit-line key."""
        email = f"credit-chaos-{i}@example.test"
        self.admin("accounts", {"email": email, "balances": {CREDIT_ASSET: PLENTY}})
        self.admin(f"accounts/{email}/credit-line", {"balances": {CREDIT_ASSET: PLENTY}})
        return self.admin("keys", {"email": email, "type": "credit_line"})


@dataclass
class Ledger:
    """How many times the exchange lists each transfer: custody ones by clientOrderId, undos by
    their origin's transferId, credit-line ones by (line, type, quantity)."""

    wallet: collections.Counter = field(default_factory=collections.Counter)
    custodian: collections.Counter = field(default_factory=collections.Counter)
    undo: collections.Counter = field(default_factory=collections.Counter)
    credit: collections.Counter = field(default_factory=collections.Counter)

    def rows(self) -> int:
        return sum(sum(c.values()) for c in (self.wallet, self.custodian, self.undo, self.credit))


def ledger(stack: Stack, custody_key: dict, line_keys: list[dict]) -> Ledger:
    found = Ledger()
    with stack.client(custody_key) as client:
        found.wallet.update(
            r.client_order_id for r in paged(client.custodian_wallet_transfer_history)
        )
        for row in paged(client.custodian_transfer_history):
            client_id = row.client_order_id or ""
            if client_id.startswith("undo-"):
                found.undo[client_id.removeprefix("undo-")] += 1
            else:
                found.custodian[client_id] += 1
    for i, key in enumerate(line_keys):
        with stack.client(key) as client:
            found.credit.update(
                (i, r.transfer_type, amount_key(r.amount)) for r in credit_history(client)
            )
    return found


def paged(history) -> list:
    """Every row of a custodian transfer history (90 days by default: the whole bench)."""
    rows: list = []
    page = 1
    while True:
        batch = history(rail=RAIL, page=page, limit=100)
        rows += batch
        if len(batch) < 100:
            return rows
        page += 1


def credit_history(client) -> list:
    """Every row of ``cl/transferHistory``: newest first, at most 100 a call and no page, so
    each call ends where the last one's oldest row was (rows of that time are read again)."""
    rows: dict = {}
    window: dict = {}
    while True:
        batch = client.credit_line_transfer_history(limit=100, **window)
        new = {r.transfer_id: r for r in batch if r.transfer_id not in rows}
        rows.update(new)
        if len(batch) < 100 or not new:
            return list(rows.values())
        window = {"end_time": min(r.transfer_time for r in batch)}


def amount_key(amount) -> str:
    return str(Decimal(amount).normalize())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n",
        type=int,
        default=100,
        help="wallet and partner transfers each, credit-line transfers in all; undos: half",
    )
    parser.add_argument("--lines", type=int, default=4, help="credit lines")
    args = parse_args(parser)
    stack = Stack(args.seed)
    started = time.monotonic()
    try:
        stack.manage("migrate", "--noinput")
        custody_key = stack.custody_account()
        line_keys = [stack.credit_account(i) for i in range(args.lines)]
        setup = {
            "custody": custody_key,
            "lines": line_keys,
            "rail": RAIL,
            "asset": ASSET,
            "credit_asset": CREDIT_ASSET,
            "n": args.n,
            "window": WINDOW,
            "base": {kind: str(v) for kind, v in BASE.items()},
            "step": str(STEP),
            "timeout": args.timeout,
        }
        result, chaos = Chaos.drive(stack, DRIVE, setup, args, FAULT_KEYS)
        found = ledger(stack, custody_key, line_keys)
    finally:
        stack.close()
    seconds = time.monotonic() - started
    report(args.n, result, found, chaos, seconds)


@dataclass
class Tally:
    asked: int = 0
    done: int = 0
    failed: int = 0
    refused: int = 0
    swept: int = 0  # done as found in the history by the sweep (the outcome was unknown)
    duplicates: int = 0
    lost: int = 0
    wrongly_failed: int = 0

    def count(self, row: dict, listed: int, *, final: bool) -> None:
        self.asked += 1
        done, failed = row["status"] == "done", row["status"] == "failed"
        self.done += done
        self.failed += failed
        self.swept += done and row["error_message"].startswith("Confirmed")
        self.duplicates += listed > 1
        self.lost += (done and listed == 0) or not final
        self.wrongly_failed += failed and listed > 0

    def count_refused(self, listed: int) -> None:
        self.asked += 1
        self.refused += 1
        self.wrongly_failed += listed > 0  # nothing was sent, so nothing may be listed


def tallies(result: dict, found: Ledger) -> dict[str, Tally]:
    out = {kind: Tally() for kind in KINDS}
    for row in result["custody"]:
        kind = row["kind"]
        listed = _custody_listed(found, row)
        out[kind].count(row, listed, final=_custody_final(row))
    for row in result["credit"]:
        key = (row["line"], row["transfer_type"], amount_key(row["quantity"]))
        out[row["transfer_type"]].count(row, found.credit[key], final=row["status"] in SETTLED)
    for row in result["refused"]:
        out[row["kind"]].count_refused(_refused_listed(found, row))
    return out


SETTLED = ("done", "failed")


def _custody_listed(found: Ledger, row: dict) -> int:
    if row["kind"] == "undo":
        return found.undo[row["origin_transfer_id"]]
    return getattr(found, row["kind"])[row["client_order_id"]]


def _custody_final(row: dict) -> bool:
    if row["status"] == "failed" or (row["status"] == "done" and row["kind"] != "custodian"):
        return True
    return row["status"] == "done" and row["exchange_status"].upper() == PROCESSED


def _refused_listed(found: Ledger, row: dict) -> int:
    kind = row["kind"]
    if kind in ("TRANSFER_IN", "TRANSFER_OUT"):
        return found.credit[(row["line"], kind, amount_key(row["key"]))]
    return getattr(found, kind)[row["key"]]


def _unasked(result: dict, found: Ledger) -> int:
    """Rows the exchange lists that no transfer of the desk's accounts for."""
    ids = {(r["kind"], r["client_order_id"]) for r in result["custody"]}
    origins = {r["origin_transfer_id"] for r in result["custody"] if r["kind"] == "undo"}
    credit = {(r["line"], r["transfer_type"], amount_key(r["quantity"])) for r in result["credit"]}
    return (
        sum(n for k, n in found.wallet.items() if ("wallet", k) not in ids)
        + sum(n for k, n in found.custodian.items() if ("custodian", k) not in ids)
        + sum(n for k, n in found.undo.items() if k not in origins)
        + sum(n for k, n in found.credit.items() if k not in credit)
    )


def report(n: int, result: dict, found: Ledger, chaos: Chaos, seconds: float) -> None:
    per_kind = tallies(result, found)
    faults = " · ".join(f"{k} {chaos.by_key[k]}" for k in FAULT_KEYS)
    print(
        f"worker SIGKILLs: {chaos.kills} · fault injections: {chaos.faults} ({faults}) · "
        f"sweep errors: {result['sweep_errors']} · {seconds:.0f} s"
    )
    for kind, t in per_kind.items():
        print(
            f"{KINDS[kind]}: asked {t.asked} · done {t.done} (found by the sweep {t.swept}) · "
            f"failed {t.failed} · refused before sending {t.refused} · "
            f"duplicates {t.duplicates} · lost {t.lost} · wrongly failed {t.wrongly_failed}"
        )
    reasons = collections.Counter(
        r["error_message"][:70] for r in result["custody"] + result["credit"]
        if r["status"] == "failed"
    )  # fmt: skip
    reasons.update(r["error"][:70] for r in result["refused"])
    for reason, count in reasons.most_common():
        print(f"  failed or refused ({count}): {reason}")
    duplicates = sum(t.duplicates for t in per_kind.values())
    lost = sum(t.lost for t in per_kind.values()) + _unasked(result, found)
    wrongly = sum(t.wrongly_failed for t in per_kind.values())
    committed = {k: per_kind[k].asked - per_kind[k].refused for k in KINDS}
    credit = committed["TRANSFER_IN"] + committed["TRANSFER_OUT"]
    print(
        f"ledger rows: {found.rows()} · duplicates: {duplicates} · lost: {lost} · "
        f"wrongly failed: {wrongly}"
    )
    complete = committed["wallet"] == committed["custodian"] == credit == n
    sys.exit(0 if duplicates == lost == wrongly == 0 and complete else 1)


if __name__ == "__main__":
    main()
