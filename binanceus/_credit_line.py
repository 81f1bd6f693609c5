"""Credit Line methods (``credit_line`` area; credit-line API keys only).

Where the spec is silent or wrong, one choice each:

- None of the four titles says "(HMAC SHA256)" (L9405-L9725), yet each takes a ``timestamp``:
  all four are signed (the endpoint table's ``SIGNED``).
- ``transferId`` is a number in the transfer answer (L9721) and ``"t11119"`` in the history
  (L9618): both models read it as ``str``, so an id from one compares equal to the other.
- The examples' thresholds are out of order (``liquidationLTV`` 0.54 < ``initialLTV`` 0.62 <
  ``marginCallLTV`` 0.8, L9370-9372) and an alert has ``currentLTV`` "9" (L9481): the LTVs are
  passed through as sent, never checked against each other.
- The account and alert examples end ``loanAssets`` rows with a trailing comma (not JSON); it is
  taken for a typo of the JSON the exchange sends.
- The transfer takes no client id: :class:`ExecutionUnknown` carries the sent ``params``;
  reconcile against :meth:`~CreditLineMethods.credit_line_transfer_history` (type, asset,
  amount, time) before sending again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Unpack

from ._account_models import (
    CreditLineAccount,
    CreditLineAlert,
    CreditLineTransfer,
    CreditLineTransferRecord,
)
from ._endpoints import endpoint
from ._params import Window
from ._transport import Transport, as_amount, rows, sends


class CreditLineMethods(Transport):
    """Credit Line account, alerts and transfers (credit-line keys only)."""

    areas = ("credit_line",)

    # -- credit line (credit-line API keys only) --------------------------------------------

    @sends("GET /sapi/v2/cl/account", CreditLineAccount.from_api)
    def credit_line_account(self) -> CreditLineAccount:
        """The credit line account: LTVs, loans, balances and what it may do."""

    @sends("GET /sapi/v2/cl/alertHistory", rows(CreditLineAlert.from_api, "data"))
    def credit_line_alert_history(
        self, *, alert_type: str | None = None, **window: Unpack[Window]
    ) -> list[CreditLineAlert]:
        """Margin-call / liquidation alerts (``alert_type``: ``MARGIN_CALL``,
        ``LIQUIDATION_CALL``)."""

    @sends("GET /sapi/v1/cl/transferHistory", rows(CreditLineTransferRecord.from_api, "data"))
    def credit_line_transfer_history(
        self,
        *,
        transfer_type: str | None = None,
        asset: str | None = None,
        **window: Unpack[Window],
    ) -> list[CreditLineTransferRecord]:
        """Transfers in and out of the credit line account."""

    @endpoint("POST /sapi/v1/cl/transfer")
    def credit_line_transfer(
        self, *, transfer_type: str, transfer_asset_type: str, quantity: Decimal
    ) -> CreditLineTransfer:
        """Transfer in / out of the credit line account (``transfer_type``: ``TRANSFER_IN`` /
        ``TRANSFER_OUT``). :class:`ExecutionUnknown` carries the parameters in ``params``."""
        return CreditLineTransfer.from_api(
            self._call(
                "POST /sapi/v1/cl/transfer",
                {
                    "transferType": transfer_type,
                    "transferAssetType": transfer_asset_type,
                    "quantity": as_amount(quantity),
                },
            )
        )
