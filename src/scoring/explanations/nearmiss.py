"""Near misses: the smallest single input changes that would have helped a record, checked.

A council secretary is asked "what was missing?" far more often than "why this score?". So for
every condition a record failed where passing would help it (a title prerequisite, a band above
the one that applied, a criterion or bonus that did not fire), each failing leaf whose term reads
only the record's own inputs (directly or through computed fields) is solved, for each numeric
or enum input it reads, for the closest value that makes the leaf hold: `months_worked 9 → 10`,
`task_rating tot → xuat_sac`.

A proposal is only a hypothesis: another leaf may still fail, a quota may still cut, and a
change that meets one rule may move others. So each is verified by re-scoring the whole batch
with that one record changed (quotas and unit aggregates span records), and the report carries
the actual effect: score, criteria, titles gained or lost, and the other records whose titles
change with it (a quota place gained is a place someone else loses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from typing import Literal, TypeAlias

from scoring.base.choices import MAX_CHANGES
from scoring.base.i18n import _
from scoring.evaluation import scorer
from scoring.evaluation.result import Hit, RecordResult, Result
from scoring.history.values import history_fields_of
from scoring.inputs.batch import Batch
from scoring.language import evaluate, expr, normal, show
from scoring.rulesets.compile import CKind, Compiled, RuleGroup
from scoring.rulesets.schema import InputSpec

__all__ = [
    "MAX_CHANGES",
    "Change",
    "Effect",
    "NearMiss",
    "Stage",
    "Target",
    "applied_band",
    "failing_leaves",
    "near_misses",
    "own_inputs",
    "proposals",
    "targets",
    "verify_change",
    "with_value",
]

# Other records whose titles a change moves, listed by name before "and N more".
MAX_OTHERS = 5

Stage: TypeAlias = Literal["criteria", "adjust", "gates", "titles"]
Scopes: TypeAlias = Mapping[Stage, expr.Scope]


@dataclass(frozen=True)
class Target:
    """A condition the record failed, and what holding it would achieve, in words."""

    cond: normal.Cond
    stage: Stage
    goal: str


@dataclass(frozen=True)
class Change:
    """One proposed input change: `input` from `old` to `new`, to make `leaf` hold."""

    input: str
    old: expr.Value
    new: expr.Value
    goal: str
    leaf: str


@dataclass(frozen=True)
class Effect:
    """What the change actually did when the batch was scored again."""

    score: Decimal
    delta: Decimal
    criteria: tuple[tuple[str, Decimal, Decimal], ...]  # criterion, points before, after
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    others: tuple[str, ...]  # other records whose titles changed, in words


@dataclass(frozen=True)
class NearMiss:
    change: Change
    effect: Effect


def applied_band(group: RuleGroup, hit: Hit | None) -> int:
    """Index of the rule that gave the criterion's points; len(rules) when none fired (the
    scorer's hit for a criterion that did not fire has no condition)."""
    if hit is not None and hit.condition:
        for i, rule in enumerate(group.rules):
            if rule.key == hit.rule:
                return i
    return len(group.rules)


def targets(record: RecordResult, ck: CKind) -> list[Target]:
    """The conditions worth meeting: failed prerequisites of titles not awarded (unless a gate
    blocks the title anyway), the next band of each criterion that pays more, criteria and
    bonus that did not fire (never deductions or gates: incurring one would not help)."""
    out: list[Target] = []
    decisions = {d.title: d for d in record.decisions}
    for t in ck.titles:
        d = decisions.get(t.spec.id)
        if d is None or d.awarded or d.gated_by:
            continue
        for rule, p in zip(t.group.rules, d.prerequisites, strict=True):
            if not p.met:
                out.append(Target(rule.cond, "titles", _("meet {title} ({condition})").format(
                    title=t.spec.id, condition=rule.text)))
    hits = {h.item: h for h in record.hits if h.section == "criteria"}
    for c in ck.criteria:
        hit = hits.get(c.spec.id)
        now = hit.points if hit is not None and hit.points is not None else Decimal(0)
        for i in reversed(range(applied_band(c.group, hit))):
            rule = c.group.rules[i]
            # The next band up that pays more than today: a fixed amount no higher is no goal;
            # a formula is not judged at today's values, since the change would move it too.
            if (isinstance(rule.points, expr.Lit) and isinstance(rule.points.value, Decimal)
                    and min(rule.points.value, c.spec.max) <= now):
                continue
            goal = (_("reach band {number} of {criterion} ({points})").format(
                        number=i + 1, criterion=c.spec.id, points=_points(rule.points))
                    if c.banded and rule.points is not None
                    else _("earn {criterion} ({condition})").format(criterion=c.spec.id,
                                                                     condition=rule.text))
            out.append(Target(rule.cond, "criteria", goal))
            break
    fired = {h.item for h in record.hits if h.section == "bonus"}
    for a in ck.bonus:
        if a.spec.id not in fired:
            out.append(Target(a.group.rules[0].cond, "adjust",
                              _("earn bonus {bonus}").format(bonus=a.spec.id)))
    return out


