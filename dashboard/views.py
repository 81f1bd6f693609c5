from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from accounts.services import connection_request_sync
from dashboard.selectors import dashboard_data
from trading.market.keys import SYMBOL_RE
from trading.selectors import default_symbol, market_symbols


@login_required
def home(request):
    connection_pk = request.GET.get("connection")
    if connection_pk is not None and not connection_pk.isdigit():
        raise Http404("No such connection.")
    data = dashboard_data(
        user=request.user, connection_pk=int(connection_pk) if connection_pk else None
    )
    if data.connection:
        connection_request_sync(connection=data.connection)
    symbol = request.GET.get("symbol", default_symbol()).upper()
    if not SYMBOL_RE.match(symbol):
        raise Http404("No such symbol.")
    return render(
        request,
        "dashboard/home.html",
        {"data": data, "symbol": symbol, "symbols": market_symbols() or [symbol]},
    )
