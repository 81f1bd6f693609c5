"""Daily values before the first snapshot, estimated from the account's stored history.

Walking back from what the user holds now, each day's holdings are today's minus every change
the history records after that day's end, and each day is valued at that day's close (the
exchange's daily klines along each asset's USD route). A day with a snapshot of its own keeps
it; an estimated day is marked ``estimated``.

What moves the total, and so is undone:
- fills (spot and custodial): the base asset in, the quote asset out (or the reverse), the fee;
- deposits in and withdrawals out (with their fee), except those that failed or were refused;
- staking rewards in; conversions (OTC and dust): one asset out, another in;
- custodial partner transfers in, and their undos out.

What is internal and moves nothing: transfers between the master account and its sub-accounts,
from the exchange wallet to custody, stakes and unstakes.

What cannot be reconstructed, so the walk stops there (the chart starts later rather than
show a wrong line): the day before the oldest stored history row (before it the desk knows
nothing of what happened); a day when an asset would be held below zero (history missing
before it, e.g. a symbol whose trades were never synced); a day an asset held has no daily
close on the exchange (it is not priced). Sub-accounts' own trades, credit-line transfers
and referral rewards are not in the desk's history: holdings they changed are wrong by that
much before them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Min, Sum
from django.db.models.functions import TruncDay

from accounts.models import ExchangeConnection
from convert.models import DustConversion, OtcConversion
from custody.models import CustodyTransfer, TransferKind
from custody.orders.models import CustodialTrade
from dashboard.models import PortfolioSnapshot
from dashboard.portfolio import holdings, route_for
from desk import exchange_reads
from desk.intents.models import Status
from desk.lists import day_start
from trading.models import AccountTrade
from transfers.models import TransferHistoryRecord
from wallet.activity.models import ActivityState, WalletActivity
from wallet.activity.selectors import DEPOSITS
from wallet.staking.models import StakingEvent, StakingReward

MAX_DAYS = 365
GONE = [ActivityState.FAILED, ActivityState.CANCELED, ActivityState.REJECTED]


@dataclass
class Outcome:
    written: int = 0
    first_day: date | None = None
    stopped: str = ""  # why the walk went no further back


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


class _Days(defaultdict):
    """{day: {asset: net change that day}}."""

    def __init__(self):
        super().__init__(lambda: defaultdict(Decimal))

    def add(self, day, asset: str, amount) -> None:
        if amount:
            self[_day(day)][asset] += Decimal(amount)


def _changes(ids: list[int], pairs: dict, since: datetime) -> _Days:
    """Each day's net change per asset, from the stored history since ``since``."""
    days = _Days()
    for read in (_fills, _wallet, _rewards, _conversions, _custody):
        read(days, ids, since, pairs)
    return days


def _fills(days: _Days, ids, since, pairs) -> None:
    for model in (AccountTrade, CustodialTrade):
        rows = model.objects.filter(connection_id__in=ids, time__gte=since)
        rows = rows.annotate(day=TruncDay("time"))
        sums = rows.values("day", "symbol", "is_buyer").annotate(q=Sum("qty"), n=Sum("quote_qty"))
        for r in sums:
            base, quote = pairs.get(r["symbol"], (None, None))
            if base is None:
                continue  # a symbol the exchange no longer lists: nothing to value it with
            sign = 1 if r["is_buyer"] else -1
            days.add(r["day"], base, sign * r["q"])
            days.add(r["day"], quote, -sign * r["n"])
        for r in rows.values("day", "commission_asset").annotate(fee=Sum("commission")):
            days.add(r["day"], r["commission_asset"], -r["fee"])


def _wallet(days: _Days, ids, since, _pairs) -> None:
    rows = WalletActivity.objects.filter(connection_id__in=ids, time__gte=since)
    rows = rows.exclude(state__in=GONE).annotate(day=TruncDay("time"))
    for r in rows.values("day", "coin", "kind").annotate(n=Sum("amount"), fee=Sum("fee")):
        out = r["kind"] not in DEPOSITS
        days.add(r["day"], r["coin"], -(r["n"] + r["fee"]) if out else r["n"])


def _rewards(days: _Days, ids, since, _pairs) -> None:
    rows = StakingReward.objects.filter(connection_id__in=ids, time__gte=since)
    for r in rows.annotate(day=TruncDay("time")).values("day", "asset").annotate(n=Sum("amount")):
        days.add(r["day"], r["asset"], r["n"])


def _done(ids, since) -> dict:
    return {"connection_id__in": ids, "status": Status.DONE, "finished_at__gte": since}


def _conversions(days: _Days, ids, since, _pairs) -> None:
    for c in OtcConversion.objects.filter(**_done(ids, since)):
        days.add(c.finished_at, c.from_coin, -c.from_amount)
        days.add(c.finished_at, c.to_coin, c.to_amount)
    for d in DustConversion.objects.filter(**_done(ids, since)):
        for part in d.results:
            days.add(d.finished_at, part["asset"], -Decimal(part["amount"]))
        days.add(d.finished_at, d.to_asset, d.total_transferred or 0)