def _points(node: expr.Node) -> str:
    text = show.unparse(node)
    return (_("{points} point") if text == "1" else _("{points} points")).format(points=text)


def failing_leaves(cond: normal.Cond, scope: expr.Scope) -> list[normal.NfLeaf | normal.NfPresent]:
    """The leaves of a condition that do not hold for this record."""
    return [leaf for leaf in normal.leaves(cond) if not _holds(leaf, scope)]


def _holds(cond: normal.Cond, scope: expr.Scope) -> bool:
    """`evaluate.holds`, a part without a value (a division by zero that the rest of its
    condition made irrelevant, or met only by a value tried here) counted as holding: no
    change is proposed for it."""
    try:
        return evaluate.holds(cond, scope)
    except evaluate.Undefined:
        return True


def with_value(scope: expr.Scope, ck: CKind, name: str, value: expr.Value
               ) -> dict[str, expr.Value]:
    """The scope with one input changed and the computed fields recomputed from it."""
    out = dict(scope)
    out[name] = value
    for cname, node in ck.computed:
        out[cname] = evaluate.evaluate(node, out)
    return out


def own_inputs(term: expr.Node, ck: CKind) -> list[str] | None:
    """The record's own inputs the term reads (through computed fields too), or None when it
    also reads something an input change cannot move by itself (points, score, titles)."""
    computed = dict(ck.computed)
    fixed = {"id", "name", "unit_id", "cluster"}
    pending, seen, found = list(expr.names(term)), set[str](), set[str]()
    while pending:
        n = pending.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in computed:
            pending.extend(expr.names(computed[n]))
        elif n in ck.inputs:
            found.add(n)
        elif n not in fixed and not n.startswith("unit."):
            return None
    return sorted(found)


