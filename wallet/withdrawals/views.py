"""Withdrawal pages. Every URL is scoped by the connection's ``pk``, fetched through
``connection_get_for_user`` with the ``WITHDRAW`` capability (404 for strangers, refused for
keys that cannot withdraw) before anything else; addresses and withdrawals are then looked up
*within* that connection, so a foreign id is a 404 too. Adding an address and withdrawing want
a fresh sign-in check (``recent_auth_required``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import WITHDRAW, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.throttle import client_ip
from wallet.withdrawals import checks, selectors, services
from wallet.withdrawals.forms import AddressForm, WithdrawForm


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=WITHDRAW)


def _posted(request):
    """The submitted data, or None for a GET (an unbound form shows no errors)."""
    return request.POST if request.method == "POST" else None


def _page(request, name: str, connection, **context):
    return render(request, f"wallet/{name}.html", {"connection": connection, **context})


def _catalogue(connection) -> tuple[dict, str]:
    """The exchange's coin catalogue, or none and why."""
    try:
        return checks.coin_catalogue(connection=connection), ""
    except checks.WithdrawalProblems as exc:
        return {}, str(exc)


# --- address book -------------------------------------------------------------------------------
@login_required
def address_list(request, pk: int):
    connection = _connection(request, pk)
    entries = selectors.address_list(connection=connection)
    return _page(request, "address_list", connection, entries=entries)


@login_required
@recent_auth_required
def address_add(request, pk: int):
    connection = _connection(request, pk)
    catalogue, unavailable = _catalogue(connection)
    form = AddressForm(_posted(request), coins=checks.withdrawable_coins(catalogue))
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.address_add(
                connection=connection,
                user=request.user,
                ip=client_ip(request),
                **form.service_kwargs(),
            )
        except checks.WithdrawalProblems as exc:
            form.add_problems(exc.problems)
        else:
            when = entry.usable_from.strftime("%Y-%m-%d %H:%M UTC")
            messages.success(request, f"“{entry.label}” added; usable from {when}.")
            return redirect("wallet:addresses", pk=connection.pk)
    return _page(request, "address_form", connection, form=form, unavailable=unavailable)


@login_required
@require_POST
def address_delete(request, pk: int, aid: int):
    connection = _connection(request, pk)
    entry = selectors.address_get_for_connection(connection=connection, aid=aid)
    services.address_delete(entry=entry, user=request.user, ip=client_ip(request))
    messages.success(request, f"“{entry.label}” deleted.")
    return redirect("wallet:addresses", pk=connection.pk)


# --- withdrawals --------------------------------------------------------------------------------
@login_required
def withdrawal_list(request, pk: int):
    connection = _connection(request, pk)
    rows = selectors.withdrawal_list(connection=connection)
    return _page(request, "withdrawals", connection, withdrawals=rows)


@login_required
@recent_auth_required
def withdraw(request, pk: int):
    """The form; once it checks out, the confirmation step (posting to ``withdraw_confirm``)."""
    return _withdraw_step(request, pk, confirmed=False)


@login_required
@recent_auth_required
@require_POST
def withdraw_confirm(request, pk: int):
    """The confirmed form: checked again, then committed once; the withdrawal's page. If it no
    longer checks out (a balance moved, a switch went off), the form again with why."""
    return _withdraw_step(request, pk, confirmed=True)


def _withdraw_step(request, pk: int, *, confirmed: bool):
    connection = _connection(request, pk)
    catalogue, unavailable = _catalogue(connection)
    entries = selectors.address_list(connection=connection)
    coins = checks.withdrawable_coins(catalogue)
    form = WithdrawForm(_posted(request), coins=coins, entries=entries)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal = services.withdrawal_request(
                connection=connection,
                user=request.user,
                ip=client_ip(request),
                confirmed=confirmed,
                **form.service_kwargs(),
            )
        except services.ConfirmationNeeded as exc:
            return _page(request, "withdraw_confirm", connection, form=form, quote=exc.quote)
        except checks.WithdrawalProblems as exc:
            form.add_problems(exc.problems)
        except services.WithdrawalRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("wallet:withdrawal", pk=connection.pk, wid=withdrawal.pk)
    context = {
        "form": form,
        "unavailable": unavailable,
        "catalogue": selectors.withdraw_form_payload(catalogue=catalogue, entries=entries),
    }
    response = _page(request, "withdraw_form", connection, **context)
    if confirmed:  # the confirmation of something that no longer checks out
        response.status_code = 400
    return response


@login_required
def withdrawal_detail(request, pk: int, wid: int):
    connection = _connection(request, pk)
    withdrawal = selectors.withdrawal_get_for_connection(connection=connection, wid=wid)
    return _page(request, "withdrawal_detail", connection, withdrawal=withdrawal)


@login_required
def withdrawal_json(request, pk: int, wid: int):
    connection = _connection(request, pk)
    withdrawal = selectors.withdrawal_get_for_connection(connection=connection, wid=wid)
    return JsonResponse(selectors.withdrawal_payload(withdrawal))
