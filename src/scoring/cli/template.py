"""`scoring template`: the fill-in workbook for units, generated from a rule set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from scoring.base.errors import UsageError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli
from scoring.outputs.atomic import is_stdout, write_atomic

if TYPE_CHECKING:
    from scoring.rulesets.schema import Kind

_KINDS: dict[str, tuple[Kind, ...]] = {"both": ("unit", "individual"), "unit": ("unit",),
                                       "individual": ("individual",)}


@cli.command()
@click.argument("rules", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, help=N_("The workbook to write (.xlsx)."))
@click.option("--kind", type=click.Choice(sorted(_KINDS)), default="both", show_default=True,
              help=N_("Sheets for units, individuals or both."))
@click.option("--force", is_flag=True, help=N_("Overwrite an existing file."))
def template(rules: Path, output: str, kind: str, force: bool) -> None:
    """Write the fill-in workbook for the rule set in RULES.

    Sheets "Đơn vị" and "Cá nhân" with Vietnamese headers, dropdowns for the declared values,
    range checks and an explanation on every header cell; "Sáng kiến" for the list of
    initiatives when the rule set counts them; "Hướng dẫn" with how to fill it. A filled
    workbook scores without edits: `scoring score form.xlsx`.

    \b
    Examples:
      scoring template rules/2021 -o bieu-mau-2021.xlsx
      scoring template rules/2021 -o ca-nhan.xlsx --kind individual
    """
    from scoring.inputs.template import render_template  # XlsxWriter: only when run
    from scoring.rulesets.extends import load

    target = Path(output)
    if is_stdout(target) or target.suffix.lower() != ".xlsx":
        raise UsageError.one("--output", _("the template is a workbook: give a file name "
                                           "ending in .xlsx, e.g. -o bieu-mau.xlsx"))
    ruleset = load(rules)
    write_atomic(target, render_template(ruleset, _KINDS[kind]), force)
    click.echo(_("wrote {file} (rule set {ruleset}, {year})").format(
        file=target, ruleset=ruleset.ruleset, year=ruleset.year), err=True)
