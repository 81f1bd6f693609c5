from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from trading.market.keys import SYMBOL_RE
from trading.selectors import market_symbols


@login_required
def market(request, symbol: str):
    symbol = symbol.upper()
    symbols = market_symbols()
    if not SYMBOL_RE.match(symbol) or (symbols and symbol not in symbols):
        raise Http404("No such symbol.")
    return render(request, "trading/market.html", {"symbol": symbol, "symbols": symbols})
