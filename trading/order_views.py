"""Order ticket, order actions and the orders page. Thin: validate, fetch the user's own
objects (404 for anyone else's), call one service, answer JSON to the ticket's script (or
redirect with a message when the browser posted the form itself)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

import binanceus
from accounts.services import connection_request_sync
from desk.money import plain
from trading.models import TradingPreference
from trading.orders import checks, selectors, services
from trading.orders.forms import (
    TYPE_FIELDS,
    OcoForm,
    OrderTicketForm,
    PreferenceForm,
    ReplaceForm,
)
from trading.orders.selectors import (
    get_order_for_user,
    get_order_list_for_user,
    get_trading_connection_for_user,
    order_list_payload,
    order_payload,
)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, pk: int) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("trading:orders", args=[pk])


def _reply(request, pk: int, payload: dict, *, status: int = 200) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(payload, status=status)
    level = messages.SUCCESS if status < 400 else messages.ERROR
    messages.add_message(request, level, payload.get("message") or "Done.")
    return redirect(_back(request, pk))


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def _problem_errors(problems: list[binanceus.FilterProblem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field or "__all__", []).append(p.message)
    return errors


def ticket_context(request: HttpRequest, symbol: str) -> dict:
    """What the market page needs for its order ticket, open orders and OCO form."""
    connection = selectors.ticket_connection(
        user=request.user, session=request.session, wanted=request.GET.get("connection")
    )
    context = {
        "trading_connections": selectors.trading_connections_for_user(user=request.user),
        "trading_connection": connection,
    }
    if connection is None:
        return context
    request.session[selectors.SESSION_KEY] = connection.pk
    connection_request_sync(connection=connection)
    opened = selectors.open_orders(connection=connection, symbol=symbol)
    return {
        **context,
        "ticket_fields": {kind: sorted(names) for kind, names in TYPE_FIELDS.items()},
        "ticket_assets": checks.symbol_assets(connection=connection, symbol=symbol),
        "ticket_form": OrderTicketForm(
            symbol=symbol, initial={"client_order_id": binanceus.generate_client_order_id()}
        ),
        # Its own ids: the ticket on the same page has fields of the same names.
        "oco_form": OcoForm(
            symbol=symbol,
            initial={"list_client_order_id": binanceus.generate_client_order_id()},
            auto_id="oco_%s",
        ),
        "open_orders_data": [order_payload(o) for o in opened],
        "order_lists_data": [
            order_list_payload(x) for x in selectors.order_lists(connection=connection)
        ],
        "balances_ws": f"/ws/connections/{connection.pk}/",
    }


@login_required
def orders_page(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    connection_request_sync(connection=connection)
    return render(
        request,
        "trading/orders.html",
        {
            "connection": connection,
            "open_orders_data": [
                order_payload(o) for o in selectors.open_orders(connection=connection)
            ],
            "recent_orders": selectors.recent_orders(connection=connection),
            "order_lists_data": [
                order_list_payload(x) for x in selectors.order_lists(connection=connection)
            ],
            "trades": selectors.recent_trades(connection=connection),
            "preference_form": PreferenceForm(
                initial=_pref_initial(selectors.trading_preference(user=request.user))
            ),
        },
    )


def _pref_initial(pref: TradingPreference) -> dict:
    # Plain text: the stored 18 places would show as 10000.000000000000000000, and saving the
    # form unchanged would then fail its own 8-place limit.
    return {
        "confirm_notional_over": plain(pref.confirm_notional_over),
        "confirm_balance_percent_over": plain(pref.confirm_balance_percent_over),
    }


@login_required
@require_POST
def preferences_save(request, pk: int):
    get_trading_connection_for_user(request.user, pk)
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return _reply(request, pk, {"ok": False, "errors": _form_errors(form)}, status=400)
    TradingPreference.objects.update_or_create(user=request.user, defaults=form.cleaned_data)
    return _reply(request, pk, {"ok": True, "message": "Confirmation thresholds saved."})


def _symbol(request: HttpRequest) -> str:
    return (request.POST.get("symbol") or "").upper()


@login_required
@require_POST
def order_check(request, pk: int):
    """The ticket's live validation: form rules, then the symbol's filters (debounced JS)."""
    connection = get_trading_connection_for_user(request.user, pk)
    form = OrderTicketForm(request.POST, symbol=_symbol(request))
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": _form_errors(form), "confirm": None})
    result = checks.ticket_check(
        user=request.user, connection=connection, request=form.to_request()
    )
    return JsonResponse(
        {
            "ok": not result.problems,
            "errors": _problem_errors(result.problems),
            "notional": None if result.notional is None else str(result.notional),
            "confirm": result.confirm_reason,
            "unavailable": result.unavailable,
        }
    )


@login_required
@require_POST
def order_test(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    form = OrderTicketForm(request.POST, symbol=_symbol(request))
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": _form_errors(form)}, status=400)
    verdict = services.order_test(
        user=request.user, connection=connection, request=form.to_request()
    )
    return JsonResponse(verdict)


@login_required
@require_POST
def order_place(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    form = OrderTicketForm(request.POST, symbol=_symbol(request))
    if not form.is_valid():
        return _reply(request, pk, {"ok": False, "errors": _form_errors(form)}, status=400)
    order_request = form.to_request()
    result = checks.ticket_check(user=request.user, connection=connection, request=order_request)
    if result.problems:
        errors = _problem_errors(result.problems)
        return _reply(request, pk, {"ok": False, "errors": errors}, status=400)
    if result.confirm_reason and not form.cleaned_data["confirm_large"]:
        errors = {"confirm_large": [result.confirm_reason + " Tick the box to confirm."]}
        payload = {"ok": False, "errors": errors, "confirm": result.confirm_reason}
        return _reply(request, pk, payload, status=400)
    order = services.order_place(
        user=request.user,
        connection=connection,
        client_order_id=form.cleaned_data["client_order_id"],
        request=order_request,
        ip=_ip(request),
    )
    return _order_reply(request, pk, order)


def _order_reply(request, pk: int, order) -> HttpResponse:
    payload = {
        "ok": order.status != "FAILED",
        "order": order_payload(order),
        "nextClientOrderId": binanceus.generate_client_order_id(),
        "message": _order_message(order),
    }
    return _reply(request, pk, payload, status=200 if payload["ok"] else 400)


def _order_message(order) -> str:
    if order.status == "FAILED" and order.error_code is not None:
        return f"Not placed. The exchange answered {order.error_code}: {order.error_message}"
    if order.status == "FAILED":
        return f"Not placed. {order.error_message}"
    if order.status == "UNKNOWN":
        return "No clear answer from the exchange: unknown — checking (it will not be re-sent)."
    return f"{order.side} {order.type} {order.symbol}: {order.get_status_display()}."


@login_required
@require_POST
def order_cancel(request, pk: int, order_pk: int):
    order = get_order_for_user(request.user, pk, order_pk)
    try:
        order = services.order_cancel(user=request.user, order=order, ip=_ip(request))
    except services.OrderActionFailed as exc:
        return _failed(request, pk, exc)
    return _reply(
        request,
        pk,
        {"ok": True, "order": order_payload(order), "message": f"Order {order.order_id} canceled."},
    )


def _failed(request, pk: int, exc: services.OrderActionFailed) -> HttpResponse:
    where = f"The exchange answered {exc.code}: " if exc.code is not None else ""
    return _reply(
        request, pk, {"ok": False, "code": exc.code, "message": where + exc.message}, status=400
    )


@login_required
@require_POST
def orders_cancel_all(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    symbol = _symbol(request)
    if not symbol:
        return _reply(request, pk, {"ok": False, "message": "Which symbol?"}, status=400)
    try:
        count = services.orders_cancel_all(
            user=request.user, connection=connection, symbol=symbol, ip=_ip(request)
        )
    except services.OrderActionFailed as exc:
        return _failed(request, pk, exc)
    return _reply(request, pk, {"ok": True, "message": f"Canceled {count} open {symbol} orders."})


@login_required
@require_POST
def order_replace(request, pk: int, order_pk: int):
    order = get_order_for_user(request.user, pk, order_pk)
    form = ReplaceForm(request.POST)
    if not form.is_valid():
        return _reply(request, pk, {"ok": False, "errors": _form_errors(form)}, status=400)
    try:
        outcome = services.order_replace(
            user=request.user,
            order=order,
            client_order_id=form.cleaned_data["client_order_id"],
            price=form.cleaned_data.get("price"),
            quantity=form.cleaned_data.get("quantity"),
            ip=_ip(request),
        )
    except services.OrderActionFailed as exc:
        return _failed(request, pk, exc)
    ok = outcome.canceled and outcome.new_order.status != "FAILED"
    payload = {
        "ok": ok,
        "canceled": outcome.canceled,
        "order": order_payload(outcome.new_order),
        "message": ("Replaced: " if ok else "Not replaced: ") + outcome.message,
    }
    return _reply(request, pk, payload, status=200 if ok else 400)


@login_required
@require_POST
def oco_place(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    form = OcoForm(request.POST, symbol=_symbol(request))
    if not form.is_valid():
        return _reply(request, pk, {"ok": False, "errors": _form_errors(form)}, status=400)
    row = services.oco_place(
        user=request.user,
        connection=connection,
        list_client_order_id=form.cleaned_data["list_client_order_id"],
        request=form.to_request(),
        ip=_ip(request),
    )
    ok = row.list_status_type != "FAILED"
    message = (
        f"OCO {row.symbol}: {row.list_status_type.lower().replace('_', ' ')}."
        if ok
        else f"OCO not placed. {row.error_code or ''} {row.error_message}".strip()
    )
    payload = {
        "ok": ok,
        "orderList": order_list_payload(row),
        "nextListClientOrderId": binanceus.generate_client_order_id(),
        "message": message,
    }
    return _reply(request, pk, payload, status=200 if ok else 400)


@login_required
@require_POST
def oco_cancel(request, pk: int, list_pk: int):
    order_list = get_order_list_for_user(request.user, pk, list_pk)
    try:
        row = services.oco_cancel(user=request.user, order_list=order_list, ip=_ip(request))
    except services.OrderActionFailed as exc:
        return _failed(request, pk, exc)
    return _reply(
        request,
        pk,
        {"ok": True, "orderList": order_list_payload(row), "message": "OCO canceled."},
    )


@login_required
def connections_json(request):
    """The user's trading connections: every page listens to their fills (toasts.js)."""
    rows = selectors.trading_connections_for_user(user=request.user)
    return JsonResponse({"connections": [{"pk": c.pk, "label": c.label} for c in rows]})


@login_required
def open_orders_json(request, pk: int):
    connection = get_trading_connection_for_user(request.user, pk)
    symbol = (request.GET.get("symbol") or "").upper() or None
    rows = selectors.open_orders(connection=connection, symbol=symbol)
    return JsonResponse({"orders": [order_payload(o) for o in rows]})
