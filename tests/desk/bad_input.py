"""The bad-input matrix's knowledge of routes and values, none of it about any one view.

- **Routes**, read from the URL resolver and the views' own code: which URLs take a POST, which
  are paginated lists or CSV exports, which Django forms each one binds (followed through the
  module's helper functions such as ``_transfer_form``), and which raw ``request.POST`` keys it
  reads besides (``symbol``, ``next``, ``tab``). All of it is known at collection time, so every
  (URL, field, value) is its own test id; the matrix then proves against the rendered pages that
  no ``<form>`` posts a field this discovery missed.
- **Values** by kind of field, and the oracle saying which of them no field of that kind can
  ever accept (the rest may be accepted or refused, but never crash or half-write).

Pages are read by ``tests.desk.pages``; side effects counted by ``tests.desk.side_effects``.
"""

from __future__ import annotations

import inspect
import re
import types
from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.forms.forms import BaseForm
from django.forms.utils import pretty_name
from django.urls import URLPattern, URLResolver, get_resolver

from tests.desk.side_effects import desk_models

# --- routes -------------------------------------------------------------------------------------
# Staff-only surfaces are not the users' forms (as in the ownership matrix).
NOT_USER_FACING = {"admin"}

_RAW_POST_KEY = re.compile(r"""request\.POST(?:\.get\(|\[)\s*["'](\w+)["']""")
_BOUND_TO_GET = re.compile(r"(\w+)\(\s*request\.GET\b")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # number | date | datetime | choice | boolean | email | text | raw
    required: bool
    label: str
    hidden: bool = False  # not typed by a person (a hidden input, or a raw POST key)
    secret: bool = False  # a password input: hashed or encrypted, never stored as typed
    multiple: bool = False


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:url_name"
    kwargs: tuple[str, ...]
    accepts_post: bool
    answers_get: bool
    is_list: bool
    is_csv: bool
    fields: tuple[Field, ...]  # what a POST may carry
    filters: tuple[Field, ...] = ()  # the query string a list or export reads

    @property
    def namespace(self) -> str:
        return self.name.split(":")[0] if ":" in self.name else ""


def _layers(view) -> list:
    out, f = [], view
    while f is not None and f not in out:
        out.append(f)
        f = getattr(f, "__wrapped__", None)
    return out


