"""Progress bars on stderr for long runs, behind a callback the core can take without click.

The core stays free of terminals: a long step (reading files, evaluating rules, writing
outputs) accepts an optional `Progress` callback and calls it as `progress(stage, done,
total)`; `counted` wraps the rule evaluator so that evaluation reports without a hook in the
scorer. The CLI draws the bars (`scoring.cli.progress`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core's types, for annotations only: this module imports nothing heavy
    from scoring.evaluation.scorer import Evaluator
    from scoring.language.expr import Scope
    from scoring.rulesets.compile import Group

__all__ = ["DELAY", "Progress", "counted", "silent"]

Progress = Callable[[str, int, int], None]
DELAY = 1.0  # seconds a stage runs before its bar appears


def silent(stage: str, done: int, total: int) -> None:
    """The callback that reports nothing (what the core uses when given none)."""


class _Counted:
    """An evaluator that reports each group of rules it evaluates (see `counted`)."""

    def __init__(self, inner: Evaluator, total: int, progress: Progress, stage: str) -> None:
        self._inner, self._total, self._progress, self._stage = inner, total, progress, stage
        self._done = 0

    @property
    def facts_asserted(self) -> int:
        return self._inner.facts_asserted

    @facts_asserted.setter
    def facts_asserted(self, value: int) -> None:
        self._inner.facts_asserted = value

    def evaluate(self, group: Group, scopes: Sequence[Scope]) -> list[frozenset[int]]:
        fired = self._inner.evaluate(group, scopes)
        self._done += 1
        self._progress(self._stage, min(self._done, self._total), self._total)
        return fired


def counted(evaluator: Evaluator | None, total: int, progress: Progress,
            stage: str = "evaluating") -> Evaluator:
    """Wrap an evaluator (the rule engine when None) to report `stage` once per rule group.

    The scorer evaluates one group of rules (a criterion, a gate, a title) over all records
    at a time, so `total` is the rule set's number of groups: `len(compiled.groups())`. The
    scorer itself needs no progress hook.
    """
    if evaluator is None:
        from scoring.evaluation.engine import Engine

        evaluator = Engine()
    return _Counted(evaluator, total, progress, stage)
