"""User data streams: listen keys, applying stream events, and resyncing after a gap.

Listen keys are credentials (anyone holding one reads the account's activity): they live in
Redis only, under a TTL matching the exchange's 60-minute validity, and are never logged.
Celery keeps them alive (``keep_listen_keys_alive`` every 30 minutes); the stream process
(``manage.py runstreams``) follows each active exchange connection's key, picks up new or
changed keys within seconds, and resyncs open orders and balances over REST whenever its
socket (re)connects — events may have been missed while it was away."""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

import binanceus
from accounts import crypto
from accounts.access import TRADE, key_types_with
from accounts.exchange import client_for_connection
from accounts.models import ExchangeConnection
from accounts.services.balances import connection_sync_balances
from desk.periodic import ERROR, each_row
from trading.models import Order, OrderList
from trading.models.orders import OPEN_STATUSES
from trading.orders import records
from wallet.activity.planning import activity_balance_moved

log = logging.getLogger(__name__)

LISTEN_KEY_TTL_SECONDS = 60 * 60
# Orders we hold as open but the exchange no longer lists: looked up one by one on resync.
MAX_CLOSED_LOOKUPS = 50
# listStatusType values of a list that is still working on the exchange.
RUNNING_LIST_STATUSES = ("RESPONSE", "EXEC_STARTED")


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def _redis() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)


def _key_name(connection_id: int) -> str:
    fingerprint = (
        ExchangeConnection.objects.filter(pk=connection_id)
        .values_list("key_fingerprint", flat=True)
        .first()
    )
    return _key_name_of(connection_id, fingerprint)


def _key_name_of(connection_id: int, fingerprint: str | None) -> str:
    # The API key's fingerprint is part of the name: a key rotated to another account (or a
    # reused row id) never inherits a listen key that reads someone else's activity.
    return f"desk:listen-key:{connection_id}:{fingerprint}"


def streamable_connections() -> list[ExchangeConnection]:
    return list(
        ExchangeConnection.objects.filter(
            is_active=True, needs_new_keys=False, key_type__in=key_types_with(TRADE)
        ).order_by("pk")
    )


def streamable_connection_ids() -> list[int]:
    return [c.pk for c in streamable_connections()]


def listen_key_get(*, connection_id: int) -> str | None:
    return _redis().get(_key_name(connection_id))


def listen_keys_of(connections: list[ExchangeConnection]) -> dict[int, str | None]:
    """{connection id: its listen key or None}, in one Redis round trip (the stream process
    asks every few seconds)."""
    if not connections:
        return {}
    names = [_key_name_of(c.pk, c.key_fingerprint) for c in connections]
    return dict(zip((c.pk for c in connections), _redis().mget(names), strict=True))


def listen_key_ensure(*, connection_id: int) -> str | None:
    """Keep the connection's listen key alive, or create one if it has none or it expired.
    None if the exchange cannot be asked right now."""
    connection = ExchangeConnection.objects.get(pk=connection_id)
    key = listen_key_get(connection_id=connection_id)
    try:
        with client_for_connection(connection) as client:
            if key is not None:
                try:
                    client.keepalive_listen_key(key)
                except binanceus.ClientError:  # -1125: expired or unknown: make a new one
                    key = None
            if key is None:
                key = client.create_listen_key()
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        log.warning("connection %s: listen key unavailable (%s)", connection_id, type(exc).__name__)
        return None
    _redis().set(_key_name(connection_id), key, ex=LISTEN_KEY_TTL_SECONDS)
    return key


def listen_key_forget(*, connection_id: int) -> None:
    _redis().delete(_key_name(connection_id))


def listen_keys_keepalive() -> int:
    """Every streamable connection's key kept alive (or recreated); how many are good. A
    connection whose keys cannot be used at all is logged and skipped, never the others."""
    keys = each_row(
        "listen key of connection",
        [c.pk for c in streamable_connections()],
        lambda pk: listen_key_ensure(connection_id=pk),
    )
    return sum(key not in (None, ERROR) for key in keys)


def user_event_apply(*, connection_id: int, data: dict) -> str:
    """Store one user-data-stream event; returns its type (``listenKeyExpired`` matters)."""
    event = binanceus.parse_user_event(data)
    connection = _by_key(connection_id)
    if isinstance(event, binanceus.ExecutionReport):
        records.execution_report_apply(connection=connection, report=event)
    elif isinstance(event, binanceus.ListStatus):
        records.order_list_store(connection=connection, order_list=event)
    elif isinstance(event, binanceus.AccountPosition):
        records.account_position_apply(
            connection=connection, balances=event.balances, at=event.last_update_time
        )
    elif isinstance(event, binanceus.BalanceUpdate):
        # A deposit or withdrawal moved a balance: the Wallet tab's history follows it.
        activity_balance_moved(connection=connection)
    elif isinstance(event, binanceus.ListenKeyExpired):
        listen_key_forget(connection_id=connection_id)
    return str(data.get("e", ""))


