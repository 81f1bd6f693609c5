"""Custodial Solution methods (``custody`` area; custodial API keys only): transfers,
balances, settlements, and trading from the custodial sub-account's funds.

Exactly once: the transfers carry a ``clientOrderId`` (generated when none is given) and
:class:`ExecutionUnknown` names it. A custodial order has no client order id in the spec
(L8167-8180), so an unknown :meth:`~CustodyMethods.custodian_order_new` carries only what was
sent (``params``); reconcile against :meth:`~CustodyMethods.custodian_open_orders` and
:meth:`~CustodyMethods.custodian_order_history` before placing it again. A custodial OCO does
take leg ids: the limit leg's ``limitClientOrderId`` is generated when none is given and is the
unknown's ``client_order_id``. Custody calls are never re-sent automatically, not even after
the documented not-executed 503 (only the ``trading`` area is).

Where the spec is silent or wrong, one choice each:

- The custodian transfer history example prints ``"expressTrade": FALSE`` (L8028), which is
  not JSON; it is taken for the JSON ``false`` the exchange sends (a bare ``FALSE`` token would
  make the answer undecodable: :class:`InvalidResponse`), and a string ``"FALSE"`` /
  ``"true"`` is read as the boolean.
- settlementHistory lists no ``timestamp`` parameter (L9305-9309) though its title says
  "HMAC SHA256": it is signed like every other custodial call.
- The order history example's ``symbol`` ("1565776717369", L8636) and the trade rows without a
  trade id: see :mod:`binanceus._custody_models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Unpack

from ._account_models import (
    CustodianBalance,
    CustodianSettlement,
    CustodianSettlementSetting,
    CustodianSupportedAssets,
    CustodianTransfer,
    CustodianTransferRecord,
    CustodianUndoTransfer,
)
from ._custody_models import (
    CustodianOrder,
    CustodianOrderList,
    CustodianTrade,
    custodian_order_or_list,
)
from ._endpoints import endpoint
from ._fields import camel
from ._filters import FilterProblem, SymbolRules, check_oco, check_order
from ._params import (
    CustodianOcoParams,
    CustodianOrderParams,
    CustodianTransferQuery,
    IdWindow,
    OcoShape,
    OrderShape,
    PagedWindow,
    keywords,
    pick,
)
from ._signing import ParamValue
from ._trading import generate_client_order_id
from ._transport import Transport, as_amount, need_one, rows, sends

DEFAULT_CUSTODIAL_RAIL = "ANCHORAGE"
"""The custodial partner the spec uses as its example; every custodial endpoint needs one."""

_TRANSFER_ROWS = rows(CustodianTransferRecord.from_api, "data")
"""Both transfer histories answer alike."""

_ENUMS = frozenset({"side", "type", "time_in_force", "stop_limit_time_in_force"})

# Each placing call's parameters in the spec's order.
_ORDER_WIRE = ("side", "type", "time_in_force", "quantity", "quote_order_qty", "price")
_ORDER_WIRE += ("stop_price", "iceberg_qty", "asset", "allow_express_trade")
_OCO_WIRE = ("side", "quantity", "limit_client_order_id", "price", "limit_iceberg_qty")
_OCO_WIRE += ("stop_client_order_id", "stop_price", "stop_limit_price", "stop_iceberg_qty")
_OCO_WIRE += ("stop_limit_time_in_force", "asset", "allow_express_trade")


def _on_wire(given: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, ParamValue | None]:
    """``given`` under the wire names, in ``names``' order, enums upper-cased."""
    out: dict[str, ParamValue | None] = {}
    for name in names:
        value = given.get(name)
        out[camel(name)] = value.upper() if name in _ENUMS and value is not None else value
    return out


