from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.twofactor import user_has_second_factor

# Reachable by a signed-in user whose second factor is still pending.
_ALWAYS_OPEN = ("/login/", "/logout/", "/account/password-reset/", "/static/")


class TwoFactorMiddleware:
    """Sends a signed-in user who has not passed their second factor to the code prompt, and a
    user without one to enrolment when ``DESK_REQUIRE_2FA`` is on. Runs after OTPMiddleware.

    Only the prompt is open to a pending session: enrolment is not, or a stolen password could
    enrol a new authenticator over the victim's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_ALWAYS_OPEN)
        ):
            verify, setup = reverse("twofactor-verify"), reverse("twofactor-setup")
            if user_has_second_factor(user):
                if request.path != verify:
                    return redirect(f"{verify}?next={request.get_full_path()}")
            elif settings.DESK_REQUIRE_2FA and request.path != setup:
                return redirect(setup)
        return self.get_response(request)
