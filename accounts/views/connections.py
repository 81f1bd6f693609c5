from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.access import TRANSFER, connection_get_for_user
from accounts.decorators import recent_auth_required
from accounts.forms import ConnectionCreateForm, ConnectionRenameForm, KeyPairForm
from accounts.selectors import balance_list, connection_list_for_user, subaccount_list
from accounts.throttle import client_ip

SECRET_FIELDS = ("api_key", "api_secret")


@login_required
def connection_list(request):
    connections = connection_list_for_user(user=request.user)
    return render(request, "accounts/connection_list.html", {"connections": connections})


@login_required
@recent_auth_required
@sensitive_post_parameters(*SECRET_FIELDS)
def connection_create(request):
    form = ConnectionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(
                user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except services.ConnectionInputError as exc:
            _add_errors(form, exc)
        except services.ConnectionVerificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Connection “{connection.label}” verified and saved.")
            return redirect("accounts:detail", pk=connection.pk)
    return render(request, "accounts/connection_form.html", {"form": form})


def _add_errors(form, exc: services.ConnectionInputError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _detail_page(request, connection, *, rename_form=None, status=200):
    return render(
        request,
        "accounts/connection_detail.html",
        {
            "connection": connection,
            "balances": balance_list(connection=connection),
            "subaccounts": subaccount_list(connection=connection),
            "rename_form": rename_form or ConnectionRenameForm(initial={"label": connection.label}),
        },
        status=status,
    )


@login_required
def connection_detail(request, pk: int):
    return _detail_page(request, connection_get_for_user(user=request.user, pk=pk))


@login_required
@require_POST
def connection_rename(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk)
    form = ConnectionRenameForm(request.POST)
    if form.is_valid():
        try:
            services.connection_rename(
                connection=connection, label=form.cleaned_data["label"], ip=client_ip(request)
            )
        except services.ConnectionInputError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Connection renamed.")
            return redirect("accounts:detail", pk=connection.pk)
    # The page again, with the label as typed and what is wrong with it next to the field.
    return _detail_page(request, connection, rename_form=form, status=400)


@login_required
@recent_auth_required
@sensitive_post_parameters(*SECRET_FIELDS)
def connection_replace_keys(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk)
    form = KeyPairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_replace_keys(
                connection=connection, ip=client_ip(request), **form.cleaned_data
            )
        except services.ConnectionInputError as exc:
            _add_errors(form, exc)
        except services.ConnectionVerificationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "New keys verified and saved.")
            return redirect("accounts:detail", pk=connection.pk)
    return render(
        request, "accounts/connection_keys.html", {"form": form, "connection": connection}
    )


@login_required
@require_POST
def connection_toggle(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk)
    services.connection_set_active(
        connection=connection, active=not connection.is_active, ip=client_ip(request)
    )
    messages.success(request, "Connection enabled." if connection.is_active else "Disabled.")
    return redirect("accounts:detail", pk=connection.pk)


@login_required
@require_POST
def connection_refresh_subaccounts(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk, capability=TRANSFER)
    services.subaccounts_request_sync(connection=connection)
    messages.success(request, "Sub-accounts are being refreshed.")
    return redirect("accounts:detail", pk=connection.pk)


@login_required
@require_POST
def connection_delete(request, pk: int):
    connection = connection_get_for_user(user=request.user, pk=pk)
    services.connection_delete(connection=connection, ip=client_ip(request))
    messages.success(request, "Connection deleted.")
    return redirect("accounts:list")
