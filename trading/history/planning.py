"""What history to sync: which connections and symbols, which slices are due, and "sync now".
The slices themselves are run by ``services.history_sync``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import access
from accounts.models import Balance, ExchangeConnection
from desk import exchange_reads
from desk.periodic import each_row
from trading.history.services import history_symbols_ensure, history_syncable
from trading.models import HistoryKind, HistorySync, Order

log = logging.getLogger(__name__)


def history_connections() -> list[int]:
    return list(
        ExchangeConnection.objects.filter(
            is_active=True,
            needs_new_keys=False,
            key_type__in=access.key_types_with(access.HISTORY),
        ).values_list("pk", flat=True)
    )


def history_default_symbols(*, connection: ExchangeConnection) -> list[str]:
    """Symbols already followed or traded, then pairs of two held assets (BTC + USD → BTCUSD),
    at most ``HISTORY_MAX_SYMBOLS``; users add others with the "sync symbol" form."""
    limit = int(getattr(settings, "HISTORY_MAX_SYMBOLS", 12))
    seen = set(
        HistorySync.objects.filter(connection=connection)
        .exclude(symbol="")
        .values_list("symbol", flat=True)
    )
    seen |= set(Order.objects.filter(connection=connection).values_list("symbol", flat=True))
    held = set(
        Balance.objects.filter(connection=connection)
        .exclude(free=0, locked=0)  # MoneyField: compare money with zero by equality
        .values_list("asset", flat=True)
    )
    pairs = sorted(
        s for s, (base, quote) in exchange_symbol_pairs().items() if base in held and quote in held
    )
    out = sorted(seen)
    for s in pairs:
        if len(out) >= limit:
            break
        if s not in seen:
            out.append(s)
    return out


def exchange_symbol_pairs() -> dict[str, tuple[str, str]]:
    """{symbol: (base, quote)} of every trading symbol; empty when the exchange is unreachable."""
    return exchange_reads.symbol_pairs()


def history_plan(*, now: datetime | None = None) -> list[tuple[int, str, str]]:
    """(connection id, kind, symbol) of every slice due now, creating rows for new symbols."""
    now = now or timezone.now()

    def ensure(pk: int) -> None:
        connection = ExchangeConnection.objects.get(pk=pk)
        history_symbols_ensure(
            connection=connection, symbols=history_default_symbols(connection=connection), now=now
        )

    each_row("history rows of connection", history_connections(), ensure)
    return list(
        HistorySync.objects.filter(
            connection__is_active=True,
            connection__needs_new_keys=False,
            connection__key_type__in=access.key_types_with(access.HISTORY),
        )
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
        .values_list("connection_id", "kind", "symbol")
    )


def history_request_sync(*, connection: ExchangeConnection, symbols: Sequence[str] = ()) -> None:
    """Sync now: every row of the connection (and of ``symbols``, created if new) is queued once
    the current transaction commits; running slices are not doubled (they hold the lock)."""
    from trading.history.tasks import sync_history_slice  # tasks import services

    if symbols:
        history_symbols_ensure(connection=connection, symbols=symbols)
    rows = HistorySync.objects.filter(connection=connection)
    if symbols:
        rows = rows.filter(Q(symbol__in=symbols) | Q(kind=HistoryKind.ORDER_LISTS))
    keys = list(rows.values_list("kind", "symbol"))
    rows.update(next_run_at=None)

    def enqueue() -> None:
        for kind, symbol in keys:
            sync_history_slice.delay(connection.pk, kind, symbol)

    transaction.on_commit(enqueue)


def history_sync_now(*, connection: ExchangeConnection) -> bool:
    """The "sync now" button: every row of the connection queued; False (nothing queued) unless
    it can sync. A connection's first sync also decides which symbols it follows, since until
    then it has no rows to queue."""
    if not history_syncable(connection=connection):
        return False
    if not connection.history_syncs.exists():
        history_symbols_ensure(
            connection=connection, symbols=history_default_symbols(connection=connection)
        )
    history_request_sync(connection=connection)
    return True
