from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.twofactor import auth_is_fresh


def recent_auth_required(view):
    """Sensitive actions (keys, transfers, withdrawals, schedules) want a password or 2FA check
    from the last few minutes; older sessions confirm again first and come back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not auth_is_fresh(request.session):
            target = request.get_full_path() if request.method == "GET" else _referer(request)
            return redirect(f"{reverse('reauth')}?{urlencode({'next': target})}")
        return view(request, *args, **kwargs)

    return wrapper


def _referer(request) -> str:
    """Where a stale POST came from: the form to return to (a POST-only URL cannot be GET)."""
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return "/"
