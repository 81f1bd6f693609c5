"""The Custody tab. Every URL is scoped by the connection's ``pk``, fetched through
``connection_get_for_user`` with the ``CUSTODY`` capability (404 for strangers and for other key
types); transfers are then looked up within that connection. Balances and the asset list are the
exchange's, read when the page is drawn; settlements and histories are the database's, synced by
Celery. Every write is a POST from a fresh sign-in (money moves, as transfers and withdrawals)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import CUSTODY, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from custody import exports, pages, selectors, services, sync
from custody.checks import CustodyProblems
from custody.forms import TransferForm, UndoForm
from custody.sending import transfer_payload
from desk.lists import csv_download


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CUSTODY)


@login_required
def index(request, pk: int):
    connection = _connection(request, pk)
    sync.custody_sync_soon(connection=connection)
    return pages.custody_page(request, connection)


@login_required
def custody_live(request, pk: int):
    """The live part alone, for the page's script after a push."""
    connection = _connection(request, pk)
    return render(request, "custody/_live.html", pages.live_context(connection))


@login_required
@recent_auth_required
@require_POST
def custody_transfer(request, pk: int, kind: str):
    connection = _connection(request, pk)
    form = TransferForm(request.POST, assets=pages.known_assets(connection), kind=kind)
    if form.is_valid():
        try:
            transfer = services.transfer_request(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except CustodyProblems as exc:
            form.add_problems(exc.problems)
        except services.TransferRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Transferring {transfer.amount.normalize():f} {transfer.asset}."
            )
            return redirect("custody:index", pk=connection.pk)
    return pages.custody_page(request, connection, refused={f"{kind}_form": form})


@login_required
@recent_auth_required
@require_POST
def custody_undo(request, pk: int):
    connection = _connection(request, pk)
    form = UndoForm(request.POST, undoable=selectors.undoable_list(connection=connection))
    if form.is_valid():
        try:
            undo = services.undo_request(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except CustodyProblems as exc:
            form.add_problems(exc.problems)
        except services.TransferRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Undoing transfer {undo.origin_transfer_id}.")
            return redirect("custody:index", pk=connection.pk)
    return pages.custody_page(request, connection, refused={"undo_form": form})


@login_required
@require_POST
def custody_sync_now(request, pk: int):
    connection = _connection(request, pk)
    queued = sync.custody_sync_soon(connection=connection, force=True)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": queued})
    if queued:
        messages.success(request, "Custody balances, transfers and settlements are being synced.")
    else:
        messages.error(request, "Only an active custodial connection with working keys syncs.")
    return redirect("custody:index", pk=connection.pk)


@login_required
def transfer_json(request, pk: int, tid: int):
    connection = _connection(request, pk)
    transfer = selectors.transfer_get_for_connection(connection=connection, tid=tid)
    return JsonResponse(transfer_payload(transfer))


@login_required
def transfers_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.transfers_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"custody-transfers-{pk}.csv")
