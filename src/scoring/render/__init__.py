"""Renderers: a frozen `Result` in, bytes or text out; pure, so every output is reproducible.

`render` is the one dispatch from a format name to its renderer, shared by `score` and by
`verify` (which must reproduce an output byte for byte), so the two can never drift. What an
output shows that depends on the run, not on the result (`--raw`, the language of yes/no and
money), comes from the manifest's options, which `verify` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.compile import Compiled
from scoring.result import Result

FORMATS = ("table", "csv", "json", "xlsx", "html")
BINARY_FORMATS = frozenset({"xlsx"})


def render(fmt: str, result: Result, manifest: Mapping[str, Any], compiled: Compiled) -> bytes:
    """The output of `score` in format `fmt`, as bytes."""
    from scoring.render.csvout import render_csv
    from scoring.render.jsonout import render_json
    from scoring.render.table import render_tables
    from scoring.render.vocab import Vocab, output_language, output_raw
    from scoring.render.xlsxout import render_xlsx
    from scoring.report import criterion_groups, render_html

    vocab = Vocab.of(result, compiled, output_language(manifest))
    if fmt == "table":
        return render_tables(result, vocab=vocab).encode("utf-8")
    if fmt == "csv":
        return render_csv(result, None, vocab, raw=output_raw(manifest))
    if fmt == "json":
        return render_json(result, manifest)
    if fmt == "xlsx":
        return render_xlsx(result, manifest, vocab)
    if fmt == "html":
        return render_html(result, manifest, groups=criterion_groups(compiled), vocab=vocab)
    raise ValueError(f"unknown format {fmt!r}")
