"""Reads for trading: which connections may trade, a user's orders and lists, wire payloads.

Every object is reached through ``accounts.access.connection_get_for_user``: a stranger's id
is a 404, a key that cannot trade is refused."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.access import TRADE, connection_get_for_user, connection_list_with
from accounts.models import Balance, ExchangeConnection
from desk.db.sql import model_row, row_key
from desk.money import plain
from trading.models import AccountTrade, Order, OrderList, TradingPreference
from trading.models.orders import OPEN_STATUSES, UNSETTLED_STATUSES

SESSION_KEY = "trading_connection"
# The user's side of their one trading preference (``user.trading_preference``).
_PREFERENCE_OF_USER = TradingPreference._meta.get_field("user").remote_field
RECENT_ORDERS = 50


def trading_connections_for_user(*, user) -> list[ExchangeConnection]:
    """Connections whose keys can place spot orders now."""
    return list(connection_list_with(user=user, capability=TRADE).order_by("label", "pk"))


def ticket_connection(*, user, session, wanted: str | None) -> ExchangeConnection | None:
    """The connection the ticket trades on: the one asked for, else the one remembered in the
    session, else the first usable one."""
    choices = trading_connections_for_user(user=user)
    by_pk = {c.pk: c for c in choices}
    for candidate in (wanted, session.get(SESSION_KEY)):
        pk = row_key(candidate)
        if pk in by_pk:
            return by_pk[pk]
    return choices[0] if choices else None


def trading_connection_for_user(*, user, pk) -> ExchangeConnection:
    """The user's connection ``pk`` if it can trade (``connection_get_for_user``), with its
    user's trading preference read alongside: every order action asks it which way orders go,
    and the ticket's checks when to ask for a confirmation."""
    connection = connection_get_for_user(user=user, pk=pk, capability=TRADE)
    pref = model_row(TradingPreference, "{user} = %s", [connection.user_id])
    _PREFERENCE_OF_USER.set_cached_value(connection.user, pref)  # None: they have none
    return connection


def get_order_for_user(*, user, pk: int, order_pk: int) -> Order:
    """An order of the user's connection ``pk``, if that connection can trade; 404 otherwise."""
    return _row_for_user(Order, "order", user=user, pk=pk, row_pk=order_pk)


def get_order_list_for_user(*, user, pk: int, list_pk: int) -> OrderList:
    return _row_for_user(OrderList, "order list", user=user, pk=pk, row_pk=list_pk)


def _row_for_user(model, what: str, *, user, pk: int, row_pk: int):
    connection = trading_connection_for_user(user=user, pk=pk)
    key = row_key(row_pk)
    row = model_row(model, "{id} = %s AND {connection} = %s", [key, connection.pk]) if key else None
    if row is None:
        raise Http404(f"No such {what}.")
    row.connection = connection  # as read just now, with the preference
    return row


def open_orders(*, connection: ExchangeConnection, symbol: str | None = None) -> QuerySet[Order]:
    """Open on the exchange, plus our own intents whose outcome is still being checked."""
    qs = Order.objects.filter(
        connection=connection, status__in=(*OPEN_STATUSES, *UNSETTLED_STATUSES)
    )
    if symbol:
        qs = qs.filter(symbol=symbol)
    return qs.order_by("-created_at")


def recent_orders(*, connection: ExchangeConnection, symbol: str | None = None) -> QuerySet[Order]:
    qs = Order.objects.filter(connection=connection).exclude(
        status__in=(*OPEN_STATUSES, *UNSETTLED_STATUSES)
    )
    if symbol:
        qs = qs.filter(symbol=symbol)
    # Latest change first, whoever made it: an intent that failed before reaching the exchange
    # has no exchange time (and NULLs sort first or last depending on the database).
    changed = Coalesce("exchange_updated_at", "updated_at")
    return qs.order_by(changed.desc(), "-created_at")[:RECENT_ORDERS]