def _exponent(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return exp if isinstance(exp, int) else 0


def _solve_enum(leaf: normal.NfLeaf, name: str, spec: InputSpec, scope: expr.Scope
                ) -> expr.Value:
    if (leaf.term == expr.Name(name) and leaf.op == "==" and isinstance(leaf.const, str)
            and leaf.const in (spec.values or {}) and scope.get(name) != leaf.const):
        return leaf.const
    return None


def _solve_number(leaf: normal.NfLeaf, name: str, spec: InputSpec, ck: CKind,
                  scope: expr.Scope) -> Decimal | None:
    """The value closest to the current one that makes the leaf hold, found by treating the
    term as linear in the input near its value and checking the neighbours of the solution
    (so a non-linear term never yields a wrong proposal, at worst none)."""
    if not isinstance(leaf.const, Decimal) or leaf.op == "!=":
        return None
    current = scope.get(name)
    base = current if isinstance(current, Decimal) else (spec.min or Decimal(0))

    def term_at(x: Decimal) -> expr.Value:
        try:
            return evaluate.evaluate(leaf.term, with_value(scope, ck, name, x))
        except evaluate.Undefined:  # no value here: no linear step to take from it
            return None

    f0, f1 = term_at(base), term_at(base + 1)
    if not isinstance(f0, Decimal) or not isinstance(f1, Decimal) or f1 == f0:
        return None
    solution = base + (leaf.const - f0) / (f1 - f0)
    if spec.type == "int":
        step = Decimal(1)
    else:
        step = Decimal(1).scaleb(min(_exponent(leaf.const), _exponent(base), -1))
    q = solution.quantize(step, rounding=ROUND_FLOOR)
    options = [q + k * step for k in (-1, 0, 1, 2)]
    valid = [x for x in options
             if x != current
             and (spec.min is None or x >= spec.min) and (spec.max is None or x <= spec.max)
             and _reaches(leaf, scope, ck, name, x)]
    if not valid:
        return None
    best = min(valid, key=lambda x: (abs(x - base), x))
    return best.quantize(Decimal(1)) if best == best.to_integral_value() else best.normalize()


def _reaches(leaf: normal.NfLeaf, scope: expr.Scope, ck: CKind, name: str, x: Decimal) -> bool:
    try:
        return evaluate.holds(leaf, with_value(scope, ck, name, x))
    except evaluate.Undefined:
        return False


def proposals(found: Sequence[Target], ck: CKind, scopes: Scopes,
              limit: int = MAX_CHANGES) -> list[Change]:
    """Single input changes that make a failing leaf of a target hold, first ones first."""
    out: list[Change] = []
    seen: set[tuple[str, expr.Value]] = set()
    for target in found if limit > 0 else ():
        scope = scopes[target.stage]
        for leaf in failing_leaves(target.cond, scope):
            if not isinstance(leaf, normal.NfLeaf):
                continue
            for name in own_inputs(leaf.term, ck) or ():
                if (ck.ratings is not None and name == ck.ratings.field
                        and scope.get("rating_points") is not None):
                    continue  # rated from points: the rating is not an input to change
                spec = ck.inputs[name]
                new: expr.Value = None
                if spec.type == "enum":
                    new = _solve_enum(leaf, name, spec, scope)
                elif spec.type in ("int", "number"):
                    new = _solve_number(leaf, name, spec, ck, scope)
                if new is None or (name, new) in seen:
                    continue
                seen.add((name, new))
                out.append(Change(name, scope.get(name), new, target.goal,
                                  show.render_leaf(leaf)))
                if len(out) >= limit:
                    return out
    return out


def verify_change(change: Change, record: RecordResult, result: Result, compiled: Compiled,
                  batch: Batch, evaluator: scorer.Evaluator | None = None) -> Effect:
    """Score the batch again with the one record's input changed; report what it did."""
    people, units = list(batch.individuals), list(batch.units)
    changed = people if record.kind == "individual" else units
    for i, r in enumerate(changed):
        if r.id == record.id:
            changed[i] = replace(r, values={**r.values, change.input: change.new})
    new = scorer.score(people, units, compiled, evaluator, result.warnings, batch.rounds,
                       batch.allow_incomplete, history_fields_of(result))
    after = next(r for r in new.records(record.kind) if r.id == record.id)
    criteria = tuple((cid, record.point(cid), after.point(cid)) for cid, _ in record.points
                     if record.point(cid) != after.point(cid))
    gained = tuple(t for t in after.titles if t not in record.titles)
    lost = tuple(t for t in record.titles if t not in after.titles)
    return Effect(after.score, after.score - record.score, criteria, gained, lost,
                  _others(record, result, new))


def _others(record: RecordResult, before: Result, after: Result) -> tuple[str, ...]:
    lines: list[str] = []
    for kind in ("individual", "unit"):
        now = {r.id: r for r in after.records(kind)}
        for r in before.records(kind):
            if (r.kind, r.id) == (record.kind, record.id) or r.id not in now:
                continue
            gained = [t for t in now[r.id].titles if t not in r.titles]
            lost = [t for t in r.titles if t not in now[r.id].titles]
            if gained and lost:
                text = _("{name} ({id}) gains {gained} and loses {lost}")
            elif gained:
                text = _("{name} ({id}) gains {gained}")
            elif lost:
                text = _("{name} ({id}) loses {lost}")
            else:
                continue
            lines.append(text.format(name=r.name, id=r.id, gained=", ".join(gained),
                                     lost=", ".join(lost)))
    if len(lines) > MAX_OTHERS:
        lines = [*lines[:MAX_OTHERS],
                 _("and {count} more").format(count=len(lines) - MAX_OTHERS)]
    return tuple(lines)


def near_misses(record: RecordResult, result: Result, compiled: Compiled, batch: Batch,
                scopes: Scopes, evaluator: scorer.Evaluator | None = None,
                limit: int = MAX_CHANGES) -> tuple[NearMiss, ...]:
    """Proposals for the record, each verified by re-scoring."""
    ck = compiled.kind(record.kind)
    changes = proposals(targets(record, ck), ck, scopes, limit)
    return tuple(NearMiss(c, verify_change(c, record, result, compiled, batch, evaluator))
                 for c in changes)
