"""Models of the account-area, sub-account, custodial-solution and credit-line answers.

Same conventions as :mod:`binanceus._models`: frozen slotted dataclasses built with
``from_api``; every amount / price / quantity / value / ratio is a :class:`~decimal.Decimal`,
every time an aware UTC datetime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ._models import (
    Account,
    AccountStatus,
    ApiTradingStatus,
    Balance,
    TradingIndicator,
    to_decimal,
)
from ._time import from_ms

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

# Below this an exchange "time" is taken to be in seconds, not milliseconds: 1e11 ms is
# 1973-03-03 while 1e11 s is the year 5138. The spec's sub-account transfer history example
# prints "time": 1637789299 (seconds), every other time in milliseconds.
_SECONDS_BELOW = 100_000_000_000


def _time(value: Any) -> datetime:
    v = int(value)
    return from_ms(v * 1000 if 0 < v < _SECONDS_BELOW else v)


def _time_or_none(value: Any) -> datetime | None:
    if value is None or int(value) <= 0:
        return None
    return _time(value)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _lower_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's sub-account assets example spells one row ``"Free"`` / ``"Locked"``."""
    out = dict(data)
    for k, v in data.items():
        out.setdefault(k[:1].lower() + k[1:], v)
    return out


def _balance(data: Mapping[str, Any]) -> Balance:
    row = _lower_keys(data)
    return Balance(
        asset=str(row["asset"]),
        free=to_decimal(row.get("free", 0)),
        locked=to_decimal(row.get("locked", 0)),
    )


# -- account area ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """``GET /sapi/v1/system/status``: 0 normal, 1 system maintenance."""

    status: int
    msg: str | None = None

    @property
    def is_normal(self) -> bool:
        return self.status == 0

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SystemStatus:
        return cls(status=int(data["status"]), msg=_str_or_none(data.get("msg")))


@dataclass(frozen=True, slots=True)
class TradeFee:
    symbol: str
    maker_commission: Decimal
    taker_commission: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TradeFee:
        return cls(
            symbol=str(data["symbol"]),
            maker_commission=to_decimal(data["makerCommission"]),
            taker_commission=to_decimal(data["takerCommission"]),
        )


@dataclass(frozen=True, slots=True)
class AssetDistribution:
    amount: Decimal
    asset: str
    div_time: datetime
    category: str
    tran_id: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AssetDistribution:
        return cls(
            amount=to_decimal(data["amount"]),
            asset=str(data["asset"]),
            div_time=_time(data["divTime"]),
            category=str(data.get("category", "")),
            tran_id=int(data["tranId"]),
        )


# -- sub-accounts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubAccount:
    email: str
    status: str
    """``"enabled"`` or ``"disabled"``."""
    activated: bool
    mobile: str | None
    g_auth: bool
    create_time: datetime | None

    @property
    def enabled(self) -> bool:
        return self.status.lower() == "enabled"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccount:
        return cls(
            email=str(data["email"]),
            status=str(data.get("status", "")),
            activated=bool(data.get("activated", False)),
            mobile=_str_or_none(data.get("mobile")),
            g_auth=bool(data.get("gAuth", False)),
            create_time=_time_or_none(data.get("createTime")),
        )


@dataclass(frozen=True, slots=True)
class SubAccountStatus:
    email: str
    insert_time: datetime | None
    mobile: str | None
    is_user_active: bool
    is_margin_enabled: bool
    is_sub_user_enabled: bool
    is_future_enabled: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountStatus:
        return cls(
            email=str(data["email"]),
            insert_time=_time_or_none(data.get("insertTime")),
            mobile=_str_or_none(data.get("mobile")),
            is_user_active=bool(data.get("isUserActive", False)),
            is_margin_enabled=bool(data.get("isMarginEnabled", False)),
            is_sub_user_enabled=bool(data.get("isSubUserEnabled", False)),
            is_future_enabled=bool(data.get("isFutureEnabled", False)),
        )


@dataclass(frozen=True, slots=True)
class SubAccountAssets:
    """``GET /sapi/v3/sub-account/assets``: one sub-account's balances."""

    balances: list[Balance]
    success: bool = True

    def balance(self, asset: str) -> Balance:
        """The asset's balance (zero if the exchange did not list it)."""
        for b in self.balances:
            if b.asset == asset:
                return b
        return Balance(asset=asset, free=Decimal(0), locked=Decimal(0))

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountAssets:
        return cls(
            balances=[_balance(b) for b in data.get("balances", []) or []],
            success=bool(data.get("success", True)),
        )


