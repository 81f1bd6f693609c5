from django import forms

from accounts.models import Environment, KeyType


class ConnectionCreateForm(forms.Form):
    label = forms.CharField(max_length=100)
    key_type = forms.ChoiceField(choices=KeyType.choices, initial=KeyType.EXCHANGE)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    api_key = forms.CharField(
        label="API key",
        max_length=128,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # render_value=False: a secret is never written back into the page, even on a failed submit.
    api_secret = forms.CharField(
        label="Secret key",
        max_length=128,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if self.user is not None and self.user.connections.filter(label=label).exists():
            raise forms.ValidationError("You already have a connection with this label.")
        return label

    def clean_api_key(self) -> str:
        return _ascii_token(self.cleaned_data["api_key"], "API key")

    def clean_api_secret(self) -> str:
        return _ascii_token(self.cleaned_data["api_secret"], "Secret key")


def _ascii_token(value: str, name: str) -> str:
    if not value.isascii() or not value.isalnum():
        raise forms.ValidationError(f"{name} must contain only letters and digits.")
    return value


class ConnectionRenameForm(forms.Form):
    label = forms.CharField(max_length=100)
