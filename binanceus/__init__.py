"""binanceus — a typed Python client for the Binance.US API.

REST::

    from binanceus import Client
    with Client(api_key, api_secret) as c:
        book = c.depth("BTCUSD", limit=100)
        order = c.new_order(symbol="BTCUSD", side="BUY", type="LIMIT", time_in_force="GTC",
                            quantity=Decimal("0.01"), price=Decimal("20000"))

Streams (asyncio)::

    async with MarketStream(streams=["btcusd@depth@100ms"]) as stream:
        async for msg in stream:
            ...   # StreamMessage, or Reconnected after an automatic reconnect
        stream.stats()   # StreamStats: per-socket health (+ totals)

Everything sent on a connection (control messages, pings, pongs) shares one budget below
the exchange's 5 messages/s; a MarketStream rolls over to a fresh connection before the 24 h
limit (``rollover_after``) without gap, duplicates or marker; :class:`MarketStreamPool` spreads
more than 1024 streams over several connections.

WebSocket API (request / response over one socket)::

    async with AsyncWsApiClient(api_key, api_secret, weight_budget=rest.weight_budget) as ws:
        order = await ws.new_order(symbol="BTCUSD", side="BUY", type="LIMIT", ...)
    with WsApiClient.from_client(rest) as ws:   # sync; REST and WS share one budget
        book = ws.depth("BTCUSD", limit=5)

Every WebSocket API method is there, named, argued and typed like the :class:`Client` method
it mirrors (:func:`ws_api_coverage`), with a ``timeout`` keyword; a placing call that loses
its answer raises :class:`ExecutionUnknown` with its client order id.

Sub-accounts (``sub_accounts``, ``sub_account_transfer``, ...), the wallet (``coin_config``,
``withdraw``, ``deposit_address``, the deposit / withdraw histories, ...), staking
(``staking_assets``, ``stake``, ``unstake``, ``staking_balance``, ...), the Custodial Solution
(``custodian_*``, custodial keys only: transfers, settlements, and orders from custodial funds
returning :class:`CustodianOrder`, :class:`CustodianOrderList`, :class:`CustodianTrade`),
Credit Line (``credit_line_*``, credit-line keys only), OTC convert (``otc_coin_pairs``,
``otc_quote``, ``otc_place_order``, ``otc_orders``, ``ocbs_orders``: :class:`OtcQuote`,
:class:`OtcOrder`, ...), dust (``dust_convert``, ``dust_logs``, ``dust_assets``), referral
(``referral_rewards``), API partner (``partner_eligibility``, ``partner_rebates``;
:func:`partner_client_order_id` makes order ids that earn the rebates) and broker referral
(``broker_*``) areas have typed methods too;
``Client.verify(key_type)`` checks a key against the endpoints its type may call.
:class:`RedisWeightBudget` shares one weight budget (and any 429 / 418 back-off) between all
processes of a host.

Trading: ``new_order`` / ``test_new_order`` / ``cancel_replace`` / ``new_oco`` and the
cancels, queries and histories return :class:`Order`, :class:`OrderList`,
:class:`CancelReplaceResult`, :class:`AccountTrade`, ... Placing calls always send a
client-side id (generated when not given) so :class:`ExecutionUnknown` names what to look
up. ``Client.symbol_rules(symbol)`` caches the symbol's :class:`SymbolRules`; from then on
orders breaking a filter raise :class:`OrderRejectedLocally` before anything is sent
(:func:`check_order` / :func:`check_oco` do the same checks for a form).
:func:`parse_user_event` types user-data-stream messages (:class:`ExecutionReport`,
:class:`ListStatus`, :class:`AccountPosition`, :class:`BalanceUpdate`, ...).

Local order book: :class:`OrderBook` (data structure + sequence checks) and
:class:`LocalOrderBook` (buffer / snapshot / resync orchestration).

Every price, quantity and amount is a :class:`~decimal.Decimal`; times are aware UTC
datetimes. The endpoint table (``binanceus/endpoints.json``, exposed as :data:`ENDPOINTS`)
decides each call's method, path, security (signing / API key) and weight.

Exceptions::

    BinanceUSError
    ├── TransportError              connect failed; nothing sent; safe to retry
    ├── NetworkError                read call lost its response (retried for reads)
    ├── InvalidResponse             unexpected / undecodable answer
    ├── WeightLimitExceeded         weight budget refused the call (.retry_after, .status);
    │                               status 418 = the shared IP-ban circuit is open
    ├── OrderRejectedLocally        (also ValueError) order breaks cached symbol filters
    │                               (.problems: FilterProblem list); nothing sent
    ├── ExecutionUnknown            mutating call may or may not have executed
    │                               (.endpoint, .client_order_id, .params);
    │                               alias ExecutionUnknownError
    ├── StreamError                 websocket connect failure / rejected control message
    │   ├── RequestRejected         the server answered a websocket request with an error
    │   │                           (.code, .msg)
    │   ├── RequestTimeout          (also TimeoutError) no answer within the timeout
    │   └── ConnectionLost          (also ConnectionError) the connection dropped before
    │                               the answer
    ├── OrderBookError
    │   ├── SequenceGap             depth diff does not continue the sequence
    │   └── BookNotSynced           diff applied without a snapshot
    └── APIError(status, code, msg)
        ├── CancelReplaceFailed     cancelReplace -2021 / -2022 (.result: CancelReplaceResult);
        │   │                       HTTP 409 = one half DID execute
        │   └── CancelReplaceRejected   400 -2022: neither half executed (also ClientError)
        ├── ClientError             4XX, not executed
        │   ├── InvalidTimestamp    -1021
        │   ├── InvalidSignature    -1022
        │   ├── AuthenticationError -2014 / -2015
        │   ├── OrderNotFound       -2013
        │   ├── InsufficientBalance -2010 "insufficient balance"
        │   ├── RateLimited         429 (.retry_after)
        │   └── IPBanned            418 (.retry_after)
        └── ServerError             5XX (reads, or documented failures)
            └── ServiceUnavailable  503 documented failure: not executed, may retry
"""

