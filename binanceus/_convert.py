"""OTC (convert) and dust methods (``otc`` and ``dust`` areas).

Where the spec is silent or wrong, one choice each:

- The quote answer has no ``quoteId`` (L5094-5101), yet placing an order needs one (L5193) and
  the order rows carry it (L5256): :attr:`OtcQuote.quote_id` is read when the answer has it (the
  sandbox adds it) and is ``None`` otherwise.
- The OTC answers' times are in seconds (``validTimestamp``, ``createTime``: L5098, L5181) and
  are read as such (milliseconds are recognised too). The OTC histories' ``startTime`` /
  ``endTime`` are only "Start timestamp" / "End timestamp" (L5378): they are sent in
  milliseconds, as every other endpoint's and as ``timestamp``.
- ``GET /sapi/v1/otc/orders/{orderId}`` carries the id in the path only; the spec's example signs
  ``timestamp`` alone (L5210), so the id is neither in the query nor in the signature.
- A quote's ``requestCoin`` must be one of its two coins (the spec's examples); anything else is
  refused with ``ValueError`` before sending. The pair's bounds (:meth:`otc_coin_pairs`) are left
  to the exchange.
- "OCBS" is never defined and has no placing endpoint (L5473): its orders are read only.
- ``fromAsset`` is an ARRAY sent as the repeated key ``fromAsset=BTC&fromAsset=ETH`` (L6562); the
  transport encodes the table's ``ARRAY`` parameters so, and the signature covers exactly the
  text sent. ``dust_convert`` takes the endpoint's ``timestamp`` though its table omits it: the
  endpoint is ``HMAC SHA256`` (L6553), so signed.
- The dust targets are "BNB/BTC/ETH/USDT" (L6555) while the changelog adds, then removes, USD
  (L744, L755): ``to_asset`` is passed through unchecked.
- ``transferredAmount`` is before the service charge in the conversion's answer (L6546) and
  after it in the history (L6634) for the same ``tranId``: both are read as given
  (:class:`DustResult`, :class:`DustLogDetail` say which).
- The dust history's ``total`` (L6623) counts the rows of an answer that has no paging: the
  method returns the rows.

Exactly once. A quote moves nothing: if its outcome is unknown, ask for another. The order is
single use per ``quoteId``: on :class:`ExecutionUnknown` (``params["quoteId"]``), reconcile by
finding that ``quote_id`` among :meth:`otc_orders` (the list has no quote filter: narrow it by
coins and a window around the attempt, after the "Database" data source caught up). If it is
not there once the quote expired, the order did not happen. Never re-quote to retry. The dust
conversion has no id at all: on :class:`ExecutionUnknown` (``params`` hold ``fromAsset`` and
``toAsset``) look for those assets in :meth:`dust_logs` after the attempt; never re-send blind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Unpack

from ._convert_models import (
    DustAssets,
    DustConversion,
    DustLog,
    OcbsOrderPage,
    OtcCoinPair,
    OtcOrder,
    OtcOrderAck,
    OtcOrderPage,
    OtcQuote,
)
from ._endpoints import endpoint
from ._params import PagedWindow
from ._transport import Transport, as_amount, rows, sends


class ConvertMethods(Transport):
    """OTC quotes and orders, OCBS orders, and dust conversion."""

    areas = ("otc", "dust")

    # -- OTC --------------------------------------------------------------------------------

    @sends("GET /sapi/v1/otc/coinPairs", rows(OtcCoinPair.from_api))
    def otc_coin_pairs(
        self, *, from_coin: str | None = None, to_coin: str | None = None
    ) -> list[OtcCoinPair]:
        """The convertible pairs (those from / to a coin when given) and their bounds."""

    @endpoint("POST /sapi/v1/otc/quotes")
    def otc_quote(
        self, *, from_coin: str, to_coin: str, request_coin: str, request_amount: Decimal
    ) -> OtcQuote:
        """A quote for converting ``from_coin`` to ``to_coin``: ``request_amount`` of
        ``request_coin`` (either of the two) fixes one side, the quote the other."""
        if request_coin not in (from_coin, to_coin):
            raise ValueError(f"request_coin must be {from_coin} or {to_coin}, not {request_coin}")
        return OtcQuote.from_api(
            self._call(
                "POST /sapi/v1/otc/quotes",
                {
                    "fromCoin": from_coin,
                    "toCoin": to_coin,
                    "requestCoin": request_coin,
                    "requestAmount": as_amount(request_amount),
                },
            )
        )

    @sends("POST /sapi/v1/otc/orders", OtcOrderAck.from_api)
    def otc_place_order(self, *, quote_id: str) -> OtcOrderAck:
        """Accept a quote (once, before it expires). :class:`ExecutionUnknown` carries
        ``params["quoteId"]``: look it up in :meth:`otc_orders`, never re-quote."""
        if not quote_id:
            raise ValueError("pass the quote's quote_id")

    @sends("GET /sapi/v1/otc/orders/{orderId}", OtcOrder.from_api)
    def otc_order(self, *, order_id: str) -> OtcOrder:
        """One OTC order by the exchange's id."""
        if not order_id:
            raise ValueError("pass order_id")

    @sends("GET /sapi/v1/otc/orders", OtcOrderPage.from_api)
    def otc_orders(
        self,
        *,
        order_id: str | None = None,
        from_coin: str | None = None,
        to_coin: str | None = None,
        **window: Unpack[PagedWindow],
    ) -> OtcOrderPage:
        """OTC orders matching the filters (``page`` from 1; ``limit`` 10 by default, up to 100
        a page)."""

    @sends("GET /sapi/v1/ocbs/orders", OcbsOrderPage.from_api)
    def ocbs_orders(
        self, *, order_id: str | None = None, **window: Unpack[PagedWindow]
    ) -> OcbsOrderPage:
        """OCBS orders matching the filters (``page`` from 1; ``limit`` 10 by default, up to
        100 a page)."""

    # -- dust -------------------------------------------------------------------------------

    @endpoint("POST /sapi/v1/asset/dust")
    def dust_convert(self, *, from_assets: Sequence[str], to_asset: str) -> DustConversion:
        """Convert the small balances of ``from_assets`` into ``to_asset`` (sent as
        ``fromAsset=A&fromAsset=B&toAsset=C``). :class:`ExecutionUnknown` carries ``params``:
        look the assets up in :meth:`dust_logs` before converting again."""
        if isinstance(from_assets, str):
            raise TypeError("from_assets must be a list of asset names, not one string")
        assets = list(from_assets)
        if not assets:
            raise ValueError("pass at least one asset in from_assets")
        return DustConversion.from_api(
            self._call("POST /sapi/v1/asset/dust", {"fromAsset": assets, "toAsset": to_asset})
        )

    @sends("GET /sapi/v1/asset/query/dust-logs", rows(DustLog.from_api, "userDustConvertHistory"))
    def dust_logs(self, *, start_time: datetime, end_time: datetime) -> list[DustLog]:
        """The dust conversions between ``start_time`` and ``end_time``, each with its assets."""

    @sends("GET /sapi/v1/asset/query/dust-assets", DustAssets.from_api)
    def dust_assets(self, *, to_asset: str) -> DustAssets:
        """The balances that can be converted into ``to_asset`` now, with what they would give."""
