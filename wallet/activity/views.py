"""The Wallet page: the coin/network table, a deposit address with its QR code, and the stored
deposits and withdrawals with filters, CSV and "sync now".

Every URL carries the connection's ``pk``, fetched through ``connection_get_for_user`` before
anything else (404 for strangers). The page's exchange reads go through ``reads`` (cached);
the histories are the database's, synced by Celery.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import connection_get_for_user
from accounts.throttle import client_ip
from desk.lists import csv_download
from wallet.activity import exports, planning, reads, selectors
from wallet.activity.forms import ActivityFilterForm, DepositAddressForm
from wallet.activity.qr import qr_svg
from wallet.activity.services import CAPABILITY, status_text

PAGE_SIZE = 50
FILTER_FIELDS = ("coin", "state", "since", "until")
# The page's own query parameters: the deposit picker's, the filters' and the two pagers'.
PAGERS = {"deposits": "dpage", "withdrawals": "wpage"}


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CAPABILITY)


def _filters(request, connection) -> ActivityFilterForm:
    asked = any(name in request.GET for name in FILTER_FIELDS)
    form = ActivityFilterForm(
        request.GET if asked else None, coins=selectors.activity_coins(connection=connection)
    )
    form.is_valid()
    return form


def _refused(form) -> bool:
    return form.is_bound and not form.is_valid()


def _tables(request, connection, form: ActivityFilterForm) -> dict:
    """The history tables' context: one page of deposits and one of withdrawals."""
    refused = _refused(form)
    filters = selectors.ActivityFilters() if refused else form.filters()
    tables = {}
    for name, kinds in (("deposits", selectors.DEPOSITS), ("withdrawals", selectors.WITHDRAWALS)):
        rows = selectors.activity_rows(connection=connection, filters=filters, kinds=kinds)
        page = Paginator(rows.none() if refused else rows, PAGE_SIZE).get_page(
            request.GET.get(PAGERS[name])
        )
        for row in page:
            row.status_label = status_text(row.kind, row.status)
        tables[name] = page
    syncs = list(selectors.activity_syncs(connection=connection).values())
    query = request.GET.copy()
    for pager in PAGERS.values():
        query.pop(pager, None)
    return {
        "form": form,
        "refused": refused,
        "tables": tables,
        "query": query.urlencode(),
        "filter_query": urlencode([(k, v) for k, v in request.GET.items() if k in FILTER_FIELDS]),
        "synced_at": min((s.synced_at for s in syncs if s.synced_at), default=None),
        "sync_errors": [s for s in syncs if s.last_error],
    }


def _deposit(request, connection, catalogue: reads.Catalogue) -> dict:
    asked = any(name in request.GET for name in DepositAddressForm.base_fields)
    form = DepositAddressForm(
        request.GET if asked else None,
        catalogue=catalogue,
        emails=selectors.subaccount_emails(connection=connection),
    )
    context: dict = {"deposit_form": form}
    if form.is_bound and form.is_valid():
        coin, network, email = form.picked()
        address = reads.deposit_address(
            connection=connection, coin=coin, network=network, email=email
        )
        net = catalogue.network(coin, network)
        context.update(
            address=address,
            address_coin=coin,
            address_network=net,
            address_account=email,
            needs_memo=bool(address.tag or (net and net.memo_regex)),
            qr=qr_svg(address.address) if address.address else "",
        )
    return context


@login_required
def wallet_index(request, pk: int):
    connection = _connection(request, pk)
    catalogue = reads.coin_catalogue(connection=connection)
    filters = _filters(request, connection)
    context = {
        "connection": connection,
        "catalogue": catalogue,
        **_deposit(request, connection, catalogue),
        **_tables(request, connection, filters),
    }
    deposit_form = context["deposit_form"]
    refused = context["refused"] or _refused(deposit_form)
    return render(request, "wallet/activity.html", context, status=400 if refused else 200)


@login_required
def activity_tables(request, pk: int):
    """The history tables alone, as the page shows them: its script swaps them in when a push
    says the histories were synced."""
    connection = _connection(request, pk)
    context = {
        "connection": connection,
        **_tables(request, connection, _filters(request, connection)),
    }
    return render(
        request, "wallet/_activity_tables.html", context, status=400 if context["refused"] else 200
    )


@login_required
@require_POST
def activity_sync(request, pk: int):
    """ "Sync now" (every coin), or, from the page's script when it saw a balance move
    (``trigger=balance``), the held coins at most once per few seconds."""
    connection = _connection(request, pk)
    if request.POST.get("trigger") == "balance":
        queued = planning.activity_balance_moved(connection=connection)
    else:
        queued = planning.activity_sync_now(connection=connection)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"queued": queued})
    if queued:
        messages.success(request, "Deposits and withdrawals are being synced.")
    else:
        messages.error(request, "Only an active exchange connection with working keys syncs.")
    return redirect("wallet:index", pk=connection.pk)


@login_required
def activity_csv(request, pk: int):
    connection = _connection(request, pk)
    form = _filters(request, connection)
    if _refused(form):
        # Never a wider export than asked for: a bad filter is refused, not dropped.
        return HttpResponseBadRequest(
            f"Filter not applied: {form.problems()}", content_type="text/plain; charset=utf-8"
        )
    columns, rows = exports.activity_export(
        user=request.user, connection=connection, filters=form.filters(), ip=client_ip(request)
    )
    return csv_download(
        rows, columns=columns, row=lambda r: r, filename=f"wallet-{connection.pk}-activity.csv"
    )
