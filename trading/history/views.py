"""Account history pages. Every URL carries the connection's ``pk``, fetched through
``connection_get_for_user`` (404 for strangers, refused for keys without trade history) before
anything else; nothing here talks to the exchange except the symbol check of the "sync symbol"
form (cached exchange symbols)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import HISTORY, connection_get_for_user, connection_list_with
from accounts.throttle import client_ip
from trading.history import exports, planning, selectors
from trading.history.forms import HistoryFilterForm, SyncSymbolForm
from trading.models import HistoryKind

PAGE_SIZE = 100
TABS = [
    (HistoryKind.TRADES, "history:trades", "Trades"),
    (HistoryKind.ORDERS, "history:orders", "Orders"),
    (HistoryKind.ORDER_LISTS, "history:order-lists", "OCO lists"),
    (HistoryKind.PREVENTED, "history:prevented", "Prevented matches"),
]
TAB_URLS = {url for _, url, _ in TABS}


@login_required
def history_index(request):
    connections = connection_list_with(user=request.user, capability=HISTORY)
    if len(connections) == 1:
        return redirect("history:trades", pk=connections[0].pk)
    return render(request, "trading/history_index.html", {"connections": connections})


def _filters(request, connection) -> HistoryFilterForm:
    form = HistoryFilterForm(
        request.GET or None, symbols=selectors.history_symbols(connection=connection)
    )
    form.is_valid()
    return form


def _active_filters(form: HistoryFilterForm) -> selectors.HistoryFilters:
    return form.filters() if form.is_bound and form.is_valid() else selectors.HistoryFilters()


@login_required
def history_list(request, pk: int, kind: str):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=HISTORY)
    return _history_page(request, connection, kind)


def _history_page(request, connection, kind: str, *, symbol_form=None, status: int = 200):
    """One tab of the history. A filter that is not valid shows its field's error and no rows
    (400): never more rows than asked for, as if the filter had been applied."""
    form = _filters(request, connection)
    refused = form.is_bound and not form.is_valid()
    rows = selectors.HISTORY_ROWS[kind](connection=connection, filters=_active_filters(form))
    page = Paginator(rows.none() if refused else rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "trading/history.html",
        {
            "connection": connection,
            "kind": kind,
            "tabs": TABS,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "syncs": selectors.history_syncs(connection=connection),
            "symbol_form": symbol_form or SyncSymbolForm(),
        },
        status=400 if refused else status,
    )


@login_required
def history_progress(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=HISTORY)
    return JsonResponse(selectors.history_progress_payload(connection=connection))


@login_required
@require_POST
def history_sync_now(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=HISTORY)
    if planning.history_sync_now(connection=connection):
        messages.success(request, "History sync queued.")
    else:
        messages.error(request, "Only an active exchange connection with working keys syncs.")
    tab = request.POST.get("tab")
    return redirect(tab if tab in TAB_URLS else "history:trades", pk=connection.pk)


@login_required
@require_POST
def history_symbol_add(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=HISTORY)
    form = SyncSymbolForm(request.POST, known=set(planning.exchange_symbol_pairs()))
    if not form.is_valid():
        # The page again with the form showing why (a redirect would lose the field's error).
        messages.error(request, "Symbol: " + " ".join(form.errors.get("symbol", [])))
        return _history_page(request, connection, HistoryKind.TRADES, symbol_form=form, status=400)
    symbol = form.cleaned_data["symbol"]
    planning.history_request_sync(connection=connection, symbols=[symbol])
    messages.success(request, f"{symbol} history will be synced.")
    return redirect("history:trades", pk=connection.pk)


def _export(request, pk: int, kind: str, name: str):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=HISTORY)
    form = _filters(request, connection)
    if form.is_bound and not form.is_valid():
        # Never a wider export than asked for: a bad filter is refused, not dropped.
        problems = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
        return HttpResponseBadRequest(f"Filter not applied: {problems}", content_type="text/plain")
    lines = exports.history_export(
        user=request.user,
        connection=connection,
        kind=kind,
        filters=_active_filters(form),
        ip=client_ip(request),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{connection.pk}.csv"'
    return response


@login_required
def trades_csv(request, pk: int):
    return _export(request, pk, HistoryKind.TRADES, "trades")


@login_required
def orders_csv(request, pk: int):
    return _export(request, pk, HistoryKind.ORDERS, "orders")
