from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import TRADE, connection_can
from accounts.models import ExchangeConnection
from accounts.services import connection_request_sync
from accounts.throttle import client_ip
from dashboard import activity, history
from dashboard.activity_export import CSV_COLUMNS, activity_export, csv_row
from dashboard.attention import attention_items
from dashboard.forms import FIELDS as FILTER_FIELDS
from dashboard.forms import ActivityForm
from dashboard.portfolio import portfolio, portfolio_payload
from dashboard.selectors import dashboard_data
from desk.db.sql import row_key
from desk.lists import csv_download
from trading.market.keys import SYMBOL_RE
from trading.selectors import default_symbol, market_symbols


def _connection_pk(raw: str | None) -> int | None:
    """The ``connection`` parameter as an id; empty means the first connection."""
    if not raw:
        return None
    key = row_key(raw)
    if key is None:
        raise Http404("No such connection.")
    return key


@login_required
def home(request):
    data = dashboard_data(
        user=request.user, connection_pk=_connection_pk(request.GET.get("connection"))
    )
    if data.connection:
        connection_request_sync(connection=data.connection)
    symbol = (request.GET.get("symbol") or default_symbol()).upper()
    if not SYMBOL_RE.fullmatch(symbol):  # match() would let a trailing newline through
        raise Http404("No such symbol.")
    held = portfolio(user=request.user)
    context = {
        "data": data,
        "symbol": symbol,
        "symbols": market_symbols() or [symbol],
        "portfolio": held,
        "portfolio_payload": portfolio_payload(held),
        "attention": attention_items(user=request.user),
        # Whose sockets the card follows: the connections that can have orders.
        "attention_connections": [c.pk for c in held.connections if connection_can(c, TRADE)],
        "value_ranges": list(history.RANGES),
    }
    return render(request, "dashboard/home.html", context)


@login_required
@require_GET
def attention(request):
    """The "Needs attention" list again, for the dashboard's script to swap in."""
    context = {"attention": attention_items(user=request.user)}
    return render(request, "dashboard/_attention_list.html", context)


@login_required
@require_GET
def portfolio_history(request):
    """The signed-in user's total over one of the chart's ranges: [[ms, "usd"], ...]."""
    span = request.GET.get("range", "24h")
    if span not in history.RANGES:
        choices = ", ".join(history.RANGES)
        return JsonResponse({"errors": {"range": [f"Choose one of {choices}."]}}, status=400)
    points = history.series(user=request.user, span=span)
    estimated = [at for at, _total, guess in points if guess]
    return JsonResponse(
        {
            "range": span,
            "points": [[_ms(at), total] for at, total, _guess in points],
            # Points up to here were worked out from the history, not taken (dashboard.backfill).
            "estimatedUntil": _ms(max(estimated)) if estimated else None,
        }
    )


def _ms(at) -> int:
    return int(at.timestamp() * 1000)


def _activity_form(request) -> ActivityForm:
    connections = ExchangeConnection.objects.filter(user=request.user).order_by("label", "pk")
    asked = any(name in request.GET for name in (*FILTER_FIELDS, "before"))
    form = ActivityForm(request.GET if asked else None, connections=connections)
    form.is_valid()
    return form


@login_required
@require_GET
def activity_feed(request):
    """Every connection's fills, transfers, deposits, withdrawals, stakes, rewards and
    conversions in one feed, newest first, a page at a time."""
    form = _activity_form(request)
    refused = form.is_bound and not form.is_valid()
    page = None if refused else activity.activity_page(filters=form.filters(), before=form.cursor())
    query = urlencode([(k, v) for k, v in request.GET.items() if k in FILTER_FIELDS and v])
    labels = dict(form.fields["connection"].choices)
    context = {
        "form": form,
        "refused": refused,
        "page": page,
        "rows": [(e, labels.get(e.connection_id, "")) for e in page.entries] if page else [],
        "query": query,
        "paged": not refused and form.cursor() is not None,
    }
    return render(request, "dashboard/activity.html", context, status=400 if refused else 200)


@login_required
@require_GET
def activity_csv(request):
    form = _activity_form(request)
    if form.is_bound and not form.is_valid():
        # Never a wider export than asked for: a bad filter is refused, not dropped.
        return HttpResponseBadRequest(
            f"Filter not applied: {form.problems()}", content_type="text/plain; charset=utf-8"
        )
    entries = activity_export(user=request.user, form=form, ip=client_ip(request))
    labels = dict(form.fields["connection"].choices)
    return csv_download(
        entries,
        columns=CSV_COLUMNS,
        row=lambda e: csv_row(e, labels),
        filename="activity.csv",
    )