def _custody(days: _Days, ids, since, _pairs) -> None:
    # From the exchange wallet is internal; from the partner (or its undo) comes from outside.
    rows = CustodyTransfer.objects.filter(**_done(ids, since)).exclude(kind=TransferKind.WALLET)
    for t in rows:
        days.add(
            t.finished_at, t.asset, t.amount if t.kind == TransferKind.CUSTODIAN else -t.amount
        )


def _closes(assets: set[str], pairs: dict, days: int) -> tuple[dict, dict]:
    """(routes, {symbol: {day: close}}) for the assets' USD routes, from daily klines."""
    routes = {a: route_for(a, pairs) for a in assets}
    closes: dict[str, dict[date, Decimal]] = {}
    for leg in {leg for r in routes.values() if r for leg in r.legs}:
        candles = exchange_reads.klines(symbol=leg, interval="1d", limit=min(days + 1, 1000))
        closes[leg] = {
            datetime.fromtimestamp(k[0] / 1000, tz=UTC).date(): Decimal(k[4]) for k in candles or []
        }
    return routes, closes


def _value(held: dict[str, Decimal], day: date, routes: dict, closes: dict):
    """(total USD, assets left out for having no route) at ``day``'s close; None when an asset
    with a route has no close that day (before the exchange's own history)."""
    total, unpriced = Decimal(0), []
    for asset, amount in held.items():
        route = routes.get(asset)
        if not amount:
            continue
        if route is None:
            unpriced.append(asset)  # as a live snapshot does
            continue
        if any(day not in closes.get(leg, {}) for leg in route.legs):
            return None
        for leg in route.legs:
            amount *= closes[leg][day]
        total += amount
    return total, sorted(unpriced)


def portfolio_backfill(*, user, days: int = MAX_DAYS, today: date | None = None) -> Outcome:
    """Write an estimated snapshot at the end of each of the last ``days`` days that has none,
    newest first, until the history runs out (see the module's doc)."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days)
    ids = list(ExchangeConnection.objects.filter(user=user).values_list("pk", flat=True))
    held: dict[str, Decimal] = defaultdict(Decimal)
    for h in holdings(user=user)[1]:
        if h.part != "withdrawing":  # its withdrawal is in the history: undone from there
            held[h.asset] += h.amount
    pairs = exchange_reads.symbol_pairs()
    changes = _changes(ids, pairs, day_start(start))
    routes, closes = _closes(set(held) | {a for c in changes.values() for a in c}, pairs, days)
    taken = _snapshot_days(user, day_start(start))
    oldest = _history_start(ids)
    outcome = Outcome()
    rows = []
    for n in range(0, days):
        day = today - timedelta(days=n)  # undo ``day``'s changes: what was held before it
        for asset, amount in changes.get(day, {}).items():
            held[asset] -= amount
        before = day - timedelta(days=1)
        if oldest is None or day < oldest:
            outcome.stopped = f"the stored history starts on {oldest}" if oldest else "no history"
            break
        short = sorted(a for a, amount in held.items() if amount < 0)
        if short:
            outcome.stopped = f"{', '.join(short)} would be below zero before {day}"
            break
        if before in taken:
            continue
        valued = _value(held, before, routes, closes)
        if valued is None:
            outcome.stopped = f"no daily close for every asset held on {before}"
            break
        rows.append(_estimate(user, before, *valued))
        outcome.first_day = before
    PortfolioSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    outcome.written = len(rows)
    return outcome


HISTORY = (
    (AccountTrade, "time"),
    (CustodialTrade, "time"),
    (WalletActivity, "time"),
    (StakingReward, "time"),
    (StakingEvent, "initiated_time"),
    (TransferHistoryRecord, "time"),
    (OtcConversion, "finished_at"),
    (DustConversion, "finished_at"),
    (CustodyTransfer, "finished_at"),
)


def _history_start(ids: list[int]) -> date | None:
    """The day of the oldest stored history row of the connections (one query per table)."""
    firsts = [
        model.objects.filter(connection_id__in=ids).aggregate(first=Min(column))["first"]
        for model, column in HISTORY
    ]
    known = [at for at in firsts if at is not None]
    return min(known).date() if known else None


def _snapshot_days(user, since: datetime) -> set[date]:
    rows = PortfolioSnapshot.objects.filter(user=user, taken_at__gte=since)
    return {at.date() for at in rows.values_list("taken_at", flat=True)}


def _estimate(user, day: date, value: Decimal, unpriced: list[str]) -> PortfolioSnapshot:
    # Dated at the day's last slot, so it reads as that day's close on the chart.
    at = day_start(day) + timedelta(days=1) - timedelta(minutes=5)
    return PortfolioSnapshot(
        user=user, taken_at=at, total_usd=value, unpriced=unpriced, estimated=True
    )
