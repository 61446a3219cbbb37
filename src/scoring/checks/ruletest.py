"""`scoring test`: run a rule set's worked examples and compare what they expect with the result.

An example is one person (`individual:`) or one unit (`unit:`) with the inputs a council would
type, optionally the unit the person works in (`unit:`) and the other people of that unit
(`members:`), and the outcome the council expects. Values are read exactly as a submission's
cells would be (through the record models generated from the declared inputs, defaults
included), so an example can only state what a CSV file could. Each example is scored on its
own, with the same scorer and engine as a real run: the person is `EX1`, its unit `EXU` in
cluster `EXK`, the colleagues `EXM1`, `EXM2`…; a `name:` may be given to any of them.

A malformed example (an unknown key in `expect`, an input the rule set does not declare, a value
its input refuses) fails with its `file:line`, like a wrong expectation: both mean the example
does not say what its author thought.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scoring.base.errors import ScoringError
from scoring.base.i18n import _
from scoring.checks import scenario
from scoring.checks.expectations import SUBJECT_ID, check_record_expect, compare_record, read_record
from scoring.evaluation.result import RecordResult, Result
from scoring.evaluation.scorer import Evaluator, score
from scoring.history.values import history_fields_for
from scoring.inputs.records import Record
from scoring.language import evaluate, expr, normal
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import Example, Kind
from scoring.run.app import compile_folder

UNIT_ID, CLUSTER = "EXU", "EXK"


@dataclass(frozen=True)
class Outcome:
    """One example's verdict; `details` says what differed (or why it could not run)."""

    name: str
    source: str
    passed: bool
    details: tuple[str, ...] = ()
    result: Result | None = field(default=None, compare=False, repr=False)  # for --coverage
    checked: tuple[str, ...] = ()  # the ids of the records whose outcome the example states

    def report(self) -> list[str]:
        if self.passed:
            return [_("PASS {name}").format(name=self.name)]
        return [_("FAIL {name}").format(name=self.name),
                _("  at {source}").format(source=self.source), *(f"  {d}" for d in self.details)]


def run_folder(folder: Path | str, evaluator: Evaluator | None = None) -> list[Outcome]:
    """Run the examples of the rule set in `folder` (a `RuleError` if it does not compile)."""
    return run_examples(compile_folder(Path(folder)), evaluator)


def run_examples(compiled: Compiled, evaluator: Evaluator | None = None) -> list[Outcome]:
    """Score every example of the compiled rule set and compare with its expectations."""
    if evaluator is None:
        from scoring.evaluation.engine import Engine

        evaluator = Engine()
    examples, problems = scenario.resolve_bases(compiled.ruleset.examples)
    return [Outcome(ex.name, ex.source, False, tuple(problems[ex.name])) if ex.name in problems
            else scenario_outcome(ex, compiled, evaluator) if scenario.is_scenario(ex)
            else run_example(ex, compiled, evaluator) for ex in examples]


def scenario_outcome(ex: Example, compiled: Compiled, evaluator: Evaluator) -> Outcome:
    """Score a scenario (several records, rounds, history: `checks.scenario`) and compare."""
    problems: list[str] = []
    if ex.individual is not None or ex.unit is not None or ex.members:
        problems.append(_("a scenario gives its records in 'units:' and 'people:', not in "
                          "'individual:', 'unit:' or 'members:'"))
    people, units = scenario.build(ex, compiled, problems)
    kinds: dict[str, Kind] = {**{u.id: "unit" for u in units},
                              **{p.id: "individual" for p in people}}
    groups = {r.id: r.parent for r in (*people, *units)}
    problems += scenario.check_expect(ex, compiled, kinds)
    rounds = scenario.rounds(ex, compiled, kinds, problems)
    store = scenario.history(ex, compiled, kinds, groups, problems)
    if problems:
        return Outcome(ex.name, ex.source, False, tuple(problems))
    year = compiled.ruleset.year
    try:
        past = history_fields_for(compiled, store, year, people, units)
        result = score(people, units, compiled, evaluator, rounds=rounds, history=past)
    except ScoringError as e:
        return Outcome(ex.name, ex.source, False, tuple(p.message for p in e.problems))
    diffs = scenario.compare(ex, result)
    return Outcome(ex.name, ex.source, not diffs, tuple(diffs), result,
                   tuple(map(str, ex.expect)))


def summary(outcomes: Sequence[Outcome]) -> str:
    passed = sum(1 for o in outcomes if o.passed)
    return _("{passed} passed, {failed} failed").format(passed=passed,
                                                         failed=len(outcomes) - passed)


