"""`scoring review`: the review of a plan period (sơ kết, tổng kết) from the history store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scoring.base.choices import REVIEW_FORMATS as FORMATS
from scoring.base.errors import UsageError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli
from scoring.outputs.atomic import is_stdout, write_atomic
from scoring.outputs.safe import neutral


def _format(fmt: str | None, output: str | None) -> str:
    """`--format` wins; otherwise the output's extension; otherwise the terminal table."""
    if fmt:
        return fmt
    if output and not is_stdout(output):
        ext = Path(output).suffix.lower().lstrip(".")
        if ext in FORMATS:
            return ext
        raise UsageError.one(output, _("cannot tell the format from '.{ext}'; give --format "
                                       "({formats})").format(ext=ext,
                                                             formats=", ".join(FORMATS)))
    return "table"


@cli.command()
@click.argument("period", metavar="FIRST..LAST")
@click.option("--history", "history", required=True,
              type=click.Path(path_type=Path, file_okay=False),
              help=N_("The history folder: each year's JSON output, titles.csv, initiatives.csv, "
                      "unit_aliases.csv."))
@click.option("--rules", type=click.Path(path_type=Path), default=None,
              help=N_("Rule set folder for the titles and the typical-example rule (default: the "
                      "newest under rules/ not after the period's last year)."))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help=N_("Output format (default: from the output's extension, else table)."))
@click.option("-o", "--output", default=None, help=N_("Write to this file ('-' for stdout)."))
@click.option("--force", is_flag=True, help=N_("Overwrite an existing output file."))
def review(period: str, history: Path, rules: Path | None, fmt: str | None, output: str | None,
           force: bool) -> None:
    """Review the years FIRST..LAST: titles year by year, totals, score trends and the typical
    examples (điển hình tiên tiến) the rule set selects.

    \b
    Examples:
      scoring review 2021..2025 --history fixtures/history
      scoring review 2021..2025 --history fixtures/history -o tong-ket-2021-2025.xlsx
      scoring review 2021..2023 --history fixtures/history --format html -o so-ket.html
    """
    from scoring.history.load import load_history, title_kinds
    from scoring.outputs.review import build_review, parse_period, render_review
    from scoring.run.app import choose_rules, compile_folder

    first, last = parse_period(period)
    fmt = _format(fmt, output)
    to_stdout = output is None or is_stdout(output)
    if fmt == "xlsx" and to_stdout:
        raise UsageError.one("--output", _("xlsx output needs a file: -o review.xlsx"))
    folder, _year = choose_rules(rules, last)
    compiled = compile_folder(folder)
    store = load_history(history, title_kinds(compiled.ruleset), compiled.ruleset.ruleset)
    for w in store.warnings:
        click.echo(_("warning: {warning}").format(warning=w), err=True)
    result = build_review(store, compiled, first, last)
    if result.missing:
        click.echo(_("warning: no output in {folder} for {years}").format(
            folder=history, years=", ".join(map(str, result.missing))), err=True)
    data = render_review(result, fmt)
    if to_stdout:
        if fmt == "table":  # read in a terminal: no name may drive it (see `safe.neutral`)
            data = neutral(data.decode("utf-8"), "\n\t").encode("utf-8")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomic(Path(str(output)), data, force)
    click.echo(_("wrote {files} ({individuals} individuals, {units} units, {first}–{last})")
               .format(files=output, individuals=len(result.individuals),
                       units=len(result.units), first=first, last=last), err=True)
