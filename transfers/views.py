"""Sub-account transfer pages. Every URL is scoped by the master connection's ``pk``, fetched
through ``connection_get_for_user`` (404 for strangers, refused for keys that cannot transfer)
before anything else happens; runs and schedules are then looked up *within* that connection, so
a foreign id is a 404 too."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import TRANSFER, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from desk.money import plain
from transfers import history, schedules, selectors
from transfers.forms import AccountEmailForm, HistoryFilterForm, ScheduleForm, TransferForm
from transfers.recurrence import RecurrenceError

HISTORY_CSV_COLUMNS = ["time_utc", "from", "to", "asset", "qty"]


@login_required
def transfer_index(request):
    connections = selectors.transfer_connections_for_user(user=request.user)
    return render(request, "transfers/index.html", {"connections": connections})


@login_required
def subaccount_list(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    return render(
        request,
        "transfers/subaccounts.html",
        {
            "connection": connection,
            "subaccounts": selectors.subaccount_rows(connection=connection),
            "summary": selectors.spot_summary_for_connection(connection=connection),
            "failed_runs": selectors.failed_runs_recent(connection=connection),
            "recent_runs": selectors.recent_runs(connection=connection),
            "email_form": AccountEmailForm(initial={"account_email": connection.account_email}),
        },
    )


@login_required
@require_POST
def account_email_set(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    form = AccountEmailForm(request.POST)
    if form.is_valid():
        schedules.connection_set_account_email(
            connection=connection,
            email=form.cleaned_data["account_email"],
            user=request.user,
            ip=client_ip(request),
        )
        messages.success(request, "Master account email saved.")
    else:
        messages.error(request, "Email: " + "; ".join(form.errors.get("account_email", [])))
    return redirect("transfers:subaccounts", pk=connection.pk)


# --- transfer now -------------------------------------------------------------------------------
def _transfer_form(connection, data=None) -> TransferForm:
    balances = selectors.known_balances(connection=connection)
    return TransferForm(
        data,
        parties=selectors.party_choices(connection=connection),
        assets=selectors.asset_choices(balances=balances),
        balances=balances,
    )


@login_required
@recent_auth_required
def transfer_new(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    form = _transfer_form(connection, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not connection.account_email:
            form.add_error(None, "Set the master account's email first (sub-accounts page).")
        else:
            try:
                run = schedules.transfer_request(
                    connection=connection,
                    user=request.user,
                    ip=client_ip(request),
                    **form.service_kwargs(),
                )
            except schedules.TransferRequestConflict as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("transfers:run", pk=connection.pk, run_id=run.pk)
    return render(
        request,
        "transfers/transfer_form.html",
        {
            "connection": connection,
            "form": form,
            "balances": form.balances,
            "balances_json": selectors.balances_text(form.balances),
        },
    )


@login_required
def run_detail(request, pk: int, run_id: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    run = selectors.get_run_for_connection(connection=connection, run_id=run_id)
    return render(
        request,
        "transfers/run_detail.html",
        {
            "connection": connection,
            "run": run,
            "final": selectors.run_is_final(run),
            "can_retry": selectors.run_can_retry(run),
        },
    )


@login_required
def run_json(request, pk: int, run_id: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    run = selectors.get_run_for_connection(connection=connection, run_id=run_id)
    return JsonResponse(selectors.run_payload(run))


@login_required
@recent_auth_required
@require_POST
def run_retry(request, pk: int, run_id: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    run = selectors.get_run_for_connection(connection=connection, run_id=run_id)
    if not selectors.run_can_retry(run):
        messages.error(request, "Only a failed transfer can be retried.")
        return redirect("transfers:run", pk=connection.pk, run_id=run.pk)
    new = schedules.transfer_retry(run=run, user=request.user, ip=client_ip(request))
    messages.success(request, "Retrying as a new transfer.")
    return redirect("transfers:run", pk=connection.pk, run_id=new.pk)


# --- schedules ----------------------------------------------------------------------------------
def _schedule_form(connection, data=None, *, initial=None, extra_asset="", now=None):
    balances = selectors.known_balances(connection=connection)
    return ScheduleForm(
        data,
        initial=initial,
        parties=selectors.party_choices(connection=connection),
        assets=selectors.asset_choices(balances=balances, extra=extra_asset),
        now=now,
    )


@login_required
def schedule_list(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    rows = [
        (
            s,
            selectors.schedule_describe(s),
            selectors.amount_describe(s),
            selectors.schedule_zone_name(s),
        )
        for s in selectors.schedule_list(connection=connection)
    ]
    return render(request, "transfers/schedule_list.html", {"connection": connection, "rows": rows})


@login_required
@recent_auth_required
def schedule_create(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    now = timezone.now()  # one instant for the form's check and the stored next run
    form = _schedule_form(connection, request.POST if request.method == "POST" else None, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = schedules.schedule_create(
                connection=connection,
                user=request.user,
                ip=client_ip(request),
                now=now,
                **form.service_kwargs(),
            )
        except RecurrenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Schedule “{schedule.name}” created.")
            return redirect("transfers:schedule", pk=connection.pk, sid=schedule.pk)
    return render(
        request,
        "transfers/schedule_form.html",
        {"connection": connection, "form": form, "schedule": None},
    )


@login_required
@recent_auth_required
def schedule_edit(request, pk: int, sid: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    schedule = selectors.get_schedule_for_connection(connection=connection, sid=sid)
    now = timezone.now()
    form = _schedule_form(
        connection,
        request.POST if request.method == "POST" else None,
        initial=ScheduleForm.initial_for(schedule),
        extra_asset=schedule.asset,
        now=now,
    )
    if request.method == "POST" and form.is_valid():
        try:
            schedules.schedule_update(
                schedule=schedule,
                user=request.user,
                ip=client_ip(request),
                now=now,
                **form.service_kwargs(),
            )
        except RecurrenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Schedule saved.")
            return redirect("transfers:schedule", pk=connection.pk, sid=schedule.pk)
    return render(
        request,
        "transfers/schedule_form.html",
        {"connection": connection, "form": form, "schedule": schedule},
    )


@login_required
def schedule_detail(request, pk: int, sid: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    schedule = selectors.get_schedule_for_connection(connection=connection, sid=sid)
    return render(
        request,
        "transfers/schedule_detail.html",
        {
            "connection": connection,
            "schedule": schedule,
            "zone": selectors.schedule_zone_name(schedule),
            "rule": selectors.schedule_describe(schedule),
            "amount_text": selectors.amount_describe(schedule),
            "upcoming": selectors.schedule_upcoming(schedule=schedule),
            "runs": selectors.schedule_runs(schedule=schedule),
        },
    )


@login_required
@require_POST
def schedule_pause(request, pk: int, sid: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    schedule = selectors.get_schedule_for_connection(connection=connection, sid=sid)
    try:
        schedules.schedule_set_paused(
            schedule=schedule,
            paused=not schedule.is_paused,
            user=request.user,
            ip=client_ip(request),
        )
    except RecurrenceError as exc:
        messages.error(request, f"Not resumed: {exc}. Edit the schedule first.")
    else:
        messages.success(request, "Schedule paused." if schedule.is_paused else "Schedule resumed.")
    return redirect("transfers:schedule", pk=connection.pk, sid=schedule.pk)


@login_required
@require_POST
def schedule_delete(request, pk: int, sid: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    schedule = selectors.get_schedule_for_connection(connection=connection, sid=sid)
    schedules.schedule_delete(schedule=schedule, user=request.user, ip=client_ip(request))
    messages.success(request, "Schedule deleted.")
    return redirect("transfers:schedules", pk=connection.pk)


# --- history ------------------------------------------------------------------------------------
def _history_filters(request, connection) -> HistoryFilterForm:
    form = HistoryFilterForm(
        request.GET or None,
        emails=list(
            selectors.subaccount_rows(connection=connection).values_list("email", flat=True)
        ),
        assets=selectors.history_assets(connection=connection),
    )
    form.is_valid()
    return form


def _filters_refused(form: HistoryFilterForm) -> bool:
    return form.is_bound and not form.is_valid()


@login_required
def history_list(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    form = _history_filters(request, connection)
    refused = _filters_refused(form)
    # Refused, not dropped: a dropped filter would list every record as if it were the answer.
    records = (
        [] if refused else selectors.history_records(connection=connection, filters=form.filters())
    )
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "transfers/history.html",
        {
            "connection": connection,
            "form": form,
            "refused": refused,
            "page": page,
            "query": query.urlencode(),
            "cursor": selectors.history_cursor(connection=connection),
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def history_csv(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    form = _history_filters(request, connection)
    if _filters_refused(form):
        # Never a wider export than asked for: a bad filter is refused, not dropped.
        return HttpResponseBadRequest(
            f"Filter not applied: {form.problems()}", content_type="text/plain; charset=utf-8"
        )
    records = selectors.history_records(connection=connection, filters=form.filters()).iterator()
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(HISTORY_CSV_COLUMNS)
        for r in records:
            yield writer.writerow(
                [r.time.isoformat(), r.from_email, r.to_email, r.asset, plain(r.qty)]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="transfers-{connection.pk}-history.csv"'
    )
    return response


@login_required
@require_POST
def history_sync(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    history.transfer_history_request_sync(connection=connection)
    messages.success(request, "Transfer history is being synced.")
    return redirect("transfers:history", pk=connection.pk)
