"""Typed methods of the trading endpoints (orders, OCO order lists, history), mixed into
:class:`~binanceus.Client`.

Every placing call carries a client-side id (generated when none is given) so that an
:class:`~binanceus.ExecutionUnknown` always names the order / list to look up. With
``validate=True`` and the symbol's rules cached (:meth:`Client.symbol_rules`), an order that
breaks a filter raises :class:`~binanceus.OrderRejectedLocally` before anything is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._endpoints import endpoint
from ._errors import OrderRejectedLocally
from ._fields import camel
from ._filters import FilterProblem, SymbolRules, check_oco, check_order
from ._models import Order
from ._signing import ParamValue
from ._trading_models import (
    AccountTrade,
    CancelReplaceResult,
    OrderList,
    OrderTestResult,
    PreventedMatch,
    RateLimitUsage,
    order_or_list,
)
from ._transport import Transport, from_id_or_range, need_one, rows, sends

__all__ = ["TradingMethods", "generate_client_order_id"]


def generate_client_order_id() -> str:
    """A fresh client order id (32 hex chars; the exchange allows up to 36)."""
    return uuid.uuid4().hex


def _upper(value: str | None) -> str | None:
    return None if value is None else value.upper()


# new_order, test_new_order and cancel_replace take the new order's arguments under the same
# names; each hands its own arguments over (``locals()`` before it binds anything else)
# rather than repeating a dozen ``name=name`` lines.
_ORDER_FIELDS = ("side", "type", "time_in_force", "quantity", "quote_order_qty", "price")
_ORDER_FIELDS += ("stop_price", "trailing_delta", "iceberg_qty", "self_trade_prevention_mode")
_ORDER_FIELDS += ("strategy_id", "strategy_type")
_UPPER_CASED = frozenset({"side", "type", "time_in_force", "self_trade_prevention_mode"})
_CHECKED = ("side", "type", "quantity", "quote_order_qty", "price", "stop_price")
_CHECKED += ("trailing_delta", "iceberg_qty")
"""The arguments :func:`check_order` checks locally."""


def _order_fields(args: Mapping[str, Any]) -> dict[str, ParamValue | None]:
    """The new-order parameters (wire names, enums upper-cased) from a placing method's
    arguments."""
    return {
        camel(name): _upper(args[name]) if name in _UPPER_CASED else args[name]
        for name in _ORDER_FIELDS
    }


class TradingMethods(Transport):
    """The trading endpoints; the symbol rules cache comes from the market methods."""

    areas = ("trading",)

    if TYPE_CHECKING:

        def cached_symbol_rules(self, symbol: str) -> SymbolRules | None: ...

    def _check_locally(
        self, symbol: str, check: Callable[[SymbolRules], list[FilterProblem]]
    ) -> None:
        """Run ``check`` against the symbol's cached rules (none cached: nothing to check)."""
        rules = self.cached_symbol_rules(symbol)
        problems = check(rules) if rules is not None else []
        if problems:
            raise OrderRejectedLocally(symbol, problems)

    # -- placing ----------------------------------------------------------------------------

    @endpoint("POST /api/v3/order")
    def new_order(
        self,
        *,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | None = None,
        quote_order_qty: Decimal | None = None,
        price: Decimal | None = None,
        time_in_force: str | None = None,
        stop_price: Decimal | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Decimal | None = None,
        self_trade_prevention_mode: str | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: str = "FULL",
        strategy_id: int | None = None,
        strategy_type: int | None = None,
        validate: bool = True,
    ) -> Order:
        """Place an order. A client order id is generated when none is given, so that an
        :class:`ExecutionUnknown` always carries one to look the order up by."""
        args = locals()
        if validate:
            self._validate(symbol, args)
        fields = _order_fields(args)
        coid = new_client_order_id or generate_client_order_id()
        params = {"symbol": symbol, **fields, "newClientOrderId": coid}
        params["newOrderRespType"] = _upper(new_order_resp_type)
        return Order.from_api(self._call("POST /api/v3/order", params, client_order_id=coid))

    def _validate(self, symbol: str, args: Mapping[str, Any]) -> None:
        """Check a placing method's order (its arguments) against the symbol's filters."""
        checked = {name: args[name] for name in _CHECKED}
        self._check_locally(symbol, lambda rules: check_order(rules, **checked))

    @endpoint("POST /api/v3/order/test")
    def test_new_order(
        self,
        *,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | None = None,
        quote_order_qty: Decimal | None = None,
        price: Decimal | None = None,
        time_in_force: str | None = None,
        stop_price: Decimal | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Decimal | None = None,
        self_trade_prevention_mode: str | None = None,
        new_client_order_id: str | None = None,
        strategy_id: int | None = None,
        strategy_type: int | None = None,
        compute_commission_rates: bool = False,
        validate: bool = False,
    ) -> OrderTestResult:
        """Have the exchange validate an order without placing it (nothing reaches the
        matching engine). Local filter checks are off by default: the point is the
        exchange's verdict."""
        args = locals()
        if validate:
            self._validate(symbol, args)
        fields = _order_fields(args)
        params = {"symbol": symbol, **fields, "newClientOrderId": new_client_order_id}
        params["computeCommissionRates"] = True if compute_commission_rates else None
        data = self._call("POST /api/v3/order/test", params)
        return OrderTestResult.from_api(data or {})

    @endpoint("POST /api/v3/order/cancelReplace")
    def cancel_replace(
        self,
        *,
        symbol: str,
        cancel_replace_mode: str,
        side: str,
        type: str,
        cancel_order_id: int | None = None,
        cancel_orig_client_order_id: str | None = None,
        cancel_new_client_order_id: str | None = None,
        cancel_restrictions: str | None = None,
        quantity: Decimal | None = None,
        quote_order_qty: Decimal | None = None,
        price: Decimal | None = None,
        time_in_force: str | None = None,
        stop_price: Decimal | None = None,
        trailing_delta: int | None = None,
        iceberg_qty: Decimal | None = None,
        self_trade_prevention_mode: str | None = None,
        new_client_order_id: str | None = None,
        new_order_resp_type: str | None = None,
        strategy_id: int | None = None,
        strategy_type: int | None = None,
        validate: bool = True,
    ) -> CancelReplaceResult:
        """Cancel an order and place a new one on the same symbol (``cancel_replace_mode``
        ``STOP_ON_FAILURE`` or ``ALLOW_FAILURE``).

        Raises :class:`CancelReplaceFailed` (HTTP 409: one half executed; ``.result`` says
        which) or :class:`CancelReplaceRejected` (400: neither did). An unknown outcome is
        :class:`ExecutionUnknown` carrying the new order's client id (generated when none
        is given).
        """
        args = locals()
        need_one(
            "cancel_order_id or cancel_orig_client_order_id",
            cancel_order_id,
            cancel_orig_client_order_id,
        )
        if validate:
            self._validate(symbol, args)
        fields = _order_fields(args)
        coid = new_client_order_id or generate_client_order_id()
        params: dict[str, ParamValue | None] = {
            "symbol": symbol,
            "cancelReplaceMode": cancel_replace_mode.upper(),
            "cancelOrderId": cancel_order_id,
            "cancelOrigClientOrderId": cancel_orig_client_order_id,
            "cancelNewClientOrderId": cancel_new_client_order_id,
            "cancelRestrictions": _upper(cancel_restrictions),
            **fields,
            "newClientOrderId": coid,
            "newOrderRespType": _upper(new_order_resp_type),
        }
        data = self._call("POST /api/v3/order/cancelReplace", params, client_order_id=coid)
        return CancelReplaceResult.from_api(data)

    @endpoint("POST /api/v3/order/oco")
    def new_oco(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal,
        stop_price: Decimal,
        stop_limit_price: Decimal | None = None,
        stop_limit_time_in_force: str | None = None,
        list_client_order_id: str | None = None,
        limit_client_order_id: str | None = None,
        stop_client_order_id: str | None = None,
        limit_iceberg_qty: Decimal | None = None,
        stop_iceberg_qty: Decimal | None = None,
        trailing_delta: int | None = None,
        self_trade_prevention_mode: str | None = None,
        new_order_resp_type: str | None = None,
        validate: bool = True,
    ) -> OrderList:
        """Place an OCO: a LIMIT_MAKER leg at ``price`` and a stop leg at ``stop_price``
        (STOP_LOSS_LIMIT at ``stop_limit_price`` when given, which then needs
        ``stop_limit_time_in_force``). A ``listClientOrderId`` is generated when none is
        given; :class:`ExecutionUnknown` carries it as ``client_order_id``."""
        if (stop_limit_price is None) != (stop_limit_time_in_force is None):
            raise ValueError("stop_limit_price and stop_limit_time_in_force go together")
        if validate:
            self._check_locally(
                symbol,
                lambda rules: check_oco(
                    rules,
                    side=side,
                    quantity=quantity,
                    price=price,
                    stop_price=stop_price,
                    stop_limit_price=stop_limit_price,
                    limit_iceberg_qty=limit_iceberg_qty,
                    stop_iceberg_qty=stop_iceberg_qty,
                    trailing_delta=trailing_delta,
                ),
            )
        list_id = list_client_order_id or generate_client_order_id()
        params: dict[str, ParamValue | None] = {
            "symbol": symbol,
            "listClientOrderId": list_id,
            "side": side.upper(),
            "quantity": quantity,
            "limitClientOrderId": limit_client_order_id,
            "price": price,
            "limitIcebergQty": limit_iceberg_qty,
            "trailingDelta": trailing_delta,
            "stopClientOrderId": stop_client_order_id,
            "stopPrice": stop_price,
            "stopLimitPrice": stop_limit_price,
            "stopIcebergQty": stop_iceberg_qty,
            "stopLimitTimeInForce": _upper(stop_limit_time_in_force),
            "newOrderRespType": _upper(new_order_resp_type),
            "selfTradePreventionMode": _upper(self_trade_prevention_mode),
        }
        data = self._call("POST /api/v3/order/oco", params, client_order_id=list_id)
        return OrderList.from_api(data)

    # -- cancelling -------------------------------------------------------------------------

    @endpoint("DELETE /api/v3/order")
    def cancel_order(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
        cancel_restrictions: str | None = None,
    ) -> Order:
        """Cancel one order (``cancel_restrictions``: ``ONLY_NEW`` / ``ONLY_PARTIALLY_FILLED``;
        an order failing it is refused with -2011)."""
        need_one("order_id or orig_client_order_id", order_id, orig_client_order_id)
        data = self._call(
            "DELETE /api/v3/order",
            {
                "symbol": symbol,
                "orderId": order_id,
                "origClientOrderId": orig_client_order_id,
                "newClientOrderId": new_client_order_id,
                "cancelRestrictions": _upper(cancel_restrictions),
            },
            client_order_id=orig_client_order_id,
        )
        return Order.from_api(data)

    @endpoint("DELETE /api/v3/openOrders")
    def cancel_open_orders(self, *, symbol: str) -> list[Order | OrderList]:
        """Cancel every open order of ``symbol``; OCO legs come back as order lists."""
        rows = self._call("DELETE /api/v3/openOrders", {"symbol": symbol})
        return [order_or_list(r) for r in rows or []]

    @endpoint("DELETE /api/v3/orderList")
    def cancel_order_list(
        self,
        *,
        symbol: str,
        order_list_id: int | None = None,
        list_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
    ) -> OrderList:
        """Cancel a whole OCO (cancelling one leg cancels the list anyway)."""
        need_one("order_list_id or list_client_order_id", order_list_id, list_client_order_id)
        data = self._call(
            "DELETE /api/v3/orderList",
            {
                "symbol": symbol,
                "orderListId": order_list_id,
                "listClientOrderId": list_client_order_id,
                "newClientOrderId": new_client_order_id,
            },
            client_order_id=list_client_order_id,
        )
        return OrderList.from_api(data)

    # -- queries ----------------------------------------------------------------------------

    @sends("GET /api/v3/order", Order.from_api)
    def get_order(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
    ) -> Order:
        """One order of ``symbol`` by ``order_id`` or by its client order id."""
        need_one("order_id or orig_client_order_id", order_id, orig_client_order_id)

    @sends("GET /api/v3/openOrders", rows(Order.from_api))
    def open_orders(self, *, symbol: str | None = None) -> list[Order]:
        """Open orders of ``symbol``, or of every symbol (weight 40 instead of 3)."""

    @sends("GET /api/v3/allOrders", rows(Order.from_api))
    def all_orders(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Every order of ``symbol`` (open, canceled, filled); ``order_id``: from that id on."""

    @sends("GET /api/v3/myTrades", rows(AccountTrade.from_api))
    def my_trades(
        self,
        *,
        symbol: str,
        order_id: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        from_id: int | None = None,
        limit: int | None = None,
    ) -> list[AccountTrade]:
        """This account's trades on ``symbol`` (``from_id``: trade id to start at; a time
        range may span at most 24 hours)."""

    @sends("GET /api/v3/myPreventedMatches", rows(PreventedMatch.from_api))
    def my_prevented_matches(
        self,
        *,
        symbol: str,
        prevented_match_id: int | None = None,
        order_id: int | None = None,
        from_prevented_match_id: int | None = None,
        limit: int | None = None,
    ) -> list[PreventedMatch]:
        """Orders expired by self-trade prevention: by ``prevented_match_id`` (weight 1) or
        by ``order_id`` (weight 10, optionally from ``from_prevented_match_id``)."""
        need_one("prevented_match_id or order_id", prevented_match_id, order_id)

    @sends("GET /api/v3/orderList", OrderList.from_api)
    def get_order_list(
        self, *, order_list_id: int | None = None, orig_client_order_id: str | None = None
    ) -> OrderList:
        """One OCO by ``order_list_id`` or by its list client id (``origClientOrderId``)."""
        need_one("order_list_id or orig_client_order_id", order_list_id, orig_client_order_id)

    @sends("GET /api/v3/allOrderList", rows(OrderList.from_api))
    def all_order_lists(
        self,
        *,
        from_id: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[OrderList]:
        """OCOs from ``from_id`` on, or within a time range (not both)."""
        from_id_or_range(from_id, start_time, end_time)

    @sends("GET /api/v3/openOrderList", rows(OrderList.from_api))
    def open_order_lists(self) -> list[OrderList]:
        """The open OCOs."""

    @sends("GET /api/v3/rateLimit/order", rows(RateLimitUsage.from_api))
    def order_rate_limit(self) -> list[RateLimitUsage]:
        """This account's order counts against each ORDERS limit."""
