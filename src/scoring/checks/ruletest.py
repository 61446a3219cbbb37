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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scoring.base.errors import ScoringError
from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.checks import scenario
from scoring.evaluation.result import RecordResult, Result, TitleDecision
from scoring.evaluation.scorer import Evaluator, score
from scoring.history.values import past_fields
from scoring.inputs.records import Origin, Record, record_model
from scoring.language import evaluate, expr, normal, show
from scoring.rulesets import schema_text
from scoring.rulesets.compile import IDENTITY, Compiled
from scoring.rulesets.ruleset import Example, Kind
from scoring.run.app import compile_folder

EXPECT_KEYS = ("score", "points", "titles", "not_titles", "hits", "rating", "reward")
SUBJECT_ID = {"individual": "EX1", "unit": "EXU"}
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
    groups = {r.id: r.group for r in (*people, *units)}
    problems += scenario.check_expect(ex, compiled, kinds)
    rounds = scenario.rounds(ex, compiled, kinds, problems)
    store = scenario.history(ex, compiled, kinds, groups, problems)
    if problems:
        return Outcome(ex.name, ex.source, False, tuple(problems))
    year = compiled.ruleset.year
    try:
        past = past_fields(compiled, store, year, people, units)
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
    problems = _check_expect(ex, compiled)
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
        units.append(_record(compiled, "unit", dict(ex.unit or {}), ex, "unit",
                             {"id": UNIT_ID, "name": ex.name if kind == "unit" else UNIT_ID,
                              "cluster": CLUSTER}, problems, absent))
        if ex.individual is not None:
            people.append(_record(compiled, "individual", dict(ex.individual), ex, "individual",
                                  {"id": SUBJECT_ID["individual"], "name": ex.name,
                                   "unit_id": UNIT_ID}, problems))
        for i, member in enumerate(ex.members, start=1):
            people.append(_record(compiled, "individual", dict(member), ex, f"members[{i}]",
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
    diffs = _compare(ex.expect, actual)
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
    scope: dict[str, expr.Value] = {"id": rec.id, "name": rec.name, "unit_id": rec.group,
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
        cond = normal.CAnd(tuple(r.cond for r in t.group.rules))
        if _kleene(cond, scope, unknown) is None:
            needed |= normal.cond_names(cond) & unknown
    return sorted(n.removeprefix("unit.") for n in needed)


def _kleene(cond: normal.Cond, scope: expr.Scope, unknown: set[str]) -> bool | None:
    """Does the condition hold, with the `unknown` names unknown? None: it depends on them."""
    if isinstance(cond, normal.CAnd | normal.COr):
        values = [_kleene(c, scope, unknown) for c in cond.items]
        decisive = isinstance(cond, normal.COr)  # True decides an or, False decides an and
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if isinstance(cond, normal.CLeaf | normal.CPresent):
        leaf_names = {cond.name} if isinstance(cond, normal.CPresent) else expr.names(cond.term)
        if leaf_names & unknown:
            return None
    return evaluate.holds(cond, scope)


# ------------------------------------------------------------------------------ building


def _record(compiled: Compiled, kind: Kind, given: dict[str, Any], ex: Example, label: str,
            identity: dict[str, str], problems: list[str],
            optional: set[str] | frozenset[str] = frozenset()) -> Record:
    """A validated record from an example's values, with defaults filled as a CSV's would be;
    the inputs named in `optional` may be left out (they are then missing)."""
    inputs = {n: s.model_copy(update={"required": False}) if n in optional else s
              for n, s in compiled.kind(kind).inputs.items()}
    overridable = ("name",) if kind == "individual" else ("name", "cluster")
    data: dict[str, Any] = dict(identity)
    for key, value in given.items():
        if key in inputs or key in overridable:
            data[key] = value
            continue
        known = [*inputs, *overridable]
        close = suggest(key, known)
        hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
        problems.append(_("{label}: unknown input {key!r}{hint}").format(label=label, key=key,
                                                                           hint=hint))
    for name in inputs:
        data.setdefault(name, None)
    model = record_model(kind, inputs)
    prefix = "unit" if label == "unit" else label
    try:
        values = model.model_validate(data).model_dump()
    except ValidationError as e:
        for loc, code, msg in schema_text.problems(e.errors(), data):
            field = str(loc[0]) if loc else ""
            found = data.get(field)
            told = code not in ("value_error", "assertion_error")  # the value is in `msg`
            shown = "" if found is None or told else _(" (found {value})").format(
                value=repr(found) if isinstance(found, str) else _show(found))
            problems.append(f"{prefix}.{field}: {msg}{shown}")
        values = {}
    ident = {k: str(values.pop(k, identity.get(k, ""))) for k in IDENTITY[kind]}
    values.pop("year", None)
    file, _colon, line = ex.source.rpartition(":")
    origin = Origin(file or ex.source, int(line) if line.isdigit() else 0)
    group = ident["unit_id" if kind == "individual" else "cluster"]
    return Record(kind, ident["id"], ident["name"], group, values, origin)


def _check_expect(ex: Example, compiled: Compiled) -> list[str]:
    """What is wrong with the `expect:` mapping itself (keys, ids, value types)."""
    problems: list[str] = []
    kind: Kind = "individual" if ex.individual is not None else "unit"
    ck = compiled.kind(kind)
    criteria = {c.spec.id for c in ck.criteria}
    titles = {t.spec.id for t in ck.titles}
    for key, value in ex.expect.items():
        if key not in EXPECT_KEYS:
            close = suggest(key, EXPECT_KEYS)
            hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
            problems.append(_("expect: unknown key {key!r}{hint}; keys: {keys}").format(
                key=key, hint=hint, keys=", ".join(EXPECT_KEYS)))
        elif key == "score" and _number(value) is None:
            problems.append(_("expect.score: {value!r} is not a number").format(value=value))
        elif key == "points":
            if not isinstance(value, Mapping):
                problems.append(_("expect.points: expected a mapping of criterion id to points"))
                continue
            for cid, pts in value.items():
                if cid not in criteria:
                    problems.append(_(CRITERION_OF[kind]).format(
                        id=cid, hint=_did_you_mean(str(cid), criteria)))
                elif _number(pts) is None:
                    problems.append(_("expect.points.{id}: {value!r} is not a number").format(
                        id=cid, value=pts))
        elif key in ("titles", "not_titles"):
            if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
                problems.append(_("expect.{key}: expected a list of title ids").format(key=key))
                continue
            problems += [_(TITLE_OF[kind]).format(key=key, id=t,
                                                  hint=_did_you_mean(t, titles))
                         for t in value if t not in titles]
        elif key == "reward" and _number(value) is None:
            problems.append(_("expect.reward: {value!r} is not a number (đồng)").format(
                value=value))
        elif key == "hits" and (not isinstance(value, list | tuple)
                                or not all(isinstance(h, str) for h in value)):
            problems.append(_("expect.hits: expected a list of rule ids"))
    return problems


CRITERION_OF = {"individual": N_("expect.points: {id!r} is not an individual criterion{hint}"),
                "unit": N_("expect.points: {id!r} is not a unit criterion{hint}")}
TITLE_OF = {"individual": N_("expect.{key}: {id!r} is not an individual title{hint}"),
            "unit": N_("expect.{key}: {id!r} is not a unit title{hint}")}


def _did_you_mean(word: str, known: set[str]) -> str:
    close = suggest(word, sorted(known))
    return _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)) if isinstance(value, int | Decimal | str) else None
    except InvalidOperation:
        return None


# ----------------------------------------------------------------------------- comparing


def _show(value: object) -> str:
    if isinstance(value, Decimal):
        return show.format_number(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _compare(expect: Mapping[str, Any], rec: RecordResult) -> list[str]:
    """One line per expectation that the result does not meet."""
    out: list[str] = []
    if "score" in expect:
        want = _number(expect["score"])
        if want != rec.score:
            out.append(_("score: expected {want}, got {got}").format(want=_show(want),
                                                                     got=_show(rec.score)))
    for cid, pts in dict(expect.get("points", {})).items():
        want = _number(pts)
        if want != rec.point(cid):
            out.append(_("points.{id}: expected {want}, got {got}").format(
                id=cid, want=_show(want), got=_show(rec.point(cid))))
    decisions = {d.title: d for d in rec.decisions}
    if "titles" in expect:
        want_titles = set(expect["titles"])
        got = set(rec.titles)
        if want_titles != got:
            order = [d.title for d in rec.decisions]
            out.append(_("titles: expected {want}, got {got}").format(
                want=_show(sorted(want_titles, key=order.index)),
                got=_show(sorted(got, key=order.index))))
            out += [f"  {t}: {_why_not(decisions[t])}" for t in order
                    if t in want_titles - got]
    out += [_("not_titles: {title} was awarded").format(title=t)
            for t in expect.get("not_titles", ()) if t in rec.titles]
    fired = {h.rule for h in rec.hits if h.condition} | {h.item for h in rec.hits if h.condition}
    missing = [h for h in expect.get("hits", ()) if h not in fired]
    if missing:
        shown = sorted(h.rule for h in rec.hits if h.condition)
        out.append(_("hits: expected {want} to fire; fired: {got}").format(
            want=_show(missing), got=_show(shown)))
    if "reward" in expect and _number(expect["reward"]) != rec.reward:
        detail = ", ".join(f"{t} {show.format_number(a)}" for t, a in rec.rewards) or _("none")
        detail += "".join(_("; {title} {amount} not paid: {paid} rewards the same achievement")
                          .format(title=u.title, amount=show.format_number(u.amount),
                                  paid=u.paid) for u in rec.not_paid)
        out.append(_("reward: expected {want}, got {got} ({detail})").format(
            want=expect["reward"], got=show.format_number(rec.reward), detail=detail))
    if "rating" in expect:
        got_rating = rec.rating.final if rec.rating is not None else None
        if got_rating != expect["rating"]:
            out.append(_("rating: expected {want}, got {got}").format(
                want=expect["rating"],
                got=got_rating if got_rating is not None else _("no rating")))
    return out


def _why_not(d: TitleDecision) -> str:
    """Why a title was not awarded: failed prerequisites, a gate, or the quota's cut."""
    if d.gated_by:
        return _("blocked by {gates}").format(gates=", ".join(d.gated_by))
    failed = [f"{p.condition} ({p.detail})" for p in d.prerequisites if not p.met]
    if failed:
        return _("not met: {conditions}").format(conditions="; ".join(failed))
    q = d.quota
    if q is not None and q.cut:
        return _("cut by the quota ({scope}: rank {rank}, {places} place(s))").format(
            scope=q.scope, rank=q.rank, places=q.places)
    return _("not awarded")
