"""How a signed-in user is read on each request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.twofactor import user_with_second_factor


class UserBackend(ModelBackend):
    """Django's ModelBackend, whose read of the session's user also says whether the user has a
    confirmed second factor: the two-factor middleware asks that on every request of a user who
    has not passed one (every user without a device), which was a second query per request."""

    def get_user(self, user_id):
        user = user_with_second_factor(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
