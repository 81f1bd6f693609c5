"""The Staking tab. Every URL is scoped by the connection's ``pk``, fetched through
``connection_get_for_user`` with the ``WALLET`` capability (404 for strangers); operations are
then looked up within that connection. Positions and the catalogue are the exchange's, read
when the page is drawn; histories and rewards are the database's, synced by Celery."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import WALLET, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from desk.lists import csv_download
from transfers.recurrence import RecurrenceError
from wallet.staking import exports, pages, selectors, services, sync
from wallet.staking.checks import StakingProblems
from wallet.staking.forms import AutoStakeForm, OperationForm
from wallet.staking.models import OperationKind
from wallet.staking.sending import operation_payload


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=WALLET)


@login_required
def staking_index(request, pk: int):
    connection = _connection(request, pk)
    sync.staking_sync_soon(connection=connection)
    return pages.staking_page(request, connection)


@login_required
def staking_live(request, pk: int):
    """The live part alone, for the page's script after a push."""
    connection = _connection(request, pk)
    return render(request, "wallet/_staking_live.html", pages.live_context(connection))


@login_required
@require_POST
def staking_operate(request, pk: int, kind: str):
    connection = _connection(request, pk)
    form = OperationForm(request.POST, assets=pages.known_assets(connection), kind=kind)
    if form.is_valid():
        try:
            operation = services.operation_request(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except StakingProblems as exc:
            form.add_problems(exc.problems)
        except services.OperationRefused as exc:
            form.add_error(None, str(exc))
        else:
            verb = "Staking" if kind == OperationKind.STAKE else "Unstaking"
            messages.success(request, f"{verb} {operation.amount.normalize():f} {operation.asset}.")
            return redirect("wallet:staking", pk=connection.pk)
    return pages.staking_page(request, connection, refused={f"{kind}_form": form})


@login_required
@require_POST
def staking_sync_now(request, pk: int):
    connection = _connection(request, pk)
    queued = sync.staking_sync_soon(connection=connection, force=True)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": queued})
    if queued:
        messages.success(request, "Staking history and rewards are being synced.")
    else:
        messages.error(request, "Only an active exchange connection with working keys syncs.")
    return redirect("wallet:staking", pk=connection.pk)


@login_required
def operation_json(request, pk: int, oid: int):
    connection = _connection(request, pk)
    operation = selectors.operation_get_for_connection(connection=connection, oid=oid)
    return JsonResponse(operation_payload(operation))


@login_required
def rewards_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.rewards_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"staking-rewards-{pk}.csv")


# --- auto-stake ---------------------------------------------------------------------------------
@login_required
@recent_auth_required
@require_POST
def autostake_add(request, pk: int):
    """A schedule that moves money on its own wants a fresh sign-in check, as transfers do."""
    connection = _connection(request, pk)
    form = AutoStakeForm(request.POST, assets=pages.known_assets(connection))
    if form.is_valid():
        try:
            schedule = services.autostake_add(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except RecurrenceError as exc:
            form.add_error("every", str(exc))
        else:
            when = schedule.next_run_at.strftime("%Y-%m-%d %H:%M UTC")
            messages.success(request, f"Auto-stake of {schedule.asset} set; first run {when}.")
            return redirect("wallet:staking", pk=connection.pk)
    return pages.staking_page(request, connection, refused={"auto_form": form})


@login_required
@require_POST
def autostake_pause(request, pk: int, sid: int):
    connection = _connection(request, pk)
    schedule = selectors.autostake_get_for_connection(connection=connection, sid=sid)
    paused = not schedule.is_paused
    services.autostake_set_paused(
        schedule=schedule, paused=paused, user=request.user, ip=client_ip(request)
    )
    messages.success(
        request, f"Auto-stake of {schedule.asset} {'paused' if paused else 'resumed'}."
    )
    return redirect("wallet:staking", pk=connection.pk)


@login_required
@require_POST
def autostake_delete(request, pk: int, sid: int):
    connection = _connection(request, pk)
    schedule = selectors.autostake_get_for_connection(connection=connection, sid=sid)
    services.autostake_delete(schedule=schedule, user=request.user, ip=client_ip(request))
    messages.success(request, f"Auto-stake of {schedule.asset} deleted.")
    return redirect("wallet:staking", pk=connection.pk)