@dataclass(frozen=True, slots=True)
class SubAccountSpotValue:
    email: str
    total_asset: Decimal
    """The sub-account's total asset value in USD."""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountSpotValue:
        return cls(email=str(data["email"]), total_asset=to_decimal(data["totalAsset"]))


@dataclass(frozen=True, slots=True)
class SpotSummary:
    """``GET /sapi/v1/sub-account/spotSummary``: the master account's total USD value."""

    total_count: int
    master_account_total_asset: Decimal
    sub_accounts: list[SubAccountSpotValue]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SpotSummary:
        rows = data.get("spotSubUserAssetBtcVoList", []) or []
        return cls(
            total_count=int(data.get("totalCount", len(rows))),
            master_account_total_asset=to_decimal(data["masterAccountTotalAsset"]),
            sub_accounts=[SubAccountSpotValue.from_api(r) for r in rows],
        )


@dataclass(frozen=True, slots=True)
class SubAccountTransfer:
    """``POST /sapi/v3/sub-account/transfer`` answer."""

    txn_id: str
    success: bool
    msg: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountTransfer:
        return cls(
            txn_id=str(data["txnId"]),
            success=bool(data.get("success", False)),
            msg=_str_or_none(data.get("msg")),
        )


@dataclass(frozen=True, slots=True)
class SubAccountTransferRecord:
    """One row of ``GET /sapi/v3/sub-account/transfer/history``.

    The spec's example row has no ``txnId`` / ``status``; they are ``None`` when absent.
    """

    from_email: str
    to_email: str
    asset: str
    qty: Decimal
    time: datetime
    txn_id: str | None = None
    status: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountTransferRecord:
        return cls(
            from_email=str(data["from"]),
            to_email=str(data["to"]),
            asset=str(data["asset"]),
            qty=to_decimal(data["qty"]),
            time=_time(data["time"]),
            txn_id=_str_or_none(data.get("txnId", data.get("tranId"))),
            status=_str_or_none(data.get("status")),
        )


@dataclass(frozen=True, slots=True)
class SubAccountDepositAddress:
    coin: str
    address: str
    tag: str
    url: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountDepositAddress:
        return cls(
            coin=str(data["coin"]),
            address=str(data["address"]),
            tag=str(data.get("tag") or ""),
            url=_str_or_none(data.get("url")),
        )


@dataclass(frozen=True, slots=True)
class SubAccountDeposit:
    amount: Decimal
    coin: str
    network: str | None
    status: int
    """0 pending, 6 credited but cannot withdraw, 1 success."""
    address: str | None
    address_tag: str | None
    tx_id: str | None
    insert_time: datetime | None
    transfer_type: int | None
    confirm_times: str | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SubAccountDeposit:
        return cls(
            amount=to_decimal(data["amount"]),
            coin=str(data["coin"]),
            network=_str_or_none(data.get("network")),
            status=int(data.get("status", 0)),
            address=_str_or_none(data.get("address")),
            address_tag=_str_or_none(data.get("addressTag")),
            tx_id=_str_or_none(data.get("txId")),
            insert_time=_time_or_none(data.get("insertTime")),
            transfer_type=_int_or_none(data.get("transferType")),
            confirm_times=_str_or_none(data.get("confirmTimes")),
        )


# -- custodial solution ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustodianAssetBalance:
    asset: str
    free: Decimal
    locked: Decimal
    in_settlement: Decimal
    last_updated_time: datetime | None

    @property
    def total(self) -> Decimal:
        return self.free + self.locked

    def as_balance(self) -> Balance:
        return Balance(asset=self.asset, free=self.free, locked=self.locked)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianAssetBalance:
        return cls(
            asset=str(data["asset"]),
            free=to_decimal(data.get("free", 0)),
            locked=to_decimal(data.get("locked", 0)),
            in_settlement=to_decimal(data.get("inSettlement", 0)),
            last_updated_time=_time_or_none(data.get("lastUpdatedTime")),
        )


@dataclass(frozen=True, slots=True)
class CustodianBalance:
    """``GET /sapi/v1/custodian/balance``: exchange wallet and custodial sub-account."""

    exchange_wallet_balance: list[CustodianAssetBalance]
    custodial_account_balance: list[CustodianAssetBalance]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianBalance:
        return cls(
            exchange_wallet_balance=[
                CustodianAssetBalance.from_api(b)
                for b in data.get("exchangeWalletBalance", []) or []
            ],
            custodial_account_balance=[
                CustodianAssetBalance.from_api(b)
                for b in data.get("custodialAcctBalance", []) or []
            ],
        )


