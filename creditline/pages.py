"""What the Credit line tab shows: the page with its transfer form, and its live part (gauge,
figures, loans, collateral, alerts, transfers) that the page's script swaps in after a push."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.shortcuts import render

from creditline import selectors
from creditline.forms import TransferForm

# The gauge spans 0 to this share above the liquidation threshold, so every mark fits.
GAUGE_HEADROOM = Decimal("1.25")


@dataclass(frozen=True)
class Gauge:
    """Positions on the gauge in percent of its width (SVG attributes, not styles: the CSP)."""

    ltv: str
    initial: str
    margin_call: str
    liquidation: str
    level: str


def _pct(value: Decimal, top: Decimal) -> str:
    return f"{min(Decimal(100), max(Decimal(0), value / top * 100)):.2f}"


def gauge_of(state) -> Gauge | None:
    if state is None:
        return None
    top = max(Decimal(1), state.liquidation_ltv * GAUGE_HEADROOM, state.current_ltv)
    return Gauge(
        ltv=_pct(state.current_ltv, top),
        initial=_pct(state.initial_ltv, top),
        margin_call=_pct(state.margin_call_ltv, top),
        liquidation=_pct(state.liquidation_ltv, top),
        level=state.level,
    )


def live_context(connection) -> dict:
    state = selectors.state_of(connection=connection)
    return {
        "connection": connection,
        "state": state,
        "gauge": gauge_of(state),
        "loans": selectors.loans_of(connection=connection),
        "collateral": selectors.collateral_of(connection=connection),
        "alerts": selectors.alert_list(connection=connection),
        "transfers": selectors.transfer_list(connection=connection),
    }


def known_assets(connection) -> list[str]:
    """The assets a transfer may name: the credit line's balances and loans, and USD."""
    held = {b.asset for b in selectors.collateral_of(connection=connection)}
    loans = {loan.asset for loan in selectors.loans_of(connection=connection)}
    return sorted(held | loans | {"USD"})


def credit_line_page(request, connection, *, form: TransferForm | None = None):
    """The tab; with a refused ``form``, shown with its errors and 200, as the desk's other
    refused forms are (the browser reports a 400 page as an error)."""
    context = live_context(connection)
    context["form"] = form or TransferForm(assets=known_assets(connection))
    context["ltv_series"] = selectors.ltv_series(connection=connection)
    return render(request, "creditline/index.html", context)
