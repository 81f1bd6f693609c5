"""Models of the wallet answers: coin / network configuration, crypto and fiat withdrawals,
deposit addresses and deposit histories.

Conventions as in :mod:`binanceus._models`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from ._fields import Model, MsOrSeconds, model, wire
from ._time import from_ms

__all__ = [
    "DEPOSIT_STATUSES",
    "WITHDRAW_STATUSES",
    "CoinConfig",
    "CoinNetwork",
    "Deposit",
    "DepositAddress",
    "FiatTransferRecord",
    "FiatWithdrawal",
    "Withdrawal",
    "WithdrawalRecord",
]

WITHDRAW_STATUSES: Mapping[int, str] = {
    0: "email sent",
    1: "canceled",
    2: "awaiting approval",
    3: "rejected",
    4: "processing",
    5: "failure",
    6: "completed",
}
"""``GET /sapi/v1/capital/withdraw/history`` statuses, as the spec numbers them."""

DEPOSIT_STATUSES: Mapping[int, str] = {
    0: "pending",
    6: "credited but cannot withdraw",
    1: "success",
}
"""``GET /sapi/v1/capital/deposit/hisrec`` statuses (the spec documents only these three)."""


def _utc_time(value: Any) -> datetime:
    """A wallet time: the spec prints withdraw ``applyTime`` as ``"2022-02-18 03:36:04"``
    (taken as UTC); epoch milliseconds (a number or digit string) are read too."""
    if isinstance(value, int | Decimal) or (isinstance(value, str) and value.strip().isdigit()):
        return from_ms(int(value))
    text = str(value).strip().replace("T", " ").removesuffix("Z")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


UtcTime = Annotated[datetime, _utc_time]
"""A time printed as ``"YYYY-MM-DD HH:MM:SS"`` (UTC) or in epoch milliseconds."""


# -- coins and networks ---------------------------------------------------------------------


@model
class CoinNetwork(Model):
    """One network of a coin in ``GET /sapi/v1/capital/config/getall``.

    The spec's example omits ``addressRegex`` / ``memoRegex`` / ``minConfirm`` /
    ``unLockConfirm`` on some networks: regexes are ``""`` and confirmations ``None`` then.
    """

    network: str
    coin: str
    name: str = wire(missing="")
    is_default: bool = wire(missing=False)
    deposit_enable: bool = wire(missing=False)
    withdraw_enable: bool = wire(missing=False)
    withdraw_fee: Decimal = wire(missing=0)
    withdraw_min: Decimal = wire(missing=0)
    withdraw_max: Decimal | None
    withdraw_integer_multiple: Decimal = wire(missing=0)
    """Withdrawals must be a multiple of this (``0``: no constraint)."""
    address_regex: str = wire(missing="")
    memo_regex: str = wire(missing="")
    min_confirm: int | None
    un_lock_confirm: int | None
    deposit_desc: str = wire(missing="")
    withdraw_desc: str = wire(missing="")
    special_tips: str = wire(missing="")
    reset_address_status: bool = wire(missing=False)


@model
class CoinConfig(Model):
    """One coin of ``GET /sapi/v1/capital/config/getall``: enable flags, balances, networks."""

    coin: str
    name: str = wire(missing="")
    deposit_all_enable: bool = wire(missing=False)
    withdraw_all_enable: bool = wire(missing=False)
    free: Decimal = wire(missing=0)
    locked: Decimal = wire(missing=0)
    freeze: Decimal = wire(missing=0)
    withdrawing: Decimal = wire(missing=0)
    ipoing: Decimal = wire(missing=0)
    ipoable: Decimal = wire(missing=0)
    storage: Decimal = wire(missing=0)
    is_legal_money: bool = wire(missing=False)
    trading: bool = wire(missing=False)
    networks: list[CoinNetwork] = wire("networkList")

    def network(self, name: str | None = None) -> CoinNetwork | None:
        """The network called ``name`` (case-insensitive), or the default one when ``name`` is
        None; ``None`` when there is no such network."""
        for n in self.networks:
            found = n.is_default if name is None else n.network.upper() == name.upper()
            if found:
                return n
        return None


# -- withdrawals ----------------------------------------------------------------------------


@model
class Withdrawal(Model):
    """``POST /sapi/v1/capital/withdraw/apply`` answer, plus the ``withdrawOrderId`` sent."""

    id: str
    withdraw_order_id: str | None = None
    """The client id the request carried (the exchange does not echo it)."""


@model
class WithdrawalRecord(Model):
    """One row of ``GET /sapi/v1/capital/withdraw/history``.

    The spec's example row has no ``withdrawOrderId`` / ``txId`` / ``addressTag``; they are
    ``None`` when absent. Whether ``transactionFee`` is inside ``amount`` is not stated.
    """

    id: str
    coin: str
    amount: Decimal
    transaction_fee: Decimal = wire(missing=0)
    status: int
    """See :data:`WITHDRAW_STATUSES` (6 completed; 1, 3, 5 ended without sending)."""
    address: str
    network: str | None
    apply_time: UtcTime
    transfer_type: int | None
    withdraw_order_id: str | None
    tx_id: str | None
    address_tag: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def status_text(self) -> str:
        return WITHDRAW_STATUSES.get(self.status, f"unknown ({self.status})")


@model
class FiatWithdrawal(Model):
    """``POST /sapi/v1/fiatpayment/withdraw/apply`` answer (``orderStatus`` ``"INIT"``)."""

    order_id: str
    channel_code: str | None
    currency_code: str | None
    amount: Decimal
    order_status: str = wire(missing="")


@model
class FiatTransferRecord(Model):
    """One row of the fiat withdraw / deposit histories (``assetLogRecordList``).

    ``orderStatus`` reads ``"Processing"`` / ``"Successful"`` in the spec. The spec's rows
    carry no time; whatever else the exchange sends is in ``raw``.
    """

    order_id: str
    payment_account: str | None
    payment_channel: str | None
    payment_method: str | None
    order_status: str = wire(missing="")
    fiat_currency: str | None
    amount: Decimal
    transaction_fee: Decimal = wire(missing=0)
    platform_fee: Decimal = wire(missing=0)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


# -- deposits -------------------------------------------------------------------------------


@model
class DepositAddress(Model):
    """``GET /sapi/v1/capital/deposit/address``. ``tag`` is the memo (``""`` when none);
    ``url`` is the bare address in one spec example and an explorer link in another."""

    coin: str
    address: str
    tag: str = wire(missing="")
    url: str | None = None


@model
class Deposit(Model):
    """One row of ``GET /sapi/v1/capital/deposit/hisrec``."""

    amount: Decimal
    coin: str
    network: str | None
    status: int
    """See :data:`DEPOSIT_STATUSES`: 0 pending, 6 credited but cannot withdraw, 1 success."""
    address: str | None
    address_tag: str | None
    tx_id: str | None
    insert_time: MsOrSeconds | None
    transfer_type: int | None
    confirm_times: str | None
    """``"<seen>/<needed>"`` confirmations."""

    @property
    def status_text(self) -> str:
        return DEPOSIT_STATUSES.get(self.status, f"unknown ({self.status})")
