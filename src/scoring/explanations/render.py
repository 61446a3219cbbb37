"""The one dispatch from a format name to an explanation's renderer, shared by `scoring
explain`, the API and the tests: plain text (`text.py`), Markdown (`markdown.py`) or JSON
(`jsonview.py`)."""

from __future__ import annotations

import json

from scoring.base.choices import EXPLAIN_FORMATS as FORMATS
from scoring.explanations.explanation import Explanation
from scoring.explanations.jsonview import explanation_to_json
from scoring.explanations.markdown import render_markdown
from scoring.explanations.text import render_text

__all__ = ["FORMATS", "render"]


def render(ex: Explanation, fmt: str) -> str:
    """Render an explanation as `text`, `markdown` or `json`."""
    if fmt == "text":
        return render_text(ex)
    if fmt == "markdown":
        return render_markdown(ex)
    if fmt == "json":
        return json.dumps(explanation_to_json(ex), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown explanation format {fmt!r}; expected one of {FORMATS}")
