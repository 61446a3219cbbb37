"""A tiny HTML/SVG builder that escapes everything it is not told is already markup.

Names, units and notes come from submissions typed by many hands; one `<script>` in a name must
reach the council as text. So text is escaped by default and only `Markup` (what this module
built) passes through unchanged: a renderer cannot forget to escape, because building an
element is the only way to produce markup. Attributes keep the order they are given in, so the
bytes are the same on every run.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

__all__ = ["Child", "Markup", "el", "escape", "join"]

# HTML elements without content, and SVG elements that this report always leaves empty.
_VOID = frozenset({"meta", "br", "hr", "img", "col", "wbr"})
_EMPTY_SVG = frozenset({"rect", "line", "path", "circle", "polyline"})


class Markup(str):
    """Text that is already HTML: never escaped again."""

    __slots__ = ()


Child = str | Markup | int | None | Iterable["Child"]
Attr = str | int | bool | None


def escape(text: str) -> Markup:
    """Escape `text` for an element's content or a quoted attribute value, unless it is Markup."""
    if isinstance(text, Markup):
        return text
    return Markup(html.escape(text, quote=True))


def _render(child: Child) -> str:
    if child is None:
        return ""
    if isinstance(child, str):
        return escape(child)
    if isinstance(child, int):
        return str(child)
    return "".join(_render(c) for c in child)


def join(children: Iterable[Child], sep: str = "") -> Markup:
    """Concatenate children (escaping text), with an escaped separator between them."""
    return Markup(escape(sep).join(_render(c) for c in children))


def _attrs(attrs: Mapping[str, Attr]) -> str:
    out = []
    for name, value in attrs.items():
        name = name.rstrip("_").replace("_", "-")  # class_ → class, aria_label → aria-label
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{escape(str(value))}"')
    return "".join(out)


def el(tag: str, *children: Child, **attrs: Attr) -> Markup:
    """Build `<tag attrs>children</tag>`; text children and attribute values are escaped.

    Keyword names map to attributes: a trailing underscore is dropped (`class_`) and other
    underscores become hyphens (`aria_label`); None and False leave the attribute out.
    """
    opening = f"<{tag}{_attrs(attrs)}"
    if tag in _VOID:
        return Markup(opening + ">")
    if tag in _EMPTY_SVG and not children:
        return Markup(opening + "/>")
    return Markup(f"{opening}>{_render(children)}</{tag}>")
