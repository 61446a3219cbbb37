"""The `scoring` command: parsing options and calling the library, nothing else.

The group and what the commands share are in `group`; each module below registers its
commands on it when imported. Every `ScoringError` raised below a command is printed as one
`error:` line per problem and mapped to its exit code (2: the files given cannot be used; 1: a
check found problems), so a user mistake never ends in a traceback.
"""

from scoring.cli import explain as _explain  # noqa: F401  (each registers its commands)
from scoring.cli import history as _history  # noqa: F401
from scoring.cli import report as _report  # noqa: F401
from scoring.cli import rules as _rules  # noqa: F401
from scoring.cli import rulesets as _rulesets  # noqa: F401
from scoring.cli import score as _score  # noqa: F401
from scoring.cli import serve as _serve  # noqa: F401
from scoring.cli import template as _template  # noqa: F401
from scoring.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    """The console script `scoring`."""
    cli(prog_name="scoring")
