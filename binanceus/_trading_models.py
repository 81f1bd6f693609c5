"""Typed views of the trading endpoints' answers beyond a single :class:`~binanceus.Order`.

Money is :class:`~decimal.Decimal`, times aware UTC datetimes, ids ``int``; every model keeps
the exchange's JSON in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._fields import Model, model, parse, wire
from ._models import Order

__all__ = [
    "AccountTrade",
    "CancelReplaceResult",
    "CommissionRate",
    "ErrorDetail",
    "OrderList",
    "OrderListEntry",
    "OrderTestResult",
    "PreventedMatch",
    "RateLimitUsage",
]


@model
class RateLimitUsage(Model):
    """One row of ``GET /api/v3/rateLimit/order``: the order count of one interval."""

    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int
    count: int = wire(missing=0)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def window(self) -> str:
        """The ``X-MBX-ORDER-COUNT-*`` suffix of this interval, e.g. ``"10S"`` or ``"1D"``."""
        return f"{self.interval_num}{self.interval[:1]}"


@model
class CommissionRate(Model):
    maker: Decimal = wire(missing=0)
    taker: Decimal = wire(missing=0)


@model
class OrderTestResult(Model):
    """``POST /api/v3/order/test``: ``{}`` when the order would be accepted.

    With ``computeCommissionRates=true`` the exchange may add the commission that would apply
    (``standardCommissionForOrder`` / ``taxCommissionForOrder`` / ``discount``); absent fields
    stay ``None``.
    """

    standard_commission: CommissionRate | None = wire("standardCommissionForOrder", default=None)
    tax_commission: CommissionRate | None = wire("taxCommissionForOrder", default=None)
    discount_enabled_for_account: bool | None = wire("discount.enabledForAccount", default=None)
    discount_enabled_for_symbol: bool | None = wire("discount.enabledForSymbol", default=None)
    discount_asset: str | None = wire("discount.discountAsset", default=None)
    discount: Decimal | None = wire("discount.discount", default=None)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@model
class AccountTrade(Model):
    """One row of ``GET /api/v3/myTrades``."""

    symbol: str
    id: int
    order_id: int
    order_list_id: int = wire(missing=-1)
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal = wire(missing=0)
    commission_asset: str | None
    time: datetime
    is_buyer: bool
    is_maker: bool
    is_best_match: bool | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@model
class PreventedMatch(Model):
    """One row of ``GET /api/v3/myPreventedMatches`` (an order expired by self-trade
    prevention)."""

    symbol: str
    prevented_match_id: int
    taker_order_id: int
    maker_order_id: int
    trade_group_id: int
    self_trade_prevention_mode: str
    price: Decimal
    # Each appears only for the modes that expire that side (the spec's field notes).
    maker_prevented_quantity: Decimal | None
    taker_prevented_quantity: Decimal | None
    transact_time: datetime
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@model
class OrderListEntry(Model):
    """One leg reference inside an order list: ``{"symbol", "orderId", "clientOrderId"}``
    (REST) or ``{"s", "i", "c"}`` (the ``listStatus`` event)."""

    symbol: str = wire(alt=("s",))
    order_id: int = wire(alt=("i",))
    client_order_id: str = wire(alt=("c",), missing="")


@model
class OrderList(Model):
    """An OCO order list (``POST /api/v3/order/oco``, ``GET /api/v3/orderList``, ...).

    ``order_reports`` is filled by the placing and cancelling calls only; queries carry the
    leg references in ``orders``.
    """

    order_list_id: int
    contingency_type: str = wire(missing="")
    list_status_type: str = wire(missing="")
    list_order_status: str = wire(missing="")
    list_client_order_id: str = wire(missing="")
    transaction_time: datetime | None
    symbol: str = wire(missing="")
    orders: list[OrderListEntry]
    order_reports: list[Order]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_open(self) -> bool:
        return self.list_order_status == "EXECUTING"


def order_or_list(data: Mapping[str, Any]) -> Order | OrderList:
    """Rows of ``DELETE /api/v3/openOrders`` are orders, or order lists for OCO legs."""
    return OrderList.from_api(data) if "contingencyType" in data else Order.from_api(data)


@model
class ErrorDetail(Model):
    """The exchange's ``{"code", "msg"}`` for one half of a cancel-replace."""

    code: int | None
    msg: str = wire(missing="")


def _half(data: Any) -> tuple[Order | None, ErrorDetail | None]:
    if not isinstance(data, Mapping):
        return None, None
    if "orderId" in data:
        return Order.from_api(data), None
    return None, ErrorDetail.from_api(data)


@model
class CancelReplaceResult(Model):
    """``POST /api/v3/order/cancelReplace``: what happened to each half.

    ``cancel_result`` / ``new_order_result`` are ``SUCCESS``, ``FAILURE`` or ``NOT_ATTEMPTED``;
    a failed half carries the exchange's code and message in ``cancel_error`` /
    ``new_order_error`` instead of an order.
    """

    cancel_result: str = wire(missing="")
    new_order_result: str = wire(missing="")
    cancel_response: Order | None
    new_order_response: Order | None
    cancel_error: ErrorDetail | None = None
    new_order_error: ErrorDetail | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def canceled(self) -> bool:
        return self.cancel_result == "SUCCESS"

    @property
    def placed(self) -> bool:
        return self.new_order_result == "SUCCESS"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CancelReplaceResult:
        cancel, cancel_error = _half(data.get("cancelResponse"))
        new, new_error = _half(data.get("newOrderResponse"))
        return parse(  # type: ignore[no-any-return]
            cls,
            data,
            cancel_response=cancel,
            new_order_response=new,
            cancel_error=cancel_error,
            new_order_error=new_error,
        )
