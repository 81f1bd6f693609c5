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
from typing import TYPE_CHECKING, Any, Unpack

from ._endpoints import endpoint
from ._errors import OrderRejectedLocally
from ._fields import camel
from ._filters import FilterProblem, SymbolRules, check_oco, check_order
from ._models import Order
from ._params import IdWindow, OcoParams, OcoShape, OrderParams, OrderShape, Window, keywords, pick
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


# The new order's optional parameters in the order they are sent (``newClientOrderId`` last).
_WIRE_ORDER = ("time_in_force", "quantity", "quote_order_qty", "price", "stop_price")
_WIRE_ORDER += ("trailing_delta", "iceberg_qty", "self_trade_prevention_mode")
_WIRE_ORDER += ("strategy_id", "strategy_type")
_UPPER_CASED = frozenset({"time_in_force", "self_trade_prevention_mode"})


def _order_fields(owner: str, order: Mapping[str, Any]) -> dict[str, ParamValue | None]:
    """The new order's parameters (wire names, enums upper-cased) from a placing method's
    ``**order`` (a keyword :class:`OrderParams` lacks or does not declare: ``TypeError``)."""
    keywords(f"TradingMethods.{owner}", OrderParams, order)
    fields = {n: order.get(n) for n in _WIRE_ORDER}
    fields = {camel(n): _upper(v) if n in _UPPER_CASED else v for n, v in fields.items()}
    return {"side": order["side"].upper(), "type": order["type"].upper(), **fields}


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
        new_order_resp_type: str = "FULL",
        validate: bool = True,
        **order: Unpack[OrderParams],
    ) -> Order:
        """Place an order (``order``: quantity, price, time_in_force, ... as
        :class:`~binanceus._params.OrderParams`). A client order id is generated when none is
        given, so that an :class:`ExecutionUnknown` always carries one to look the order up
        by."""
        params = _order_fields("new_order", order)
        if validate:
            self._validate(symbol, order)
        coid = order.get("new_client_order_id") or generate_client_order_id()
        params = {"symbol": symbol, **params, "newClientOrderId": coid}
        params["newOrderRespType"] = _upper(new_order_resp_type)
        return Order.from_api(self._call("POST /api/v3/order", params, client_order_id=coid))

    def _validate(self, symbol: str, order: Mapping[str, Any]) -> None:
        """Check a placing method's order against the symbol's filters."""
        checked: OrderShape = pick(OrderShape, order)  # type: ignore[assignment]
        self._check_locally(symbol, lambda rules: check_order(rules, **checked))

    @endpoint("POST /api/v3/order/test")
    def test_new_order(
        self,
        *,
        symbol: str,
        compute_commission_rates: bool = False,
        validate: bool = False,
        **order: Unpack[OrderParams],
    ) -> OrderTestResult:
        """Have the exchange validate an order without placing it (nothing reaches the
        matching engine). Local filter checks are off by default: the point is the
        exchange's verdict."""
        params = _order_fields("test_new_order", order)
        if validate:
            self._validate(symbol, order)
        params = {"symbol": symbol, **params}
        params["newClientOrderId"] = order.get("new_client_order_id")
        params["computeCommissionRates"] = True if compute_commission_rates else None
        data = self._call("POST /api/v3/order/test", params)
        return OrderTestResult.from_api(data or {})

    @endpoint("POST /api/v3/order/cancelReplace")
    def cancel_replace(
        self,
        *,
        symbol: str,
        cancel_replace_mode: str,
        cancel_order_id: int | None = None,
        cancel_orig_client_order_id: str | None = None,
        cancel_new_client_order_id: str | None = None,
        cancel_restrictions: str | None = None,
        new_order_resp_type: str | None = None,
        validate: bool = True,
        **order: Unpack[OrderParams],
    ) -> CancelReplaceResult:
        """Cancel an order and place a new one on the same symbol (``cancel_replace_mode``
        ``STOP_ON_FAILURE`` or ``ALLOW_FAILURE``).

        Raises :class:`CancelReplaceFailed` (HTTP 409: one half executed; ``.result`` says
        which) or :class:`CancelReplaceRejected` (400: neither did). An unknown outcome is
        :class:`ExecutionUnknown` carrying the new order's client id (generated when none
        is given).
        """
        fields = _order_fields("cancel_replace", order)
        need_one(
            "cancel_order_id or cancel_orig_client_order_id",
            cancel_order_id,
            cancel_orig_client_order_id,
        )
        if validate:
            self._validate(symbol, order)
        coid = order.get("new_client_order_id") or generate_client_order_id()
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
    def new_oco(self, *, symbol: str, validate: bool = True, **oco: Unpack[OcoParams]) -> OrderList:
        """Place an OCO: a LIMIT_MAKER leg at ``price`` and a stop leg at ``stop_price``
        (STOP_LOSS_LIMIT at ``stop_limit_price`` when given, which then needs
        ``stop_limit_time_in_force``). A ``listClientOrderId`` is generated when none is
        given; :class:`ExecutionUnknown` carries it as ``client_order_id``."""
        keywords("TradingMethods.new_oco", OcoParams, oco)
        get = oco.get
        if (get("stop_limit_price") is None) != (get("stop_limit_time_in_force") is None):
            raise ValueError("stop_limit_price and stop_limit_time_in_force go together")
        if validate:
            legs: OcoShape = pick(OcoShape, oco)  # type: ignore[assignment]
            self._check_locally(symbol, lambda rules: check_oco(rules, **legs))
        list_id = get("list_client_order_id") or generate_client_order_id()
        params: dict[str, ParamValue | None] = {
            "symbol": symbol,
            "listClientOrderId": list_id,
            "side": oco["side"].upper(),
            "quantity": oco["quantity"],
            "limitClientOrderId": get("limit_client_order_id"),
            "price": oco["price"],
            "limitIcebergQty": get("limit_iceberg_qty"),
            "trailingDelta": get("trailing_delta"),
            "stopClientOrderId": get("stop_client_order_id"),
            "stopPrice": oco["stop_price"],
            "stopLimitPrice": get("stop_limit_price"),
            "stopIcebergQty": get("stop_iceberg_qty"),
            "stopLimitTimeInForce": _upper(get("stop_limit_time_in_force")),
            "newOrderRespType": _upper(get("new_order_resp_type")),
            "selfTradePreventionMode": _upper(get("self_trade_prevention_mode")),
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
        self, *, symbol: str, order_id: int | None = None, **window: Unpack[Window]
    ) -> list[Order]:
        """Every order of ``symbol`` (open, canceled, filled); ``order_id``: from that id on."""

    @sends("GET /api/v3/myTrades", rows(AccountTrade.from_api))
    def my_trades(
        self, *, symbol: str, order_id: int | None = None, **window: Unpack[IdWindow]
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
    def all_order_lists(self, **window: Unpack[IdWindow]) -> list[OrderList]:
        """OCOs from ``from_id`` on, or within a time range (not both)."""
        from_id_or_range(window)

    @sends("GET /api/v3/openOrderList", rows(OrderList.from_api))
    def open_order_lists(self) -> list[OrderList]:
        """The open OCOs."""

    @sends("GET /api/v3/rateLimit/order", rows(RateLimitUsage.from_api))
    def order_rate_limit(self) -> list[RateLimitUsage]:
        """This account's order counts against each ORDERS limit."""
