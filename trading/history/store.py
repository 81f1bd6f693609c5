"""Idempotent upserts of exchange history rows, keyed by the exchange's ids.

The live executionReport path writes the same tables, so a history row never replaces a newer
live state: an order is only updated when its exchange update time is newer than the stored one
(or, stamped with the same millisecond, further along: an order never goes back), and an order
list only while it is not final. Trades and prevented matches never change once
made, so re-seen ones are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils import timezone

import binanceus
from accounts.models import ExchangeConnection
from trading.models import (
    AccountTrade,
    Order,
    OrderList,
    OrderOrigin,
    PreventedMatch,
)
from trading.orders.records import account_trade_fields, order_updated_at, statuses_behind

CHUNK = 500  # ids per IN (...) clause; well under SQLite's variable limit
FINAL_LIST_STATUSES = ("ALL_DONE", "REJECT")


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _order_fields(o: binanceus.Order) -> dict:
    return {
        "side": o.side or "",
        "type": o.type or "",
        "time_in_force": o.time_in_force or "",
        "price": o.price,
        "stop_price": o.stop_price,
        "trailing_delta": o.trailing_delta,
        "iceberg_qty": o.iceberg_qty,
        "orig_qty": o.orig_qty,
        "orig_quote_order_qty": o.orig_quote_order_qty,
        "executed_qty": o.executed_qty if o.executed_qty is not None else 0,
        "cummulative_quote_qty": o.cummulative_quote_qty
        if o.cummulative_quote_qty is not None
        else 0,
        "status": o.status or "",
        "self_trade_prevention_mode": o.self_trade_prevention_mode or "",
        "is_working": o.is_working,
        "exchange_created_at": o.time,
        "exchange_updated_at": order_updated_at(o),
    }


def orders_store(*, connection: ExchangeConnection, orders: Sequence[binanceus.Order]) -> None:
    """Insert unseen orders, update stored ones the exchange has changed since, and give desk
    intents still waiting for their exchange id the one the exchange reports."""
    by_key = {(o.symbol, o.order_id): o for o in orders}
    if not by_key:
        return
    lists = _order_list_pks(connection, {o.order_list_id for o in by_key.values()})
    now = timezone.now()
    for symbol in {s for s, _ in by_key}:
        mine = {oid: o for (s, oid), o in by_key.items() if s == symbol}
        known = _stored_order_ids(connection, symbol, list(mine))
        new = [o for oid, o in mine.items() if oid not in known]
        new = _attach_desk_intents(connection, symbol, new, lists, now)
        _insert_new(
            Order,
            connection,
            new,
            lambda o: {
                "symbol": o.symbol,
                "order_id": o.order_id,
                "client_order_id": o.client_order_id,
                "origin": OrderOrigin.EXCHANGE,
                "order_list_id": lists.get(o.order_list_id),
                **_order_fields(o),
            },
        )
        for oid in known:
            _update_if_newer(connection, symbol, mine[oid], lists, now)


def _stored_order_ids(connection, symbol: str, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            Order.objects.filter(
                connection=connection, symbol=symbol, order_id__in=chunk
            ).values_list("order_id", flat=True)
        )
    return found


def _insert_new(model, connection, rows: Iterable, fields) -> None:
    """A ``model`` row of ``fields(row)`` for each of ``rows`` not stored yet; one already
    there is left alone (the live path may have inserted it a moment ago)."""
    model.objects.bulk_create(
        [model(connection=connection, **fields(r)) for r in rows], ignore_conflicts=True
    )


def _attach_desk(model, id_field: str, by_key: dict, changes, **scope) -> set[str]:
    """Desk intents of ``model`` whose answer was lost have no exchange id (``id_field``) yet:
    the exchange's row with the same client id (``by_key``) is theirs, never a second row. Each
    found gets ``changes(row)``; returns their client ids."""
    key = model.KEY_FIELD
    waiting = model.objects.filter(origin=OrderOrigin.DESK, **{f"{id_field}__isnull": True})
    waiting = waiting.filter(**scope)
    found: set[str] = set()
    for chunk in _chunks(list(by_key)):
        found.update(waiting.filter(**{f"{key}__in": chunk}).values_list(key, flat=True))
    for client_id in found:
        waiting.filter(**{key: client_id}).update(**changes(by_key[client_id]))
    return found


def _attach_desk_intents(connection, symbol, orders, lists, now) -> list[binanceus.Order]:
    """Orders whose exchange row is a desk intent's (see ``_attach_desk``); returns the others."""
    found = _attach_desk(
        Order,
        "order_id",
        {o.client_order_id: o for o in orders if o.client_order_id},
        lambda o: {
            "order_id": o.order_id,
            "order_list_id": lists.get(o.order_list_id),
            "updated_at": now,
            **_order_fields(o),
        },
        connection=connection,
        symbol=symbol,
    )
    return [o for o in orders if o.client_order_id not in found]


