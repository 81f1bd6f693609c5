"""Order ticket, order actions and the orders page. Thin: validate, fetch the user's own
objects (404 for anyone else's), call one service, answer JSON to the ticket's script (or
redirect with a message when the browser posted the form itself)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

import binanceus
from accounts.services import connection_request_sync
from desk.money import plain
from trading.models import TradingPreference
from trading.orders import checks, gate, selectors, services, transport
from trading.orders.forms import (
    TYPE_FIELDS,
    OcoForm,
    OrderTicketForm,
    PreferenceForm,
    ReplaceForm,
    SymbolForm,
    ticket_data_of,
)
from trading.orders.ids import client_order_id_for
from trading.orders.selectors import (
    get_order_for_user,
    get_order_list_for_user,
    order_list_payload,
    order_payload,
)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _connection(request, pk: int):
    return selectors.trading_connection_for_user(user=request.user, pk=pk)


def _order(request, pk: int, order_pk: int):
    return get_order_for_user(user=request.user, pk=pk, order_pk=order_pk)


def _order_list(request, pk: int, list_pk: int):
    return get_order_list_for_user(user=request.user, pk=pk, list_pk=list_pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, pk: int) -> str:
    """Where the form was: ``next`` or the referrer if it is a page of this site (a path or a
    URL of this host; never a view name, which ``redirect`` would try to reverse), else the
    connection's orders page."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    looks_like_url = target.startswith("/") or target.startswith(("http://", "https://"))
    if looks_like_url and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse("trading:orders", args=[pk])


def _reply(
    request, pk: int, payload: dict, *, status: int = 200, labels: dict | None = None
) -> HttpResponse:
    """JSON for the page's scripts. A form the browser posted itself gets its errors on a page
    of their own, each tied to its field (``labels``: field name -> label); any other answer
    is a message on the page it came from."""
    payload = _with_route(payload)
    if _wants_json(request):
        return JsonResponse(payload, status=status)
    if payload.get("errors"):
        context = {
            "message": payload.get("message") or "Not done.",
            "errors": _labeled(payload["errors"], labels or {}),
            "back": _back(request, pk),
        }
        return render(request, "trading/refused.html", context, status=status)
    level = messages.SUCCESS if status < 400 else messages.ERROR
    text = payload.get("message") or ("Done." if status < 400 else "Not done.")
    messages.add_message(request, level, text)
    return HttpResponseRedirect(_back(request, pk))


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def _labels(form_or_class) -> dict[str, str]:
    """Field name -> the label a person sees (hidden fields have none)."""
    fields = getattr(form_or_class, "fields", None) or form_or_class.base_fields
    return {n: str(f.label) for n, f in fields.items() if f.label and not f.widget.is_hidden}


def _labeled(errors: dict[str, list[str]], labels: dict[str, str]) -> list[tuple[str, str]]:
    """(field name, its errors in one line led by its label unless they already name it)."""
    out = []
    for name, texts in errors.items():
        label = labels.get(name, "")
        text = " ".join(texts)
        out.append((name, f"{label}: {text}" if label and label not in text else text))
    return out


def _invalid(request, pk: int, form, what: str, errors: dict | None = None, **extra):
    """``what`` did not happen and nothing was sent: every field's error, and one line saying so."""
    errors = _form_errors(form) if errors is None else errors
    labels = _labels(form)
    summary = "; ".join(text for _, text in _labeled(errors, labels))
    payload = {"ok": False, "errors": errors, "message": f"{what}: {summary}", **extra}
    return _reply(request, pk, payload, status=400, labels=labels)


class _Answered(Exception):
    """The request is answered before its view returns (``response``): a form that is not
    valid, or an action the service refused. Raised by the helpers below and answered by
    ``_posted``, so that each view reads as the one thing it does."""

    def __init__(self, response: HttpResponse):
        super().__init__()
        self.response = response


def _valid(request, pk: int, form_class, refused: str):
    """``form_class`` bound to the POST, valid; else every field's error and ``refused``
    (nothing was sent)."""
    form = form_class(request.POST)
    if not form.is_valid():
        raise _Answered(_invalid(request, pk, form, refused))
    return form


@contextmanager
def _refusals(request, pk: int, form=None) -> Iterator[None]:
    """An action the service refuses (``OrderActionFailed``) is answered with why; ``form``'s
    labels name the fields it blames."""
    try:
        yield
    except services.OrderActionFailed as exc:
        raise _Answered(_failed(request, pk, exc, form)) from exc


