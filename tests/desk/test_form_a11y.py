"""Every input of a server-rendered form (``_form.html``) names its error message and help
text through ``aria-describedby``, and says it is invalid, so a screen reader reads the reason
where the focus is, not only somewhere on the page."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string

from tests.desk.pages import parse_html

DAYS = [(0, "Mon"), (1, "Tue")]


class _Form(forms.Form):
    name = forms.CharField(help_text="What the schedule is called.")
    weekdays = forms.TypedMultipleChoiceField(
        coerce=int, choices=DAYS, widget=forms.CheckboxSelectMultiple, help_text="Pick days."
    )
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)

    def clean(self):
        self.add_error("weekdays", "pick at least one day")
        return super().clean()


def _page():
    form = _Form({"name": "", "weekdays": [], "kind": "z"})
    assert not form.is_valid()
    return parse_html(render_to_string("_form.html", {"form": form}))


def _by_id(root):
    return {n.attrs["id"]: n for n in root.iter() if n.attrs.get("id")}


@pytest.mark.parametrize("name", ["name", "weekdays", "kind"])
def test_every_input_of_an_invalid_field_points_at_its_error(name):
    root = _page()
    ids = _by_id(root)
    inputs = [n for n in root.iter() if n.tag == "input" and n.attrs.get("name") == name]
    assert inputs
    for i in inputs:
        assert i.attrs.get("aria-invalid") == "true", i.attrs
        described = i.attrs.get("aria-describedby", "").split()
        errors = [ids[d] for d in described if d in ids and "errorlist" in ids[d].classes()]
        assert errors, (name, described)
        assert errors[0].text().strip()


@pytest.mark.parametrize("name", ["name", "weekdays"])
def test_every_input_points_at_its_help_text(name):
    root = _page()
    ids = _by_id(root)
    for i in (n for n in root.iter() if n.tag == "input" and n.attrs.get("name") == name):
        texts = [ids[d].text() for d in i.attrs.get("aria-describedby", "").split() if d in ids]
        assert any(t.startswith(("What", "Pick")) for t in texts), (name, texts)


def test_a_valid_field_is_not_marked_invalid():
    form = _Form({"name": "x", "weekdays": ["0"], "kind": "a"})
    form.is_valid()  # weekdays keeps its error; name and kind have none
    root = parse_html(render_to_string("_form.html", {"form": form}))
    for i in (n for n in root.iter() if n.attrs.get("name") in ("name", "kind")):
        assert "aria-invalid" not in i.attrs
        assert "_error" not in i.attrs.get("aria-describedby", "")
