"""The Rewards tab and the Broker page. Every URL is scoped by the connection's ``pk``, fetched
through ``connection_get_for_user`` with the ``REWARDS`` capability (404 for strangers and for
other key types); exports are then looked up within that connection. Nothing here moves money,
so no action asks for a fresh sign-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import REWARDS, connection_get_for_user
from accounts.throttle import client_ip
from desk.intents import queue
from desk.lists import csv_download
from rewards import exports, pages, selectors, services
from rewards.forms import AgentCodeForm, CustomizeForm, ExportForm, PartnerForm, UserCustomizeForm
from rewards.models import ExportStatus
from rewards.tasks import sync_rewards


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=REWARDS)


# -- Rewards tab -------------------------------------------------------------------------------


@login_required
def index(request, pk: int):
    connection = _connection(request, pk)
    services.profile_for(connection=connection)  # the periodic sync follows it from now on
    queue(sync_rewards, connection.pk)  # the sync's own gate keeps it to once a minute
    return pages.rewards_page(request, connection)


@login_required
def live(request, pk: int):
    """The live part alone, for the page's script after a push."""
    connection = _connection(request, pk)
    return render(request, "rewards/_live.html", pages.rewards_live_context(connection))


@login_required
@require_POST
def sync_now(request, pk: int):
    connection = _connection(request, pk)
    services.sync_request(connection=connection)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": True})
    messages.success(request, "Rewards and rebates are being read again.")
    return redirect("rewards:index", pk=connection.pk)


@login_required
@require_POST
def partner(request, pk: int):
    connection = _connection(request, pk)
    form = PartnerForm(request.POST)
    if not form.submitted(services.partner_set, **_who(request, connection)):
        return pages.rewards_page(request, connection, partner_form=form)
    messages.success(request, _partner_saved(form.outcome))
    return redirect("rewards:index", pk=connection.pk)


def _who(request, connection) -> dict:
    """Who asks, for every service of these pages (the audit records it)."""
    return {"connection": connection, "user": request.user, "ip": client_ip(request)}


def _partner_saved(profile) -> str:
    if not profile.partner_id:
        return "Partner id cleared: orders are no longer prefixed."
    if profile.partner_eligible:
        return f"Partner id {profile.partner_id} saved: this account is eligible for its rebates."
    return (
        f"Partner id {profile.partner_id} saved, but the exchange says this account is not "
        "eligible for its rebates."
    )


@login_required
def referrals_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.referrals_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"referral-rewards-{pk}.csv")


@login_required
def rebates_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.rebates_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"partner-rebates-{pk}.csv")


# -- Broker page -------------------------------------------------------------------------------


@login_required
def broker(request, pk: int):
    connection = _connection(request, pk)
    return pages.broker_page(request, connection)


@login_required
def broker_live(request, pk: int):
    connection = _connection(request, pk)
    return render(request, "rewards/_broker_live.html", pages.broker_live_context(connection))


@login_required
@require_POST
def agent_code(request, pk: int):
    connection = _connection(request, pk)
    form = AgentCodeForm(request.POST)
    if not form.submitted(services.agent_code_set, **_who(request, connection)):
        return pages.broker_page(request, connection, agent_form=form)
    code = form.outcome.agent_code
    messages.success(request, f"Agent code {code} saved." if code else "Cleared.")
    return redirect("rewards:broker", pk=connection.pk)


@login_required
@require_POST
def customize(request, pk: int):
    connection = _connection(request, pk)
    form = CustomizeForm(request.POST)
    if not form.submitted(services.customization_set, **_who(request, connection)):
        return pages.broker_page(request, connection, customize_form=form)
    made = form.outcome
    messages.success(request, f"{made.email} now has customer id {made.customer_id}.")
    return redirect("rewards:broker", pk=connection.pk)


@login_required
@require_POST
def user_customize(request, pk: int):
    connection = _connection(request, pk)
    form = UserCustomizeForm(request.POST)
    if not form.submitted(services.user_customization_set, **_who(request, connection)):
        return pages.broker_page(request, connection, user_form=form)
    messages.success(request, f"Your customer id at this broker is {form.outcome.customer_id}.")
    return redirect("rewards:broker", pk=connection.pk)


@login_required
@require_POST
def export_start(request, pk: int):
    connection = _connection(request, pk)
    form = ExportForm(request.POST)
    if not form.submitted(services.export_start, **_who(request, connection)):
        return pages.broker_page(request, connection, export_form=form)
    messages.success(request, "The exchange is collecting the kickback history.")
    return redirect("rewards:broker", pk=connection.pk)


@login_required
def export_download(request, pk: int, eid: int):
    connection = _connection(request, pk)
    export = selectors.export_get_for_connection(connection=connection, eid=eid)
    if export.status != ExportStatus.READY:
        return HttpResponse(
            f"This export is {export.get_status_display().lower()}: there is no file to download.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(bytes(export.content), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
