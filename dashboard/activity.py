"""One feed of what happened across every connection of a user: fills, transfers, deposits,
withdrawals, stakes, rewards and conversions, newest first.

Each source below is one table. A page asks every source for its newest rows older than the
cursor and merges them, so a page costs one query per source however long the history is. The
feed is ordered by (time, source, id), newest first, which makes the cursor exact even where
rows of several sources share a time. The CSV walks the same pages to the end, so an export of
any size holds one page per source in memory.

What counts: the exchange's own history rows (fills, sub-account transfers, deposits and
withdrawals, staking history and rewards) and the desk's money-moving intents the exchange
answered as done (custodian and credit-line transfers, conversions), at the time the desk saw
them done. Referral rewards and partner rebates are on the Rewards tab, not here.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Model, Q
from django.urls import reverse

from convert.models import DustConversion, OtcConversion
from creditline.models import CreditTransfer
from custody.models import CustodyTransfer
from custody.orders.models import CustodialTrade
from desk import exchange_reads
from desk.intents.models import Status
from desk.lists import DateRange
from desk.money import plain
from trading.models import AccountTrade
from transfers.models import TransferHistoryRecord
from wallet.activity.models import WalletActivity
from wallet.activity.selectors import DEPOSITS
from wallet.staking.models import StakingEvent, StakingReward

KINDS = {
    "fill": "Fill",
    "transfer": "Transfer",
    "deposit": "Deposit",
    "withdrawal": "Withdrawal",
    "stake": "Stake",
    "reward": "Reward",
    "conversion": "Conversion",
}
PAGE = 50


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: int  # index in SOURCES: the tie-breaker between rows of one time
    pk: int
    kind: str
    connection_id: int
    asset: str
    amount: Decimal
    detail: str
    url: str

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, self.source, self.pk)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Filters(DateRange):
    kind: str = ""
    connection_ids: tuple[int, ...] = ()  # the user's; one when the filter names a connection
    asset: str = ""


@dataclass(frozen=True)
class Source:
    kind: str
    model: type[Model]
    time: str  # the row's time column
    asset: Callable[[str, dict], Q]  # rows that involve the asset, given the symbol pairs
    entry: Callable[[Model, dict], tuple[str, Decimal, str]]  # (asset, amount, detail)
    page: str  # the URL name of the connection's page that lists the row
    only: Q = field(default_factory=Q)  # which rows of the model count

    def rows(self, f: Filters, before: tuple | None, index: int, pairs: dict, n: int):
        rows = self.model.objects.filter(self.only, connection_id__in=f.connection_ids)
        if f.asset:
            rows = rows.filter(self.asset(f.asset, pairs))
        rows = f.dates_filter(rows, self.time)
        if before:
            rows = rows.filter(self._older(before, index))
        return rows.order_by(f"-{self.time}", "-pk")[:n]

    def _older(self, before: tuple, index: int) -> Q:
        at, source, pk = before
        if index < source:
            return Q(**{f"{self.time}__lte": at})
        if index == source:
            # The bound on its own first: a range the time index can seek to (an OR alone is
            # read from the newest row down, page after page).
            before = Q(**{f"{self.time}__lt": at}) | Q(pk__lt=pk)
            return Q(**{f"{self.time}__lte": at}) & before
        return Q(**{f"{self.time}__lt": at})


def _symbols_with(asset: str, pairs: dict) -> Q:
    return Q(symbol__in=[s for s, pair in pairs.items() if asset in pair])


def _fill(row, pairs: dict) -> tuple[str, Decimal, str]:
    base, quote = pairs.get(row.symbol, (row.symbol, ""))
    side = "Buy" if row.is_buyer else "Sell"
    text = f"{side} {plain(row.qty)} {base} at {plain(row.price)} {quote} ({row.symbol})"
    return base, row.qty, text


def _by_asset(column: str) -> Callable[[str, dict], Q]:
    return lambda asset, _pairs: Q(**{column: asset})


def _wallet(row, _pairs) -> tuple[str, Decimal, str]:
    text = row.get_kind_display() + (f" on {row.network}" if row.network else "")
    return row.coin, row.amount, f"{text}, {row.status}".rstrip(", ")


def _conversion(row, _pairs) -> tuple[str, Decimal, str]:
    given = f"{plain(row.from_amount)} {row.from_coin}"
    got = f"{plain(row.to_amount)} {row.to_coin}"
    return row.from_coin, row.from_amount, f"Convert {given} → {got}"


def _dust(row, _pairs) -> tuple[str, Decimal, str]:
    got = row.total_transferred if row.total_transferred is not None else Decimal(0)
    return row.to_asset, got, f"Dust {', '.join(row.from_assets)} → {plain(got)} {row.to_asset}"


DONE = Q(status=Status.DONE)
SOURCES: tuple[Source, ...] = (
    Source("fill", AccountTrade, "time", _symbols_with, _fill, "history:trades"),
    Source("fill", CustodialTrade, "time", _symbols_with, _fill, "custody:index"),
    Source(
        "transfer",
        TransferHistoryRecord,
        "time",
        _by_asset("asset"),
        lambda r, _p: (r.asset, r.qty, f"Sub-account {r.from_email} → {r.to_email}"),
        "transfers:subaccounts",
    ),
    Source(
        "transfer",
        CustodyTransfer,
        "finished_at",
        _by_asset("asset"),
        lambda r, _p: (r.asset, r.amount, f"{r.get_kind_display()} via {r.rail}"),
        "custody:index",
        DONE,
    ),
    Source(
        "transfer",
        CreditTransfer,
        "finished_at",
        _by_asset("asset"),
        lambda r, _p: (r.asset, r.quantity, f"Credit line {r.get_transfer_type_display()}"),
        "creditline:index",
        DONE,
    ),
    Source(
        "deposit",
        WalletActivity,
        "time",
        _by_asset("coin"),
        _wallet,
        "wallet:index",
        Q(kind__in=DEPOSITS),
    ),
    Source(
        "withdrawal",
        WalletActivity,
        "time",
        _by_asset("coin"),
        _wallet,
        "wallet:index",
        ~Q(kind__in=DEPOSITS),
    ),
    Source(
        "stake",
        StakingEvent,
        "initiated_time",
        _by_asset("asset"),
        lambda r, _p: (r.asset, r.amount, f"{r.type.capitalize()}, {r.status}"),
        "wallet:staking",
    ),
    Source(
        "reward",
        StakingReward,
        "time",
        _by_asset("asset"),
        lambda r, _p: (r.asset, r.amount, "Staking reward" + (" (restaked)" * r.auto_restaked)),
        "wallet:staking",
    ),
    Source(
        "conversion",
        OtcConversion,
        "finished_at",
        lambda a, _p: Q(from_coin=a) | Q(to_coin=a),
        _conversion,
        "convert:index",
        DONE,
    ),
    Source(
        "conversion",
        DustConversion,
        "finished_at",
        lambda a, _p: Q(to_asset=a) | Q(from_assets__icontains=f'"{a}"'),
        _dust,
        "convert:dust",
        DONE,
    ),
)


def _entries(index: int, f: Filters, before, pairs: dict, n: int) -> list[Entry]:
    source = SOURCES[index]
    urls: dict[int, str] = {}  # reverse() costs more than the rest of an entry
    out = []
    for row in source.rows(f, before, index, pairs, n):
        asset, amount, detail = source.entry(row, pairs)
        url = urls.get(row.connection_id) or urls.setdefault(
            row.connection_id, reverse(source.page, args=[row.connection_id])
        )
        at = getattr(row, source.time)
        out.append(
            Entry(at, index, row.pk, source.kind, row.connection_id, asset, amount, detail, url)
        )
    return out


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    more: bool

    @property
    def next_cursor(self) -> str:
        return cursor_text(self.entries[-1].key) if self.more else ""


def activity_page(
    *, filters: Filters, before: tuple | None = None, n: int = PAGE, pairs: dict | None = None
) -> Page:
    """The ``n`` newest entries older than ``before`` (a key), one query per source."""
    pairs = exchange_reads.symbol_pairs() if pairs is None else pairs
    found = [
        _entries(i, filters, before, pairs, n + 1)
        for i, source in enumerate(SOURCES)
        if not filters.kind or source.kind == filters.kind
    ]
    merged = list(heapq.merge(*found, key=lambda e: e.key, reverse=True))
    return Page(merged[:n], more=len(merged) > n)


def activity_all(*, filters: Filters, chunk: int = 1000) -> Iterator[Entry]:
    """Every entry ``filters`` select, newest first, a page at a time."""
    before, pairs = None, exchange_reads.symbol_pairs()  # once, not once a page
    while True:
        page = activity_page(filters=filters, before=before, n=chunk, pairs=pairs)
        yield from page.entries
        if not page.more:
            return
        before = page.entries[-1].key


CURSOR_RE = re.compile(r"(\d{1,16})\.(\d{1,3})\.(\d{1,18})")


def cursor_text(key: tuple[datetime, int, int]) -> str:
    at, source, pk = key
    micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micros}.{source}.{pk}"


def cursor_key(text: str) -> tuple[datetime, int, int] | None:
    """The key a cursor names; None when it is not one this feed made."""
    match = CURSOR_RE.fullmatch(text)
    if not match or int(match[2]) >= len(SOURCES):
        return None
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(match[1]))
    if at.year > 9000:
        return None
    return at, int(match[2]), int(match[3])
