"""Audit commands: `explain` one record, `verify` an output folder.

The scoring pipeline behind them is imported when a command runs, not when `scoring` starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scoring.base.choices import EXPLAIN_FORMATS, MAX_CHANGES
from scoring.base.errors import EXIT_PROBLEMS, UsageError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli, echo_warnings
from scoring.outputs.safe import neutral


@cli.command(name="explain")
@click.argument("args", nargs=-1, required=True, metavar="INPUT... ID")
@click.option("--rules", type=click.Path(path_type=Path), default=None,
              help=N_("Rule set folder (default: the newest under rules/ not after the data's "
                      "year)."))
@click.option("--format", "fmt", type=click.Choice(EXPLAIN_FORMATS), default="text",
              show_default=True,
              help=N_("text for reading, markdown for a dossier, json for the full ledger."))
@click.option("--near-misses", "changes", type=click.IntRange(0), default=MAX_CHANGES,
              show_default=True,
              help=N_("At most this many input changes to propose and check (0: none)."))
@click.option("--history", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=N_("Folder of past years, as for `scoring score --history`."))
def explain_command(args: tuple[str, ...], rules: Path | None, fmt: str, changes: int,
                    history: Path | None) -> None:
    """Explain how one individual or unit got its score and titles.

    The last argument is the ID; all the others are INPUTs, as for `scoring score`. The ID is
    matched exactly first, then as a name typed with its diacritics ("Nguyễn Văn Ân" is not
    "Nguyễn Văn An"), then ignoring them ("nguyen van an" finds both), then as the unique start
    of a name. Several matches or none: exit 2 with the candidates.

    Printed in order: the inputs as read (file and row), computed fields, each criterion with
    the band or formula that applied, the values it read, the points before and after the cap
    and the bands above it that failed; bonus, deductions and gates; the total (checked against
    the score); each title with every prerequisite, the gates and the quota (rank and cut line);
    for a unit its members and aggregates by name; and the near misses: the smallest input
    changes that would have met a failed condition, each checked by scoring again.

    \b
    Examples:
      scoring explain fixtures/quang-ngai-2021 "nguyen van an"
      scoring explain tests/data/mini P3 --rules tests/rulesets/mini
      scoring explain submissions/*.xlsx U07 --format markdown > U07.md
    """
    from scoring.explanations.explanation import explain, find_record
    from scoring.explanations.render import render
    from scoring.run.app import run

    if len(args) < 2:
        raise UsageError.one("ID", _("give the inputs, then the id or name to explain: "
                                     "scoring explain INPUT... ID"))
    *paths, query = args
    r = run([Path(p) for p in paths], rules, history=history)
    echo_warnings(r.result.warnings)
    record = find_record(r.result, query)
    text = render(explain(record, r.result, r.compiled, r.batch, changes=changes), fmt)
    if fmt != "json":  # read in a terminal: no name may drive it (see `safe.neutral`)
        text = neutral(text, "\n\t")
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


@cli.command(name="verify")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.pass_context
def verify_command(ctx: click.Context, folder: Path) -> None:
    """Check that FOLDER (written by `scoring score -o FOLDER/results.json`) is reproducible.

    Every input listed in FOLDER/manifest.json is hashed again, the run is repeated with the
    recorded rule set and options, and every output and the manifest are compared with the
    files byte for byte (the manifest's `created` time excepted). Inputs are found from the
    manifest's folder first (the way there is recorded), then as given to `score`. In a sealed
    folder, any file the manifest does not list is reported.

    Exit 0: identical. Exit 1: lists the inputs that changed, the records that differ and any
    unlisted file. Exit 2: the folder or its manifest cannot be read, or an input is missing.

    \b
    Example:
      scoring score fixtures/quang-ngai-2021 -o out/2021/results.json
      scoring verify out/2021
    """
    from scoring.checks.verify import verify_folder

    v = verify_folder(folder)
    if v.identical:
        names = ", ".join(p.name for p in v.outputs or (v.output,))
        click.echo(_("{folder}: identical ({names} and manifest.json reproduced byte for "
                     "byte, the creation time excepted)").format(folder=folder, names=names))
        return
    click.echo(_("{folder}: differs").format(folder=folder))
    for line in v.problems:
        click.echo(f"  {line}")
    ctx.exit(EXIT_PROBLEMS)
