"""Custodial Solution methods (``custody`` area; custodial API keys only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Unpack

from ._account_models import (
    CustodianBalance,
    CustodianSettlement,
    CustodianSettlementSetting,
    CustodianSupportedAssets,
    CustodianTransfer,
    CustodianTransferRecord,
    CustodianUndoTransfer,
)
from ._endpoints import endpoint
from ._params import CustodianTransferQuery, PagedWindow
from ._trading import generate_client_order_id
from ._transport import Transport, as_amount, rows, sends

DEFAULT_CUSTODIAL_RAIL = "ANCHORAGE"
"""The custodial partner the spec uses as its example; every custodial endpoint needs one."""

_TRANSFER_ROWS = rows(CustodianTransferRecord.from_api, "data")
"""Both transfer histories answer alike."""


class CustodyMethods(Transport):
    """Custodial Solution transfers, balances and settlements (custodial keys only)."""

    areas = ("custody",)
    not_typed = frozenset(
        {
            # Trading through the custodial partner (orders placed from custodial funds).
            "POST /sapi/v1/custodian/order",
            "POST /sapi/v1/custodian/ocoOrder",
            "GET /sapi/v1/custodian/openOrders",
            "GET /sapi/v1/custodian/order",
            "GET /sapi/v1/custodian/orderHistory",
            "GET /sapi/v1/custodian/tradeHistory",
            "DELETE /sapi/v1/custodian/cancelOrder",
            "DELETE /sapi/v1/custodian/cancelOrdersBySymbol",
            "DELETE /sapi/v1/custodian/cancelOcoOrder",
        }
    )

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
