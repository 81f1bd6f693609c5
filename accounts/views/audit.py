from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.forms import AuditFilterForm
from accounts.selectors import (
    AuditFilters,
    audit_actions_for_user,
    audit_records_for_user,
    connection_list_for_user,
)
from desk.lists import csv_download, page_of

CSV_COLUMNS = [
    "time_utc",
    "action",
    "outcome",
    "connection",
    "error_code",
    "error_message",
    "params",
    "exchange_ids",
    "ip",
]


def _filters(request) -> tuple[AuditFilterForm, AuditFilters | None]:
    """The filters from the query string; None (and the form's field errors) when any is
    invalid: a filter that cannot be applied must not quietly widen what is shown."""
    form = AuditFilterForm(
        request.GET or None,
        actions=audit_actions_for_user(user=request.user),
        connections=connection_list_for_user(user=request.user),
    )
    if not form.is_bound:
        return form, AuditFilters()
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    return form, AuditFilters(
        action=d["action"],
        outcome=d["outcome"],
        connection_id=d["connection"],
        since=d["since"],
        until=d["until"],
    )


def _list_page(request, form, records, *, status=200):
    page, query = page_of(request, records, 50)
    return render(
        request,
        "accounts/audit_list.html",
        {"form": form, "page": page, "query": query},
        status=status,
    )


@login_required
def audit_list(request):
    form, filters = _filters(request)
    if filters is None:
        return _list_page(request, form, [], status=400)
    return _list_page(request, form, audit_records_for_user(user=request.user, filters=filters))


@login_required
def audit_export(request):
    form, filters = _filters(request)
    if filters is None:  # the filter form with its errors, not a file
        return _list_page(request, form, [], status=400)
    records = audit_records_for_user(user=request.user, filters=filters).iterator()
    return csv_download(records, columns=CSV_COLUMNS, row=_csv_row, filename="audit-log.csv")


def _csv_row(r) -> list:
    return [
        r.created_at.isoformat(),
        r.action,
        r.outcome,
        r.connection_label,
        "" if r.error_code is None else r.error_code,
        r.error_message,
        _flat(r.params),
        _flat(r.exchange_ids),
        r.ip or "",
    ]


def _flat(d: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in d.items())
