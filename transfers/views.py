"""Sub-account transfer pages. Every URL is scoped by the master connection's ``pk``, fetched
through ``connection_get_for_user`` (404 for strangers, refused for keys that cannot transfer)
before anything else happens; runs and schedules are then looked up *within* that connection, so
a foreign id is a 404 too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import TRANSFER, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from desk.lists import csv_download, page_of
from desk.money import plain
from transfers import history, schedules, selectors
from transfers.forms import AccountEmailForm, HistoryFilterForm, ScheduleForm, TransferForm
from transfers.recurrence import RecurrenceError

HISTORY_CSV_COLUMNS = ["time_utc", "from", "to", "asset", "qty"]


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)


def _run(request, pk: int, run_id: int):
    """(connection, run): the run is looked up within the connection, so a foreign id is a 404."""
    connection = _connection(request, pk)
    return connection, selectors.get_run_for_connection(connection=connection, run_id=run_id)


def _posted(request):
    """The submitted data, or None for a GET (an unbound form shows no errors)."""
    return request.POST if request.method == "POST" else None


def _page(request, name: str, connection, **context):
    """A transfers page: every one of them shows its connection (header, tabs, links)."""
    return render(request, f"transfers/{name}.html", {"connection": connection, **context})


def _schedule(request, pk: int, sid: int):
    """(connection, schedule), the schedule looked up within the connection like ``_run``."""
    connection = _connection(request, pk)
    return connection, selectors.get_schedule_for_connection(connection=connection, sid=sid)


@login_required
def transfer_index(request):
    connections = selectors.transfer_connections_for_user(user=request.user)
    return render(request, "transfers/index.html", {"connections": connections})


@login_required
def subaccount_list(request, pk: int):
    connection = _connection(request, pk)
    return _page(
        request,
        "subaccounts",
        connection,
        subaccounts=selectors.subaccount_rows(connection=connection),
        summary=selectors.spot_summary_for_connection(connection=connection),
        failed_runs=selectors.failed_runs_recent(connection=connection),
        recent_runs=selectors.recent_runs(connection=connection),
        email_form=AccountEmailForm(initial={"account_email": connection.account_email}),
    )


@login_required
@require_POST
def account_email_set(request, pk: int):
    connection = _connection(request, pk)
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
    connection = _connection(request, pk)
    form = _transfer_form(connection, _posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            run = schedules.transfer_request(
                connection=connection,
                user=request.user,
                ip=client_ip(request),
                **form.service_kwargs(),
            )
        except schedules.TransferRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("transfers:run", pk=connection.pk, run_id=run.pk)
    return _page(
        request,
        "transfer_form",
        connection,
        form=form,
        balances=form.balances,
        balances_json=selectors.balances_text(form.balances),
    )


@login_required
def run_detail(request, pk: int, run_id: int):
    connection, run = _run(request, pk, run_id)
    final, can_retry = selectors.run_is_final(run), selectors.run_can_retry(run)
    return _page(request, "run_detail", connection, run=run, final=final, can_retry=can_retry)


@login_required
def run_json(request, pk: int, run_id: int):
    _, run = _run(request, pk, run_id)
    return JsonResponse(selectors.run_payload(run))


@login_required
@recent_auth_required
@require_POST
def run_retry(request, pk: int, run_id: int):
    connection, run = _run(request, pk, run_id)
    try:
        new = schedules.transfer_retry(run=run, user=request.user, ip=client_ip(request))
    except schedules.RetryRefused as exc:
        messages.error(request, str(exc))
        return redirect("transfers:run", pk=connection.pk, run_id=run.pk)
    messages.success(request, "Retrying as a new transfer.")
    return redirect("transfers:run", pk=connection.pk, run_id=new.pk)


# --- schedules ----------------------------------------------------------------------------------
def _schedule_form(connection, data=None, *, schedule=None, now=None):
    """Editing, the form starts from ``schedule`` and offers its asset even if no balance has
    it any more."""
    balances = selectors.known_balances(connection=connection)
    extra = schedule.asset if schedule else ""
    return ScheduleForm(
        data,
        initial=ScheduleForm.initial_for(schedule) if schedule else None,
        parties=selectors.party_choices(connection=connection),
        assets=selectors.asset_choices(balances=balances, extra=extra),
        now=now,
    )


@login_required
def schedule_list(request, pk: int):
    connection = _connection(request, pk)
    rows = [
        (
            s,
            selectors.schedule_describe(s),
            selectors.amount_describe(s),
            selectors.schedule_zone_name(s),
        )
        for s in selectors.schedule_list(connection=connection)
    ]
    return _page(request, "schedule_list", connection, rows=rows)


@login_required
@recent_auth_required
def schedule_create(request, pk: int):
    return _schedule_form_page(request, _connection(request, pk))


@login_required
@recent_auth_required
def schedule_edit(request, pk: int, sid: int):
    return _schedule_form_page(request, *_schedule(request, pk, sid))


def _schedule_form_page(request, connection, schedule=None):
    """The form for a new schedule (``schedule`` None) or for editing one; once saved, the
    schedule's page."""
    now = timezone.now()  # one instant for the form's check and the stored next run
    form = _schedule_form(connection, _posted(request), schedule=schedule, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            saved, done = _schedule_save(request, connection, schedule, now, form.service_kwargs())
        except RecurrenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect("transfers:schedule", pk=connection.pk, sid=saved.pk)
    return _page(request, "schedule_form", connection, form=form, schedule=schedule)


def _schedule_save(request, connection, schedule, now, fields):
    """Create (``schedule`` None) or update: the schedule saved, and what to tell the user."""
    who = {"user": request.user, "ip": client_ip(request), "now": now}
    if schedule is None:
        saved = schedules.schedule_create(connection=connection, **who, **fields)
        return saved, f"Schedule “{saved.name}” created."
    return schedules.schedule_update(schedule=schedule, **who, **fields), "Schedule saved."


@login_required
def schedule_detail(request, pk: int, sid: int):
    connection, schedule = _schedule(request, pk, sid)
    return _page(
        request,
        "schedule_detail",
        connection,
        schedule=schedule,
        zone=selectors.schedule_zone_name(schedule),
        rule=selectors.schedule_describe(schedule),
        amount_text=selectors.amount_describe(schedule),
        upcoming=selectors.schedule_upcoming(schedule=schedule),
        runs=selectors.schedule_runs(schedule=schedule),
    )


@login_required
@require_POST
def schedule_pause(request, pk: int, sid: int):
    connection, schedule = _schedule(request, pk, sid)
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
    connection, schedule = _schedule(request, pk, sid)
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
    connection = _connection(request, pk)
    form = _history_filters(request, connection)
    refused = _filters_refused(form)
    # Refused, not dropped: a dropped filter would list every record as if it were the answer.
    records = (
        [] if refused else selectors.history_records(connection=connection, filters=form.filters())
    )
    page, query = page_of(request, records, 100)
    return _page(
        request,
        "history",
        connection,
        form=form,
        refused=refused,
        page=page,
        query=query,
        cursor=selectors.history_cursor(connection=connection),
    )


@login_required
def history_csv(request, pk: int):
    connection = _connection(request, pk)
    form = _history_filters(request, connection)
    if _filters_refused(form):
        # Never a wider export than asked for: a bad filter is refused, not dropped.
        return HttpResponseBadRequest(
            f"Filter not applied: {form.problems()}", content_type="text/plain; charset=utf-8"
        )
    records = selectors.history_records(connection=connection, filters=form.filters()).iterator()
    return csv_download(
        records,
        columns=HISTORY_CSV_COLUMNS,
        row=lambda r: [r.time.isoformat(), r.from_email, r.to_email, r.asset, plain(r.qty)],
        filename=f"transfers-{connection.pk}-history.csv",
    )


@login_required
@require_POST
def history_sync(request, pk: int):
    connection = _connection(request, pk)
    history.transfer_history_request_sync(connection=connection)
    messages.success(request, "Transfer history is being synced.")
    return redirect("transfers:history", pk=connection.pk)