def order_lists(*, connection: ExchangeConnection, open_only: bool = False) -> QuerySet[OrderList]:
    qs = OrderList.objects.filter(connection=connection).prefetch_related("orders")
    if open_only:
        qs = qs.filter(list_status_type__in=("EXEC_STARTED", "SENDING", "UNKNOWN"))
    return qs.order_by("-created_at")[:RECENT_ORDERS]


def recent_trades(*, connection: ExchangeConnection, symbol: str | None = None):
    qs = AccountTrade.objects.filter(connection=connection)
    if symbol:
        qs = qs.filter(symbol=symbol)
    return qs.order_by("-time", "-trade_id")[:RECENT_ORDERS]


def trading_preference(*, user) -> TradingPreference:
    """The user's confirmation thresholds (defaults until they change them)."""
    pref = TradingPreference.objects.filter(user=user).first()
    return pref or TradingPreference(user=user)


def preference_read_with(connection: ExchangeConnection) -> TradingPreference | None:
    """The preference of the connection's user as read with it (``trading_connection_for_user``),
    or their defaults if they have none; None when it was not read with it (nothing is queried
    here)."""
    if not ExchangeConnection._meta.get_field("user").is_cached(connection):
        return None
    user = connection.user
    if not _PREFERENCE_OF_USER.is_cached(user):
        return None
    return getattr(user, "trading_preference", None) or TradingPreference(user=user)


def free_balance(*, connection: ExchangeConnection, asset: str) -> Decimal | None:
    """As last synced; None when the connection has never held ``asset``. Read with SQL written
    once: every order's funds check asks it."""
    held = model_row(Balance, "{connection} = %s AND {asset} = %s", [connection.pk, asset])
    return held.free if held else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def order_payload(order: Order) -> dict:
    """One order as the browser receives it: money as text, times as ISO-8601 UTC."""
    return {
        **_intent_payload(order),
        "orderId": order.order_id,
        "clientOrderId": order.client_order_id,
        "origin": order.origin,
        "side": order.side,
        "type": order.type,
        "timeInForce": order.time_in_force,
        "price": _text(order.price),
        "stopPrice": _text(order.stop_price),
        "trailingDelta": order.trailing_delta,
        "icebergQty": _text(order.iceberg_qty),
        "origQty": _text(order.orig_qty),
        "origQuoteOrderQty": _text(order.orig_quote_order_qty),
        "executedQty": plain(order.executed_qty),
        "cummulativeQuoteQty": plain(order.cummulative_quote_qty),
        "status": order.status,
        "statusLabel": order.get_status_display(),
        "isOpen": order.is_open,
        "isUnsettled": order.is_unsettled,
        "isWorking": order.is_working,
        "orderListId": order.order_list_id,
        "updatedAt": (order.exchange_updated_at or order.updated_at).isoformat()
        if (order.exchange_updated_at or order.updated_at)
        else None,
    }


def trade_payload(trade: AccountTrade, *, connection_label: str) -> dict:
    return {
        "connection": trade.connection_id,
        "connectionLabel": connection_label,
        "symbol": trade.symbol,
        "tradeId": trade.trade_id,
        "orderId": trade.order_id,
        "side": trade.side,
        "price": plain(trade.price),
        "qty": plain(trade.qty),
        "quoteQty": plain(trade.quote_qty),
        "commission": plain(trade.commission),
        "commissionAsset": trade.commission_asset,
        "isMaker": trade.is_maker,
        "time": trade.time.isoformat(),
    }


def order_list_payload(order_list: OrderList) -> dict:
    return {
        **_intent_payload(order_list),
        "orderListId": order_list.order_list_id,
        "listClientOrderId": order_list.list_client_order_id,
        "listStatusType": order_list.list_status_type,
        "listOrderStatus": order_list.list_order_status,
    }


def _intent_payload(row: Order | OrderList) -> dict:
    """What an order and an OCO list both carry: the desk's row, and the exchange's refusal."""
    return {
        "id": row.pk,
        "connection": row.connection_id,
        "symbol": row.symbol,
        "errorCode": row.error_code,
        "errorMessage": row.error_message,
    }