def _with_route(payload: dict) -> dict:
    """The message says which way the exchange was asked (and why REST, when the WebSocket API
    was chosen); ``via`` says it to the page's scripts."""
    route = transport.current()
    if route is None or not route.via:
        return payload
    message = " ".join(filter(None, [payload.get("message"), route.note()]))
    return {**payload, "message": message, "via": route.via, "fallback": route.fallback}


def _posted(target):
    """A view of a POST on ``target(request, pk, **ids)``: the user's connection, order or list,
    looked up before anything else, so anyone else's is a 404 whatever they post. The view gets
    (request, pk, object) and may end early through ``_valid`` and ``_refusals``."""

    def decorate(view):
        @login_required
        @require_POST
        @functools.wraps(view)
        def action(request, pk: int, **ids) -> HttpResponse:
            with transport.watched():
                try:
                    return view(request, pk, target(request, pk, **ids))
                except _Answered as answered:
                    return answered.response

        return action

    return decorate


def ticket_context(request: HttpRequest, symbol: str, *, connection=None) -> dict:
    """What the market page needs for its order ticket, open orders and OCO form: for
    ``connection`` (already fetched for this user and able to trade) or the one the user picks."""
    connection = connection or selectors.ticket_connection(
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
            initial={"symbol": symbol, "client_order_id": client_order_id_for(connection)}
        ),
        # Its own ids: the ticket on the same page has fields of the same names.
        "oco_form": OcoForm(
            initial={
                "symbol": symbol,
                "list_client_order_id": binanceus.generate_client_order_id(),
            },
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
    connection = _connection(request, pk)
    connection_request_sync(connection=connection)
    form = PreferenceForm(initial=_pref_initial(selectors.trading_preference(user=request.user)))
    return _orders_page(request, connection, form)


def _orders_page(request, connection, preference_form, *, status: int = 200) -> HttpResponse:
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
            "preference_form": preference_form,
        },
        status=status,
    )


def _pref_initial(pref: TradingPreference) -> dict:
    # Plain text: the stored 18 places would show as 10000.000000000000000000, and saving the
    # form unchanged would then fail its own 8-place limit.
    return {
        "confirm_notional_over": plain(pref.confirm_notional_over),
        "confirm_balance_percent_over": plain(pref.confirm_balance_percent_over),
        "order_transport": pref.order_transport,
    }


@_posted(_connection)
def preferences_save(request, pk: int, connection):
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return _preferences_invalid(request, pk, connection, form)
    gate.trading_preference_save(user=request.user, **form.cleaned_data)
    return _reply(request, pk, {"ok": True, "message": "Trading preferences saved."})


def _preferences_invalid(request, pk: int, connection, form) -> HttpResponse:
    if _wants_json(request):
        return _invalid(request, pk, form, "Not saved")
    # The page again, its form showing each field's error (a redirect would lose them).
    summary = "; ".join(text for _, text in _labeled(_form_errors(form), _labels(form)))
    messages.error(request, "Not saved: " + summary)
    return _orders_page(request, connection, form, status=400)


TICKET_FIELDS = frozenset(OrderTicketForm.base_fields)


@_posted(_connection)
def order_check(request, pk: int, connection):
    """The ticket's live validation: form rules, then the symbol's filters (debounced JS)."""
    form = OrderTicketForm(request.POST)
    if not form.is_valid():  # checked as it is typed: its errors are the answer, not a refusal
        return JsonResponse({"ok": False, "errors": _form_errors(form), "confirm": None})
    result = checks.ticket_check(
        user=request.user, connection=connection, request=form.to_request()
    )
    return JsonResponse(
        {
            "ok": not result.problems,
            "errors": checks.problem_errors(result.problems, TICKET_FIELDS),
            "notional": None if result.notional is None else str(result.notional),
            "confirm": result.confirm_reason,
            "unavailable": result.unavailable,
        }
    )


@_posted(_connection)
def order_test(request, pk: int, connection):
    form = _valid(request, pk, OrderTicketForm, "Not tested")
    verdict = services.order_test(
        user=request.user, connection=connection, request=form.to_request()
    )
    return JsonResponse(verdict)


