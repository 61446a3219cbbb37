"""Progress of the rule evaluation: an evaluator that reports each group of rules it evaluates.

The scorer evaluates one group of rules (a criterion, a gate, a title) over all records at a
time; wrapping the evaluator lets evaluation report progress without a hook in the scorer.
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring.base.progress import Progress
from scoring.evaluation.scorer import Evaluator
from scoring.language.expr import Scope
from scoring.rulesets.compile import RuleGroup

__all__ = ["counted"]


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

    def evaluate(self, group: RuleGroup, scopes: Sequence[Scope]) -> list[frozenset[int]]:
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
        from scoring.evaluation.engine import Engine  # the engine loads only when needed

        evaluator = Engine()
    return _Counted(evaluator, total, progress, stage)