class CustodyMethods(Transport):
    """Custodial Solution transfers, balances, settlements and orders (custodial keys only)."""

    areas = ("custody",)

    if TYPE_CHECKING:

        def _check_locally(
            self, symbol: str, check: Callable[[SymbolRules], list[FilterProblem]]
        ) -> None: ...

    # -- custodial solution (custodial API keys only) ---------------------------------------

    @sends("GET /sapi/v1/custodian/balance", CustodianBalance.from_api)
    def custodian_balance(self, *, rail: str) -> CustodianBalance:
        """The exchange wallet's and the custodial sub-account's balances."""

    @sends("GET /sapi/v1/custodian/supportedAssetList", CustodianSupportedAssets.from_api)
    def custodian_supported_assets(self, *, rail: str) -> CustodianSupportedAssets:
        """The assets ``rail`` can transfer and settle."""

    @endpoint("POST /sapi/v1/custodian/walletTransfer")
    def custodian_wallet_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Exchange wallet -> custodial sub-account. A ``clientOrderId`` is generated when none
        is given so an :class:`ExecutionUnknown` always carries one to look the transfer up by
        (:meth:`custodian_wallet_transfer_history`)."""
        return self._custodian_transfer(
            "POST /sapi/v1/custodian/walletTransfer", rail, asset, amount, client_order_id
        )

    @endpoint("POST /sapi/v1/custodian/custodianTransfer")
    def custodian_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Custodial partner -> custodial sub-account (``clientOrderId`` as for
        :meth:`custodian_wallet_transfer`; look up in :meth:`custodian_transfer_history`)."""
        return self._custodian_transfer(
            "POST /sapi/v1/custodian/custodianTransfer", rail, asset, amount, client_order_id
        )

    def _custodian_transfer(
        self, key: str, rail: str, asset: str, amount: Decimal, client_order_id: str | None
    ) -> CustodianTransfer:
        """Both transfers take the same parameters and answer alike."""
        coid = client_order_id or generate_client_order_id()
        params = {"rail": rail, "asset": asset, "amount": as_amount(amount), "clientOrderId": coid}
        return CustodianTransfer.from_api(self._call(key, params, client_order_id=coid))

    @sends("POST /sapi/v1/custodian/undoTransfer", CustodianUndoTransfer.from_api)
    def custodian_undo_transfer(
        self, *, rail: str, origin_transfer_id: str
    ) -> CustodianUndoTransfer:
        """Undo a custodian transfer; :class:`ExecutionUnknown` carries ``originTransferId``
        in ``params``."""

    @sends("GET /sapi/v1/custodian/walletTransferHistory", _TRANSFER_ROWS)
    def custodian_wallet_transfer_history(
        self, *, rail: str, **query: Unpack[CustodianTransferQuery]
    ) -> list[CustodianTransferRecord]:
        """Exchange wallet -> custodial sub-account transfers (``transfer_id``,
        ``client_order_id``, ``asset``, a window and paging)."""

    @sends("GET /sapi/v1/custodian/custodianTransferHistory", _TRANSFER_ROWS)
    def custodian_transfer_history(
        self,
        *,
        rail: str,
        express_trade_transfer: bool | None = None,
        **query: Unpack[CustodianTransferQuery],
    ) -> list[CustodianTransferRecord]:
        """Custodial partner -> custodial sub-account transfers."""

    @sends("GET /sapi/v1/custodian/settlementSetting", CustodianSettlementSetting.from_api)
    def custodian_settlement_setting(self, *, rail: str) -> CustodianSettlementSetting:
        """Settlement status, schedule and next trigger time (the spec requires ``rail``)."""

    @sends(
        "GET /sapi/v1/custodian/settlementHistory",
        rows(CustodianSettlement.from_api, "records"),
    )
    def custodian_settlement_history(
        self, *, rail: str, **window: Unpack[PagedWindow]
    ) -> list[CustodianSettlement]:
        """Settlements to the custodial partner."""

    # -- trading from custodial funds -------------------------------------------------------

    @endpoint("POST /sapi/v1/custodian/order")
    def custodian_order_new(
        self,
        *,
        rail: str,
        symbol: str,
        validate: bool = True,
        **order: Unpack[CustodianOrderParams],
    ) -> CustodianOrder:
        """Place an order paid from the custodial sub-account (``order``: side, type and
        what the type needs, as for :meth:`new_order`; ``allow_express_trade`` pulls a short
        balance from the partner). The filters are checked locally as for :meth:`new_order`.
        No client order id exists: :class:`ExecutionUnknown` carries the sent ``params``."""
        keywords("CustodyMethods.custodian_order_new", CustodianOrderParams, order)
        if validate:
            shape: OrderShape = pick(OrderShape, order)  # type: ignore[assignment]
            self._check_locally(symbol, lambda rules: check_order(rules, **shape))
        params = {"rail": rail, "symbol": symbol, **_on_wire(order, _ORDER_WIRE)}
        return CustodianOrder.from_api(self._call("POST /sapi/v1/custodian/order", params))

    @endpoint("POST /sapi/v1/custodian/ocoOrder")
    def custodian_oco_order_new(
        self,
        *,
        rail: str,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal,
        stop_price: Decimal,
        validate: bool = True,
        **oco: Unpack[CustodianOcoParams],
    ) -> CustodianOrderList:
        """Place an OCO from custodial funds: a LIMIT_MAKER leg at ``price`` and a stop leg at
        ``stop_price`` (STOP_LOSS_LIMIT at ``stop_limit_price``, which needs
        ``stop_limit_time_in_force``). ``limit_client_order_id`` is generated when none is
        given; :class:`ExecutionUnknown` carries it as ``client_order_id``."""
        keywords("CustodyMethods.custodian_oco_order_new", CustodianOcoParams, oco)
        if (oco.get("stop_limit_price") is None) != (oco.get("stop_limit_time_in_force") is None):
            raise ValueError("stop_limit_price and stop_limit_time_in_force go together")
        legs = {**oco, "side": side, "quantity": quantity, "price": price}
        legs["stop_price"] = stop_price
        if validate:
            shape: OcoShape = pick(OcoShape, legs)  # type: ignore[assignment]
            self._check_locally(symbol, lambda rules: check_oco(rules, **shape))
        limit_id = oco.get("limit_client_order_id") or generate_client_order_id()
        legs["limit_client_order_id"] = limit_id
        params = {"rail": rail, "symbol": symbol, **_on_wire(legs, _OCO_WIRE)}
        data = self._call("POST /sapi/v1/custodian/ocoOrder", params, client_order_id=limit_id)
        return CustodianOrderList.from_api(data)

    @sends("GET /sapi/v1/custodian/openOrders", rows(CustodianOrder.from_api))
    def custodian_open_orders(
        self, *, rail: str, symbol: str | None = None
    ) -> list[CustodianOrder]:
        """Open custodial orders of ``symbol``, or of every symbol (weight 1 either way)."""

    @sends("GET /sapi/v1/custodian/order", CustodianOrder.from_api)
    def custodian_order(self, *, rail: str, symbol: str, order_id: int) -> CustodianOrder:
        """One custodial order."""

    @sends("GET /sapi/v1/custodian/orderHistory", rows(CustodianOrder.from_api))
    def custodian_order_history(
        self, *, rail: str, symbol: str | None = None, **window: Unpack[IdWindow]
    ) -> list[CustodianOrder]:
        """Custodial orders, open and past, of ``symbol`` or of every symbol (``from_id``:
        the order id to start at; the exchange's default ``limit`` is 200)."""

    @sends("GET /sapi/v1/custodian/tradeHistory", rows(CustodianTrade.from_api))
    def custodian_trade_history(
        self,
        *,
        rail: str,
        symbol: str | None = None,
        order_id: int | None = None,
        **window: Unpack[IdWindow],
    ) -> list[CustodianTrade]:
        """Custodial fills (the most recent, or from ``from_id`` on)."""

    @sends("DELETE /sapi/v1/custodian/cancelOrder", CustodianOrder.from_api)
    def custodian_order_cancel(
        self,
        *,
        rail: str,
        symbol: str,
        order_id: int | None = None,
        orig_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
    ) -> CustodianOrder:
        """Cancel one custodial order by ``order_id`` or by its client order id."""
        need_one("order_id or orig_client_order_id", order_id, orig_client_order_id)

    @sends("DELETE /sapi/v1/custodian/cancelOrdersBySymbol", rows(custodian_order_or_list))
    def custodian_orders_cancel_by_symbol(
        self, *, rail: str, symbol: str
    ) -> list[CustodianOrder | CustodianOrderList]:
        """Cancel every open custodial order of ``symbol``; OCOs come back as order lists."""

    @sends("DELETE /sapi/v1/custodian/cancelOcoOrder", CustodianOrderList.from_api)
    def custodian_oco_order_cancel(
        self,
        *,
        rail: str,
        symbol: str,
        order_list_id: int,
        list_client_order_id: str | None = None,
        new_client_order_id: str | None = None,
    ) -> CustodianOrderList:
        """Cancel a whole custodial OCO (``orderListId`` is mandatory in the spec)."""
