"""The plain-Python evaluator of rule groups: the cross-check of the durable_rules engine.

It reads the same negation-normal-form conditions as the engine adapter but evaluates them
record by record with `evaluate.holds`. Tests score the same batches through both and require the
same hits, rule for rule; a disagreement means the engine compilation is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from scoring.language import evaluate, expr
from scoring.rulesets.compile import RuleGroup


class ReferenceEvaluator:
    facts_asserted = 0

    def evaluate(self, group: RuleGroup, scopes: Sequence[expr.Scope]) -> list[frozenset[int]]:
        out = []
        for n, scope in enumerate(scopes):
            try:
                out.append(frozenset(i for i, rule in enumerate(group.rules)
                                     if evaluate.holds(rule.cond, scope)))
            except evaluate.Undefined as e:  # located at its record for the scorer's message
                e.index = None
                raise e.at(n, scope) from None
        return out
