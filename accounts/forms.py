from django import forms

from accounts.models import AuditOutcome, Environment, KeyType
from desk.forms import DateRangeMixin


def _ascii_token(value: str, name: str) -> str:
    if not value.isascii() or not value.isalnum():
        raise forms.ValidationError(f"{name} must contain only letters and digits.")
    return value


class _KeyInput(forms.TextInput):
    """Visible while typed, but never written back into the page: after a failed submit the
    key is entered again, like the secret (the app renders no credential)."""

    def format_value(self, value):
        return None


class KeyPairForm(forms.Form):
    api_key = forms.CharField(
        label="API key",
        max_length=128,
        strip=True,
        widget=_KeyInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # render_value=False: a secret is never written back into the page, even on a failed submit.
    api_secret = forms.CharField(
        label="Secret key",
        max_length=128,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def clean_api_key(self) -> str:
        return _ascii_token(self.cleaned_data["api_key"], "API key")

    def clean_api_secret(self) -> str:
        return _ascii_token(self.cleaned_data["api_secret"], "Secret key")


class ConnectionCreateForm(KeyPairForm):
    label = forms.CharField(max_length=100)
    key_type = forms.ChoiceField(choices=KeyType.choices, initial=KeyType.EXCHANGE)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    rail = forms.CharField(
        label="Custodian (rail)",
        max_length=40,
        required=False,
        help_text="Custodial Solution keys only: your custody partner's rail, e.g. ANCHORAGE.",
    )
    field_order = ["label", "key_type", "environment", "rail", "api_key", "api_secret"]

    # A label already in use and a key already stored are the service's rules
    # (accounts.services.connections): every entry point gets them, with the database's own
    # notion of "the same label".

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("key_type") != KeyType.CUSTODIAL:
            cleaned["rail"] = ""  # other key types have no rail: whatever was typed is unused
            self.errors.pop("rail", None)
        elif "rail" not in self.errors:  # else the field's own error (too long…) says it
            rail = cleaned.get("rail")
            if not rail:
                self.add_error("rail", "Custodial Solution keys need the custodian's rail.")
            elif not (rail.isascii() and rail.isalnum()):
                self.add_error("rail", "Custodian (rail) must contain only letters and digits.")
            else:
                # The exchange names partners in upper case (the client upper-cases it too).
                cleaned["rail"] = rail.upper()
        return cleaned


class ConnectionRenameForm(forms.Form):
    label = forms.CharField(max_length=100)


class AuditFilterForm(DateRangeMixin, forms.Form):
    range_error = "The end date is before the start date."

    action = forms.ChoiceField(required=False)
    outcome = forms.ChoiceField(
        required=False, choices=[("", "any outcome"), *AuditOutcome.choices]
    )
    connection = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions: list[str], connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "any action"), *((a, a) for a in actions)]
        self.fields["connection"].choices = [
            ("", "any connection"),
            *((c.pk, c.label) for c in connections),
        ]
