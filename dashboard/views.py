from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import TRADE, connection_can
from accounts.services import connection_request_sync
from dashboard import history
from dashboard.attention import attention_items
from dashboard.portfolio import portfolio, portfolio_payload
from dashboard.selectors import dashboard_data
from trading.market.keys import SYMBOL_RE
from trading.selectors import default_symbol, market_symbols


def _connection_pk(raw: str | None) -> int | None:
    """The ``connection`` parameter as an id; empty means the first connection. ASCII digits
    only ("²" is a digit to str.isdigit() but not to int()), and no more than an id can have."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise Http404("No such connection.")
    return int(raw)


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
    return JsonResponse(
        {"range": span, "points": [[int(at.timestamp() * 1000), total] for at, total in points]}
    )
