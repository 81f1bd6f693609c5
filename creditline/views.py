"""The Credit line tab. Every URL is scoped by the connection's ``pk``, fetched through
``connection_get_for_user`` with the ``CREDIT_LINE`` capability (404 for strangers and for
other key types); transfers and alerts are then looked up within that connection. The figures
are the database's, polled by Celery at most once a minute and pushed to the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import CREDIT_LINE, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from creditline import pages, selectors, services
from creditline.forms import TransferForm
from creditline.sending import transfer_payload
from creditline.tasks import poll_credit_line
from desk.intents import queue
from desk.problems import Refused


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CREDIT_LINE)


@login_required
def index(request, pk: int):
    connection = _connection(request, pk)
    queue(poll_credit_line, connection.pk)  # the poll's own gate keeps it to once a minute
    return pages.credit_line_page(request, connection)


@login_required
def live(request, pk: int):
    """The live part alone, for the page's script after a push."""
    connection = _connection(request, pk)
    return render(request, "creditline/_live.html", pages.live_context(connection))


@login_required
@recent_auth_required
@require_POST
def transfer(request, pk: int):
    """Moving collateral wants a fresh sign-in check, as the other transfers do."""
    connection = _connection(request, pk)
    form = TransferForm(request.POST, assets=pages.known_assets(connection))
    if form.is_valid():
        try:
            made = services.transfer_request(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except Refused as exc:
            form.add_problems(exc.problems)
        except services.TransferRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Transfer of {made.quantity.normalize():f} {made.asset} asked for."
            )
            return redirect("creditline:index", pk=connection.pk)
    return pages.credit_line_page(request, connection, form=form)


@login_required
def transfer_json(request, pk: int, tid: int):
    connection = _connection(request, pk)
    found = selectors.transfer_get_for_connection(connection=connection, tid=tid)
    return JsonResponse(transfer_payload(found))


@login_required
@require_POST
def alert_dismiss(request, pk: int, aid: int):
    connection = _connection(request, pk)
    closed = services.alert_dismiss(connection=connection, alert_id=aid)
    if not closed and not connection.credit_alerts.filter(pk=aid).exists():
        raise Http404("No such alert.")
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"dismissed": aid})
    return redirect("creditline:index", pk=connection.pk)


@login_required
@require_POST
def poll_now(request, pk: int):
    connection = _connection(request, pk)
    queue(poll_credit_line, connection.pk, True)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": True})
    messages.success(request, "The credit line is being read again.")
    return redirect("creditline:index", pk=connection.pk)
