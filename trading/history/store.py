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
from trading.orders.records import order_updated_at, statuses_behind

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
        Order.objects.bulk_create(
            [
                Order(
                    connection=connection,
                    symbol=symbol,
                    order_id=o.order_id,
                    client_order_id=o.client_order_id,
                    origin=OrderOrigin.EXCHANGE,
                    order_list_id=lists.get(o.order_list_id),
                    **_order_fields(o),
                )
                for o in new
            ],
            ignore_conflicts=True,  # the live path may have inserted it a moment ago
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


def _attach_desk_intents(connection, symbol, orders, lists, now) -> list[binanceus.Order]:
    """Orders placed from the desk whose answer was lost have no exchange id yet: the exchange's
    row is theirs (same client order id), never a second row. Returns the others."""
    by_coid = {o.client_order_id: o for o in orders if o.client_order_id}
    waiting = set()
    for chunk in _chunks(list(by_coid)):
        waiting.update(
            Order.objects.filter(
                connection=connection,
                symbol=symbol,
                origin=OrderOrigin.DESK,
                order_id__isnull=True,
                client_order_id__in=chunk,
            ).values_list("client_order_id", flat=True)
        )
    for coid in waiting:
        o = by_coid[coid]
        Order.objects.filter(
            connection=connection,
            symbol=symbol,
            origin=OrderOrigin.DESK,
            order_id__isnull=True,
            client_order_id=coid,
        ).update(
            order_id=o.order_id,
            order_list_id=lists.get(o.order_list_id),
            updated_at=now,
            **_order_fields(o),
        )
    return [o for o in orders if o.client_order_id not in waiting]


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
    AccountTrade.objects.bulk_create(
        [
            AccountTrade(
                connection=connection,
                symbol=t.symbol,
                trade_id=t.id,
                order_id=t.order_id,
                order_list_id=t.order_list_id if t.order_list_id >= 0 else None,
                price=t.price,
                qty=t.qty,
                quote_qty=t.quote_qty,
                commission=t.commission,
                commission_asset=t.commission_asset or "",
                time=t.time,
                is_buyer=t.is_buyer,
                is_maker=t.is_maker,
            )
            for t in trades
        ],
        ignore_conflicts=True,
    )


def prevented_store(
    *, connection: ExchangeConnection, matches: Sequence[binanceus.PreventedMatch]
) -> None:
    PreventedMatch.objects.bulk_create(
        [
            PreventedMatch(
                connection=connection,
                symbol=m.symbol,
                prevented_match_id=m.prevented_match_id,
                taker_order_id=m.taker_order_id,
                maker_order_id=m.maker_order_id,
                trade_group_id=m.trade_group_id,
                self_trade_prevention_mode=m.self_trade_prevention_mode,
                price=m.price,
                maker_prevented_quantity=m.maker_prevented_quantity,
                taker_prevented_quantity=m.taker_prevented_quantity,
                transact_time=m.transact_time,
            )
            for m in matches
        ],
        ignore_conflicts=True,
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
    OrderList.objects.bulk_create(
        [
            OrderList(
                connection=connection,
                symbol=ol.symbol,
                order_list_id=ol.order_list_id,
                list_client_order_id=ol.list_client_order_id,
                origin=OrderOrigin.EXCHANGE,
                **_list_fields(ol),
            )
            for ol in new
        ],
        ignore_conflicts=True,
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
    by_coid = {ol.list_client_order_id: ol for ol in lists if ol.list_client_order_id}
    waiting = set(
        OrderList.objects.filter(
            connection=connection,
            origin=OrderOrigin.DESK,
            order_list_id__isnull=True,
            list_client_order_id__in=list(by_coid),
        ).values_list("list_client_order_id", flat=True)
    )
    for coid in waiting:
        ol = by_coid[coid]
        OrderList.objects.filter(
            connection=connection,
            origin=OrderOrigin.DESK,
            order_list_id__isnull=True,
            list_client_order_id=coid,
        ).update(order_list_id=ol.order_list_id, updated_at=now, **_list_fields(ol))
    return [ol for ol in lists if ol.list_client_order_id not in waiting]


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