def account_positions_apply(*, connection_id: int, events: list[dict]) -> None:
    """Balance events (outboundAccountPosition) held back and applied together, oldest first:
    each asset only as the last of them has it (what an earlier one says of it is stale)."""
    connection = _by_key(connection_id)
    kept, seen = [], set()
    for event in reversed([binanceus.parse_user_event(e) for e in events]):
        balances = [b for b in event.balances if b.asset not in seen]
        seen.update(b.asset for b in event.balances)
        if balances:
            kept.append((balances, event.last_update_time))
    for balances, at in reversed(kept):
        records.account_position_apply(connection=connection, balances=balances, at=at)


def _by_key(connection_id: int) -> ExchangeConnection:
    """The connection as its events need it, without a read: the rows they store point to it
    and their pushes name it by key. Any other field (a fill toast's label) is read when first
    used, as a deferred field is (0.34 ms in-process, four events per order placed and
    canceled). A connection deleted meanwhile fails the event's commit (the rows' foreign key)
    as the read failed before."""
    return ExchangeConnection.from_db(DEFAULT_DB_ALIAS, ["id"], [connection_id])


def connection_resync(*, connection_id: int) -> int:
    """Open orders, the fills they gained, OCO lists and balances over REST after a stream gap;
    how many open orders the exchange listed."""
    connection = ExchangeConnection.objects.get(pk=connection_id)
    try:
        with client_for_connection(connection) as client:
            open_now = client.open_orders()
            ended = _vanished(client, connection, {(o.symbol, o.order_id) for o in open_now})
            _orders_resync(client, connection, [*open_now, *ended])
            _lists_resync(client, connection)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        log.warning("connection %s: resync failed (%s)", connection_id, type(exc).__name__)
        return 0
    connection_sync_balances(connection_id=connection_id)
    return len(open_now)


def _lists_resync(client: binanceus.Client, connection: ExchangeConnection) -> None:
    """OCO lists we hold as still running that the exchange no longer lists as open ended while
    we were away (their listStatus event is lost): read each once and store its final state."""
    held = OrderList.objects.filter(
        connection=connection,
        list_status_type__in=RUNNING_LIST_STATUSES,
        order_list_id__isnull=False,
    )
    if not held.exists():
        return
    open_ids = {ol.order_list_id for ol in client.open_order_lists()}
    for row in held.exclude(order_list_id__in=open_ids)[:MAX_CLOSED_LOOKUPS]:
        try:
            ended = client.get_order_list(order_list_id=row.order_list_id)
        except binanceus.APIError:
            continue
        records.order_list_store(connection=connection, order_list=ended, row=row)


def _vanished(
    client: binanceus.Client, connection: ExchangeConnection, open_now: set[tuple[str, int]]
) -> list[binanceus.Order]:
    """Orders we hold as open that the exchange no longer lists ended while we were away."""
    held = Order.objects.filter(
        connection=connection, status__in=OPEN_STATUSES, order_id__isnull=False
    ).values_list("symbol", "order_id")
    gone = [k for k in held if k not in open_now][:MAX_CLOSED_LOOKUPS]
    ended = []
    for symbol, order_id in gone:
        try:
            ended.append(client.get_order(symbol=symbol, order_id=order_id))
        except binanceus.APIError:
            continue
    return ended


def _orders_resync(
    client: binanceus.Client, connection: ExchangeConnection, orders: list[binanceus.Order]
) -> None:
    """Store each order; one that filled further while we were away brings its fills too
    (the events that would have carried them are lost)."""
    rows = Order.objects.filter(
        connection=connection, order_id__in=[o.order_id for o in orders]
    ).values_list("symbol", "order_id", "executed_qty")
    known = {(symbol, order_id): executed for symbol, order_id, executed in rows}
    for order in orders:
        records.order_store(connection=connection, order=order)
        if (order.executed_qty or 0) > known.get((order.symbol, order.order_id), 0):
            for trade in client.my_trades(symbol=order.symbol, order_id=order.order_id):
                records.account_trade_store(connection=connection, trade=trade)
