"""Sub-account methods (``subaccount`` area)."""

from __future__ import annotations

from decimal import Decimal
from typing import Unpack

from ._account_models import (
    SpotSummary,
    SubAccount,
    SubAccountAssets,
    SubAccountStatus,
    SubAccountTransfer,
    SubAccountTransferRecord,
)
from ._endpoints import endpoint
from ._params import PagedWindow, Paging
from ._transport import Transport, as_amount, rows, sends


class SubAccountMethods(Transport):
    """The master account's sub-accounts: lists, balances, transfers (their deposit address
    and history are ``wallet`` endpoints: :class:`~binanceus._wallet.WalletMethods`)."""

    areas = ("subaccount",)

    # -- sub-accounts -----------------------------------------------------------------------

    @sends("GET /sapi/v3/sub-account/list", rows(SubAccount.from_api, "subAccounts"))
    def sub_accounts(
        self, *, email: str | None = None, status: str | None = None, **paging: Unpack[Paging]
    ) -> list[SubAccount]:
        """The master account's sub-accounts (``status``: ``"enabled"`` / ``"disabled"``)."""

    @sends("GET /sapi/v1/sub-account/status", rows(SubAccountStatus.from_api))
    def sub_account_status(self, *, email: str) -> list[SubAccountStatus]:
        """Status list of a sub-account (the spec makes ``email`` mandatory)."""

    @sends("GET /sapi/v3/sub-account/assets", SubAccountAssets.from_api)
    def sub_account_assets(self, *, email: str) -> SubAccountAssets:
        """One sub-account's balances."""

    @sends("GET /sapi/v1/sub-account/spotSummary", SpotSummary.from_api)
    def sub_account_spot_summary(
        self, *, email: str | None = None, page: int | None = None, size: int | None = None
    ) -> SpotSummary:
        """The master account's total USD value, per sub-account."""

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

    @sends(
        "GET /sapi/v3/sub-account/transfer/history",
        rows(SubAccountTransferRecord.from_api, "transfers"),
    )
    def sub_account_transfer_history(
        self, *, email: str | None = None, **window: Unpack[PagedWindow]
    ) -> list[SubAccountTransferRecord]:
        """Transfers between the master account and its sub-accounts."""
