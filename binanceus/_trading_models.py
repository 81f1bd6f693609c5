"""Typed views of the trading endpoints' answers beyond a single :class:`~binanceus.Order`.

Money is :class:`~decimal.Decimal`, times aware UTC datetimes, ids ``int``; every model keeps
the exchange's JSON in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._models import Order, _dec_or_none, _int_or_none, to_decimal
from ._time import from_ms, from_ms_or_none

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


@dataclass(frozen=True, slots=True)
class RateLimitUsage:
    """One row of ``GET /api/v3/rateLimit/order``: the order count of one interval."""

    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int
    count: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def window(self) -> str:
        """The ``X-MBX-ORDER-COUNT-*`` suffix of this interval, e.g. ``"10S"`` or ``"1D"``."""
        return f"{self.interval_num}{self.interval[:1]}"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RateLimitUsage:
        return cls(
            rate_limit_type=data["rateLimitType"],
            interval=data["interval"],
            interval_num=int(data["intervalNum"]),
            limit=int(data["limit"]),
            count=int(data.get("count", 0)),
        )


@dataclass(frozen=True, slots=True)
class CommissionRate:
    maker: Decimal
    taker: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CommissionRate:
        return cls(maker=to_decimal(data.get("maker", 0)), taker=to_decimal(data.get("taker", 0)))


@dataclass(frozen=True, slots=True)
class OrderTestResult:
    """``POST /api/v3/order/test``: ``{}`` when the order would be accepted.

    With ``computeCommissionRates=true`` the exchange may add the commission that would apply
    (``standardCommissionForOrder`` / ``taxCommissionForOrder`` / ``discount``); absent fields
    stay ``None``.
    """

    standard_commission: CommissionRate | None = None
    tax_commission: CommissionRate | None = None
    discount_enabled_for_account: bool | None = None
    discount_enabled_for_symbol: bool | None = None
    discount_asset: str | None = None
    discount: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> OrderTestResult:
        standard = data.get("standardCommissionForOrder")
        tax = data.get("taxCommissionForOrder")
        discount = data.get("discount") or {}
        return cls(
            standard_commission=CommissionRate.from_api(standard) if standard else None,
            tax_commission=CommissionRate.from_api(tax) if tax else None,
            discount_enabled_for_account=discount.get("enabledForAccount"),
            discount_enabled_for_symbol=discount.get("enabledForSymbol"),
            discount_asset=discount.get("discountAsset"),
            discount=_dec_or_none(discount.get("discount")),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class AccountTrade:
    """One row of ``GET /api/v3/myTrades``."""

    symbol: str
    id: int
    order_id: int
    order_list_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str | None
    time: datetime
    is_buyer: bool
    is_maker: bool
    is_best_match: bool | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AccountTrade:
        return cls(
            symbol=data["symbol"],
            id=int(data["id"]),
            order_id=int(data["orderId"]),
            order_list_id=int(data.get("orderListId", -1)),
            price=to_decimal(data["price"]),
            qty=to_decimal(data["qty"]),
            quote_qty=to_decimal(data["quoteQty"]),
            commission=to_decimal(data.get("commission", 0)),
            commission_asset=data.get("commissionAsset"),
            time=from_ms(data["time"]),
            is_buyer=bool(data["isBuyer"]),
            is_maker=bool(data["isMaker"]),
            is_best_match=data.get("isBestMatch"),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class PreventedMatch:
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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PreventedMatch:
        return cls(
            symbol=data["symbol"],
            prevented_match_id=int(data["preventedMatchId"]),
            taker_order_id=int(data["takerOrderId"]),
            maker_order_id=int(data["makerOrderId"]),
            trade_group_id=int(data["tradeGroupId"]),
            self_trade_prevention_mode=data["selfTradePreventionMode"],
            price=to_decimal(data["price"]),
            maker_prevented_quantity=_dec_or_none(data.get("makerPreventedQuantity")),
            taker_prevented_quantity=_dec_or_none(data.get("takerPreventedQuantity")),
            transact_time=from_ms(data["transactTime"]),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class OrderListEntry:
    """One leg reference inside an order list: ``{"symbol", "orderId", "clientOrderId"}``
    (REST) or ``{"s", "i", "c"}`` (the ``listStatus`` event)."""

    symbol: str
    order_id: int
    client_order_id: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> OrderListEntry:
        if "orderId" in data:
            return cls(data["symbol"], int(data["orderId"]), data.get("clientOrderId", ""))
        return cls(data["s"], int(data["i"]), data.get("c", ""))


@dataclass(frozen=True, slots=True)
class OrderList:
    """An OCO order list (``POST /api/v3/order/oco``, ``GET /api/v3/orderList``, ...).

    ``order_reports`` is filled by the placing and cancelling calls only; queries carry the
    leg references in ``orders``.
    """

    order_list_id: int
    contingency_type: str
    list_status_type: str
    list_order_status: str
    list_client_order_id: str
    transaction_time: datetime | None
    symbol: str
    orders: list[OrderListEntry]
    order_reports: list[Order]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_open(self) -> bool:
        return self.list_order_status == "EXECUTING"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> OrderList:
        return cls(
            order_list_id=int(data["orderListId"]),
            contingency_type=data.get("contingencyType", ""),
            list_status_type=data.get("listStatusType", ""),
            list_order_status=data.get("listOrderStatus", ""),
            list_client_order_id=data.get("listClientOrderId", ""),
            transaction_time=from_ms_or_none(data.get("transactionTime")),
            symbol=data.get("symbol", ""),
            orders=[OrderListEntry.from_api(o) for o in data.get("orders", []) or []],
            order_reports=[Order.from_api(o) for o in data.get("orderReports", []) or []],
            raw=dict(data),
        )


def order_or_list(data: Mapping[str, Any]) -> Order | OrderList:
    """Rows of ``DELETE /api/v3/openOrders`` are orders, or order lists for OCO legs."""
    return OrderList.from_api(data) if "contingencyType" in data else Order.from_api(data)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """The exchange's ``{"code", "msg"}`` for one half of a cancel-replace."""

    code: int | None
    msg: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ErrorDetail:
        return cls(code=_int_or_none(data.get("code")), msg=str(data.get("msg", "")))


def _half(data: Any) -> tuple[Order | None, ErrorDetail | None]:
    if not isinstance(data, Mapping):
        return None, None
    if "orderId" in data:
        return Order.from_api(data), None
    return None, ErrorDetail.from_api(data)


@dataclass(frozen=True, slots=True)
class CancelReplaceResult:
    """``POST /api/v3/order/cancelReplace``: what happened to each half.

    ``cancel_result`` / ``new_order_result`` are ``SUCCESS``, ``FAILURE`` or ``NOT_ATTEMPTED``;
    a failed half carries the exchange's code and message in ``cancel_error`` /
    ``new_order_error`` instead of an order.
    """

    cancel_result: str
    new_order_result: str
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
        return cls(
            cancel_result=str(data.get("cancelResult", "")),
            new_order_result=str(data.get("newOrderResult", "")),
            cancel_response=cancel,
            new_order_response=new,
            cancel_error=cancel_error,
            new_order_error=new_error,
            raw=dict(data),
        )
