"""Exactly-once evidence for OTC conversions and dust conversions under worker crashes and faults.

    .venv/bin/python bench/convert_chaos.py [--otc 500] [--dust 200] [--dust-accounts 4]
        [--kill-every 1.5,5] [--seed 7] [--timeout 2400]

Starts a private redis-server, a sandbox exchange, a database and a Celery worker. The sandbox
has one account for the OTC conversions (plenty of every coin of its pairs; quotes valid
``QUOTE_VALIDITY_MS``, orders settled ``SETTLE_DELAY_MS`` after they are placed) and
``--dust-accounts`` accounts for the dust conversions (no restricted time after a conversion,
every small balance is dust). A driver process (``manage shell``) stands for the pages: through
the desk's own services (checked, committed under the intent's key, queued) it asks for
- ``--otc`` OTC conversions, at most ``WINDOW`` unsettled at a time (a conversion settles when
  it failed, or when its order ended SUCCESS or FAIL on the exchange): a quote
  (``quote_request``, amounts and pairs varied) then its accept (``conversion_accept``); the
  conversion's key is the quote's ``quoteId`` (single use on the exchange),
- ``--dust`` dust conversions into ``TARGET``, spread over the dust accounts: a connection has
  one in flight at a time (a database constraint), so each account asks its next one once its
  previous one settled. Before each, the driver deposits a small amount of one to three assets
  of ``DUST_ASSETS`` (a distinct amount per conversion) and reads the account's balances: the
  exchange converts an asset's whole free balance, so the (assets, amounts) it will log are
  known before the request and name that conversion alone (the request carries no id: the
  sweep finds it in the dust log by its assets and time),
and runs what the beat runs every 15 s, every 3 s with short periods: the conversions sweep
(``convert.reconcile.conversions_reconcile``: unsent ones queued again, unknown ones settled
from the exchange's records, orders still in progress followed), until every conversion is
final. A refusal of the desk's checks (a quote refused, an expired quote, a balance or the
convertible list unreadable) writes and sends nothing; the kind is asked again 2 s later, with
a new quote or new amounts.
Meanwhile this process:
- SIGKILLs the whole worker (parent and children) at random moments and starts a new one,
- injects ``otcOrder`` (POST /sapi/v1/otc/orders) and ``dust`` (POST /sapi/v1/asset/dust)
  faults in the sandbox at random: executed-then-500, executed-then-held (the worker is stuck
  inside the call, after the conversion happened, when the kill lands) and 503 "Service
  Unavailable" (not executed).
Finally it reads the exchange's own records (every page of ``GET /sapi/v1/otc/orders``, each
dust account's ``GET /sapi/v1/asset/query/dust-logs``) and prints per kind how often each
conversion is listed there: OTC orders by ``quoteId``, dust conversions by account, assets and
amounts. Duplicates (listed more than once), lost (done but absent, listed but not done, never
settled, or listed and asked by nobody) and wrongly failed (failed, or refused by the checks,
but listed) must all be 0, and every done conversion must carry what the exchange lists (the
order's id and final status; the dust conversion's ``tranId``). A conversion whose worker died
before its request left is absent past the grace period and ends failed ("nothing was
converted"): conversions are never re-sent without their owner, so these are counted, not lost;
so is an OTC conversion whose quote expired before a worker sent it (the exchange refuses it).

The exchange itself refuses most second sends (a quote is single use; a dust conversion takes
the whole balance, gone after the first), so a desk that sent twice would mostly show here as a
conversion failed on that refusal though listed once: wrongly failed, which the ledger counts.

Everything the desk sends shares its request-weight budget (1200 a minute, as the exchange's):
the checks' reads are refused while it is spent, and that, not the worker, sets the pace.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos import Chaos, ChaosStack, parse_args

PLENTY = "1000000"  # of every OTC coin: no check or exchange refusal for want of funds
# The OTC conversions' pairs (the sandbox's defaults) and the amount of the from-coin asked for
# (within the pair's bounds); each conversion adds STEP x its number.
OTC_PAIRS = (
    ("BTC", "USD", Decimal("0.001")),
    ("USD", "BTC", Decimal("20")),
    ("ETH", "USD", Decimal("0.01")),
    ("USDT", "ETH", Decimal("25")),
    ("SOL", "USD", Decimal("0.2")),
    ("BTC", "USDT", Decimal("0.0005")),
)
OTC_COINS = ("BTC", "ETH", "SOL", "USD", "USDT")
TARGET = "USDT"  # of the dust conversions
# The dust assets and the base amount deposited before a conversion (a few USD at most); each
# deposit adds DUST_STEP x the conversion's number. BTC, ETH and SOL have the sandbox's books;
# the others the admin's fallback prices (DUST_PRICES, USD).
DUST_ASSETS = {
    "BTC": Decimal("0.0001"),
    "ETH": Decimal("0.001"),
    "SOL": Decimal("0.01"),
    "BNB": Decimal("0.005"),
    "ADA": Decimal("2"),
    "DOT": Decimal("0.1"),
    "LTC": Decimal("0.01"),
    "XRP": Decimal("1"),
}
DUST_PRICES = {"BNB": "600", "ADA": "0.5", "DOT": "7", "LTC": "80", "XRP": "0.6"}
STEP = Decimal("0.000001")
DUST_STEP = Decimal("0.00000001")
WINDOW = 8  # OTC conversions unsettled at a time, as a few pages would have
# A quote outlives a worker's restart and the sweep's hand-back of a task lost with a killed
# worker (30 s), so most orders go out while their quote is valid; one that does not is refused
# by the exchange (-1130 quoteId: failed, nothing converted).
QUOTE_VALIDITY_MS = 60_000
SETTLE_DELAY_MS = 500  # PROCESS -> SUCCESS on the exchange (read lazily: the follow's GET)
FAULT_KEYS = ("otcOrder", "dust")
TIMEOUT = 2400  # s; the default scale takes about 10 minutes on 2 cores
# The bench's short periods (the desk reads them from the environment): stale past the
# client's 3 s timeout, absence believed after 20 s.
PERIODS = {"CONVERT_STALE_SECONDS": "15", "CONVERT_RECONCILE_GRACE_SECONDS": "20"}

# The driver: the user and connections, then asks for conversions as the pages would, sweeping
# every 3 s; its last line is the report.
DRIVE = """
import json, random, sys, time, traceback, uuid
from collections import Counter
from decimal import Decimal
import requests
from django.contrib.auth import get_user_model
from accounts import services
from accounts.models import Environment, KeyType
from convert import services as convert
from convert.models import IN_FLIGHT, ORDER_FINAL, DustConversion, OtcConversion
from convert.reconcile import conversions_reconcile
from desk.problems import Refused
a = json.loads(sys.argv[1])
rng = random.Random(a["seed"])
step, dust_step = Decimal(a["step"]), Decimal(a["dust_step"])
pairs = [(f, t, Decimal(amount)) for f, t, amount in a["pairs"]]
dust_base = {k: Decimal(v) for k, v in a["dust_assets"].items()}
user = get_user_model().objects.create_user("chaos", password="chaos-pass-123")

