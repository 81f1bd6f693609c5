"""The Credit line tab. Every URL is scoped by the connection's ``pk``, fetched through
``connection_get_for_user`` with the ``CREDIT_LINE`` capability (404 for strangers and for
other key types)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import CREDIT_LINE, connection_get_for_user


def _connection(request, pk: int):
    return connection_get_for_user(user=request.user, pk=pk, capability=CREDIT_LINE)


@login_required
def index(request, pk: int):
    connection = _connection(request, pk)
    return render(request, "creditline/index.html", {"connection": connection})
