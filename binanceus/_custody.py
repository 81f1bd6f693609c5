"""Custodial Solution methods (``custody`` area; custodial API keys only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
from ._time import to_ms_or_none as _ms
from ._trading import generate_client_order_id
from ._transport import Transport, as_amount, list_rows

DEFAULT_CUSTODIAL_RAIL = "ANCHORAGE"
"""The custodial partner the spec uses as its example; every custodial endpoint needs one."""


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

    @endpoint("GET /sapi/v1/custodian/balance")
    def custodian_balance(self, *, rail: str) -> CustodianBalance:
        return CustodianBalance.from_api(
            self._call("GET /sapi/v1/custodian/balance", {"rail": rail})
        )

    @endpoint("GET /sapi/v1/custodian/supportedAssetList")
    def custodian_supported_assets(self, *, rail: str) -> CustodianSupportedAssets:
        return CustodianSupportedAssets.from_api(
            self._call("GET /sapi/v1/custodian/supportedAssetList", {"rail": rail})
        )

    @endpoint("POST /sapi/v1/custodian/walletTransfer")
    def custodian_wallet_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Exchange wallet -> custodial sub-account. A ``clientOrderId`` is generated when none
        is given so an :class:`ExecutionUnknown` always carries one to look the transfer up by
        (:meth:`custodian_wallet_transfer_history`)."""
        coid = client_order_id or generate_client_order_id()
        return CustodianTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/walletTransfer",
                {
                    "rail": rail,
                    "asset": asset,
                    "amount": as_amount(amount),
                    "clientOrderId": coid,
                },
                client_order_id=coid,
            )
        )

    @endpoint("POST /sapi/v1/custodian/custodianTransfer")
    def custodian_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Custodial partner -> custodial sub-account (``clientOrderId`` as for
        :meth:`custodian_wallet_transfer`; look up in :meth:`custodian_transfer_history`)."""
        coid = client_order_id or generate_client_order_id()
        return CustodianTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/custodianTransfer",
                {
                    "rail": rail,
                    "asset": asset,
                    "amount": as_amount(amount),
                    "clientOrderId": coid,
                },
                client_order_id=coid,
            )
        )

    @endpoint("POST /sapi/v1/custodian/undoTransfer")
    def custodian_undo_transfer(
        self, *, rail: str, origin_transfer_id: str
    ) -> CustodianUndoTransfer:
        """Undo a custodian transfer; :class:`ExecutionUnknown` carries ``originTransferId``
        in ``params``."""
        return CustodianUndoTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/undoTransfer",
                {"rail": rail, "originTransferId": origin_transfer_id},
            )
        )

    @endpoint("GET /sapi/v1/custodian/walletTransferHistory")
    def custodian_wallet_transfer_history(
        self,
        *,
        rail: str,
        transfer_id: str | None = None,
        client_order_id: str | None = None,
        asset: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[CustodianTransferRecord]:
        data = self._call(
            "GET /sapi/v1/custodian/walletTransferHistory",
            {
                "rail": rail,
                "transferId": transfer_id,
                "clientOrderId": client_order_id,
                "asset": asset,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        return [CustodianTransferRecord.from_api(r) for r in list_rows(data, "data")]

    @endpoint("GET /sapi/v1/custodian/custodianTransferHistory")
    def custodian_transfer_history(
        self,
        *,
        rail: str,
        transfer_id: str | None = None,
        client_order_id: str | None = None,
        express_trade_transfer: bool | None = None,
        asset: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[CustodianTransferRecord]:
        data = self._call(
            "GET /sapi/v1/custodian/custodianTransferHistory",
            {
                "rail": rail,
                "transferId": transfer_id,
                "clientOrderId": client_order_id,
                "expressTradeTransfer": express_trade_transfer,
                "asset": asset,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        return [CustodianTransferRecord.from_api(r) for r in list_rows(data, "data")]

    @endpoint("GET /sapi/v1/custodian/settlementSetting")
    def custodian_settlement_setting(self, *, rail: str) -> CustodianSettlementSetting:
        """Settlement status, schedule and next trigger time (the spec requires ``rail``)."""
        return CustodianSettlementSetting.from_api(
            self._call("GET /sapi/v1/custodian/settlementSetting", {"rail": rail})
        )

    @endpoint("GET /sapi/v1/custodian/settlementHistory")
    def custodian_settlement_history(
        self,
        *,
        rail: str,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        page: int | None = None,
    ) -> list[CustodianSettlement]:
        data = self._call(
            "GET /sapi/v1/custodian/settlementHistory",
            {
                "rail": rail,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "page": page,
            },
        )
        return [CustodianSettlement.from_api(r) for r in list_rows(data, "records")]
