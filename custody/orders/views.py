"""The Custody tab's custodial orders. Every URL is scoped by the connection's ``pk``, fetched
through ``connection_get_for_user`` with the ``CUSTODY`` capability (404 for strangers and
other key types); orders are then looked up within that connection. The ticket's script posts
and reads JSON (as the trading ticket's does); a form the browser posts itself gets the page
back with its errors, or a redirect with a message. Orders need a signed-in session, not a
fresh sign-in: as on the trading ticket, an order moves nothing out of the account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import CUSTODY, connection_get_for_user
from accounts.throttle import client_ip
from custody import pages
from custody.orders import checks, exports, selectors, services
from custody.orders.forms import CustodialTicketForm, new_request_key
from custody.orders.sending import order_payload
from desk.lists import csv_download
from desk.problems import Refused
from trading.orders.checks import problem_errors


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CUSTODY)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _errors(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


@login_required
@require_POST
def order_check(request, pk: int):
    """The ticket's live validation: form rules, then the filters and the custodial balance."""
    connection = _connection(request, pk)
    form = CustodialTicketForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "errors": _errors(form), "confirm": None})
    result = checks.order_check(
        connection=connection,
        request=form.to_request(),
        express=form.cleaned_data["allow_express_trade"],
    )
    return JsonResponse(
        {
            "ok": not result.problems,
            "errors": problem_errors(result.problems, form.fields),
            "notional": None if result.notional is None else str(result.notional),
            "confirm": None,
            "unavailable": result.unavailable,
        }
    )


@login_required
@require_POST
def order_place(request, pk: int):
    connection = _connection(request, pk)
    form = CustodialTicketForm(request.POST)
    if form.is_valid():
        try:
            order = services.order_request(
                connection=connection, user=request.user, ip=client_ip(request),
                **form.service_kwargs(),
            )  # fmt: skip
        except Refused as exc:
            form.add_problems(exc.problems)
        else:
            return _placed(request, connection, order)
    if _wants_json(request):
        summary = "; ".join(" ".join(v) for v in _errors(form).values())
        doc = {"ok": False, "errors": _errors(form), "message": f"Not placed: {summary}"}
        return JsonResponse(doc)  # a refused form is answered with 200, as the desk's others
    return pages.custody_page(request, connection, refused={"ticket_form": form})


def _placed(request, connection, order):
    text = f"Placing {order.side} {order.type} {order.symbol} from custodial funds."
    if _wants_json(request):
        doc = {"ok": True, "message": text, "custodialOrder": order_payload(order)}
        return JsonResponse({**doc, "nextClientOrderId": new_request_key()})
    messages.success(request, text)
    return redirect("custody:index", pk=connection.pk)


@login_required
@require_POST
def order_cancel(request, pk: int, oid: int):
    connection = _connection(request, pk)
    row = selectors.exchange_order_get(connection=connection, oid=oid)
    try:
        row = services.order_cancel(user=request.user, row=row, ip=client_ip(request))
    except services.OrderRefused as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(exc)})
        messages.error(request, str(exc))
        return redirect("custody:index", pk=connection.pk)
    text = f"Order {row.order_id} ({row.symbol}) is {row.status.lower() or 'gone'}."
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": text, "status": row.status})
    messages.success(request, text)
    return redirect("custody:index", pk=connection.pk)


@login_required
def order_json(request, pk: int, coid: int):
    connection = _connection(request, pk)
    return JsonResponse(order_payload(selectors.desk_order_get(connection=connection, coid=coid)))


@login_required
def orders_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.orders_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"custodial-orders-{pk}.csv")


@login_required
def trades_csv(request, pk: int):
    connection = _connection(request, pk)
    columns, rows = exports.trades_export(
        user=request.user, connection=connection, ip=client_ip(request)
    )
    return csv_download(rows, columns=columns, row=list, filename=f"custodial-trades-{pk}.csv")
