"""The `scoring` command group and what its commands share: language, errors, warnings.

Every `ScoringError` raised below a command is printed as one `error:` line per problem and
mapped to its exit code (2: the files given cannot be used; 1: a check found problems), so a
user mistake never ends in a traceback.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import click

from scoring.base.choices import TERMINAL_ROWS
from scoring.base.errors import ScoringError
from scoring.base.i18n import LANGUAGES, N_, _, set_language
from scoring.base.version import version
from scoring.outputs.safe import neutral

HELP_FIELDS = {"rows": TERMINAL_ROWS}  # numbers the help texts name, filled in when shown

# click's own words (help layout, its usage errors) come from the same catalogue: click looks
# them up through the `_` and `ngettext` of its modules, which are pointed at ours.
def _ngettext(singular: str, plural: str, n: int) -> str:
    return _(singular if n == 1 else plural)


CLICK_WORDS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Error: {message}"),
    N_("Try '{command} {option}' for help."), N_("Missing argument"), N_("Missing option"),
    N_("Missing command."), N_("No such command {name!r}."), N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"), N_("default: {default}"),
    N_("{value!r} is not one of {choices}."), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("{name} {filename!r} does not exist."),
    N_("Aborted!"),
)
for _module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
                click.types):
    vars(_module)["_"] = _
    if "ngettext" in vars(_module):
        vars(_module)["ngettext"] = _ngettext


def _translate_params(cmd: click.Command, ctx: click.Context) -> None:
    """Options' help texts are `N_`-marked English ids: shown in the chosen language."""
    for p in cmd.get_params(ctx):
        if isinstance(p, click.Option) and p.help:
            msgid = p.__dict__.setdefault("_msgid", p.help)
            p.help = _(msgid).format_map(HELP_FIELDS)


class Command(click.Command):
    """A command whose docstring and option help are shown in the chosen language."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _translate_params(self, ctx)
        if self.help:
            msgid = self.__dict__.setdefault("_msgid", inspect.cleandoc(self.help))
            self.help = _(msgid)
        super().format_help_text(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.help and not self.short_help:
            msgid = self.__dict__.setdefault("_msgid", inspect.cleandoc(self.help))
            self.help = _(msgid)
        return super().get_short_help_str(limit)


class Group(Command, click.Group):
    """A click group that turns `ScoringError`s into clear messages and exit codes."""

    command_class = Command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScoringError as e:
            for problem in e.problems:  # names from submissions cannot drive the terminal
                click.echo(neutral(_("error: {problem}").format(problem=problem)), err=True)
            ctx.exit(e.exit_code)


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`--lang` for this invocation; without it, SCORING_LANG or the default (an earlier
    invocation in the same process does not carry over)."""
    set_language(value)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """`--version`, printed as click's own option prints it (a name and a number, the same in
    every language); the version is read here, only when it is shown."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"scoring, version {version()}", color=ctx.color)
    ctx.exit()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help=N_("Show the version and exit."))
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, is_eager=True,
              expose_value=False, callback=_choose_language,
              help=N_("Language of the messages: vi (default) or en; also the environment "
                      "variable SCORING_LANG."))
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
        click.echo(neutral(_("warning: {warning}").format(warning=w)), err=True)
    if total > SHOWN_WARNINGS:
        click.echo(_("warning: … and {count} more, not shown here; the JSON output lists every "
                     "one under \"warnings\"").format(count=f"{total - SHOWN_WARNINGS:,}"),
                   err=True)