@_posted(_connection)
def order_place(request, pk: int, connection):
    form = _valid(request, pk, OrderTicketForm, "Not placed")
    try:
        order = gate.order_place(
            user=request.user,
            connection=connection,
            client_order_id=form.cleaned_data["client_order_id"],
            request=form.to_request(),
            confirmed=form.cleaned_data["confirm_large"],
            ip=_ip(request),
        )
    except gate.OrderProblems as exc:
        errors = checks.problem_errors(exc.problems, TICKET_FIELDS)
        return _invalid(request, pk, form, "Not placed", errors)
    except gate.ConfirmationNeeded as exc:
        payload = {
            "ok": False,
            "errors": {"confirm_large": [exc.reason + " Tick the box to confirm."]},
            "confirm": exc.reason,
            "message": f"Not placed yet: {exc.reason} Tick “I confirm this large order”.",
        }
        return _reply(request, pk, payload, status=400, labels=_labels(form))
    return _order_reply(request, pk, order)


def _order_reply(request, pk: int, order) -> HttpResponse:
    payload = {
        "ok": order.status != "FAILED",
        "order": order_payload(order),
        "nextClientOrderId": client_order_id_for(order.connection),
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


@_posted(_order)
def order_cancel(request, pk: int, order):
    with _refusals(request, pk):
        order = services.order_cancel(user=request.user, order=order, ip=_ip(request))
    message = f"Order {order.order_id} canceled."
    return _reply(request, pk, {"ok": True, "order": order_payload(order), "message": message})


def _failed(request, pk: int, exc: services.OrderActionFailed, form=None) -> HttpResponse:
    if isinstance(exc, services.OrderNotSent):
        payload = {"ok": False, "errors": exc.errors, "message": exc.message}
        labels = _labels(form) if form is not None else None
        return _reply(request, pk, payload, status=400, labels=labels)
    where = f"The exchange answered {exc.code}: " if exc.code is not None else ""
    return _reply(
        request, pk, {"ok": False, "code": exc.code, "message": where + exc.message}, status=400
    )


@_posted(_connection)
def orders_cancel_all(request, pk: int, connection):
    symbol = _valid(request, pk, SymbolForm, "Nothing canceled").cleaned_data["symbol"]
    with _refusals(request, pk):
        count = services.orders_cancel_all(
            user=request.user, connection=connection, symbol=symbol, ip=_ip(request)
        )
    return _reply(request, pk, {"ok": True, "message": f"Canceled {count} open {symbol} orders."})


@_posted(_order)
def order_replace(request, pk: int, order):
    form = _valid(request, pk, ReplaceForm, "Not replaced, nothing was sent")
    # The form's fields: the new order's client id, and the new price and/or quantity.
    with _refusals(request, pk, form):
        outcome = services.order_replace(
            user=request.user, order=order, ip=_ip(request), **form.cleaned_data
        )
    payload = {
        "ok": outcome.replaced,
        "canceled": outcome.canceled,
        "order": order_payload(outcome.new_order),
        "message": _replace_message(outcome),
    }
    if outcome.original_lost:
        payload.update(_place_again(pk, order))
    return _reply(request, pk, payload, status=200 if outcome.replaced else 400)


def _replace_message(outcome: services.ReplaceOutcome) -> str:
    if outcome.replaced:
        return "Replaced: " + outcome.message
    if outcome.original_lost:  # says so itself, plainly
        return outcome.message
    return "Not replaced: " + outcome.message


def _place_again(pk: int, order) -> dict:
    """The lost original offered back: the ticket's own route, under a new client order id."""
    order.refresh_from_db()
    return {
        "replaced": order_payload(order),
        "placeAgain": {
            "url": reverse("trading:order-place", args=[pk]),
            "label": f"Place it again: {order.side} {order.type} {order.symbol}",
            "fields": ticket_data_of(order, client_order_id=client_order_id_for(order.connection)),
        },
    }


@_posted(_connection)
def oco_place(request, pk: int, connection):
    form = _valid(request, pk, OcoForm, "OCO not placed")
    with _refusals(request, pk, form):
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


@_posted(_order_list)
def oco_cancel(request, pk: int, order_list):
    with _refusals(request, pk):
        row = services.oco_cancel(user=request.user, order_list=order_list, ip=_ip(request))
    payload = {"ok": True, "orderList": order_list_payload(row), "message": "OCO canceled."}
    return _reply(request, pk, payload)


@login_required
def connections_json(request):
    """The user's trading connections: every page listens to their fills (toasts.js)."""
    rows = selectors.trading_connections_for_user(user=request.user)
    return JsonResponse({"connections": [{"pk": c.pk, "label": c.label} for c in rows]})


@login_required
def open_orders_json(request, pk: int):
    connection = _connection(request, pk)
    form = SymbolForm(request.GET, required=False)
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": _form_errors(form)}, status=400)
    rows = selectors.open_orders(connection=connection, symbol=form.cleaned_data["symbol"] or None)
    return JsonResponse({"orders": [order_payload(o) for o in rows]})
