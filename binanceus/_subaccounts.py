"""Sub-account methods (``subaccount`` area)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ._account_models import (
    SpotSummary,
    SubAccount,
    SubAccountAssets,
    SubAccountDeposit,
    SubAccountDepositAddress,
    SubAccountStatus,
    SubAccountTransfer,
    SubAccountTransferRecord,
)
from ._endpoints import endpoint
from ._time import to_ms_or_none as _ms
from ._transport import Transport, as_amount


class SubAccountMethods(Transport):
    """The master account's sub-accounts: lists, balances, transfers, deposits."""

    areas = ("subaccount",)

    # -- sub-accounts -----------------------------------------------------------------------

    @endpoint("GET /sapi/v3/sub-account/list")
    def sub_accounts(
        self,
        *,
        email: str | None = None,
        status: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[SubAccount]:
        """The master account's sub-accounts (``status``: ``"enabled"`` / ``"disabled"``)."""
        data = self._call(
            "GET /sapi/v3/sub-account/list",
            {"email": email, "status": status, "page": page, "limit": limit},
        )
        return [SubAccount.from_api(r) for r in data.get("subAccounts", []) or []]

    @endpoint("GET /sapi/v1/sub-account/status")
    def sub_account_status(self, *, email: str) -> list[SubAccountStatus]:
        """Status list of a sub-account (the spec makes ``email`` mandatory)."""
        data = self._call("GET /sapi/v1/sub-account/status", {"email": email})
        rows = [data] if isinstance(data, dict) else data
        return [SubAccountStatus.from_api(r) for r in rows]

    @endpoint("GET /sapi/v3/sub-account/assets")
    def sub_account_assets(self, *, email: str) -> SubAccountAssets:
        return SubAccountAssets.from_api(
            self._call("GET /sapi/v3/sub-account/assets", {"email": email})
        )

    @endpoint("GET /sapi/v1/sub-account/spotSummary")
    def sub_account_spot_summary(
        self, *, email: str | None = None, page: int | None = None, size: int | None = None
    ) -> SpotSummary:
        """The master account's total USD value, per sub-account."""
        return SpotSummary.from_api(
            self._call(
                "GET /sapi/v1/sub-account/spotSummary",
                {"email": email, "page": page, "size": size},
            )
        )

    @endpoint("POST /sapi/v3/sub-account/transfer")
    def sub_account_transfer(
        self, *, from_email: str, to_email: str, asset: str, amount: Decimal
    ) -> SubAccountTransfer:
        """Move ``amount`` of ``asset`` between the master account and a sub-account.

        Never retried automatically. On an unknown outcome (5XX other than the documented
        "Service Unavailable" failure, or no response after sending) this raises
        :class:`ExecutionUnknown` whose ``params`` hold ``fromEmail``, ``toEmail``, ``asset``
        and ``amount``: look for the transfer in :meth:`sub_account_transfer_history`
        before trying again.
        """
        return SubAccountTransfer.from_api(
            self._call(
                "POST /sapi/v3/sub-account/transfer",
                {
                    "fromEmail": from_email,
                    "toEmail": to_email,
                    "asset": asset,
                    "amount": as_amount(amount),
                },
            )
        )

    @endpoint("GET /sapi/v3/sub-account/transfer/history")
    def sub_account_transfer_history(
        self,
        *,
        email: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[SubAccountTransferRecord]:
        data = self._call(
            "GET /sapi/v3/sub-account/transfer/history",
            {
                "email": email,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        rows = data if isinstance(data, list) else data.get("transfers", []) or []
        return [SubAccountTransferRecord.from_api(r) for r in rows]

    @endpoint("GET /sapi/v1/capital/sub-account/deposit/address")
    def sub_account_deposit_address(
        self, *, email: str, coin: str, network: str | None = None
    ) -> SubAccountDepositAddress:
        return SubAccountDepositAddress.from_api(
            self._call(
                "GET /sapi/v1/capital/sub-account/deposit/address",
                {"email": email, "coin": coin, "network": network},
            )
        )

    @endpoint("GET /sapi/v1/capital/sub-account/deposit/history")
    def sub_account_deposit_history(
        self,
        *,
        email: str,
        coin: str | None = None,
        status: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[SubAccountDeposit]:
        data = self._call(
            "GET /sapi/v1/capital/sub-account/deposit/history",
            {
                "email": email,
                "coin": coin,
                "status": status,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "offset": offset,
            },
        )
        return [SubAccountDeposit.from_api(r) for r in data]
