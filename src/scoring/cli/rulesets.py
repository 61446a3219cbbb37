"""`scoring rules`: the rule sets a run chooses from, and where they come from."""

from __future__ import annotations

from pathlib import Path

import click

from scoring.base.errors import RuleError
from scoring.base.i18n import _
from scoring.cli.group import cli

_WRAP = 60


@cli.command("rules")
def list_rules() -> None:
    """List the rule sets scoring chooses from: year, name and legal regime.

    They come from the rules/ folder of the current directory if there is one, else from
    those shipped with scoring. A run uses the newest not after its data's year;
    --rules DIR overrides the choice.

    \b
    Examples:
      scoring rules
      scoring score my-folder/ --rules rules/2024
    """
    from tabulate import tabulate

    from scoring.run.app import rule_sets, rules_root

    root = rules_root()
    local = root.resolve() == (Path.cwd() / "rules").resolve()
    where = (_("Rule sets in {folder} (the rules/ folder here):") if local else
             _("Rule sets in {folder} (shipped with scoring):"))
    click.echo(where.format(folder=root))
    rows = [[rs.year, rs.name, rs.regime] for _folder, rs in rule_sets(root)]
    if not rows:
        raise RuleError.one(str(root), _("no rule sets (folders named by year) here"))
    click.echo(tabulate(rows, headers=["Năm", "Bộ tiêu chí", "Văn bản áp dụng"],
                        maxcolwidths=[None, _WRAP, _WRAP], disable_numparse=True))
