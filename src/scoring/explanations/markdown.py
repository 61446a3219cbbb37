"""The explanation as Markdown: the same blocks as the plain text (`text.py`), laid out as
headings, tables and nested lists, for a page or a ticket that renders Markdown."""

from __future__ import annotations

from scoring.explanations.explanation import Explanation
from scoring.explanations.text import Heading, Para, Table, blocks

__all__ = ["render_markdown"]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def render_markdown(ex: Explanation) -> str:
    """Markdown: the same blocks as the text, with headings, tables and nested lists."""
    parts: list[str] = []
    for b in blocks(ex):
        if isinstance(b, Heading):
            parts.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Table):
            rows = [b.headers, tuple("---" for _ in b.headers), *b.rows]
            parts.append("\n".join("| " + " | ".join(_md_cell(c) for c in r) + " |"
                                   for r in rows))
        else:
            parts.append("\n".join(f"- {text}" + "".join(f"\n  - {s}" for s in subs)
                                   for text, subs in b.items))
    return "\n\n".join(parts) + "\n"