# The account-area models are exported whole; their list lives once, in the module.
from . import (
    _account_models,
    _convert_models,
    _custody_models,
    _rewards_models,
    _staking_models,
    _wallet_models,
)
from ._account_models import *  # noqa: F403
from ._client import DEFAULT_CUSTODIAL_RAIL, Client, coverage
from ._convert_models import *  # noqa: F403
from ._custody_models import *  # noqa: F403
from ._endpoints import ENDPOINTS, Coverage, Endpoint, Param
from ._errors import (
    APIError,
    AuthenticationError,
    BinanceUSError,
    CancelReplaceFailed,
    CancelReplaceRejected,
    ClientError,
    ConnectionLost,
    ExecutionUnknown,
    ExecutionUnknownError,
    InsufficientBalance,
    InvalidResponse,
    InvalidSignature,
    InvalidTimestamp,
    IPBanned,
    NetworkError,
    OrderNotFound,
    OrderRejectedLocally,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServerError,
    ServiceUnavailable,
    StreamError,
    TransportError,
    WeightLimitExceeded,
)
from ._events import (
    AccountPosition,
    BalanceUpdate,
    ExecutionReport,
    ListenKeyExpired,
    ListStatus,
    UnknownEvent,
    UserEvent,
    parse_user_event,
)
from ._filters import FilterProblem, SymbolRules, check_oco, check_order, round_to_step
from ._models import (
    Account,
    AccountStatus,
    AggTrade,
    ApiTradingStatus,
    AvgPrice,
    Balance,
    BookTicker,
    CommissionRates,
    DepthSnapshot,
    ExchangeInfo,
    Fill,
    Kline,
    MiniTicker,
    Order,
    RateLimit,
    SymbolInfo,
    Ticker24h,
    Trade,
    TradingIndicator,
)
from ._orderbook import BookNotSynced, LocalOrderBook, OrderBook, OrderBookError, SequenceGap
from ._redis_budget import RedisWeightBudget
from ._rewards import partner_client_order_id
from ._rewards_models import *  # noqa: F403
from ._signing import format_decimal, sign
from ._staking_models import *  # noqa: F403
from ._streams import (
    DEFAULT_ROLLOVER_AFTER,
    MarketStream,
    MarketStreamPool,
    Reconnected,
    SendBudget,
    SocketStats,
    StreamMessage,
    StreamStats,
    UserStream,
)
from ._time import ServerClock, from_ms, to_ms
from ._trading import generate_client_order_id
from ._trading_models import (
    AccountTrade,
    CancelReplaceResult,
    CommissionRate,
    ErrorDetail,
    OrderList,
    OrderListEntry,
    OrderTestResult,
    PreventedMatch,
    RateLimitUsage,
)
from ._wallet_models import *  # noqa: F403
from ._weights import InMemoryWeightBudget, WeightBudget
from ._ws_api import DEFAULT_WS_API_URL, AsyncWsApiClient, ws_api_coverage
from ._ws_api_conn import WsApiStats
from ._ws_api_relay import Forward, NotForwarded, WsApiRelay
from ._ws_api_sync import WsApiClient

