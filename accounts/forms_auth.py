from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing to check passwords for a locked-out username or IP."""

    def clean(self):
        username = self.data.get("username", "")
        ip = throttle.client_ip(self.request) if self.request else None
        if not throttle.attempts_allowed(scope="login", username=username, ip=ip):
            raise forms.ValidationError(str(throttle.LockedOut()), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.attempt_failed(scope="login", username=username, ip=ip)
            raise
        throttle.attempt_succeeded(scope="login", username=username)
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app (or a backup code)",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ReauthForm(forms.Form):
    """Confirm it is still you: a 2FA code if you have one, else your password."""

    secret = forms.CharField(max_length=128, widget=forms.PasswordInput(attrs={"autofocus": True}))

    def __init__(self, *args, uses_token: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].label = (
            "Code from your authenticator app (or a backup code)" if uses_token else "Password"
        )
        if uses_token:
            self.fields["secret"].widget = forms.TextInput(
                attrs={"autocomplete": "one-time-code", "autofocus": True}
            )


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
