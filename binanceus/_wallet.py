"""Wallet methods (``wallet`` area): coin configuration, crypto and fiat withdrawals,
deposit addresses and deposit histories, the master account's and its sub-accounts'."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Unpack

from ._account_models import SubAccountDeposit, SubAccountDepositAddress
from ._endpoints import endpoint
from ._fields import parse
from ._params import DepositQuery, FiatHistory, TimeWindow
from ._trading import generate_client_order_id
from ._transport import Transport, as_amount, rows, sends
from ._wallet_models import (
    CoinConfig,
    Deposit,
    DepositAddress,
    FiatTransferRecord,
    FiatWithdrawal,
    Withdrawal,
    WithdrawalRecord,
)

FIAT_HISTORY_MAX_WINDOW = timedelta(days=90)
"""The fiat histories refuse a ``startTime`` .. ``endTime`` window of 90 days or more."""

DEFAULT_FIAT_PAYMENT_METHOD = "BITGO"
"""The spec's only fiat withdraw method (its documented default)."""


def _fiat_window(window: TimeWindow) -> None:
    """The spec: "If both startTime and endTime are sent, the duration between startTime and
    endTime must be greater than 0 day and less than 90 days." (naive times fail when sent)."""
    start_time, end_time = window.get("start_time"), window.get("end_time")
    if start_time is None or end_time is None:
        return
    if start_time.tzinfo is None or end_time.tzinfo is None:
        return  # rejected as naive when the parameters are encoded
    if not timedelta(0) < end_time - start_time < FIAT_HISTORY_MAX_WINDOW:
        raise ValueError("end_time must be after start_time and less than 90 days later")


class WalletMethods(Transport):
    """Coins and networks, withdrawals, deposit addresses and deposit histories."""

    areas = ("wallet",)

    # -- coins ------------------------------------------------------------------------------

    @sends("GET /sapi/v1/capital/config/getall", rows(CoinConfig.from_api))
    def coin_config(self) -> list[CoinConfig]:
        """Every crypto asset: deposit / withdraw flags, balances and per-network fees,
        limits, regexes and confirmations."""

    # -- withdrawals ------------------------------------------------------------------------

    @endpoint("POST /sapi/v1/capital/withdraw/apply")
    def withdraw(
        self,
        *,
        coin: str,
        network: str,
        address: str,
        amount: Decimal,
        withdraw_order_id: str | None = None,
        address_tag: str | None = None,
    ) -> Withdrawal:
        """Withdraw ``amount`` of ``coin`` over ``network`` to ``address`` (``address_tag``:
        the memo of coins that need one).

        ``withdraw_order_id`` is the request's client id; one is generated when none is given,
        so it is always sent, returned in :attr:`Withdrawal.withdraw_order_id`, and carried
        by an :class:`ExecutionUnknown` (``client_order_id`` and ``params``). Never retried
        automatically: on an unknown outcome look the withdrawal up with
        :meth:`withdraw_history` (``withdraw_order_id=...``) before trying again.
        """
        woid = withdraw_order_id or generate_client_order_id()
        data = self._call(
            "POST /sapi/v1/capital/withdraw/apply",
            {
                "coin": coin,
                "network": network,
                "withdrawOrderId": woid,
                "address": address,
                "addressTag": address_tag or None,
                "amount": as_amount(amount),
            },
            client_order_id=woid,
        )
        return parse(Withdrawal, data, withdraw_order_id=woid)  # type: ignore[no-any-return]

    @sends("GET /sapi/v1/capital/withdraw/history", rows(WithdrawalRecord.from_api))
    def withdraw_history(
        self, *, coin: str, withdraw_order_id: str | None = None, **query: Unpack[DepositQuery]
    ) -> list[WithdrawalRecord]:
        """Crypto withdrawals of ``coin`` (default window: the last 90 days; ``limit`` up to
        1000). ``status``: see :data:`WITHDRAW_STATUSES`."""

    @endpoint("POST /sapi/v1/fiatpayment/withdraw/apply")
    def fiat_withdraw(
        self,
        *,
        payment_account: str,
        amount: Decimal,
        payment_method: str = DEFAULT_FIAT_PAYMENT_METHOD,
        fiat_currency: str | None = None,
    ) -> FiatWithdrawal:
        """Withdraw ``amount`` USD (``fiat_currency``, exchange default ``"USD"``) to
        ``payment_account`` via ``payment_method`` (``"BITGO"``).

        The endpoint takes no client id: on :class:`ExecutionUnknown` (``params`` hold what was
        sent) match by amount and time in :meth:`fiat_withdraw_history` before trying again.
        """
        return FiatWithdrawal.from_api(
            self._call(
                "POST /sapi/v1/fiatpayment/withdraw/apply",
                {
                    "paymentMethod": payment_method,
                    "paymentAccount": payment_account,
                    "fiatCurrency": fiat_currency,
                    "amount": as_amount(amount),
                },
            )
        )

    @sends(
        "GET /sapi/v1/fiatpayment/query/withdraw/history",
        rows(FiatTransferRecord.from_api, "assetLogRecordList"),
    )
    def fiat_withdraw_history(self, **query: Unpack[FiatHistory]) -> list[FiatTransferRecord]:
        """Fiat withdrawals (default window: the last 90 days; a window given by both times
        must be longer than 0 and shorter than 90 days, else ``ValueError``)."""
        _fiat_window(query)

    # -- deposits ---------------------------------------------------------------------------

    @sends("GET /sapi/v1/capital/deposit/address", DepositAddress.from_api)
    def deposit_address(self, *, coin: str, network: str | None = None) -> DepositAddress:
        """The deposit address of ``coin`` (on its default network when ``network`` is None)."""

    @sends("GET /sapi/v1/capital/deposit/hisrec", rows(Deposit.from_api))
    def deposit_history(self, *, coin: str, **query: Unpack[DepositQuery]) -> list[Deposit]:
        """Crypto deposits of ``coin`` (default window: the last 90 days; ``limit`` up to
        1000). ``status``: 0 pending, 6 credited but cannot withdraw, 1 success."""

    @sends(
        "GET /sapi/v1/fiatpayment/query/deposit/history",
        rows(FiatTransferRecord.from_api, "assetLogRecordList"),
    )
    def fiat_deposit_history(self, **query: Unpack[FiatHistory]) -> list[FiatTransferRecord]:
        """Fiat deposits (window rules as :meth:`fiat_withdraw_history`)."""
        _fiat_window(query)

    # -- sub-accounts' deposits -------------------------------------------------------------

    @sends("GET /sapi/v1/capital/sub-account/deposit/address", SubAccountDepositAddress.from_api)
    def sub_account_deposit_address(
        self, *, email: str, coin: str, network: str | None = None
    ) -> SubAccountDepositAddress:
        """A sub-account's deposit address for ``coin``."""

    @sends("GET /sapi/v1/capital/sub-account/deposit/history", rows(SubAccountDeposit.from_api))
    def sub_account_deposit_history(
        self, *, email: str, coin: str | None = None, **query: Unpack[DepositQuery]
    ) -> list[SubAccountDeposit]:
        """A sub-account's deposits (``status``: 0 pending, 6 credited, 1 success)."""
