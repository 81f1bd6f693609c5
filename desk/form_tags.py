"""Template filters for the desk's server-rendered forms (``{% load desk_forms %}``)."""

from __future__ import annotations

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def described(field: BoundField):
    """The field's widget with every input tied to its help text and error message.

    Django 5.2 gives a single input ``aria-describedby`` (``<id>_helptext <id>_error``, the ids
    ``_form.html`` and the error list carry) and ``aria-invalid``, but leaves it off the inputs
    of a group it would put in a fieldset (checkboxes, radios, split widgets): a screen reader
    then announces "invalid" on a weekday checkbox and never says why."""
    ids = field.aria_describedby
    if not (field.use_fieldset and ids):
        return field
    html = field.as_widget(attrs={"aria-describedby": ids})
    if field.field.show_hidden_initial:  # what ``str(field)`` would add
        html += field.as_hidden(only_initial=True)
    return html
