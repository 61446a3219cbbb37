"""The `scoring` command: parsing options and calling the library, nothing else.

Every `ScoringError` raised below a command is printed as one `error:` line per problem and
mapped to its exit code (2: the files given cannot be used; 1: a check found problems), so a
user mistake never ends in a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from scoring import __version__
from scoring.errors import ScoringError
from scoring.render.safe import neutral


class Group(click.Group):
    """A click group that turns `ScoringError`s into clear messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScoringError as e:
            for problem in e.problems:  # names from submissions cannot drive the terminal
                click.echo(neutral(f"error: {problem}"), err=True)
            ctx.exit(e.exit_code)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scoring")
def cli() -> None:
    """Score emulation and commendation submissions against a year's rule set.

    \b
    Examples:
      scoring score fixtures/quang-ngai-2021
      scoring score fixtures/quang-ngai-2021 --format json -o out/results.json
      scoring explain fixtures/quang-ngai-2021 "bui tan thinh"
    """


SHOWN_WARNINGS = 50


def echo_warnings(warnings: Sequence[str], total: int | None = None) -> None:
    """The warnings on stderr, the first SHOWN_WARNINGS of them: a batch of a hundred thousand
    people can carry thousands, which would bury the lines that matter; every one is kept in
    the results. `total` counts them when `warnings` holds only the first ones."""
    total = len(warnings) if total is None else total
    for w in warnings[:SHOWN_WARNINGS]:
        click.echo(neutral(f"warning: {w}"), err=True)
    if total > SHOWN_WARNINGS:
        click.echo(f"warning: … and {total - SHOWN_WARNINGS:,} more, not shown here; "
                   "the JSON output lists every one under \"warnings\"", err=True)


def main() -> None:
    cli(prog_name="scoring")


from scoring.cli import audit as _audit  # noqa: E402,F401  (registers the commands)
from scoring.cli import history as _history  # noqa: E402,F401
from scoring.cli import office as _office  # noqa: E402,F401
from scoring.cli import report as _report  # noqa: E402,F401
from scoring.cli import rules as _rules  # noqa: E402,F401
from scoring.cli import rulesets as _rulesets  # noqa: E402,F401
from scoring.cli import score as _score  # noqa: E402,F401
from scoring.cli import serve as _serve  # noqa: E402,F401
