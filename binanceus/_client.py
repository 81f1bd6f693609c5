"""The synchronous REST client: the request machinery (:mod:`._transport`) plus one methods
class per API area, each module holding its area's typed methods."""

from __future__ import annotations

from ._account import AccountMethods
from ._convert import ConvertMethods
from ._credit_line import CreditLineMethods
from ._custody import DEFAULT_CUSTODIAL_RAIL, CustodyMethods
from ._endpoints import Coverage, coverage_of
from ._market import MarketMethods
from ._rewards import RewardsMethods
from ._staking import StakingMethods
from ._subaccounts import SubAccountMethods
from ._trading import TradingMethods, generate_client_order_id
from ._wallet import WalletMethods

__all__ = ["DEFAULT_CUSTODIAL_RAIL", "Client", "coverage", "generate_client_order_id"]


class Client(
    MarketMethods,
    AccountMethods,
    TradingMethods,
    SubAccountMethods,
    CustodyMethods,
    CreditLineMethods,
    WalletMethods,
    StakingMethods,
    ConvertMethods,
    RewardsMethods,
):
    """Binance.US REST client.

    ``Client(api_key, api_secret)`` signs ``SIGNED`` endpoints with HMAC-SHA256 and sends the
    API key on every endpoint whose security type asks for it (both decided by the endpoint
    table). Read calls retry on :class:`TransportError`, :class:`NetworkError` and
    :class:`ServiceUnavailable` with exponential backoff plus jitter (``retry_backoff``
    scaled by up to ``1 + retry_jitter``); mutating calls never retry an unknown outcome
    (:class:`ExecutionUnknown`), and only trading calls (which carry client-side ids) retry
    the documented not-executed 503 "Service Unavailable". The server
    clock offset is measured before the first signed call and again every
    ``time_resync_interval`` seconds; a ``-1021`` answer triggers one resync and one retry.
    Pass one ``server_clock`` to several clients to share the measurement.
    ``exchange_info`` answers are cached per symbol for ``exchange_info_ttl`` seconds
    (:meth:`symbol_rules`), which turns on local filter checks for placed orders.

    The methods come from one class per area (``areas`` names the endpoint-table areas each
    covers): :class:`~binanceus._market.MarketMethods`,
    :class:`~binanceus._account.AccountMethods`, :class:`~binanceus._trading.TradingMethods`,
    :class:`~binanceus._subaccounts.SubAccountMethods`,
    :class:`~binanceus._custody.CustodyMethods`,
    :class:`~binanceus._credit_line.CreditLineMethods`,
    :class:`~binanceus._wallet.WalletMethods`, :class:`~binanceus._staking.StakingMethods`,
    :class:`~binanceus._convert.ConvertMethods` (OTC and dust),
    :class:`~binanceus._rewards.RewardsMethods` (referral, API partner, broker referral).
    """


def coverage() -> Coverage:
    """Which endpoints of the table have a typed :class:`Client` method."""
    return coverage_of(Client)
