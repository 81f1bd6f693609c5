"""Models of the custodial trading answers: orders, OCO order lists and trades placed from a
custodial sub-account's funds.

Custodial orders and order lists are the spot ones (:class:`~binanceus.Order`,
:class:`~binanceus.OrderList`) plus ``expressTradeFlag``: whether the order pulled its funds
from the custodial partner (``allowExpressTrade``). Conventions as in
:mod:`binanceus._models`.

Spec quirks, each resolved once:

- The order history example prints ``"symbol": "1565776717369"`` (L8636): ``symbol`` is taken
  as whatever text the exchange sends (a JSON number too), never checked against the symbols.
- The trade history rows carry no trade ``id`` (L8738-8767): :attr:`CustodianTrade.id` is
  ``None`` then; identify a fill by ``(order_id, time, price, qty)``.
- ``expressTradeFlag`` is ``None`` where the answer omits it (the cancel answers); a
  ``"true"`` / ``"FALSE"`` string counts as the boolean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._fields import Model, model, wire

# The inherited fields' annotations are resolved in this module's namespace.
from ._models import Fill, Order  # noqa: F401
from ._trading_models import OrderList, OrderListEntry  # noqa: F401

__all__ = ["CustodianOrder", "CustodianOrderList", "CustodianTrade"]


@model
class CustodianOrder(Order):
    """An order of ``POST /sapi/v1/custodian/order``, ``GET .../order``, ``.../openOrders``,
    ``.../orderHistory`` and the custodial cancels."""

    express_trade_flag: bool | None = None


@model
class CustodianOrderList(OrderList):
    """An OCO of ``POST /sapi/v1/custodian/ocoOrder`` / ``DELETE .../cancelOcoOrder``."""

    express_trade_flag: bool | None = None


def custodian_order_or_list(data: Mapping[str, Any]) -> CustodianOrder | CustodianOrderList:
    """Rows of ``DELETE /sapi/v1/custodian/cancelOrdersBySymbol`` are orders, or order lists
    for OCOs (the cancel "includes OCO orders", L8965)."""
    if "contingencyType" in data:
        return CustodianOrderList.from_api(data)
    return CustodianOrder.from_api(data)


@model
class CustodianTrade(Model):
    """One row of ``GET /sapi/v1/custodian/tradeHistory``."""

    symbol: str
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
    id: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)
