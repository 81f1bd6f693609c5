"""What the Convert and Dust tabs show: each page with its forms, and its live part (the
conversions and the balances they move) that the page's script swaps in after a push."""

from __future__ import annotations

from django.shortcuts import render

from accounts.exchange import server_clock
from convert import reads, selectors
from convert.forms import AcceptForm, DustForm, QuoteForm
from convert.reads import DUST_TARGETS

DEFAULT_DUST_TARGET = "BTC"


def coins_of(pairs) -> list[str]:
    return sorted({c for p in pairs for c in (p.from_coin, p.to_coin)})


def convert_live_context(connection) -> dict:
    """The conversions, and the balances of every coin they can move (the pairs are cached:
    this part is drawn again after each push)."""
    conversions = list(selectors.conversion_list(connection=connection)[: selectors.RECENT])
    pairs = reads.coin_pairs(connection=connection)
    coins = set() if pairs.error else set(coins_of(pairs.value))
    coins |= {c for conv in conversions for c in (conv.from_coin, conv.to_coin)}
    return {
        "connection": connection,
        "conversions": conversions,
        "balances": selectors.balances_of(connection=connection, assets=coins),
    }


def convert_page(request, connection, *, form=None, quote=None, accept_form=None):
    """The tab; with a refused form, shown with its errors and 200, as the desk's other refused
    forms are (the browser reports a 400 page as an error)."""
    pairs = reads.coin_pairs(connection=connection)
    coins = [] if pairs.error else coins_of(pairs.value)
    if quote is not None and accept_form is None:
        accept_form = AcceptForm(initial={"quote_id": quote.quote_id})
    context = {
        **convert_live_context(connection),
        "pairs": [] if pairs.error else pairs.value,
        "pairs_error": pairs.error,
        "form": form or QuoteForm(coins=coins, initial=_last_asked(quote)),
        "quote": quote,
        "accept_form": accept_form,
        # The exchange's clock: the quote's validity is on it, and it may run apart from ours.
        "exchange_now_ms": server_clock(connection.environment).now_ms(),
    }
    return render(request, "convert/index.html", context)


def _last_asked(quote) -> dict:
    if quote is None:
        return {"amount_in": "from"}
    side = "from" if quote.request_coin == quote.from_coin else "to"
    return {
        "from_coin": quote.from_coin,
        "to_coin": quote.to_coin,
        "request_amount": quote.request_amount,
        "amount_in": side,
    }


def dust_target(request) -> str:
    asked = (request.POST.get("to_asset") or request.GET.get("to") or "").upper()
    return asked if asked in DUST_TARGETS else DEFAULT_DUST_TARGET


def dust_assets_context(connection, to_asset: str, *, form=None) -> dict:
    settled = selectors.dust_settled_mark(connection=connection)  # before the read it dates
    dust = reads.dust_assets(connection=connection, to_asset=to_asset, settled=settled)
    assets = [] if dust.error else [a.from_asset for a in dust.value.assets]
    return {
        "assets_settled": settled,
        "connection": connection,
        "to_asset": to_asset,
        "targets": DUST_TARGETS,
        "dust": dust.value,
        "dust_error": dust.error,
        "form": form or DustForm(assets=assets, initial={"to_asset": to_asset}),
    }


def dust_live_context(connection) -> dict:
    return {
        "connection": connection,
        "dust_conversions": list(selectors.dust_list(connection=connection)[: selectors.RECENT]),
        "dust_settled": selectors.dust_settled_mark(connection=connection),
    }


def dust_page(request, connection, *, to_asset: str, form=None):
    context = {
        **dust_assets_context(connection, to_asset, form=form),
        **dust_live_context(connection),
    }
    return render(request, "convert/dust.html", context)
