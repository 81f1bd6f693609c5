"""What every trading form shares: one clear message per field (the first problem found: a
value "-1e3" is both negative and too long, and two messages about it confuse); a field with an
error is marked invalid (``aria-invalid``) and described by the element showing it
(``aria-describedby``); a bad choice is told without echoing what was sent (it may be 10,000
characters)."""

from __future__ import annotations

import copy
import functools

from django import forms

DJANGO_INVALID_CHOICE = forms.ChoiceField.default_error_messages["invalid_choice"]


def error_id(field: forms.BoundField) -> str:
    """The id of the element that shows ``field``'s error (``trading/_field.html`` uses it)."""
    return f"{field.auto_id}-error"


@functools.cache
def _name_bad_choices(form_class: type[forms.Form]) -> None:
    """Django's "Select a valid choice" made "<label>: choose one of the options.", in the
    class's own fields (each form copies them). Once per class: the message is translated
    lazily, and comparing it with Django's translated it again for every field of every form
    made (a quarter of a millisecond for the order ticket's)."""
    for name, field in form_class.base_fields.items():
        messages = field.error_messages
        if messages.get("invalid_choice") == DJANGO_INVALID_CHOICE:
            label = field.label or name.replace("_", " ").capitalize()
            messages["invalid_choice"] = f"{label}: choose one of the options."


class FixedChoiceField(forms.ChoiceField):
    """A choice field whose choices are fixed in its form's class: each form made shares them
    (the field's and its widget's) with the class, where Django deep-copies them, labels and
    all, and normalizes the widget's again, for every form (most of the cost of making the
    order ticket's form for each order). A form given other choices still replaces only its own
    (the ``choices`` setters make new lists); each form's widget has attributes of its own."""

    def __deepcopy__(self, memo):
        widget = copy.copy(self.widget)
        widget.attrs = self.widget.attrs.copy()
        memo[id(self.widget)] = widget  # what Field.__deepcopy__ then takes as the widget's copy
        return forms.Field.__deepcopy__(self, memo)


class FieldErrorsForm(forms.Form):
    # Whether the page always has each field's error element (a script fills it in), or
    # renders it only when there is an error.
    error_elements_always = True

    def __init__(self, *args, **kwargs):
        _name_bad_choices(type(self))
        super().__init__(*args, **kwargs)
        if self.error_elements_always:
            for name, field in self.fields.items():
                if not field.widget.is_hidden:
                    field.widget.attrs["aria-describedby"] = error_id(self[name])

    def full_clean(self):
        super().full_clean()
        for name, errors in self.errors.items():
            if name in self.fields:
                del errors[1:]
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = error_id(self[name])