def _update_if_newer(connection, symbol, o: binanceus.Order, lists, now) -> None:
    # One conditional UPDATE: a newer state written meanwhile by the live path wins.
    updated = order_updated_at(o)
    if updated is None:
        return
    Order.objects.filter(connection=connection, symbol=symbol, order_id=o.order_id).filter(
        Q(exchange_updated_at__isnull=True)
        | Q(exchange_updated_at__lt=updated)
        | Q(exchange_updated_at=updated, status__in=statuses_behind(o.status or ""))
    ).update(order_list_id=lists.get(o.order_list_id), updated_at=now, **_order_fields(o))


def _order_list_pks(connection, list_ids: set[int | None]) -> dict[int, int]:
    wanted = [i for i in list_ids if i is not None and i >= 0]
    if not wanted:
        return {}
    return dict(
        OrderList.objects.filter(connection=connection, order_list_id__in=wanted).values_list(
            "order_list_id", "pk"
        )
    )


def trades_store(
    *, connection: ExchangeConnection, trades: Sequence[binanceus.AccountTrade]
) -> None:
    _insert_new(
        AccountTrade,
        connection,
        trades,
        lambda t: {"symbol": t.symbol, "trade_id": t.id, **account_trade_fields(t)},
    )


# A prevented match's columns: the client's model has the same names.
_PREVENTED_FIELDS = (
    "symbol",
    "prevented_match_id",
    "taker_order_id",
    "maker_order_id",
    "trade_group_id",
    "self_trade_prevention_mode",
    "price",
    "maker_prevented_quantity",
    "taker_prevented_quantity",
    "transact_time",
)


def prevented_store(
    *, connection: ExchangeConnection, matches: Sequence[binanceus.PreventedMatch]
) -> None:
    _insert_new(
        PreventedMatch,
        connection,
        matches,
        lambda m: {name: getattr(m, name) for name in _PREVENTED_FIELDS},
    )


def order_lists_store(
    *, connection: ExchangeConnection, lists: Sequence[binanceus.OrderList]
) -> None:
    """Insert unseen OCO lists, update stored ones that are not final yet, and link their legs."""
    by_id = {ol.order_list_id: ol for ol in lists}
    if not by_id:
        return
    known = dict(
        OrderList.objects.filter(connection=connection, order_list_id__in=list(by_id)).values_list(
            "order_list_id", "list_order_status"
        )
    )
    now = timezone.now()
    new = [ol for i, ol in by_id.items() if i not in known]
    new = _attach_desk_lists(connection, new, now)
    _insert_new(
        OrderList,
        connection,
        new,
        lambda ol: {
            "symbol": ol.symbol,
            "order_list_id": ol.order_list_id,
            "list_client_order_id": ol.list_client_order_id,
            "origin": OrderOrigin.EXCHANGE,
            **_list_fields(ol),
        },
    )
    for i, status in known.items():
        if status not in FINAL_LIST_STATUSES:
            OrderList.objects.filter(connection=connection, order_list_id=i).exclude(
                list_order_status__in=FINAL_LIST_STATUSES
            ).update(updated_at=now, **_list_fields(by_id[i]))
    _link_legs(connection, by_id.values())


def _list_fields(ol: binanceus.OrderList) -> dict:
    return {
        "contingency_type": ol.contingency_type or "OCO",
        "list_status_type": ol.list_status_type,
        "list_order_status": ol.list_order_status,
        "transaction_time": ol.transaction_time,
    }


def _attach_desk_lists(connection, lists, now) -> list[binanceus.OrderList]:
    """Lists whose exchange row is a desk intent's (see ``_attach_desk``); returns the others."""
    found = _attach_desk(
        OrderList,
        "order_list_id",
        {ol.list_client_order_id: ol for ol in lists if ol.list_client_order_id},
        lambda ol: {"order_list_id": ol.order_list_id, "updated_at": now, **_list_fields(ol)},
        connection=connection,
    )
    return [ol for ol in lists if ol.list_client_order_id not in found]


def _link_legs(connection, lists: Iterable[binanceus.OrderList]) -> None:
    pks = _order_list_pks(connection, {ol.order_list_id for ol in lists})
    for ol in lists:
        pk = pks.get(ol.order_list_id)
        legs = [leg.order_id for leg in ol.orders]
        if pk is None or not legs:
            continue
        Order.objects.filter(
            connection=connection, symbol=ol.symbol, order_id__in=legs, order_list__isnull=True
        ).update(order_list_id=pk)