__version__ = "0.1.0"

__all__ = [
    *_account_models.__all__,
    *_convert_models.__all__,
    *_custody_models.__all__,
    *_rewards_models.__all__,
    *_staking_models.__all__,
    *_wallet_models.__all__,
    "DEFAULT_CUSTODIAL_RAIL",
    "DEFAULT_ROLLOVER_AFTER",
    "DEFAULT_WS_API_URL",
    "ENDPOINTS",
    "APIError",
    "Account",
    "AccountPosition",
    "AccountStatus",
    "AccountTrade",
    "AggTrade",
    "AsyncWsApiClient",
    "ApiTradingStatus",
    "AuthenticationError",
    "AvgPrice",
    "Balance",
    "BalanceUpdate",
    "BinanceUSError",
    "BookNotSynced",
    "BookTicker",
    "CancelReplaceFailed",
    "CancelReplaceRejected",
    "CancelReplaceResult",
    "Client",
    "ClientError",
    "CommissionRate",
    "CommissionRates",
    "ConnectionLost",
    "Coverage",
    "DepthSnapshot",
    "Endpoint",
    "ErrorDetail",
    "ExchangeInfo",
    "ExecutionReport",
    "ExecutionUnknown",
    "ExecutionUnknownError",
    "Fill",
    "FilterProblem",
    "Forward",
    "IPBanned",
    "InMemoryWeightBudget",
    "InsufficientBalance",
    "InvalidResponse",
    "InvalidSignature",
    "InvalidTimestamp",
    "Kline",
    "ListStatus",
    "ListenKeyExpired",
    "LocalOrderBook",
    "MarketStream",
    "MarketStreamPool",
    "MiniTicker",
    "NetworkError",
    "NotForwarded",
    "Order",
    "OrderBook",
    "OrderBookError",
    "OrderList",
    "OrderListEntry",
    "OrderNotFound",
    "OrderRejectedLocally",
    "OrderTestResult",
    "Param",
    "PreventedMatch",
    "RateLimit",
    "RateLimitUsage",
    "RateLimited",
    "Reconnected",
    "RedisWeightBudget",
    "RequestRejected",
    "RequestTimeout",
    "SendBudget",
    "SequenceGap",
    "ServerClock",
    "ServerError",
    "ServiceUnavailable",
    "SocketStats",
    "StreamError",
    "StreamMessage",
    "StreamStats",
    "SymbolInfo",
    "SymbolRules",
    "Ticker24h",
    "Trade",
    "TradingIndicator",
    "TransportError",
    "UnknownEvent",
    "UserEvent",
    "UserStream",
    "WeightBudget",
    "WeightLimitExceeded",
    "WsApiClient",
    "WsApiRelay",
    "WsApiStats",
    "check_oco",
    "check_order",
    "coverage",
    "format_decimal",
    "from_ms",
    "generate_client_order_id",
    "parse_user_event",
    "partner_client_order_id",
    "round_to_step",
    "sign",
    "to_ms",
    "ws_api_coverage",
]
