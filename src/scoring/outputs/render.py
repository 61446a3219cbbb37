"""Renderers: a frozen `Result` in, bytes or text out; pure, so every output is reproducible.

`render` is the one dispatch from a format name to its renderer, shared by `score` and by
`verify` (which must reproduce an output byte for byte), so the two can never drift. What an
output shows that depends on the run, not on the result (`--raw`, the language of yes/no and
money), comes from the manifest's options, which `verify` reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring.base.choices import BINARY_FORMATS as BINARY_FORMATS
from scoring.base.choices import SCORE_FORMATS as FORMATS
from scoring.base.errors import UsageError
from scoring.base.i18n import _
from scoring.outputs.atomic import is_stdout

if TYPE_CHECKING:  # `scoring score` checks a format before it loads the data model
    from scoring.evaluation.result import Result
    from scoring.rulesets.compile import Compiled



def render(fmt: str, result: Result, manifest: Mapping[str, Any], compiled: Compiled) -> bytes:
    """The output of `score` in format `fmt`, as bytes."""
    from scoring.explanations.vocab import Vocab, output_language, output_raw
    from scoring.outputs.csvout import render_csv
    from scoring.outputs.jsonout import render_json
    from scoring.outputs.report import criterion_groups, render_html
    from scoring.outputs.table import render_tables
    from scoring.outputs.xlsxout import render_xlsx

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


def format_for(fmt: str | None, output: str | None) -> str:
    """`--format` wins; otherwise the output's extension; otherwise the terminal table."""
    if fmt:
        return fmt
    if output and not is_stdout(Path(output)):
        ext = Path(output).suffix.lower().lstrip(".")
        if ext in FORMATS:
            return ext
        raise UsageError.one(output, _("cannot tell the format from '.{ext}'; give --format")
                             .format(ext=ext))
    return "table"
