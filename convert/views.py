"""The Convert (OTC) and Dust tabs. Every URL is scoped by the connection's ``pk``, fetched
through ``connection_get_for_user`` with the ``CONVERT`` capability (404 for strangers and for
other key types); quotes and conversions are then looked up within that connection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import CONVERT, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from convert import exports, pages, reads, selectors, services
from convert.forms import AcceptForm, DustForm, QuoteForm
from convert.sending import dust_payload, otc_payload
from desk.lists import csv_download
from desk.money import plain


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CONVERT)


# -- OTC ---------------------------------------------------------------------------------------


@login_required
def index(request, pk: int):
    connection = _connection(request, pk)
    quote = None
    if request.GET.get("quote", "").isdigit():
        quote = selectors.quote_get_for_connection(
            connection=connection, pk=int(request.GET["quote"])
        )
    return pages.convert_page(request, connection, quote=quote)


@login_required
@require_POST
def quote(request, pk: int):
    """Asking a quote moves nothing, so it needs no fresh sign-in; accepting it does."""
    connection = _connection(request, pk)
    pairs = reads.coin_pairs(connection=connection)
    form = QuoteForm(request.POST, coins=[] if pairs.error else pages.coins_of(pairs.value))
    if not form.submitted(services.quote_request, connection=connection):
        return pages.convert_page(request, connection, form=form)
    return redirect(f"{reverse('convert:index', args=[connection.pk])}?quote={form.outcome.pk}")


@login_required
@recent_auth_required
@require_POST
def accept(request, pk: int):
    connection = _connection(request, pk)
    form = AcceptForm(request.POST)
    if not form.submitted(services.conversion_accept, **_who(request, connection)):
        # The quote shown again is the one asked for, once it is a valid id (never raw input).
        asked = form.cleaned_data.get("quote_id")  # submitted() cleaned the form
        quote = connection.otc_quotes.filter(quote_id=asked).first() if asked else None
        return pages.convert_page(request, connection, quote=quote, accept_form=form)
    made = form.outcome
    messages.success(
        request,
        f"Converting {plain(made.from_amount)} {made.from_coin} into "
        f"{plain(made.to_amount)} {made.to_coin}: the order is followed below.",
    )
    return redirect("convert:index", pk=connection.pk)


def _who(request, connection) -> dict:
    """Who asks, for the services that move money (the audit records it)."""
    return {"connection": connection, "user": request.user, "ip": client_ip(request)}


@login_required
def live(request, pk: int):
    """The live part alone, for the page's script after a push."""
    connection = _connection(request, pk)
    return render(request, "convert/_live.html", pages.convert_live_context(connection))


@login_required
def conversion_json(request, pk: int, cid: int):
    connection = _connection(request, pk)
    found = selectors.conversion_get_for_connection(connection=connection, cid=cid)
    return JsonResponse(otc_payload(found))


@login_required
def export(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.otc_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"otc-conversions-{pk}.csv")


# -- dust --------------------------------------------------------------------------------------


@login_required
def dust(request, pk: int):
    connection = _connection(request, pk)
    return pages.dust_page(request, connection, to_asset=pages.dust_target(request))


@login_required
@recent_auth_required
@require_POST
def dust_convert(request, pk: int):
    connection = _connection(request, pk)
    to_asset = pages.dust_target(request)
    read = reads.dust_assets(connection=connection, to_asset=to_asset)
    form = DustForm(
        request.POST, assets=[] if read.error else [a.from_asset for a in read.value.assets]
    )
    if not form.submitted(services.dust_request, **_who(request, connection)):
        return pages.dust_page(request, connection, to_asset=to_asset, form=form)
    made = form.outcome
    messages.success(request, f"Converting {', '.join(made.from_assets)} into {made.to_asset}.")
    return redirect(f"{reverse('convert:dust', args=[connection.pk])}?to={to_asset}")


@login_required
def dust_live(request, pk: int):
    connection = _connection(request, pk)
    return render(request, "convert/_dust_live.html", pages.dust_live_context(connection))


@login_required
def dust_assets(request, pk: int):
    """The convertible assets and the form, for the page's script once a conversion ended."""
    connection = _connection(request, pk)
    context = pages.dust_assets_context(connection, pages.dust_target(request))
    return render(request, "convert/_dust_assets.html", context)


@login_required
def dust_json(request, pk: int, did: int):
    connection = _connection(request, pk)
    found = selectors.dust_get_for_connection(connection=connection, did=did)
    return JsonResponse(dust_payload(found))


@login_required
def dust_export(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.dust_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"dust-conversions-{pk}.csv")
