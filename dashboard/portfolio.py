"""The user's portfolio: what they hold across every connection and its sub-accounts, in which
part, and what it is worth in USD now.

Each asset is valued through a route of the market-data exchange's symbols: USD itself, its
USD pair, else its USDT pair times USDTUSD (each route's text is shown on hover); an asset with
no route has "no price" and is left out of the totals, which say so. Prices are the last
trades (``GET /api/v3/ticker/price``, cached seconds); the page then follows the stream
process's mini tickers, so the figures move as prices tick.

Parts, from what the desk has stored (no exchange call per render):
- spot: an exchange or custodial key's spot wallet (its Balance rows);
- sub-accounts: each sub-account's assets as last listed;
- staked: what the exchange holds staked, as the staking sync last read it (restaked rewards
  included);
- custody / settlement: a custodial key's custodial balances, the part in settlement apart;
- withdrawing: withdrawals the exchange has taken and not completed (no longer in a balance);
- collateral: a credit-line key's credit-line account (its Balance rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Balance, ExchangeConnection, KeyType, SubAccount
from custody.models import CustodialBalance
from desk import exchange_reads
from wallet.staking.models import StakedPosition
from wallet.withdrawals.models import Withdrawal, WithdrawalStatus

PARTS = {
    "spot": "Spot",
    "subaccounts": "Sub-accounts",
    "staked": "Staked",
    "custody": "In custody",
    "settlement": "In settlement",
    "withdrawing": "Withdrawing",
    "collateral": "Credit-line collateral",
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Holding:
    connection_id: int
    part: str
    asset: str
    amount: Decimal
    where: str = ""  # the sub-account's email, for the sub-accounts part


@dataclass(frozen=True)
class Route:
    legs: tuple[str, ...]  # symbols whose prices multiply into USD; () for USD itself
    text: str


def route_for(asset: str, pairs: dict[str, tuple[str, str]]) -> Route | None:
    """How ``asset`` is valued in USD with the exchange's ``pairs`` ({symbol: (base, quote)})."""
    if asset == "USD":
        return Route((), "USD")
    by_pair = {pair: symbol for symbol, pair in pairs.items()}
    direct = by_pair.get((asset, "USD"))
    if direct:
        return Route((direct,), f"{asset} → USD ({direct})")
    tether, dollar = by_pair.get((asset, "USDT")), by_pair.get(("USDT", "USD"))
    if asset == "USDT" and dollar:
        return Route((dollar,), f"USDT → USD ({dollar})")
    if tether and dollar:
        return Route((tether, dollar), f"{asset} → USDT ({tether}) → USD ({dollar})")
    return None


def holdings(*, user) -> tuple[list[ExchangeConnection], list[Holding]]:
    """The user's active connections and everything they hold, in six queries."""
    connections = list(ExchangeConnection.objects.filter(user=user, is_active=True))
    ids = [c.pk for c in connections]
    credit = {c.pk for c in connections if c.key_type == KeyType.CREDIT_LINE}
    rows = [
        Holding(b.connection_id, _spot_part(b.connection_id, credit), b.asset, b.total)
        for b in Balance.objects.filter(connection_id__in=ids)
    ]
    rows += _subaccount_holdings(ids)
    staked = StakedPosition.objects.filter(connection_id__in=ids)
    rows += [Holding(p.connection_id, "staked", p.asset, p.amount) for p in staked]
    for c in CustodialBalance.objects.filter(connection_id__in=ids):
        rows.append(Holding(c.connection_id, "custody", c.asset, c.free + c.locked))
        rows.append(Holding(c.connection_id, "settlement", c.asset, c.in_settlement))
    withdrawing = Withdrawal.objects.filter(connection_id__in=ids, status=WithdrawalStatus.SENT)
    rows += [Holding(w.connection_id, "withdrawing", w.coin, w.amount) for w in withdrawing]
    return connections, [h for h in rows if h.amount]


def _spot_part(connection_id: int, credit: set[int]) -> str:
    return "collateral" if connection_id in credit else "spot"


