"""The exception hierarchy: every user mistake is a `ScoringError` that the CLI maps to exit 2.

Errors carry structured fields (where, what was found, what was expected) rather than only a
string, so that the CLI can print one line per problem and tests can assert on the location.
A command that finds several problems raises one error holding all of them: a secretary fixing
a workbook wants every bad cell at once, not one per run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from scoring.base.i18n import _

EXIT_USAGE = 2
EXIT_PROBLEMS = 1


@dataclass(frozen=True)
class Problem:
    """One located problem: `where` is `file:line`, `file, sheet, row N, column C` or similar."""

    where: str
    message: str
    rule: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{prefix}{rule}{self.message}"


@dataclass
class ScoringError(Exception):
    """Root of the hierarchy; `problems` lists everything found, in a stable order."""

    problems: list[Problem] = field(default_factory=list)
    exit_code: int = EXIT_USAGE

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def one(cls, where: str, message: str, rule: str | None = None) -> ScoringError:
        return cls([Problem(where, message, rule)])


class InputError(ScoringError):
    """A submission file cannot be used: location is file, sheet, row and column."""


class RuleError(ScoringError):
    """A rule file is invalid: location is file:line, with the rule id when known."""


class UsageError(ScoringError):
    """The command line names something that cannot be used (missing path, bad option mix)."""


class OutputError(ScoringError):
    """An output cannot be written (exists without --force, sealed folder, unwritable path)."""


def input_location(
    file: str, row: int | None = None, column: str | None = None, sheet: str | None = None
) -> str:
    """Format an input location the same way everywhere: `file, sheet S, row N, column C`."""
    parts = [file]
    if sheet:
        parts.append(_("sheet {sheet}").format(sheet=sheet))
    if row is not None:
        parts.append(_("row {row}").format(row=row))
    if column:
        parts.append(_("column {column!r}").format(column=column))
    return ", ".join(parts)


def raise_all(error_type: type[ScoringError], problems: Sequence[Problem]) -> None:
    """Raise `error_type` with every problem, or do nothing when there are none."""
    if problems:
        raise error_type(list(problems))


def collect(errors: Iterable[ScoringError]) -> list[Problem]:
    """Flatten several errors into one list of problems."""
    return [p for e in errors for p in e.problems]
