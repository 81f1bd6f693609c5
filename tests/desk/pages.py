"""Reading the desk's pages the way a browser and a person would, with ``html.parser``: the
forms and what an untouched submit sends, and the error messages tied to a field (by id, by
``aria-describedby``, by ``data-error-for``, or by naming it)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tests.desk.bad_input import Field

_VOID = {
    *("area", "base", "br", "col", "embed", "hr", "img", "input"),
    *("link", "meta", "source", "track", "wbr"),
}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list = field(default_factory=list)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def text(self) -> str:
        if self.tag in ("script", "style", "template"):
            return ""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in _VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(
            Node(tag, {k: v if v is not None else "" for k, v in attrs}, self.cur)
        )

    def handle_endtag(self, tag):
        for node in (self.cur, *self.cur.ancestors()):
            if node.tag == tag:
                self.cur = node.parent or self.root
                return

    def handle_data(self, data):
        self.cur.children.append(data)


_OPTION = re.compile(r"<option\b[^>]*>[^<]*</option>")


def parse_html(text: str, *, options: bool = True) -> Node:
    """The page as a tree; without ``options``, select lists lose their options (what an
    answer is read for never needs them, and a time-zone list holds 600)."""
    if not options:
        text = _OPTION.sub("", text)
    b = _Builder()
    b.feed(text)
    b.close()
    return b.root


@dataclass
class PageForm:
    method: str
    action: str  # as written ("" = the page itself)
    defaults: list[tuple[str, str]]  # what a browser submits untouched
    names: set[str]
    options: dict[str, list[str]]  # select / radio / checkbox values by name
    also_posts_to: list[str]  # data-*-url of enclosing elements (scripts post the form there)


def page_forms(root: Node) -> list[PageForm]:
    out = []
    for form in (n for n in root.iter() if n.tag == "form"):
        defaults, names, options = [], set(), defaultdict(list)
        for el in form.iter():
            name = el.attrs.get("name")
            if not name or el.tag not in ("input", "select", "textarea"):
                continue
            kind = el.attrs.get("type", "text").lower()
            if el.tag == "input" and kind in ("submit", "button", "reset", "image", "file"):
                continue
            names.add(name)
            if el.tag == "textarea":
                defaults.append((name, el.text()))
            elif el.tag == "select":
                opts = [o for o in el.iter() if o.tag == "option"]
                values = [o.attrs.get("value", o.text()) for o in opts]
                options[name] += values
                chosen = [v for o, v in zip(opts, values, strict=True) if "selected" in o.attrs]
                if not chosen and values and "multiple" not in el.attrs:
                    chosen = values[:1]
                defaults += [(name, v) for v in chosen]
            elif kind in ("checkbox", "radio"):
                options[name].append(el.attrs.get("value", "on"))
                if "checked" in el.attrs:
                    defaults.append((name, el.attrs.get("value", "on")))
            else:
                defaults.append((name, el.attrs.get("value", "")))
        urls = [
            v
            for a in form.ancestors()
            for k, v in a.attrs.items()
            if k.startswith("data-") and k.endswith("-url")
        ]
        out.append(
            PageForm(
                method=form.attrs.get("method", "get").lower(),
                action=form.attrs.get("action", ""),
                defaults=defaults,
                names=names,
                options=dict(options),
                also_posts_to=urls,
            )
        )
    return out


def _error_elements(root: Node) -> list[Node]:
    out = []
    for n in root.iter():
        if n.tag in ("script", "style", "template", "form", "body", "html", "main", "section"):
            continue
        classes = n.classes()
        marked = (
            "error" in classes
            or "errorlist" in classes
            or "field-error" in classes
            or n.attrs.get("role") == "alert"
            or n.attrs.get("id", "").startswith("errors-")
        )
        if marked and n.text().strip():
            out.append(n)
    return out


def names_field(text: str, f: Field, labels: set[str]) -> bool:
    text = text.casefold()
    words = {f.name, f.name.replace("_", " "), f.label, *labels}
    return any(w and w.casefold().rstrip(":") in text for w in words)


def html_field_errors(root: Node, f: Field, labels: set[str]) -> list[str]:
    """Error texts the page ties to field ``f``: by id (``errors-<name>``, ``<id>_error``, the
    input's ``aria-describedby``), by ``data-error-for``, or by naming the field."""
    inputs = [n for n in root.iter() if n.attrs.get("name") == f.name]
    ids = {f"errors-{f.name}"}
    for i in inputs:
        if i.attrs.get("id"):
            ids.add(f"{i.attrs['id']}_error")
        ids |= set(i.attrs.get("aria-describedby", "").split())
    out = []
    for n in _error_elements(root):
        if (
            n.attrs.get("id") in ids
            or n.attrs.get("data-error-for") == f.name
            or names_field(n.text(), f, labels)
        ):
            out.append(" ".join(n.text().split()))
    return out


def html_any_errors(root: Node) -> list[str]:
    return [" ".join(n.text().split()) for n in _error_elements(root)]


def label_texts(root: Node) -> dict[str, set[str]]:
    """Field name -> the texts of its <label>s on the page."""
    by_id = {n.attrs["id"]: n.attrs.get("name") for n in root.iter() if n.attrs.get("id")}
    out: dict[str, set[str]] = defaultdict(set)
    for n in root.iter():
        if n.tag == "label":
            name = by_id.get(n.attrs.get("for", ""))
            text = " ".join(n.text().split())
            if name and text:
                out[name].add(text)
    return out


def path_of(url: str) -> str:
    return urlsplit(url).path