def run_example(ex: Example, compiled: Compiled, evaluator: Evaluator) -> Outcome:
    problems = check_record_expect(ex, compiled)
    kind: Kind = "individual" if ex.individual is not None else "unit"
    if ex.individual is None and ex.unit is None:
        problems.append(_("an example needs 'individual:' (a person) or 'unit:' (a unit)"))
    people: list[Record] = []
    units: list[Record] = []
    # A person's example may leave out its unit; required unit inputs then stay missing, and the
    # example fails below only if the person's result depended on one of them.
    absent = set() if ex.unit is not None or kind == "unit" else {
        n for n, spec in compiled.kind("unit").inputs.items()
        if spec.is_required and spec.default is None}
    if not problems:
        units.append(read_record(compiled, "unit", dict(ex.unit or {}), ex, "unit",
                             {"id": UNIT_ID, "name": ex.name if kind == "unit" else UNIT_ID,
                              "cluster": CLUSTER}, problems, absent))
        if ex.individual is not None:
            people.append(read_record(compiled, "individual", dict(ex.individual), ex, "individual",
                                  {"id": SUBJECT_ID["individual"], "name": ex.name,
                                   "unit_id": UNIT_ID}, problems))
        for i, member in enumerate(ex.members, start=1):
            people.append(read_record(compiled, "individual", dict(member), ex, f"members[{i}]",
                                  {"id": f"EXM{i}", "name": f"member {i}", "unit_id": UNIT_ID},
                                  problems))
    if problems:
        return Outcome(ex.name, ex.source, False, tuple(problems))
    try:
        result = score(people, units, compiled, evaluator)
    except ScoringError as e:
        return Outcome(ex.name, ex.source, False, tuple(p.message for p in e.problems))
    actual = next(r for r in result.records(kind) if r.id == SUBJECT_ID[kind])
    needed = _depends_on(compiled, actual, units[0], absent) if absent else []
    if needed:
        return Outcome(ex.name, ex.source, False, tuple(
            _("unit.{name}: the result reads it and it has no default: give it in 'unit:'")
            .format(name=n) for n in needed))
    diffs = compare_record(ex.expect, actual)
    return Outcome(ex.name, ex.source, not diffs, tuple(diffs), result, (actual.id,))


def _depends_on(compiled: Compiled, rec: RecordResult, unit: Record,
                missing: set[str]) -> list[str]:
    """The unit inputs in `missing` that this person's result depended on.

    Each condition is evaluated in three-valued logic with the missing names unknown: a rule
    whose outcome is decided anyway (`is_head and unit.x >= 1` for someone who is not a head)
    does not need them. Bands are read in order up to the first that matches, as the scorer
    does, so later bands never need them either.
    """
    unknown = {f"unit.{n}" for n in missing}
    scope: dict[str, expr.Value] = {"id": rec.id, "name": rec.name, "unit_id": rec.parent,
                                    **dict(rec.inputs), **dict(rec.computed), **dict(rec.points),
                                    "score": rec.score}
    scope.update({d.title: d.title in rec.titles for d in rec.decisions})
    scope.update({f"unit.{k}": v for k, v in unit.values.items()})
    ck = compiled.kind(rec.kind)
    needed: set[str] = {n for _, node in ck.computed for n in expr.names(node)} & unknown
    groups = [c.group for c in ck.criteria] + [a.group for a in (*ck.bonus, *ck.deductions)]
    groups += [g.group for g in ck.gates]
    for group in groups:
        for rule in group.rules:
            verdict = _kleene(rule.cond, scope, unknown)
            if verdict is None:
                needed |= normal.cond_names(rule.cond) & unknown
                break
            if verdict:
                if rule.points is not None:
                    needed |= expr.names(rule.points) & unknown
                break
    for t in ck.titles:
        cond = normal.NfAnd(tuple(r.cond for r in t.group.rules))
        if _kleene(cond, scope, unknown) is None:
            needed |= normal.cond_names(cond) & unknown
    return sorted(n.removeprefix("unit.") for n in needed)


def _kleene(cond: normal.Cond, scope: expr.Scope, unknown: set[str]) -> bool | None:
    """Does the condition hold, with the `unknown` names unknown? None: it depends on them."""
    if isinstance(cond, normal.NfAnd | normal.NfOr):
        values = [_kleene(c, scope, unknown) for c in cond.items]
        decisive = isinstance(cond, normal.NfOr)  # True decides an or, False decides an and
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if isinstance(cond, normal.NfLeaf | normal.NfPresent):
        leaf_names = {cond.name} if isinstance(cond, normal.NfPresent) else expr.names(cond.term)
        if leaf_names & unknown:
            return None
    return evaluate.holds(cond, scope)


# ------------------------------------------------------------------------------ building


# ----------------------------------------------------------------------------- comparing