def _allowed_methods(view) -> set[str] | None:
    """The methods a ``require_http_methods`` layer lets through (None: no such layer)."""
    for layer in _layers(view):
        for cell in getattr(layer, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return set(value)
    return None


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


# How a view's source shows a paginated list or a CSV answer: itself, or through the helpers in
# ``desk.lists`` (which ``_reachable`` does not follow, being another module).
_LIST_MARKS = ("Paginator", "page_of(")
_CSV_MARKS = ("text/csv", "csv_download(")


def _mentions(source: str, marks: tuple[str, ...]) -> bool:
    return any(m in source for m in marks)


def _reachable(func) -> list:
    """The view and every function of its own module it calls, transitively."""
    module = func.__module__
    seen, todo = [], [func]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.append(f)
        for name in _code_names(f.__code__):
            target = f.__globals__.get(name)
            if isinstance(target, types.FunctionType) and target.__module__ == module:
                todo.append(target)
    return seen


def _form_classes(funcs) -> list[type[BaseForm]]:
    found = []
    for f in funcs:
        for name in sorted(_code_names(f.__code__)):
            target = f.__globals__.get(name)
            if isinstance(target, type) and issubclass(target, BaseForm) and target not in found:
                found.append(target)
    return found


def _kind(f: forms.Field) -> str:
    if isinstance(f, forms.BooleanField):
        return "boolean"
    if isinstance(f, forms.ChoiceField):  # MultipleChoiceField and TypedChoiceField too
        return "choice"
    if isinstance(f, forms.DecimalField | forms.IntegerField | forms.FloatField):
        return "number"
    if isinstance(f, forms.DateTimeField):
        return "datetime"
    if isinstance(f, forms.DateField):
        return "date"
    if isinstance(f, forms.EmailField):
        return "email"
    return "text"


def form_fields(form_class: type[BaseForm]) -> list[Field]:
    out = []
    for name, f in form_class.base_fields.items():
        out.append(
            Field(
                name=name,
                kind=_kind(f),
                required=f.required,
                label=str(f.label or pretty_name(name)),
                hidden=f.widget.is_hidden,
                secret=isinstance(f.widget, forms.PasswordInput),
                multiple=isinstance(f, forms.MultipleChoiceField),
            )
        )
    return out


def _describe(name: str, pattern: URLPattern) -> Route:
    view = pattern.callback
    kwargs = tuple(sorted(pattern.pattern.converters))
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a class-based view (Django's auth views)
        accepts_post, answers_get = hasattr(view_class, "post"), hasattr(view_class, "get")
        classes = [view_class.form_class] if getattr(view_class, "form_class", None) else []
        # Django's auth views read their redirect target from the POST too.
        redirect_field = getattr(view_class, "redirect_field_name", None)
        source = f'request.POST.get("{redirect_field}")' if redirect_field else ""
        funcs = []
    else:
        inner = _layers(view)[-1]
        funcs = _reachable(inner)
        source = "\n".join(inspect.getsource(f) for f in funcs)
        allowed = _allowed_methods(view)
        accepts_post = "POST" in allowed if allowed is not None else "request.POST" in source
        answers_get = allowed is None or "GET" in allowed
        classes = _form_classes(funcs)
    bound_to_get = set(_BOUND_TO_GET.findall(source))
    fields: dict[str, Field] = {}
    for cls in classes:
        if cls.__name__ in bound_to_get:
            continue  # a list's filter form, rendered beside a refused POST
        for f in form_fields(cls):
            fields.setdefault(f.name, f)
    for key in _RAW_POST_KEY.findall(source):
        fields.setdefault(key, Field(key, "raw", False, pretty_name(key), hidden=True))
    filters = [f for cls in classes if cls.__name__ in bound_to_get for f in form_fields(cls)]
    return Route(
        name=name,
        kwargs=kwargs,
        accepts_post=accepts_post,
        answers_get=answers_get,
        # An export may render the list page to explain a refused filter: it is still an export.
        is_list=answers_get
        and _mentions(source, _LIST_MARKS)
        and not _mentions(source, _CSV_MARKS),
        is_csv=answers_get and _mentions(source, _CSV_MARKS),
        fields=tuple(fields.values()) if accepts_post else (),
        filters=tuple(filters),
    )


def _patterns(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), p


def routes() -> list[Route]:
    out = {}
    for name, pattern in _patterns(get_resolver().url_patterns):
        if name.split(":")[0] in NOT_USER_FACING:
            continue
        out.setdefault(name, _describe(name, pattern))
    return sorted(out.values(), key=lambda r: r.name)


# --- values -------------------------------------------------------------------------------------
VALUES = {
    "empty": "",
    "blank": " \t ",
    "emoji": "🙂",
    "rtl": "\u202eשלום עולם",
    "nul": "a\x00b",
    "1e400": "1e400",
    "huge": "99999999999999999999999",
    "tiny": "1e-30",
    "exp": "1e3",
    "exp-neg": "1E-8",
    "nan": "NaN",
    "inf": "Infinity",
    "negative": "-1",
    "zero": "0",
    "over-precise": "0.123456789012345678901",
    "dt-min": "0001-01-01T00:00",
    "dt-max": "9999-12-31T23:59",
    "dt-bad": "2026-13-45",
    "d-min": "0001-01-01",
    "d-max": "9999-12-31",
    "long": "x" * 10_000,
    "long-digits": "9" * 10_000,
}

# Which values each kind of field gets. Everything goes to free text (it ends up in parsers of
# its own: cron, symbols, keys). The others skip only values that take the same path as one they
# keep:
# - a choice is compared with its options as text, and a checkbox only tested for presence and
#   falseness: one value per class (empty, blank, non-ASCII, control character, number-looking,
#   long) covers them;
# - an e-mail address is matched as a whole: none of these has an "@", one per class will do;
# - a date parser rejects every number-looking text alike: "1e3", "0", "-1" and the 23-digit
#   integer (read as a timestamp by some parsers) stand for the rest;
# - a date-time field gets the date-time forms, a date field the date forms too;
# - a raw POST key (next, tab, symbol) is read as text by the view: what matters is that odd text
#   never breaks it.
_NOT_A_NUMBER = ("empty", "blank", "emoji", "rtl", "nul", "nan", "inf", "long")
KIND_VALUES = {
    "text": [v for v in VALUES if v not in ("d-min", "d-max", "long-digits")],
    "number": [
        *_NOT_A_NUMBER,
        *("1e400", "huge", "tiny", "exp", "exp-neg", "negative", "zero", "over-precise"),
        *("dt-bad", "long-digits"),
    ],
    "datetime": [
        *_NOT_A_NUMBER,
        *("huge", "exp", "negative", "zero", "dt-min", "dt-max", "dt-bad"),
    ],
    "date": [
        *_NOT_A_NUMBER,
        *("huge", "exp", "negative", "zero", "dt-min", "dt-max", "dt-bad", "d-min", "d-max"),
    ],
    "choice": ["empty", "blank", "emoji", "nul", "negative", "nan", "huge", "long"],
    "email": ["empty", "blank", "emoji", "rtl", "nul", "nan", "huge", "long"],
    "boolean": ["empty", "blank", "emoji", "nul", "zero", "long"],
    "raw": ["empty", "blank", "emoji", "nul", "negative", "nan", "long"],
}


def unique_text_fields() -> dict[str, list]:
    """Text a person types that names a row on its own (a connection's label, a run's request
    key, a client order id, a username): field name -> the models whose unique constraints make
    it so. A value another row already has is the one bad value these fields add."""
    from django.contrib.auth import get_user_model
    from django.db import models

    out: dict[str, list] = defaultdict(list)
    for m in [*desk_models(), get_user_model()]:
        groups = [c.fields for c in m._meta.constraints if isinstance(c, models.UniqueConstraint)]
        groups += [tuple(g) for g in m._meta.unique_together]
        groups += [(f.name,) for f in m._meta.fields if f.unique and not f.primary_key]
        for group in groups:
            own = [m._meta.get_field(n) for n in group]
            own = [f for f in own if not f.is_relation]
            if len(own) == 1 and isinstance(own[0], models.CharField) and m not in out[own[0].name]:
                out[own[0].name].append(m)
    return dict(out)


def must_refuse(f: Field, value: str) -> bool:
    """Whether no field like ``f`` can ever accept this value (from what the field is, never
    from the code under test). The others may go either way."""
    if f.kind in ("boolean", "raw") or value == "taken":
        # A checkbox is on or off; a raw key is the view's to interpret; a value another row
        # has may be a replay (the same client order id is the same order).
        return False
    if value in ("empty", "blank"):
        return f.required
    if value == "nul":
        return True  # no field stores or forwards a NUL byte
    if value == "long":
        return not f.secret  # every single-line input is bounded; a password is only hashed
    if f.kind == "text":
        return False
    if f.kind in ("choice", "email"):
        return True  # none of these is an option, nor an address
    if f.kind == "number":
        # Every number typed here is an amount, a price, a count or a threshold: never
        # negative, finite, and with no more places than the exchange's 8 (the desk's columns
        # keep 18).
        return value in (
            "emoji",
            "rtl",
            "nan",
            "inf",
            "1e400",
            "tiny",
            "negative",
            "over-precise",
            "dt-bad",
            "long-digits",
        )
    return value not in ("dt-min", "dt-max", "d-min", "d-max")  # date / datetime
