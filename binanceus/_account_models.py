"""Models of the account-area, sub-account, custodial-solution and credit-line answers.

Same conventions as :mod:`binanceus._models`: frozen slotted dataclasses built with
``from_api``; every amount / price / quantity / value / ratio is a :class:`~decimal.Decimal`,
every time an aware UTC datetime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ._fields import Model, MsOrSeconds, each, model, parse, wire
from ._models import (
    Account,
    AccountStatus,
    ApiTradingStatus,
    Balance,
    TradingIndicator,
    balance_of,
)
from ._wallet_models import Deposit, DepositAddress

__all__ = [
    "AssetDistribution",
    "CreditLineAccount",
    "CreditLineAlert",
    "CreditLineBalance",
    "CreditLineTransfer",
    "CreditLineTransferRecord",
    "CustodianAssetBalance",
    "CustodianBalance",
    "CustodianSettlement",
    "CustodianSettlementAsset",
    "CustodianSettlementSetting",
    "CustodianSupportedAsset",
    "CustodianSupportedAssets",
    "CustodianTransfer",
    "CustodianTransferRecord",
    "CustodianUndoTransfer",
    "KeyType",
    "KeyVerification",
    "LoanAsset",
    "SpotSummary",
    "SubAccount",
    "SubAccountAssets",
    "SubAccountDeposit",
    "SubAccountDepositAddress",
    "SubAccountSpotValue",
    "SubAccountStatus",
    "SubAccountTransfer",
    "SubAccountTransferRecord",
    "SystemStatus",
    "TradeFee",
]

KeyType = Literal["exchange", "custodial", "credit_line"]


def _balance(data: Mapping[str, Any]) -> Balance:
    """A balance row; the spec's sub-account assets example spells one ``"Free"`` /
    ``"Locked"``, and a missing amount is zero."""
    row = dict(data)
    for k, v in data.items():
        row.setdefault(k[:1].lower() + k[1:], v)
    return parse(Balance, {"free": 0, "locked": 0, **row})  # type: ignore[no-any-return]


def _stripped(value: Any) -> str:
    return str(value).strip()


# -- account area ---------------------------------------------------------------------------


@model
class SystemStatus(Model):
    """``GET /sapi/v1/system/status``: 0 normal, 1 system maintenance."""

    status: int
    msg: str | None = None

    @property
    def is_normal(self) -> bool:
        return self.status == 0


@model
class TradeFee(Model):
    symbol: str
    maker_commission: Decimal
    taker_commission: Decimal


@model
class AssetDistribution(Model):
    amount: Decimal
    asset: str
    div_time: MsOrSeconds
    category: str = wire(missing="")
    tran_id: int


# -- sub-accounts ---------------------------------------------------------------------------


@model
class SubAccount(Model):
    email: str
    status: str = wire(missing="")
    """``"enabled"`` or ``"disabled"``."""
    activated: bool = wire(missing=False)
    mobile: str | None
    g_auth: bool = wire(missing=False)
    create_time: MsOrSeconds | None

    @property
    def enabled(self) -> bool:
        return self.status.lower() == "enabled"


@model
class SubAccountStatus(Model):
    email: str
    insert_time: MsOrSeconds | None
    mobile: str | None
    is_user_active: bool = wire(missing=False)
    is_margin_enabled: bool = wire(missing=False)
    is_sub_user_enabled: bool = wire(missing=False)
    is_future_enabled: bool = wire(missing=False)


@model
class SubAccountAssets(Model):
    """``GET /sapi/v3/sub-account/assets``: one sub-account's balances."""

    balances: list[Balance] = wire(parse=each(_balance))
    success: bool = True

    def balance(self, asset: str) -> Balance:
        """The asset's balance (zero if the exchange did not list it)."""
        return balance_of(self.balances, asset)


@model
class SubAccountSpotValue(Model):
    email: str
    total_asset: Decimal
    """The sub-account's total asset value in USD."""


@model
class SpotSummary(Model):
    """``GET /sapi/v1/sub-account/spotSummary``: the master account's total USD value."""

    total_count: int
    """``totalCount``, or the number of rows when absent."""
    master_account_total_asset: Decimal
    sub_accounts: list[SubAccountSpotValue] = wire("spotSubUserAssetBtcVoList")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SpotSummary:
        rows = data.get("spotSubUserAssetBtcVoList") or []
        return parse(cls, {"totalCount": len(rows), **data})  # type: ignore[no-any-return]


@model
class SubAccountTransfer(Model):
    """``POST /sapi/v3/sub-account/transfer`` answer."""

    txn_id: str
    success: bool = wire(missing=False)
    msg: str | None = None


@model
class SubAccountTransferRecord(Model):
    """One row of ``GET /sapi/v3/sub-account/transfer/history``.

    The spec's example row has no ``txnId`` / ``status``; they are ``None`` when absent.
    """

    from_email: str = wire("from")
    to_email: str = wire("to")
    asset: str
    qty: Decimal
    time: MsOrSeconds
    txn_id: str | None = wire(alt=("tranId",), default=None)
    status: str | None = None


@model
class SubAccountDepositAddress(DepositAddress):
    """A sub-account's deposit address: the master account's fields."""


@model
class SubAccountDeposit(Deposit):
    """One row of a sub-account's deposit history: a :class:`Deposit` whose ``status`` may be
    missing (then 0)."""

    status: int = wire(missing=0)


# -- custodial solution ---------------------------------------------------------------------