def connect(label, key):
    return services.connection_import(user=user, label=label, key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX, api_key=key["apiKey"], api_secret=key["secretKey"])

otc = connect("OTC", a["otc"])
services.connection_sync_balances(connection_id=otc.pk)  # the accept's funds check reads them
lines = [connect(f"Dust {i}", k) for i, k in enumerate(a["dust"])]
n_otc = a["otc_n"]
line_quota = [a["dust_n"] // len(lines) + (i < a["dust_n"] % len(lines)) for i in range(len(lines))]
otc_made, otc_number, otc_resume = 0, 0, 0.0
line_made, line_resume = [0] * len(lines), [0.0] * len(lines)
dust_number, dust_asked, used_keys = 0, {}, set()
refused, sweep_errors = [], 0
deadline, next_sweep = time.monotonic() + a["timeout"], time.monotonic() + 3

def otc_open():
    in_flight = OtcConversion.objects.filter(status__in=IN_FLIGHT).count()
    following = OtcConversion.objects.filter(status="done").exclude(order_status__in=ORDER_FINAL)
    return in_flight + following.count()

def ask_otc():
    global otc_made, otc_number, otc_resume
    from_coin, to_coin, base = pairs[otc_number % len(pairs)]
    amount = base + step * otc_number
    otc_number += 1
    quote_id = ""
    try:
        quote = convert.quote_request(connection=otc, from_coin=from_coin, to_coin=to_coin,
            request_coin=from_coin, request_amount=amount)
        quote_id = quote.quote_id
        convert.conversion_accept(connection=otc, user=user, quote_id=quote_id)
    except Refused as exc:
        refused.append({"kind": "otc", "key": quote_id, "error": str(exc)})
        otc_resume = time.monotonic() + 2
    else:
        otc_made += 1

def admin(method, path, **kw):
    r = requests.request(method, a["sandbox"] + "/sandbox/v1/" + path, timeout=5, **kw)
    r.raise_for_status()
    return r.json()

def dust_deposit(i):
    # Deposits a distinct amount of one to three assets; the (assets, whole free balances)
    # the exchange will log for them, never used before by this account.
    global dust_number
    email = a["dust"][i]["email"]
    assets = sorted(rng.sample(sorted(dust_base), rng.randint(1, 3)))
    while True:
        for asset in assets:
            admin("POST", "deposit", json={"email": email, "asset": asset,
                "amount": str(dust_base[asset] + dust_step * dust_number)})
        dust_number += 1
        balances = admin("GET", "accounts/" + email)["balances"]
        amounts = {x: str(Decimal(balances[x]["free"]).normalize()) for x in assets}
        key = (i, tuple(sorted(amounts.items())))
        if key not in used_keys:
            used_keys.add(key)
            return assets, amounts

def ask_dust(i):
    assets, amounts = dust_deposit(i)
    key = uuid.uuid4().hex
    dust_asked[key] = {"line": i, "amounts": amounts}
    try:
        convert.dust_request(connection=lines[i], user=user, from_assets=assets,
            to_asset=a["target"], request_key=key)
    except Refused as exc:
        refused.append({"kind": "dust", "key": key, "error": str(exc)})
        line_resume[i] = time.monotonic() + 2
    else:
        line_made[i] += 1

def finished():
    if otc_made < n_otc or line_made != line_quota:
        return False
    if DustConversion.objects.filter(status__in=IN_FLIGHT).exists():
        return False
    return otc_open() == 0

while not finished():
    now = time.monotonic()
    room = a["window"] - otc_open()
    while room > 0 and otc_made < n_otc and time.monotonic() > otc_resume:
        ask_otc()
        room -= 1
    busy = set(DustConversion.objects.filter(status__in=IN_FLIGHT)
        .values_list("connection_id", flat=True))
    for i, line in enumerate(lines):
        if line.pk not in busy and line_made[i] < line_quota[i] and now > line_resume[i]:
            ask_dust(i)
    if now > deadline:
        print("timed out before every conversion settled", file=sys.stderr)
        break
    if now >= next_sweep:
        try:
            conversions_reconcile()
        except Exception:
            sweep_errors += 1
            traceback.print_exc()
        next_sweep = time.monotonic() + 3
    time.sleep(0.2)
index = {line.pk: i for i, line in enumerate(lines)}
otc_rows = list(OtcConversion.objects.values("quote_id", "status", "order_id", "order_status",
    "error_message"))
dust_rows = []
for r in DustConversion.objects.values("connection_id", "request_key", "status", "results",
        "error_message"):
    r["line"] = index[r.pop("connection_id")]
    r["amounts"] = dust_asked[r["request_key"]]["amounts"]
    r["tran_ids"] = sorted({str(x["tranId"]) for x in r.pop("results") if x.get("tranId")})
    dust_rows.append(r)
for r in refused:
    if r["kind"] == "dust":
        r.update(dust_asked[r["key"]])
print(json.dumps({"otc": otc_rows, "dust": dust_rows, "refused": refused,
    "sweep_errors": sweep_errors}))
"""

KINDS = {"otc": "OTC conversion", "dust": "dust conversion"}
ORDER_FINAL = ("SUCCESS", "FAIL")
SETTLED = ("done", "failed")


class Stack(ChaosStack):
    def __init__(self, seed: int):
        super().__init__("convert_chaos", seed, PERIODS)

    def configure(self) -> None:
        """The exchange-wide OTC and dust settings of the bench."""
        self.admin("otc", {"quoteValidityMs": QUOTE_VALIDITY_MS, "settleDelayMs": SETTLE_DELAY_MS})
        # Every small balance is dust (the default threshold, 20 USD, would leave a balance
        # that grew from failed conversions' leftovers out), and no restricted time.
        self.admin("dust", {"thresholdUsd": "100000", "cooldownMs": 0, "prices": DUST_PRICES})

    def otc_account(self) -> dict:
        email = "otc-chaos@example.test"
        return self.admin(
            "accounts", {"email": email, "balances": dict.fromkeys(OTC_COINS, PLENTY)}
        )

    def dust_account(self, i: int) -> dict:
        """Dust account ``i``: no balance yet (the driver deposits before each conversion)."""
        return self.admin("accounts", {"email": f"dust-chaos-{i}@example.test", "balances": {}})


@dataclass
class Ledger:
    """How many times the exchange lists each conversion: OTC orders by quoteId (with their
    order id and status), dust conversions by (account, target, assets and amounts) (with
    their tranIds)."""

    otc: collections.Counter = field(default_factory=collections.Counter)
    orders: dict = field(default_factory=dict)  # quoteId -> (orderId, status)
    dust: collections.Counter = field(default_factory=collections.Counter)
    tran_ids: dict = field(default_factory=dict)  # dust key -> sorted tranIds

    def rows(self) -> int:
        return sum(self.otc.values()) + sum(self.dust.values())


def ledger(stack: Stack, otc_key: dict, dust_keys: list[dict]) -> Ledger:
    found = Ledger()
    with stack.client(otc_key) as client:
        page = 1
        while True:
            batch = client.otc_orders(page=page, limit=100)
            for row in batch.rows:
                found.otc[row.quote_id] += 1
                found.orders[row.quote_id] = (str(row.order_id), row.status)
            if not batch.rows or page * 100 >= batch.total:
                break
            page += 1
    start = datetime(2020, 1, 1, tzinfo=UTC)
    end = datetime.now(UTC) + timedelta(days=1)
    for i, key in enumerate(dust_keys):
        with stack.client(key) as client:
            for log in client.dust_logs(start_time=start, end_time=end):
                amounts = tuple(sorted((d.from_asset, amount_key(d.amount)) for d in log.details))
                into = ",".join(sorted({d.to_asset for d in log.details}))
                found.dust[(i, into, amounts)] += 1
                found.tran_ids[(i, into, amounts)] = sorted({str(d.tran_id) for d in log.details})
    return found


def amount_key(amount) -> str:
    return str(Decimal(amount).normalize())


def dust_key(row: dict) -> tuple:
    """(account, target, ((asset, amount), ...)): what the dust log shows of a conversion."""
    amounts = tuple(sorted((k, amount_key(v)) for k, v in row["amounts"].items()))
    return (row["line"], TARGET, amounts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--otc", type=int, default=500, help="OTC conversions")
    parser.add_argument("--dust", type=int, default=200, help="dust conversions in all")
    parser.add_argument("--dust-accounts", type=int, default=4, help="dust accounts")
    parse_args(parser)  # adds the options every chaos bench takes, then: a longer default
    parser.set_defaults(timeout=TIMEOUT)
    args = parser.parse_args()
    stack = Stack(args.seed)
    started = time.monotonic()
    try:
        stack.manage("migrate", "--noinput")
        stack.configure()
        otc_key = stack.otc_account()
        dust_keys = [stack.dust_account(i) for i in range(args.dust_accounts)]
        setup = {
            "sandbox": stack.sandbox_url,
            "otc": otc_key,
            "dust": dust_keys,
            "otc_n": args.otc,
            "dust_n": args.dust,
            "window": WINDOW,
            "pairs": [(f, t, str(amount)) for f, t, amount in OTC_PAIRS],
            "step": str(STEP),
            "dust_assets": {k: str(v) for k, v in DUST_ASSETS.items()},
            "dust_step": str(DUST_STEP),
            "target": TARGET,
            "seed": args.seed,
            "timeout": args.timeout,
        }
        result, chaos = Chaos.drive(stack, DRIVE, setup, args, FAULT_KEYS)
        found = ledger(stack, otc_key, dust_keys)
    finally:
        stack.close()
    seconds = time.monotonic() - started
    report(args, result, found, chaos, seconds)


@dataclass
class Tally:
    asked: int = 0
    done: int = 0
    failed: int = 0
    refused: int = 0
    swept: int = 0  # done as found in the exchange's records by the sweep (the outcome was unknown)
    duplicates: int = 0
    lost: int = 0
    wrongly_failed: int = 0
    differs: int = 0  # done, but not with the exchange's order id / status, or tranIds

    def count(self, row: dict, listed: int, *, final: bool, same: bool) -> None:
        self.asked += 1
        done, failed = row["status"] == "done", row["status"] == "failed"
        self.done += done
        self.failed += failed
        self.swept += done and row["error_message"].startswith("Confirmed")
        self.duplicates += listed > 1
        self.lost += (done and listed == 0) or not final
        self.wrongly_failed += failed and listed > 0
        self.differs += done and listed == 1 and not same

    def count_refused(self, listed: int) -> None:
        self.asked += 1
        self.refused += 1
        self.wrongly_failed += listed > 0  # nothing was sent, so nothing may be listed


def tallies(result: dict, found: Ledger) -> dict[str, Tally]:
    out = {kind: Tally() for kind in KINDS}
    for row in result["otc"]:
        quote_id = row["quote_id"]
        final = row["status"] == "failed" or (
            row["status"] == "done" and row["order_status"] in ORDER_FINAL
        )
        same = found.orders.get(quote_id) == (row["order_id"], row["order_status"])
        out["otc"].count(row, found.otc[quote_id], final=final, same=same)
    for row in result["dust"]:
        key = dust_key(row)
        same = found.tran_ids.get(key) == row["tran_ids"]
        out["dust"].count(row, found.dust[key], final=row["status"] in SETTLED, same=same)
    for row in result["refused"]:
        if row["kind"] == "otc":
            listed = found.otc[row["key"]] if row["key"] else 0
        else:
            listed = found.dust[dust_key(row)]
        out[row["kind"]].count_refused(listed)
    return out


def _unasked(result: dict, found: Ledger) -> int:
    """Rows the exchange lists that no conversion of the desk's accounts for (a refused one
    listed is counted as wrongly failed already)."""
    quote_ids = {r["quote_id"] for r in result["otc"]}
    quote_ids |= {r["key"] for r in result["refused"] if r["kind"] == "otc"}
    dust = {dust_key(r) for r in result["dust"]}
    dust |= {dust_key(r) for r in result["refused"] if r["kind"] == "dust"}
    return sum(n for k, n in found.otc.items() if k not in quote_ids) + sum(
        n for k, n in found.dust.items() if k not in dust
    )


def report(args, result: dict, found: Ledger, chaos: Chaos, seconds: float) -> None:
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
    orders = collections.Counter(r["order_status"] for r in result["otc"] if r["status"] == "done")
    print("OTC orders done, by their final status: " + ", ".join(
        f"{status} {n}" for status, n in sorted(orders.items())
    ))  # fmt: skip
    reasons = collections.Counter(
        r["error_message"][:70] for r in result["otc"] + result["dust"] if r["status"] == "failed"
    )
    reasons.update(r["error"][:70] for r in result["refused"])
    for reason, count in reasons.most_common():
        print(f"  failed or refused ({count}): {reason}")
    duplicates = sum(t.duplicates for t in per_kind.values())
    lost = sum(t.lost for t in per_kind.values()) + _unasked(result, found)
    wrongly = sum(t.wrongly_failed for t in per_kind.values())
    differs = sum(t.differs for t in per_kind.values())
    print(
        f"ledger rows: {found.rows()} · duplicates: {duplicates} · lost: {lost} · "
        f"wrongly failed: {wrongly} · done but unlike the exchange's record: {differs}"
    )
    committed = {k: per_kind[k].asked - per_kind[k].refused for k in KINDS}
    complete = committed["otc"] == args.otc and committed["dust"] == args.dust
    sys.exit(0 if duplicates == lost == wrongly == differs == 0 and complete else 1)


if __name__ == "__main__":
    main()