@dataclass(frozen=True, slots=True)
class CustodianSupportedAsset:
    asset: str
    precision: int
    networks: tuple[str, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianSupportedAsset:
        return cls(
            asset=str(data["asset"]),
            precision=int(data.get("precision", 0)),
            networks=tuple(str(n) for n in data.get("network", []) or []),
        )


@dataclass(frozen=True, slots=True)
class CustodianSupportedAssets:
    transfer_eligible: list[CustodianSupportedAsset]
    """Assets that can be transferred from the custodial partner."""
    settlement_eligible: list[CustodianSupportedAsset]
    """Assets that can be settled to the custodial partner."""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianSupportedAssets:
        return cls(
            transfer_eligible=[
                CustodianSupportedAsset.from_api(a) for a in data.get("transferEligible", []) or []
            ],
            settlement_eligible=[
                CustodianSupportedAsset.from_api(a)
                for a in data.get("settlementEligible", []) or []
            ],
        )


@dataclass(frozen=True, slots=True)
class CustodianTransfer:
    """Answer of ``POST /sapi/v1/custodian/walletTransfer`` and ``.../custodianTransfer``."""

    transfer_id: str
    client_order_id: str | None
    asset: str
    amount: Decimal
    status: str
    create_time: datetime | None
    custody_account_id: str | None = None
    custody_account_name: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianTransfer:
        return cls(
            transfer_id=str(data["transferId"]),
            client_order_id=_str_or_none(data.get("clientOrderId")),
            asset=str(data["asset"]),
            amount=to_decimal(data["amount"]),
            status=str(data.get("status", "")).strip(),
            create_time=_time_or_none(data.get("createTime")),
            custody_account_id=_str_or_none(data.get("custodyAccountId")),
            custody_account_name=_str_or_none(data.get("custodyAccountName")),
        )


@dataclass(frozen=True, slots=True)
class CustodianUndoTransfer:
    transfer_id: str
    asset: str
    amount: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianUndoTransfer:
        return cls(
            transfer_id=str(data["transferId"]),
            asset=str(data["asset"]),
            amount=to_decimal(data["amount"]),
        )


@dataclass(frozen=True, slots=True)
class CustodianTransferRecord:
    """A row of the wallet / custodian transfer histories."""

    transfer_id: str
    client_order_id: str | None
    asset: str
    amount: Decimal
    status: str
    create_time: datetime | None
    update_time: datetime | None
    express_trade: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianTransferRecord:
        express = data.get("expressTrade")
        if isinstance(express, str):
            express = express.strip().lower() == "true"
        return cls(
            transfer_id=str(data["transferId"]),
            client_order_id=_str_or_none(data.get("clientOrderId")),
            asset=str(data["asset"]),
            amount=to_decimal(data["amount"]),
            status=str(data.get("status", "")).strip(),
            create_time=_time_or_none(data.get("createTime")),
            update_time=_time_or_none(data.get("updateTime")),
            express_trade=None if express is None else bool(express),
        )


@dataclass(frozen=True, slots=True)
class CustodianSettlementSetting:
    settlement_active: bool
    frequency_in_hours: int | None
    next_trigger_time: datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianSettlementSetting:
        return cls(
            settlement_active=bool(data.get("settlementActive", False)),
            frequency_in_hours=_int_or_none(data.get("frequencyInHours")),
            next_trigger_time=_time_or_none(data.get("nextTriggerTime")),
        )


@dataclass(frozen=True, slots=True)
class CustodianSettlementAsset:
    asset: str
    settle_to: str | None
    network: str | None
    amount: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianSettlementAsset:
        return cls(
            asset=str(data["asset"]),
            settle_to=_str_or_none(data.get("settleTo")),
            network=_str_or_none(data.get("network")),
            amount=to_decimal(data["amount"]),
        )


@dataclass(frozen=True, slots=True)
class CustodianSettlement:
    settlement_id: str
    status: str
    trigger_time: datetime | None
    settlement_assets: list[CustodianSettlementAsset]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CustodianSettlement:
        return cls(
            settlement_id=str(data["settlementId"]),
            status=str(data.get("status", "")),
            trigger_time=_time_or_none(data.get("triggerTime")),
            settlement_assets=[
                CustodianSettlementAsset.from_api(a) for a in data.get("settlementAssets", []) or []
            ],
        )


# -- credit line ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoanAsset:
    loan_asset: str
    loan_quantity: Decimal
    current_loan_quantity: Decimal
    reclaim_sequence: int | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> LoanAsset:
        return cls(
            loan_asset=str(data["loanAsset"]),
            loan_quantity=to_decimal(data["loanQuantity"]),
            current_loan_quantity=to_decimal(data["currentLoanQuantity"]),
            reclaim_sequence=_int_or_none(data.get("reclaimSequence")),
        )


@dataclass(frozen=True, slots=True)
class CreditLineBalance:
    asset: str
    free: Decimal
    locked: Decimal
    freeze: Decimal | None = None

    def as_balance(self) -> Balance:
        return Balance(asset=self.asset, free=self.free, locked=self.locked)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CreditLineBalance:
        return cls(
            asset=str(data["asset"]),
            free=to_decimal(data.get("free", 0)),
            locked=to_decimal(data.get("locked", 0)),
            freeze=_dec(data.get("freeze")),
        )


@dataclass(frozen=True, slots=True)
class CreditLineAccount:
    """``GET /sapi/v2/cl/account``."""

    cl_account_id: int
    master_account_id: int | None
    notification_mail_addr: str | None
    current_ltv: Decimal
    initial_ltv: Decimal
    margin_call_ltv: Decimal
    liquidation_ltv: Decimal
    interest_rate: Decimal | None
    liquidation_fee_rate: Decimal | None
    contract_start_time: datetime | None
    contract_end_time: datetime | None
    is_active: bool
    can_trade: bool
    can_transfer_in: bool
    can_transfer_out: bool
    required_deposit_amount: Decimal
    available_amount_to_transfer_out: Decimal
    loan_assets: list[LoanAsset]
    balances: list[Balance]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CreditLineAccount:
        return cls(
            cl_account_id=int(data["clAccountId"]),
            master_account_id=_int_or_none(data.get("masterAccountId")),
            notification_mail_addr=_str_or_none(data.get("notificationMailAddr")),
            current_ltv=to_decimal(data["currentLTV"]),
            initial_ltv=to_decimal(data["initialLTV"]),
            margin_call_ltv=to_decimal(data["marginCallLTV"]),
            liquidation_ltv=to_decimal(data["liquidationLTV"]),
            interest_rate=_dec(data.get("interestRate")),
            liquidation_fee_rate=_dec(data.get("liquidationFeeRate")),
            contract_start_time=_time_or_none(data.get("contractStartTime")),
            contract_end_time=_time_or_none(data.get("contractEndTime")),
            is_active=bool(data.get("isActive", False)),
            can_trade=bool(data.get("canTrade", False)),
            can_transfer_in=bool(data.get("canTransferIn", False)),
            can_transfer_out=bool(data.get("canTransferOut", False)),
            required_deposit_amount=to_decimal(data.get("requiredDepositAmount", 0)),
            available_amount_to_transfer_out=to_decimal(
                data.get("availableAmountToTransferOut", 0)
            ),
            loan_assets=[LoanAsset.from_api(a) for a in data.get("loanAssets", []) or []],
            balances=[_balance(b) for b in data.get("balances", []) or []],
        )


@dataclass(frozen=True, slots=True)
class CreditLineAlert:
    alert_time: datetime
    alert_type: str
    current_ltv: Decimal
    initial_ltv: Decimal
    margin_call_ltv: Decimal
    liquidation_ltv: Decimal
    total_balance: Decimal
    loan_assets: list[LoanAsset]
    balances: list[CreditLineBalance]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CreditLineAlert:
        return cls(
            alert_time=_time(data["alertTime"]),
            alert_type=str(data["alertType"]),
            current_ltv=to_decimal(data["currentLTV"]),
            initial_ltv=to_decimal(data["initialLTV"]),
            margin_call_ltv=to_decimal(data["marginCallLTV"]),
            liquidation_ltv=to_decimal(data["liquidationLTV"]),
            total_balance=to_decimal(data.get("totalBalance", 0)),
            loan_assets=[LoanAsset.from_api(a) for a in data.get("loanAssets", []) or []],
            balances=[CreditLineBalance.from_api(b) for b in data.get("balances", []) or []],
        )


@dataclass(frozen=True, slots=True)
class CreditLineTransferRecord:
    transfer_id: str
    transfer_type: str
    asset: str
    amount: Decimal
    status: str
    transfer_time: datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CreditLineTransferRecord:
        return cls(
            transfer_id=str(data["transferId"]),
            transfer_type=str(data.get("transferType", "")),
            asset=str(data["asset"]),
            amount=to_decimal(data["amount"]),
            status=str(data.get("status", "")),
            transfer_time=_time_or_none(data.get("transferTime")),
        )


@dataclass(frozen=True, slots=True)
class CreditLineTransfer:
    """``POST /sapi/v1/cl/transfer`` answer."""

    transfer_id: str
    status: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CreditLineTransfer:
        return cls(transfer_id=str(data["transferId"]), status=str(data.get("status", "")))


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