@model
class AssetBalance(Model):
    """An asset's free and locked amounts in a custodial or credit line answer (a missing
    amount is 0)."""

    asset: str
    free: Decimal = wire(missing=0)
    locked: Decimal = wire(missing=0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked

    def as_balance(self) -> Balance:
        return Balance(asset=self.asset, free=self.free, locked=self.locked)


@model
class CustodianAssetBalance(AssetBalance):
    in_settlement: Decimal = wire(missing=0)
    last_updated_time: MsOrSeconds | None


@model
class CustodianBalance(Model):
    """``GET /sapi/v1/custodian/balance``: exchange wallet and custodial sub-account."""

    exchange_wallet_balance: list[CustodianAssetBalance]
    custodial_account_balance: list[CustodianAssetBalance] = wire("custodialAcctBalance")


@model
class CustodianSupportedAsset(Model):
    asset: str
    precision: int = wire(missing=0)
    networks: tuple[str, ...] = wire("network")


@model
class CustodianSupportedAssets(Model):
    transfer_eligible: list[CustodianSupportedAsset]
    """Assets that can be transferred from the custodial partner."""
    settlement_eligible: list[CustodianSupportedAsset]
    """Assets that can be settled to the custodial partner."""


@model
class CustodianTransfer(Model):
    """Answer of ``POST /sapi/v1/custodian/walletTransfer`` and ``.../custodianTransfer``."""

    transfer_id: str
    client_order_id: str | None
    asset: str
    amount: Decimal
    status: str = wire(missing="", parse=_stripped)
    create_time: MsOrSeconds | None
    custody_account_id: str | None = None
    custody_account_name: str | None = None


@model
class CustodianUndoTransfer(Model):
    transfer_id: str
    asset: str
    amount: Decimal


@model
class CustodianTransferRecord(Model):
    """A row of the wallet / custodian transfer histories."""

    transfer_id: str
    client_order_id: str | None
    asset: str
    amount: Decimal
    status: str = wire(missing="", parse=_stripped)
    create_time: MsOrSeconds | None
    update_time: MsOrSeconds | None
    express_trade: bool | None = None
    """``expressTrade``; the spec prints it as a string (``"true"`` / ``"false"``)."""


@model
class CustodianSettlementSetting(Model):
    settlement_active: bool = wire(missing=False)
    frequency_in_hours: int | None
    next_trigger_time: MsOrSeconds | None


@model
class CustodianSettlementAsset(Model):
    asset: str
    settle_to: str | None
    network: str | None
    amount: Decimal


@model
class CustodianSettlement(Model):
    settlement_id: str
    status: str = wire(missing="")
    trigger_time: MsOrSeconds | None
    settlement_assets: list[CustodianSettlementAsset]


# -- credit line ----------------------------------------------------------------------------


@model
class LoanAsset(Model):
    loan_asset: str
    loan_quantity: Decimal
    current_loan_quantity: Decimal
    reclaim_sequence: int | None


@model
class CreditLineBalance(AssetBalance):
    freeze: Decimal | None = None


@model
class CreditLineAccount(Model):
    """``GET /sapi/v2/cl/account``."""

    cl_account_id: int
    master_account_id: int | None
    notification_mail_addr: str | None
    current_ltv: Decimal = wire("currentLTV")
    initial_ltv: Decimal = wire("initialLTV")
    margin_call_ltv: Decimal = wire("marginCallLTV")
    liquidation_ltv: Decimal = wire("liquidationLTV")
    interest_rate: Decimal | None
    liquidation_fee_rate: Decimal | None
    contract_start_time: MsOrSeconds | None
    contract_end_time: MsOrSeconds | None
    is_active: bool = wire(missing=False)
    can_trade: bool = wire(missing=False)
    can_transfer_in: bool = wire(missing=False)
    can_transfer_out: bool = wire(missing=False)
    required_deposit_amount: Decimal = wire(missing=0)
    available_amount_to_transfer_out: Decimal = wire(missing=0)
    loan_assets: list[LoanAsset]
    balances: list[Balance] = wire(parse=each(_balance))


@model
class CreditLineAlert(Model):
    alert_time: MsOrSeconds
    alert_type: str
    current_ltv: Decimal = wire("currentLTV")
    initial_ltv: Decimal = wire("initialLTV")
    margin_call_ltv: Decimal = wire("marginCallLTV")
    liquidation_ltv: Decimal = wire("liquidationLTV")
    total_balance: Decimal = wire(missing=0)
    loan_assets: list[LoanAsset]
    balances: list[CreditLineBalance]


@model
class CreditLineTransferRecord(Model):
    transfer_id: str
    transfer_type: str = wire(missing="")
    asset: str
    amount: Decimal
    status: str = wire(missing="")
    transfer_time: MsOrSeconds | None


@model
class CreditLineTransfer(Model):
    """``POST /sapi/v1/cl/transfer`` answer."""

    transfer_id: str
    status: str = wire(missing="")


# -- key verification -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyVerification:
    """What :meth:`binanceus.Client.verify` learned about an API key.

    ``None`` means "the endpoints this key type can call do not say" (e.g. a custodial key has
    no ``canWithdraw`` flag). ``raw`` maps each endpoint key (``"GET /api/v3/account"``) to its
    decoded JSON answer.
    """

    key_type: KeyType
    can_trade: bool | None
    can_withdraw: bool | None
    can_deposit: bool | None
    permissions: list[str]
    account_status: str | None
    trading_locked: bool | None
    trading_indicators: dict[str, list[TradingIndicator]]
    balances: list[Balance]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    rail: str | None = None
    custodial_balances: list[Balance] = field(default_factory=list)
    account: Account | None = field(default=None, repr=False)
    status: AccountStatus | None = field(default=None, repr=False)
    trading_status: ApiTradingStatus | None = field(default=None, repr=False)
    custodian_balance: CustodianBalance | None = field(default=None, repr=False)
    credit_line_account: CreditLineAccount | None = field(default=None, repr=False)

    def nonzero_balances(self) -> list[Balance]:
        return [b for b in self.balances if b.free != 0 or b.locked != 0]
