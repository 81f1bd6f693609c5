"""Sign-in, second factor, re-authentication, sign-up and the security settings page."""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import throttle, twofactor
from accounts.decorators import recent_auth_required
from accounts.forms_auth import ReauthForm, SignupForm, ThrottledAuthenticationForm, TokenForm


def _next_url(request, default: str = "/") -> str:
    """Where to go after the check: a path of this site, or a URL of it (a stale POST's
    referer). Anything else, such as "-1" (which ``redirect()`` would take for a view name) or a
    control character, is the default."""
    target = request.POST.get("next") or request.GET.get("next") or default
    if (
        target.startswith(("/", "http://", "https://"))
        and target.isprintable()
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return default


def _throttled(request, form, scope: str, check, field: str) -> bool | None:
    """``check()`` through the brute-force throttle: True or False, or None (and the lockout
    message on ``field``) when this user or IP is locked out."""
    try:
        return throttle.throttled_check(
            scope=scope,
            username=request.user.get_username(),
            ip=throttle.client_ip(request),
            check=check,
        )
    except throttle.LockedOut as exc:
        form.add_error(field, str(exc))
        return None


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        twofactor.mark_fresh_auth(self.request.session)
        return response


@login_required
@sensitive_post_parameters("token")
def twofactor_verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        check = functools.partial(twofactor.second_factor_verify, request=request, token=token)
        passed = _throttled(request, form, "otp", check, "token")
        if passed:
            return redirect(_next_url(request))
        if passed is False:  # None: locked out, and already said so
            form.add_error("token", "That code is not valid. Check your device's clock.")
    return render(
        request, "accounts/twofactor_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
@recent_auth_required
@sensitive_post_parameters("token")
def twofactor_setup(request):
    device = twofactor.totp_device_start(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.totp_device_confirm(
            request=request, device=device, token=form.cleaned_data["token"]
        )
        if codes is not None:
            return render(request, "accounts/backup_codes.html", {"codes": codes})
        form.add_error("token", "That code is not valid. Scan the code again and retry.")
    return render(
        request,
        "accounts/twofactor_setup.html",
        {
            "form": form,
            "qr_svg": twofactor.totp_qr_svg(device),
            "manual_key": twofactor.totp_manual_key(device),
        },
    )


@login_required
@recent_auth_required
@require_POST
def twofactor_disable(request):
    try:
        twofactor.second_factor_remove(user=request.user)
    except twofactor.SecondFactorRequired as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Two-factor authentication is off.")
    return redirect("security")


@login_required
@recent_auth_required
@require_POST
def backup_codes_regenerate(request):
    codes = twofactor.backup_codes_generate(user=request.user)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@login_required
@sensitive_post_parameters("secret")
def reauth(request):
    uses_token = twofactor.user_has_second_factor(request.user)
    form = ReauthForm(request.POST or None, uses_token=uses_token)
    if request.method == "POST" and form.is_valid():
        secret = form.cleaned_data["secret"]

        def check():
            if uses_token:
                return twofactor.second_factor_verify(request=request, token=secret)
            return request.user.check_password(secret)

        passed = _throttled(request, form, "reauth", check, "secret")
        if passed:
            twofactor.mark_fresh_auth(request.session)
            return redirect(_next_url(request))
        if passed is False:  # None: locked out, and already said so
            wrong = "That code is not valid." if uses_token else "That password is not correct."
            form.add_error("secret", wrong)
    return render(request, "accounts/reauth.html", {"form": form, "next": _next_url(request)})


@login_required
def security(request):
    return render(
        request,
        "accounts/security.html",
        {
            "has_2fa": twofactor.user_has_second_factor(request.user),
            "require_2fa": settings.DESK_REQUIRE_2FA,
        },
    )


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if not settings.DESK_ALLOW_SIGNUP:
        raise Http404("Sign-up is disabled on this server.")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        auth_login(request, user, backend="accounts.backends.UserBackend")
        twofactor.mark_fresh_auth(request.session)
        return redirect("dashboard:home")
    return render(request, "registration/signup.html", {"form": form})
