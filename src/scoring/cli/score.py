"""`scoring score`: the main job. Inputs in, ranked results out in the chosen format."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from scoring.app import run
from scoring.atomic import is_stdout, write_atomic_many
from scoring.cli import cli
from scoring.errors import UsageError
from scoring.manifest import build_manifest, created_now
from scoring.render.csvout import render_csv
from scoring.render.jsonout import render_json
from scoring.render.table import render_tables
from scoring.render.xlsxout import render_xlsx
from scoring.report import criterion_groups, render_html

FORMATS = ("table", "csv", "json", "xlsx", "html")
_BINARY = {"xlsx"}


def format_for(fmt: str | None, output: str | None) -> str:
    """`--format` wins; otherwise the output's extension; otherwise the terminal table."""
    if fmt:
        return fmt
    if output and not is_stdout(Path(output)):
        ext = Path(output).suffix.lower().lstrip(".")
        if ext in FORMATS:
            return ext
        raise UsageError.one(output, f"cannot tell the format from '.{ext}'; give --format")
    return "table"


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules", type=click.Path(path_type=Path), default=None,
              help="Rule set folder (default: the newest under rules/ not after the data's year).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: from the output's extension, else table).")
@click.option("-o", "--output", default=None,
              help="Write to this file ('-' for stdout). A manifest.json is written beside it.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def score(inputs: tuple[Path, ...], rules: Path | None, fmt: str | None, output: str | None,
          force: bool) -> None:
    """Score INPUTS (a folder of CSV files, XLSX workbooks or JSON) and rank the candidates.

    \b
    Examples:
      scoring score fixtures/quang-ngai-2021
      scoring score submissions/*.xlsx --rules rules/2026 -o results.xlsx
      scoring score fixtures/quang-ngai-2021 --format json -o -
    """
    fmt = format_for(fmt, output)
    if fmt in _BINARY and (output is None or is_stdout(Path(output))):
        raise UsageError.one("--output", f"{fmt} output needs a file: -o results.{fmt}")
    r = run(list(inputs), rules)
    options = {"format": fmt, "rules": str(rules) if rules else None}
    manifest = build_manifest(r.result, str(r.rules_folder), r.inputs.files, options,
                              created_now())
    for w in r.result.warnings:
        click.echo(f"warning: {w}", err=True)
    if fmt == "table":
        data = render_tables(r.result).encode("utf-8")
    elif fmt == "csv":
        data = render_csv(r.result, None)
    elif fmt == "json":
        data = render_json(r.result, manifest)
    elif fmt == "html":
        data = render_html(r.result, manifest, groups=criterion_groups(r.compiled))
    else:
        data = render_xlsx(r.result, manifest)
    if output is None or is_stdout(Path(output)):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(output)
    files = {target: data,
             target.parent / "manifest.json": (json.dumps(manifest, ensure_ascii=False, indent=2)
                                               + "\n").encode("utf-8")}
    write_atomic_many(files, force)
    click.echo(f"wrote {target} ({len(r.result.individuals)} individuals, "
               f"{len(r.result.units)} units)", err=True)
