"""What the Staking tab shows: the page with its three forms, and its live part (positions,
pending unstakes, operations, rewards) that the page's script swaps in after a push. The views
bind the one form a request posted and leave the others to ``staking_page``."""

from __future__ import annotations

from django.shortcuts import render

from accounts.exchange import server_clock
from wallet.staking import reads, selectors
from wallet.staking.forms import AutoStakeForm, OperationForm
from wallet.staking.models import OperationKind


def live_context(connection) -> dict:
    """The part of the page that changes by itself."""
    positions = reads.staking_positions(connection=connection)
    totals = selectors.reward_totals(connection=connection)
    return {
        "connection": connection,
        # Each position with the rewards stored for it so far.
        "positions": [(p, totals.get(p.reward_asset or p.asset)) for p in positions.rows],
        "positions_error": positions.error,
        # The exchange's clock, for the unstake countdowns (it may run apart from ours).
        "exchange_now_ms": server_clock(connection.environment).now_ms(),
        "pending": selectors.pending_unstakes(connection=connection),
        "operations": selectors.operation_list(connection=connection),
        "events": selectors.recent_events(connection=connection),
        "rewards": selectors.reward_rows(connection=connection)[: selectors.RECENT],
        "reward_series": selectors.reward_series(connection=connection),
        "sync": selectors.staking_sync_state(connection=connection),
    }


def known_assets(connection) -> list[str]:
    """The stakable assets' names for the forms' choices (the last catalogue read will do)."""
    return [a.staking_asset for a in reads.staking_assets(connection=connection, fresh=False).rows]


def staking_page(request, connection, *, refused=None):
    """The tab. With ``refused`` (a bound form that did not check out, keyed ``stake_form``,
    ``unstake_form`` or ``auto_form``) it asks the exchange nothing: the catalogue is the last
    read, and the page's script fetches the live part. Shown with 200, as the desk's other
    refused forms are (the browser reports a 400 page as an error)."""
    catalogue = reads.staking_assets(connection=connection, fresh=refused is None)
    assets = [a.staking_asset for a in catalogue.rows]
    forms = {f"{k}_form": OperationForm(assets=assets, kind=k) for k in OperationKind.values}
    forms["auto_form"] = AutoStakeForm(assets=assets)
    forms.update(refused or {})
    live = live_context(connection) if refused is None else {"connection": connection}
    context = {
        **live,
        "deferred": refused is not None,
        "catalogue": catalogue.rows,
        "catalogue_error": catalogue.error,
        "schedules": selectors.autostake_list(connection=connection),
        **forms,
    }
    return render(request, "wallet/staking.html", context)
