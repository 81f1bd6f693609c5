"""What the Custody tab shows: the page with its forms and the custodial order ticket, and its
live part (balances, settlement, transfers, custodial orders and fills) that the page's script
swaps in after a push. The views bind the one form a request posted and leave the others to
``custody_page``."""

from __future__ import annotations

from django.shortcuts import render

from accounts.exchange import server_clock
from custody import reads, selectors
from custody.forms import TransferForm, UndoForm
from custody.models import TransferKind
from custody.orders import selectors as order_selectors
from custody.orders.forms import ALWAYS, CustodialTicketForm, ticket_fields


def live_context(connection) -> dict:
    """The part of the page that changes by itself."""
    balance = reads.balances(connection=connection)
    return {
        "connection": connection,
        "balance": balance.value,
        "balance_error": balance.error,
        # Stored by the sync: shown while the exchange cannot be asked.
        "custodial_stored": selectors.custodial_balances(connection=connection),
        # The exchange's clock, for the settlement countdown (it may run apart from ours).
        "exchange_now_ms": server_clock(connection.environment).now_ms(),
        "sync": selectors.custody_sync_state(connection=connection),
        "settlements": selectors.settlement_list(connection=connection),
        "transfers": selectors.transfer_list(connection=connection)[: selectors.RECENT],
        "history": selectors.exchange_history(connection=connection),
        "open_orders": order_selectors.open_orders(connection=connection),
        "desk_orders": order_selectors.desk_orders(connection=connection)[: selectors.RECENT],
        "order_history": order_selectors.order_history(connection=connection)[: selectors.RECENT],
        "trades": order_selectors.trade_history(connection=connection)[: selectors.RECENT],
    }


def known_assets(connection) -> list[str]:
    """The transferable assets' names for the forms' choices (the last list read will do)."""
    read = reads.supported_assets(connection=connection, fresh=False)
    return [] if read.error else [a.asset for a in read.value.transfer_eligible]


def asset_rows(supported) -> list[tuple]:
    """(asset, transferable from the partner, settled to it), one row per asset."""
    if supported is None:
        return []
    transfer = {a.asset: a for a in supported.transfer_eligible}
    settle = {a.asset: a for a in supported.settlement_eligible}
    return [
        (transfer.get(name) or settle[name], name in transfer, name in settle)
        for name in sorted({*transfer, *settle})
    ]


def custody_page(request, connection, *, refused=None):
    """The tab. With ``refused`` (a bound form that did not check out, keyed ``wallet_form``,
    ``custodian_form``, ``undo_form`` or ``ticket_form``) it asks the exchange nothing: the
    asset list is the last read, and the page's script fetches the live part. Shown with 200, as
    the desk's other refused forms are."""
    supported = reads.supported_assets(connection=connection, fresh=refused is None)
    assets = [] if supported.error else [a.asset for a in supported.value.transfer_eligible]
    forms = {
        f"{k}_form": TransferForm(assets=assets, kind=k)
        for k in (TransferKind.WALLET, TransferKind.CUSTODIAN)
    }
    forms["undo_form"] = UndoForm(undoable=selectors.undoable_list(connection=connection))
    forms["ticket_form"] = CustodialTicketForm()
    forms.update(refused or {})
    live = live_context(connection) if refused is None else {"connection": connection}
    context = {
        **live,
        "deferred": refused is not None,
        "asset_rows": asset_rows(supported.value),
        "supported_error": supported.error,
        "rail": reads.rail_of(connection),
        "ticket_fields": ticket_fields(),
        "ticket_always": " ".join(ALWAYS),
        **forms,
    }
    return render(request, "custody/index.html", context)
