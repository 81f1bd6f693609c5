from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from accounts.access import TRADE, connection_get_for_user
from trading import order_views, selectors
from trading.market.keys import SYMBOL_RE

KLINE_INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")


def _symbol_or_404(symbol: str) -> str:
    symbol = symbol.upper()
    symbols = selectors.market_symbols()
    if not SYMBOL_RE.fullmatch(symbol) or (symbols and symbol not in symbols):
        raise Http404("No such symbol.")
    return symbol


@login_required
def overview(request):
    precisions = selectors.market_symbol_precisions()
    return render(
        request,
        "trading/markets.html",
        {"symbols": sorted(precisions), "precisions": precisions},
    )


@login_required
def market(request, symbol: str):
    return _market_page(request, _symbol_or_404(symbol))


@login_required
def connection_trade(request, pk: int):
    """The market page trading on connection ``pk`` (its Trade tab); ``?symbol=`` picks the
    market, the desk's default symbol otherwise."""
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRADE)
    symbol = _symbol_or_404(request.GET.get("symbol") or selectors.default_symbol())
    other = request.GET.get("connection")
    if other and other != str(pk):  # the ticket's connection picker: the market page picks
        query = urlencode({"connection": other})
        return redirect(f"{reverse('trading:market', args=[symbol])}?{query}")
    return _market_page(request, symbol, connection=connection)


def _market_page(request, symbol: str, *, connection=None):
    return render(
        request,
        "trading/market.html",
        {
            "symbol": symbol,
            "symbols": selectors.market_symbols(),
            **order_views.ticket_context(request, symbol, connection=connection),
        },
    )


@login_required
def klines(request, symbol: str):
    symbol = _symbol_or_404(symbol)
    interval = request.GET.get("interval", "1m")
    if interval not in KLINE_INTERVALS:
        return JsonResponse(
            {"error": f"interval must be one of {', '.join(KLINE_INTERVALS)}"}, status=400
        )
    try:
        limit = min(max(int(request.GET.get("limit", 500)), 1), 1000)
    except ValueError:
        return JsonResponse({"error": "limit must be a whole number"}, status=400)
    rows = selectors.market_klines(symbol=symbol, interval=interval, limit=limit)
    if rows is None:
        return JsonResponse({"error": "the exchange did not answer; try again"}, status=503)
    return JsonResponse({"symbol": symbol, "interval": interval, "klines": rows})


@login_required
def health(request):
    return render(request, "trading/health.html")


@login_required
def health_json(request):
    return JsonResponse(
        {**selectors.stream_health(), "wsApi": selectors.ws_api_sessions(user=request.user)}
    )
