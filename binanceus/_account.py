"""Account-area methods (``account`` and ``user_stream`` areas), and key verification."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Unpack

from ._account_models import (
    AssetDistribution,
    CreditLineAccount,
    CustodianBalance,
    KeyType,
    KeyVerification,
    TradeFee,
)
from ._custody import DEFAULT_CUSTODIAL_RAIL
from ._endpoints import endpoint
from ._models import (
    Account,
    AccountStatus,
    ApiTradingStatus,
    to_decimal,
)
from ._params import Window
from ._signing import ParamValue
from ._transport import Transport, rows, sends


def _unflagged(key_type: KeyType, **found: Any) -> KeyVerification:
    """A verification of a key type whose endpoints carry no account flags, permissions or
    trading status: those stay unknown (``None``) or empty."""
    return KeyVerification(
        key_type=key_type,
        can_withdraw=None,
        can_deposit=None,
        permissions=[],
        account_status=None,
        trading_locked=None,
        trading_indicators={},
        **found,
    )


class AccountMethods(Transport):
    """The account area, the user data stream's listen keys and :meth:`verify`."""

    areas = ("account", "user_stream")

    # -- account ----------------------------------------------------------------------------

    @sends("GET /api/v3/account", Account.from_api)
    def account(self) -> Account:
        """Balances, permissions and commission rates."""

    @sends("GET /sapi/v3/accountStatus", AccountStatus.from_api)
    def account_status(self) -> AccountStatus:
        """The account's status (``"Normal"`` unless restricted)."""

    @sends("GET /sapi/v3/apiTradingStatus", ApiTradingStatus.from_api)
    def api_trading_status(self) -> ApiTradingStatus:
        """Whether API trading is locked, and the indicators that may lock it."""

    @sends("GET /sapi/v1/asset/query/trading-fee", rows(TradeFee.from_api))
    def trade_fee(self, *, symbol: str | None = None) -> list[TradeFee]:
        """Maker / taker fee rates for one symbol, or for all when ``symbol`` is None."""

    @endpoint("GET /sapi/v1/asset/query/trading-volume")
    def trading_volume(self) -> Decimal:
        """Total trade volume of the past 30 days (USD)."""
        data = self._call("GET /sapi/v1/asset/query/trading-volume")
        return to_decimal(data["past30DaysTradingVolume"])

    @sends("GET /sapi/v1/asset/assetDistributionHistory", rows(AssetDistribution.from_api, "rows"))
    def asset_distribution_history(
        self, *, asset: str | None = None, category: str | None = None, **window: Unpack[Window]
    ) -> list[AssetDistribution]:
        """Distributions (airdrops, rewards, ...) credited to the account."""

    # -- key verification -------------------------------------------------------------------

    def verify(self, key_type: KeyType = "exchange", *, rail: str | None = None) -> KeyVerification:
        """Check this client's key against the endpoints its key type may call.

        - ``"exchange"``: ``GET /api/v3/account`` + ``/sapi/v3/accountStatus`` +
          ``/sapi/v3/apiTradingStatus``.
        - ``"custodial"``: ``GET /sapi/v1/custodian/balance`` for ``rail``. Every custodial
          endpoint requires a rail, so without one the spec's example partner
          (:data:`DEFAULT_CUSTODIAL_RAIL`, ``"ANCHORAGE"``) is used.
        - ``"credit_line"``: ``GET /sapi/v2/cl/account``.

        Rejections propagate as the typed exceptions (:class:`AuthenticationError`, ...).
        """
        raw: dict[str, Any] = {}

        def fetch(key: str, params: Mapping[str, ParamValue | None] | None = None) -> Any:
            raw[key] = self._call(key, params)
            return raw[key]

        if key_type == "exchange":
            account = Account.from_api(fetch("GET /api/v3/account"))
            status = AccountStatus.from_api(fetch("GET /sapi/v3/accountStatus"))
            trading = ApiTradingStatus.from_api(fetch("GET /sapi/v3/apiTradingStatus"))
            return KeyVerification(
                key_type="exchange",
                can_trade=account.can_trade,
                can_withdraw=account.can_withdraw,
                can_deposit=account.can_deposit,
                permissions=list(account.permissions),
                account_status=status.status,
                trading_locked=trading.is_locked,
                trading_indicators={k: list(v) for k, v in trading.indicators.items()},
                balances=list(account.balances),
                raw=raw,
                account=account,
                status=status,
                trading_status=trading,
            )
        if key_type == "custodial":
            rail = (rail or DEFAULT_CUSTODIAL_RAIL).upper()
            balance = CustodianBalance.from_api(
                fetch("GET /sapi/v1/custodian/balance", {"rail": rail})
            )
            return _unflagged(
                "custodial",
                can_trade=None,
                balances=[b.as_balance() for b in balance.exchange_wallet_balance],
                raw=raw,
                rail=rail,
                custodial_balances=[b.as_balance() for b in balance.custodial_account_balance],
                custodian_balance=balance,
            )
        if key_type == "credit_line":
            cl = CreditLineAccount.from_api(fetch("GET /sapi/v2/cl/account"))
            return _unflagged(
                "credit_line",
                can_trade=cl.can_trade,
                balances=list(cl.balances),
                raw=raw,
                credit_line_account=cl,
            )
        raise ValueError(
            f"key_type must be 'exchange', 'custodial' or 'credit_line', not {key_type!r}"
        )

    # -- user data stream -------------------------------------------------------------------

    @endpoint("POST /api/v3/userDataStream")
    def create_listen_key(self) -> str:
        return str(self._call("POST /api/v3/userDataStream")["listenKey"])

    @sends("PUT /api/v3/userDataStream")
    def keepalive_listen_key(self, listen_key: str) -> None:
        """Extend the listen key's life by 60 minutes (call every ~30)."""

    @sends("DELETE /api/v3/userDataStream")
    def close_listen_key(self, listen_key: str) -> None:
        """Close the user data stream of ``listen_key``."""
