"""Rule-set tuning commands: check, test, diff, new-year.

Each is a thin wrapper over its library module (`lint`, `ruletest`, `diff`, `newyear`). Exit
codes follow the design: 2 when the rule sets or data given cannot be used at all, 1 when a
check found problems (errors, failed examples, or changes with `--fail-on-change`), else 0.
Each command imports its library module when it runs: `scoring --help` and `scoring check`
load neither pandas (diff) nor the scoring pipeline (test).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from scoring.base.errors import EXIT_PROBLEMS, Problem, UsageError
from scoring.base.i18n import N_, _
from scoring.cli.group import cli, echo_warnings
from scoring.outputs.safe import neutral

_FOLDERS = click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))


def _fail(when: bool) -> None:
    if when:
        click.get_current_context().exit(EXIT_PROBLEMS)


@cli.command()
@_FOLDERS
@click.option("--strict", is_flag=True, help=N_("Treat warnings as errors (exit 1 on any)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=N_("Findings as text lines or one JSON document."))
def check(folders: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check rule sets for mistakes: everything compile refuses, and more.

    Beyond what cannot load or compile: values no band covers, bands that can never match,
    points above a criterion's maximum, maxima above the declared total, titles nobody can
    meet, inputs and parameters no rule reads. Each finding is a line
    `file:line: error|warning: [rule] message`, then a count. Exit 1 on errors (or on
    warnings with --strict); exit 2 when a folder holds no rule files.

    \b
    Examples:
      scoring check rules/2021
      scoring check rules/2021 rules/2024 --strict
      scoring check rules/2024 --format json
    """
    from scoring.checks import rulecheck as rule_lint

    findings: list[rule_lint.Finding] = []
    missing: list[Problem] = []
    for folder in folders:
        try:
            findings += rule_lint.lint(folder)
        except UsageError as e:
            missing += e.problems
    if missing:
        raise UsageError(missing)
    if strict:
        findings = rule_lint.strict(findings)
    errors = sum(1 for f in findings if f.severity == "error")
    if fmt == "json":
        click.echo(json.dumps({"findings": [f.as_dict() for f in findings], "errors": errors,
                               "warnings": len(findings) - errors},
                              ensure_ascii=False, indent=2))
    else:
        for f in findings:
            click.echo(str(f))
        click.echo(rule_lint.summary(findings))
    _fail(errors > 0)


@cli.command("test")
@_FOLDERS
@click.option("--coverage", is_flag=True,
              help=N_("Also list each band edge, cap, quota, gate and title prerequisite that "
                      "no example sits on both sides of (exit 1 when any)."))
def run_tests(folders: tuple[Path, ...], coverage: bool) -> None:
    """Run the worked examples (`examples:`) of rule sets and compare with what they expect.

    Prints PASS or FAIL per example, with each expected value that differs next to the actual
    one, then `N passed, M failed`. Exit 1 when any example fails.

    \b
    Examples:
      scoring test rules/2021
      scoring test rules/2021 rules/2024
    """
    from scoring.checks import coverage as rule_coverage
    from scoring.checks import ruletest
    from scoring.run.app import compile_folder

    outcomes: list[ruletest.Outcome] = []
    uncovered = 0
    for folder in folders:
        compiled = compile_folder(folder)
        found = ruletest.run_examples(compiled)
        if len(folders) > 1:
            click.echo(f"{folder}:")
        if not found:
            click.echo(_("warning: {folder} has no examples").format(folder=folder), err=True)
        for outcome in found:
            click.echo(neutral("\n".join(outcome.report()), "\n\t"))
        outcomes += found
        if coverage:
            measured = rule_coverage.measure(compiled, found)
            click.echo(neutral("\n".join(rule_coverage.report(measured)), "\n\t"))
            uncovered += sum(1 for e in measured if not e.covered)
    click.echo(ruletest.summary(outcomes))
    _fail(not all(o.passed for o in outcomes) or uncovered > 0)


@cli.command("diff")
@click.argument("before", type=click.Path(path_type=Path))
@click.argument("after", type=click.Path(path_type=Path))
@click.argument("data", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help=N_("Output format."))
@click.option("--threshold", type=click.IntRange(min=1), default=3, show_default=True,
              help=N_("Show rank moves of at least this many places."))
@click.option("--fail-on-change", is_flag=True, help=N_("Exit 1 if anything changed."))
def diff_command(before: Path, after: Path, data: tuple[Path, ...], fmt: str, threshold: int,
                 fail_on_change: bool) -> None:
    """Show what changed between rule sets BEFORE and AFTER, and its effect on DATA.

    Lists added, removed and changed inputs, criteria, bonus, deductions, gates, titles and
    parameters by id with both values. With DATA (submissions, as for `scoring score`: a
    folder, workbooks, CSV or JSON files), scores it with both and shows who gains or loses
    which title, rank moves, and the scores' spread.

    \b
    Examples:
      scoring diff rules/2021 rules/2024
      scoring diff rules/2021 rules/2024 fixtures/quang-ngai-2021 --format markdown
      scoring diff rules/2026 rules/2027 nop/*.xlsx
      scoring diff rules/2024 rules/2024-draft --fail-on-change
    """
    from scoring.checks import diff as rule_diff

    report = rule_diff.compare(before, after, data, threshold)
    echo_warnings(report.warnings)
    if fmt == "json":
        click.echo(rule_diff.render_json(report), nl=False)
    elif fmt == "markdown":
        click.echo(neutral(rule_diff.render_markdown(report), "\n\t"), nl=False)
    else:
        click.echo(neutral(rule_diff.render_text(report), "\n\t"), nl=False)
    _fail(fail_on_change and report.changed)


@cli.command("new-year")
@click.argument("year", type=click.IntRange(1990, 2100))
@click.option("--from", "base", type=click.Path(path_type=Path), default=None,
              help=N_("The rule set folder to extend (default: the newest before YEAR)."))
@click.option("--rules-root", type=click.Path(path_type=Path), default=Path("rules"),
              show_default=True, help=N_("Where the year folders are."))
def new_year(year: int, base: Path | None, rules_root: Path) -> None:
    """Start rules/YEAR as a rule set extending an earlier year, with a commented template.

    Refuses (exit 2) if the folder exists.

    \b
    Examples:
      scoring new-year 2024 --from rules/2021
      scoring new-year 2025
    """
    from scoring.outputs.atomic import write_atomic_many
    from scoring.rulesets.newyear import default_base, scaffold

    base = base if base is not None else default_base(rules_root, year)
    files = scaffold(year, base, rules_root)
    target = next(iter(files)).parent
    target.mkdir(parents=True)
    write_atomic_many({path: text.encode("utf-8") for path, text in files.items()})
    click.echo(_("created {folder}/ extending {base}: {files}").format(
        folder=target, base=base, files=", ".join(p.name for p in files)))