def _subaccount_holdings(ids: list[int]) -> list[Holding]:
    rows = []
    for sub in SubAccount.objects.filter(connection_id__in=ids):
        for a in sub.assets:
            amount = Decimal(a["free"]) + Decimal(a["locked"])
            rows.append(Holding(sub.connection_id, "subaccounts", a["asset"], amount, sub.email))
    return rows


@dataclass(frozen=True)
class Line:
    """One asset of one part of one connection, valued."""

    holding: Holding
    route: Route | None
    value: Decimal | None  # USD; None: no price


@dataclass(frozen=True)
class Portfolio:
    connections: list[ExchangeConnection]
    lines: list[Line]
    prices: dict[str, Decimal]  # the route legs' prices the values were made with

    @property
    def total(self) -> Decimal:
        return sum((ln.value for ln in self.lines if ln.value is not None), Decimal(0))

    @property
    def unpriced(self) -> list[str]:
        return sorted({ln.holding.asset for ln in self.lines if ln.value is None})

    def by_part(self) -> list[tuple[str, str, Decimal]]:
        """(part, label, value) for every part, in PARTS' order (zero where nothing is held)."""
        sums = _sums(self.lines, lambda ln: ln.holding.part)
        return [(part, label, sums.get(part, Decimal(0))) for part, label in PARTS.items()]

    def by_asset(self) -> list[dict]:
        """Per asset: the amount, its route and value, and its share of the total."""
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        for ln in self.lines:
            amounts[ln.holding.asset] += ln.holding.amount
        routes = {ln.holding.asset: ln.route for ln in self.lines}
        values = _sums(self.lines, lambda ln: ln.holding.asset)
        rows = [
            {"asset": a, "amount": n, "route": routes[a], "value": values.get(a)}
            for a, n in amounts.items()
        ]
        return self._shared(sorted(rows, key=lambda r: (-(r["value"] or 0), r["asset"])))

    def by_connection(self) -> list[dict]:
        values = _sums(self.lines, lambda ln: ln.holding.connection_id)
        rows = [{"connection": c, "value": values.get(c.pk, Decimal(0))} for c in self.connections]
        return self._shared(sorted(rows, key=lambda r: (-r["value"], r["connection"].label)))

    def _shared(self, rows: list[dict]) -> list[dict]:
        total = self.total
        for row in rows:
            value = row["value"]
            row["share"] = (value / total) if value is not None and total else None
        return rows


def _sums(lines: list[Line], key) -> dict:
    sums: dict = defaultdict(Decimal)
    for ln in lines:
        if ln.value is not None:
            sums[key(ln)] += ln.value
    return dict(sums)


def _value(amount: Decimal, route: Route | None, prices: dict[str, Decimal]) -> Decimal | None:
    if route is None or any(leg not in prices for leg in route.legs):
        return None
    value = amount
    for leg in route.legs:
        value *= prices[leg]
    return value


def portfolio(*, user) -> Portfolio:
    connections, rows = holdings(user=user)
    pairs = exchange_reads.symbol_pairs()
    routes = {a: route_for(a, pairs) for a in {h.asset for h in rows}}
    last = exchange_reads.last_prices() if rows else {}
    legs = {leg for r in routes.values() if r for leg in r.legs}
    prices = {s: last[s] for s in legs if s in last}
    lines = [Line(h, routes[h.asset], _value(h.amount, routes[h.asset], prices)) for h in rows]
    return Portfolio(connections=connections, lines=lines, prices=prices)


def portfolio_payload(p: Portfolio) -> dict:
    """What the page's script revalues as prices tick: every line's amount and route legs."""
    names = {c.pk: c.label for c in p.connections}
    return {
        "prices": {s: str(v) for s, v in p.prices.items()},
        "lines": [
            {
                "connection": ln.holding.connection_id,
                "connectionLabel": names[ln.holding.connection_id],
                "part": ln.holding.part,
                "asset": ln.holding.asset,
                "amount": str(ln.holding.amount),
                "legs": list(ln.route.legs) if ln.route else None,
            }
            for ln in p.lines
        ],
        "parts": list(PARTS),
    }
