"""Error pages. A ``CapabilityRefused`` is a 404 like any other, but says which key type the
connection has and what it cannot do (as JSON to the pages' scripts); every other 404 is
Django's own page."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from accounts.access import CapabilityRefused


def page_not_found(request, exception):
    if not isinstance(exception, CapabilityRefused):
        return defaults.page_not_found(request, exception)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": False, "message": exception.message}, status=404)
    context = {"connection": exception.connection, "message": exception.message}
    return render(request, "accounts/capability_refused.html", context, status=404)
