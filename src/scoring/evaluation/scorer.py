"""The scoring pipeline: records + compiled rules → `Result`. Pure: no I/O, no clock.

Phases, in order, for individuals then units (a unit reads its members' titles):
computed fields → criteria → bonus and deductions → score → gates → titles (prerequisites through
the engine, then quotas cut by rank) → for units, aggregates of members come first → ranks.
The quotas (a title's, and a rating's cap) are `evaluation.quotas`; the order every ranking
follows is `evaluation.ranking`.
Every condition goes through an `Evaluator` (durable_rules in production, the plain evaluator in
the cross-check); points formulas are evaluated in exact decimals for the rule that fired.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

from scoring.base.errors import InputError, Problem
from scoring.base.i18n import _
from scoring.evaluation import conditions, rewards
from scoring.evaluation.quotas import apply_quota, rating_quota
from scoring.evaluation.ranking import ranked_per_scope
from scoring.evaluation.result import (
    AggregateValue,
    Hit,
    Prerequisite,
    RatingDecision,
    RecordResult,
    Result,
    TieBreak,
    TitleDecision,
)
from scoring.evaluation.ties import tie_breaks
from scoring.inputs.records import Record
from scoring.inputs.rounds import RoundData, RoundValue, missing_judged
from scoring.language import closures, evaluate, expr, normal, show
from scoring.language.why import explained
from scoring.rulesets import scopes
from scoring.rulesets.compile import (
    JUDGED,
    RATING_POINTS,
    CAdjustment,
    CAggregate,
    CCriterion,
    CGate,
    CKind,
    Compiled,
    Rule,
    RuleGroup,
)
from scoring.rulesets.schema import KINDS, Achievement, Kind

ZERO = Decimal(0)


class Evaluator(Protocol):
    """What evaluates a group of rules over records: for each record's scope, the indices of
    the group's rules whose condition holds. The rule engine (`evaluation.engine.Engine`,
    durable-rules) is the one used to score; `evaluation.reference.ReferenceEvaluator` evaluates
    the same closures record by record, to cross-check it and as the benchmark's baseline.
    `facts_asserted` counts what the engine was given."""

    facts_asserted: int

    def evaluate(self, group: RuleGroup, scopes: Sequence[expr.Scope]) -> list[frozenset[int]]: ...


@dataclass
class _State:
    ck: CKind
    records: list[Record]
    scopes: list[dict[str, expr.Value]]
    rounds: RoundData
    missing: dict[tuple[Kind, str], list[str]]
    hits: list[list[Hit]] = field(default_factory=list)
    points: list[dict[str, Decimal]] = field(default_factory=list)
    decisions: list[list[TitleDecision]] = field(default_factory=list)
    gates: list[dict[str, str]] = field(default_factory=list)
    aggregates: list[list[AggregateValue]] = field(default_factory=list)
    ratings: list[RatingDecision | None] = field(default_factory=list)
    warnings: list[list[str]] = field(default_factory=list)
    shared: _Shared = field(default_factory=lambda: _Shared())

    def __post_init__(self) -> None:
        n = len(self.records)
        self.ratings = [None] * n
        self.warnings = [[] for _ in range(n)]
        self.hits = [[] for _ in range(n)]
        self.points = [{} for _ in range(n)]
        self.decisions = [[] for _ in range(n)]
        self.gates = [{} for _ in range(n)]
        self.aggregates = [[] for _ in range(n)]
        index = {r.id: i for i, r in enumerate(self.records)}
        for (kind, rid, item), values in self.rounds.values.items():
            if kind == self.ck.kind and rid in index:
                self.scopes[index[rid]][JUDGED + item] = values[-1].points

    def history(self, i: int, item: str) -> tuple[RoundValue, ...]:
        if not self.rounds.values:
            return ()
        return self.rounds.history(self.ck.kind, self.records[i].id, item)


def score(
    individuals: Sequence[Record],
    units: Sequence[Record],
    compiled: Compiled,
    evaluator: Evaluator | None = None,
    warnings: Sequence[str] = (),
    rounds: RoundData | None = None,
    allow_incomplete: bool = False,
    history: dict[tuple[Kind, str], dict[str, expr.Value]] | None = None,
) -> Result:
    """Score a batch. Records must already be validated and cross-checked (`records.py`).

    Judged criteria take their points from `rounds`; one with no value in any round stops
    the run (InputError) unless `allow_incomplete`, which marks the records provisional.
    `history` gives records, by (kind, id), the precomputed `past.` fields that their rules'
    history functions read (`scoring.history.values.history_fields_for`); they are read like inputs.
    """
    rounds = rounds or RoundData()
    missing = judged_missing(compiled, rounds, allow_incomplete, individuals, units)
    if evaluator is None:
        from scoring.evaluation.engine import Engine

        evaluator = Engine()
    individuals = with_history_fields(individuals, history)
    units = with_history_fields(units, history)
    uni = rate_units(units, compiled, evaluator, rounds, missing)
    ind = score_members(individuals, uni, compiled, evaluator, rounds, missing)
    aggregate_members(uni, ind)
    return finish(compiled, evaluator, warnings, ind_results(ind, compiled), uni)


def judged_missing(compiled: Compiled, rounds: RoundData, allow_incomplete: bool,
                   *records: Iterable[Record]) -> dict[tuple[Kind, str], list[str]]:
    """Judged criteria without a value in any round, per record; an InputError naming every
    such record unless `allow_incomplete` (the records are then marked provisional)."""
    ids: dict[Kind, list[str]] = {"individual": [], "unit": []}
    origins: dict[tuple[Kind, str], Record] = {}
    for group in records:
        for r in group:
            ids[r.kind].append(r.id)
            origins[(r.kind, r.id)] = r
    missing = missing_judged(compiled, ids, rounds)
    if missing and not allow_incomplete:
        raise InputError([
            Problem(str(origins[key].origin), _(
                "{name}: no value in any round for judged {criteria} (give it in a round file, "
                "or --allow-incomplete to score {id} as provisional)").format(
                    name=origins[key].name, criteria=", ".join(repr(c) for c in cids),
                    id=key[1]))
            for key, cids in sorted(missing.items())
        ])
    return missing


# A run is these phases. `score` runs them on the whole batch; the streaming path
# (`streaming.stream`) runs `score_members` on a few units at a time with every member of those
# units, which gives the same results exactly when every cross-record step over people (rating
# quota, title quotas, ranking) stays inside one unit: see `members_stay_in_unit`.


def with_history_fields(records: Sequence[Record],
              history: dict[tuple[Kind, str], dict[str, expr.Value]] | None) -> list[Record]:
    """Records with the `past.` fields their history functions read, as inputs."""
    if not history:
        return list(records)
    out = []
    for r in records:
        new = object.__new__(type(r))  # `replace`, without running __init__ field by field
        new.__dict__.update(r.__dict__)
        new.values = {**r.values, **history.get((r.kind, r.id), {})}
        out.append(new)
    return out


def rate_units(units: Sequence[Record], compiled: Compiled, ev: Evaluator, rounds: RoundData,
               missing: dict[tuple[Kind, str], list[str]]) -> _State:
    """Every unit rated (bands, overrides, quota), in id order.

    Units are rated first (ratings read only a unit's own inputs), so that a head's rules read
    the unit's final rating as `unit.<field>`, whether it came from points or paper."""
    units = sorted(units, key=lambda r: r.id)
    uni = _State(compiled.kind("unit"), list(units), [_unit_scope(u) for u in units], rounds,
                 missing)
    _rate(uni, ev, late=False)
    return uni


def score_members(individuals: Sequence[Record], uni: _State, compiled: Compiled,
                  ev: Evaluator, rounds: RoundData,
                  missing: dict[tuple[Kind, str], list[str]]) -> _State:
    """People rated, scored and given their titles, reading their rated units' values."""
    individuals = sorted(individuals, key=lambda r: r.id)
    unit_values = {str(s["id"]): _as_unit(s) for s in uni.scopes}
    ind = _State(compiled.kind("individual"), list(individuals),
                 [_individual_scope(r, unit_values.get(r.parent)) for r in individuals],
                 rounds, missing)
    _rate(ind, ev, late=False)
    _score_kind(ind, ev)
    _decide_titles(ind, ev, compiled)
    return ind


def ind_results(ind: _State, compiled: Compiled) -> list[RecordResult]:
    """People's results (ranks included) once they are scored."""
    return _results(ind, "individual", reward_amounts(compiled)[1], _achievements(compiled))


def unit_subset(uni: _State, ids: Sequence[str]) -> _State:
    """A view of some rated units (the same scope dicts), to aggregate a part of the people."""
    index = {r.id: i for i, r in enumerate(uni.records)}
    chosen = sorted(index[u] for u in ids if u in index)
    return _State(uni.ck, [uni.records[i] for i in chosen], [uni.scopes[i] for i in chosen],
                  uni.rounds, uni.missing)


def finish(compiled: Compiled, ev: Evaluator, warnings: Sequence[str],
           people: Sequence[RecordResult], uni: _State) -> Result:
    """Units scored and given their titles (their aggregates set), and the Result."""
    _score_kind(uni, ev)
    _decide_titles(uni, ev, compiled)
    rs = compiled.ruleset
    salary, amounts = reward_amounts(compiled)
    unit_results = tuple(_results(uni, "unit", amounts, _achievements(compiled)))
    per_record = [f"{r.id} ({r.name}): {w}" for r in (*people, *unit_results) for w in r.warnings]
    return Result(
        ruleset=rs.ruleset, year=rs.year, name=rs.name, hash=compiled.hash,
        individuals=tuple(people),
        units=unit_results,
        warnings=(*warnings, *per_record),
        engine_facts=ev.facts_asserted,
        titles=tuple((t.spec.id, t.spec.label, t.spec.of)
                     for k in KINDS for t in compiled.kind(k).titles),
        labels=_labels(compiled),
        rounds=tuple((r.id, r.label) for r in rs.rounds),
        base_salary=salary.amount if salary is not None else None,
        reward_rule=(rewards.rule_text(rs.rewards, salary)
                     if rs.rewards is not None and salary is not None else ""),
        decision_date=salary.decision_date if salary is not None else "",
        achievements=tuple((a.id, a.label, a.titles) for a in _achievements(compiled)),
    )


def _achievements(compiled: Compiled) -> tuple[Achievement, ...]:
    rw = compiled.ruleset.rewards
    return (rw.same_achievement or ()) if rw is not None else ()


def members_stay_in_unit(compiled: Compiled) -> list[str]:
    """Why people cannot be scored a few units at a time: each step over people (rating quota,
    title quota, ranking) whose scope is wider than one unit. Empty when they can."""
    ck = compiled.kind("individual")
    out: list[str] = []
    if ck.ratings is not None and ck.ratings.quota is not None \
            and not scopes.within_unit(ck.ratings.per):
        out.append(_("the rating quota counts per {scope}").format(
            scope=", ".join(ck.ratings.per)))
    out.extend(_("title {title}'s quota counts per {scope}").format(
        title=t.spec.id, scope=", ".join(t.per))
        for t in ck.titles if t.quota is not None and not scopes.within_unit(t.per))
    if not scopes.within_unit(ck.rank_per):
        out.append(_("people are ranked per {scope}").format(scope=", ".join(ck.rank_per)))
    return out


def reward_amounts(compiled: Compiled) -> tuple[rewards.Salary | None, dict[str, Decimal]]:
    """The base salary the rewards use and each title's reward (see `evaluation.rewards`)."""
    rw = compiled.ruleset.rewards
    if rw is None:
        return None, {}
    salary = rewards.base_salary(rw, compiled.constants)
    return salary, rewards.amounts(compiled.ruleset, salary)


def _as_unit(unit: expr.Scope) -> dict[str, expr.Value]:
    """A unit's inputs (and final rating) as its members read them: `unit.<name>`."""
    return {f"unit.{k}": v for k, v in unit.items() if k != RATING_POINTS}


def _individual_scope(r: Record, unit: dict[str, expr.Value] | None) -> dict[str, expr.Value]:
    """A person's values, with their unit's as `unit.<name>` (`_as_unit`)."""
    scope: dict[str, expr.Value] = {"id": r.id, "name": r.name, "unit_id": r.parent}
    scope.update(r.values)
    if unit is not None:
        scope.update(unit)
    return scope


def _unit_scope(u: Record) -> dict[str, expr.Value]:
    return {"id": u.id, "name": u.name, "cluster": u.parent, **u.values}


def _reads(names: Sequence[str], values: Sequence[expr.Value]
           ) -> tuple[tuple[str, expr.Value], ...]:
    return tuple(zip(names, values, strict=True))


def _rule_names(rule: Rule) -> set[str]:
    out = normal.cond_names(rule.cond)
    if rule.points is not None:
        out |= expr.names(rule.points)
    return out


def _exact(values: Sequence[expr.Value]) -> tuple[object, ...]:
    """A key equal only for values that read the same: Decimal("1.0") is not Decimal("1"),
    and True is not Decimal(1), though both pairs compare equal in Python."""
    return tuple([(v, str(v)) if v.__class__ is Decimal else v for v in values])


class _Shared:
    """Ledger entries shared by every record that read the same values.

    A hit (or a failed prerequisite's explanation) is a function of the rule and the values it
    reads and nothing else, so records with the same values get the same frozen object: built
    once, held once. This is the engine's signature sharing carried through to the ledger.
    """

    def __init__(self) -> None:
        self._names: dict[int, tuple[Rule, tuple[str, ...]]] = {}
        self.entries: dict[tuple[object, ...], Any] = {}
        self.pairs: dict[tuple[str, ...], list[dict[int, Any]]] = {}

    def names(self, rule: Rule) -> tuple[str, ...]:
        """The names a rule reads (condition and points), sorted: a hit's `reads`."""
        hit = self._names.get(id(rule))
        if hit is None or hit[0] is not rule:
            hit = (rule, tuple(sorted(_rule_names(rule))))
            self._names[id(rule)] = hit
        return hit[1]


V = TypeVar("V", bound=expr.Value)


def _interned(shared: _Shared, names: tuple[str, ...], values: Sequence[V]
              ) -> tuple[tuple[str, V], ...]:
    """`tuple(zip(names, values))` with every (name, value) pair shared between records that
    hold the same value object (validation gives equal cells one object; a ledger of a million
    records repeats a few thousand pairs). Keyed by identity, a table per name (looked up at C
    speed): exact, and the pair kept in the table keeps its value alive, so an id is never
    reused while it is a key."""
    tables = shared.pairs.get(names)
    if tables is None:
        tables = shared.pairs[names] = [{} for _ in names]
    ids = list(map(id, values))
    found: list[Any] = list(map(dict.get, tables, ids))
    if None in found:  # only a record with a value not seen before goes through them one by one
        for j, pair in enumerate(found):
            if pair is None:
                found[j] = tables[j][ids[j]] = (names[j], values[j])
    return tuple(found)


@contextmanager
def _about(st: _State, rule: str, source: str = "") -> Iterator[None]:
    """Arithmetic without a value (`evaluate.Undefined`, a division by zero the rule does not
    declare) met inside: an input error naming the record, the rule and the values."""
    try:
        yield
    except evaluate.Undefined as e:
        raise InputError([undefined_problem(e, st.records, st.scopes, rule, source)]) from None


def undefined_problem(e: evaluate.Undefined, records: Sequence[Record],
                      scopes: Sequence[expr.Scope], rule: str, source: str) -> Problem:
    """The problem an `evaluate.Undefined` met while scoring `records` is reported as."""
    i = e.index if e.index is not None and e.index < len(scopes) and (
        e.scope is None or scopes[e.index] is e.scope) else next(
        (n for n, s in enumerate(scopes) if s is e.scope), None)
    at = _(" (rule at {source})").format(source=source) if source else ""
    if i is None:
        return Problem("", f"{e.describe()}{at}", rule)
    r = records[i]
    e.index, e.scope = None, None
    return Problem(str(r.origin), f"{r.id} ({r.name}): {e.at(i, scopes[i]).describe()}{at}",
                   rule)


def _amount(rule: Rule, scope: expr.Scope) -> tuple[Decimal, str]:
    assert rule.points is not None
    value = closures.compiled(rule.points)(scope)
    if value is None:
        return ZERO, _("the formula read a missing value; counted as 0")
    assert isinstance(value, Decimal)
    return value, ""


def _rate(st: _State, ev: Evaluator, late: bool) -> None:
    """Ratings from points: bands, then overrides, then the quota relative to another class.

    Called twice per kind, before the criteria (`late=False`) and after the score (`late=True`):
    the ratings run at the one their rules read (`CRatings.late`, see `scoring.rulesets.stages`)."""
    cr = st.ck.ratings
    if cr is None or cr.late != late:
        return
    problems: list[Problem] = []
    source = cr.bands.rules[0].source if cr.bands.rules else ""
    with _about(st, "ratings", source):
        for scope, value in zip(st.scopes, closures.column(cr.points, st.scopes), strict=True):
            scope[RATING_POINTS] = value
        bands = ev.evaluate(cr.bands, st.scopes)
        overrides = ev.evaluate(cr.overrides, st.scopes)
    # A decision is a function of the rating given, the points (exact digits), the band and
    # the override: records alike share it (the quota below replaces, never changes, one).
    decided: dict[tuple[object, ...], tuple[expr.Value, RatingDecision]] = {}
    for i, scope in enumerate(st.scopes):
        given = scope.get(cr.field)
        points = scope[RATING_POINTS]
        key = (given, points, str(points), min(bands[i]) if bands[i] else -1,
               min(overrides[i]) if overrides[i] else -1)
        found = decided.get(key)
        if found is not None:
            scope[cr.field], st.ratings[i] = found
            if found[1].warning:
                st.warnings[i].append(found[1].warning)
            continue
        band = band_rule = None
        if isinstance(points, Decimal) and bands[i]:
            band = cr.band_ratings[min(bands[i])]
            band_rule = cr.bands.rules[min(bands[i])].key
        final = band if band is not None else given
        if final is None:
            problems.append(Problem(str(st.records[i].origin), _(
                "neither the points ({points}) nor the rating {field!r} are given").format(
                    points=show.unparse(cr.points), field=cr.field)))
            continue
        override = cr.override_specs[min(overrides[i])] if overrides[i] else None
        if override is not None:
            final = override.rating
        warning = ""
        if given is not None and band is not None and given != band:
            warning = _("{field} given as {given!r} but the points ({points}) give {band!r}; "
                        "the points decide").format(
                field=cr.field, given=given, band=band,
                points=show.format_number(points))  # type: ignore[arg-type]
            st.warnings[i].append(warning)
        scope[cr.field] = final
        st.ratings[i] = RatingDecision(
            cr.field, str(final), None if given is None else str(given),
            points if isinstance(points, Decimal) else None, band, band_rule or "",
            override.id if override else "", override.reason if override else "",
            warning=warning)
        decided[key] = (final, st.ratings[i])  # type: ignore[assignment]
    if problems:
        raise InputError(problems)
    if cr.quota is not None:
        rating_quota(cr, st.scopes, st.ratings)


def _score_kind(st: _State, ev: Evaluator) -> None:
    ck = st.ck
    for name, node in ck.computed:
        with _about(st, name):
            for scope, value in zip(st.scopes, closures.column(node, st.scopes), strict=True):
                scope[name] = value
    for c in ck.criteria:
        with _about(st, c.spec.id, c.spec.source):
            fired = ev.evaluate(c.group, st.scopes)
            found = _criterion_hits(st.shared, c, fired, st.scopes)
        cid = c.spec.id
        if not st.rounds.values:  # no review rounds: each record takes its computed points
            for scope, points, hits, (pts, hit) in zip(st.scopes, st.points, st.hits, found,
                                                       strict=True):
                scope[cid] = points[cid] = pts
                hits.append(hit)
            continue
        for i, scope in enumerate(st.scopes):
            pts, hit = found[i]
            history = st.history(i, c.spec.id)
            if history and c.spec.judged is None:
                last = history[-1]
                hit = replace(hit, points=last.points, computed=pts, rounds=history,
                              note=(_("computed {computed}; set to {points} by {round} "
                                      "({who}): {reason}") if last.who else
                                    _("computed {computed}; set to {points} by {round}: "
                                      "{reason}")).format(
                                  computed=show.format_number(pts),
                                  points=show.format_number(last.points), round=last.label,
                                  who=last.who, reason=last.reason))
                pts = last.points
            elif history:
                hit = replace(hit, rounds=history)
            scope[c.spec.id] = pts
            st.points[i][c.spec.id] = pts
            st.hits[i].append(hit)
    for adj in (*ck.bonus, *ck.deductions):
        with _about(st, adj.spec.id, adj.spec.source):
            fired = ev.evaluate(adj.group, st.scopes)
            at = [i for i, f in enumerate(fired) if 0 in f]
            if st.rounds.values:  # a round may have set a record's value: one by one
                hits = [_adjustment_hit(st.shared, adj, st.scopes[i], st.history(i, adj.spec.id))
                        for i in at]
            else:
                hits = _by_reading(st.shared, adj.group.rules[0], st.scopes, at, partial(
                    lambda a, i: _adjustment_hit(st.shared, a, st.scopes[i], ()), adj))
        for i, hit in zip(at, hits, strict=True):
            st.hits[i].append(hit)
    for i, scope in enumerate(st.scopes):
        scope["score"] = sum((h.points for h in st.hits[i] if h.points is not None), ZERO)
    _rate(st, ev, late=True)
    for g in ck.gates:
        with _about(st, g.id, g.group.rules[0].source if g.group.rules else ""):
            fired = ev.evaluate(g.group, st.scopes)
        at = [i for i, f in enumerate(fired) if 0 in f]
        hits = _by_reading(st.shared, g.group.rules[0], st.scopes, at, partial(
            lambda gate, i: _gate_hit(st.shared, gate, st.scopes[i]), g))
        for i, hit in zip(at, hits, strict=True):
            st.gates[i][g.id] = g.label
            st.hits[i].append(hit)


T = TypeVar("T")


def _by_reading(shared: _Shared, rule: Rule, scopes: Sequence[expr.Scope], at: Sequence[int],
                build: Callable[[int], T]) -> list[T]:
    """`[build(i) for i in at]` for an entry that is a function of the values `rule` reads:
    the records are keyed by those values (exact digits included) a column at a time, and
    `build` runs once per key, on the first record with it (so an error names that record)."""
    if not at:
        return []
    names = shared.names(rule)
    sub = [scopes[i] for i in at]
    columns = [closures.field_column(n, sub) for n in names]
    digits = [list(map(str, c)) for c in columns if Decimal in set(map(type, c))]
    keys = list(zip(*columns, *digits, strict=True)) if columns else [()] * len(sub)
    first = dict(zip(reversed(keys), reversed(at), strict=True))
    built = {key: build(first[key]) for key in dict.fromkeys(keys)}
    return list(map(built.__getitem__, keys))


def _criterion_hits(shared: _Shared, c: CCriterion, fired: Sequence[frozenset[int]],
                    scopes: Sequence[expr.Scope]) -> list[tuple[Decimal, Hit]]:
    """`_criterion_hit` for every record, computed once per distinct reading.

    A record's entry depends on the first band that fired and the values of the names the
    group's rules read, so records are grouped by those (exact digits included), a column at a
    time, and each group's entry is computed once on a scope of just those values.
    """
    group = c.group
    names = sorted({n for r in group.rules for n in shared.names(r)} | group.reads)
    columns = [closures.field_column(n, scopes) for n in names]
    digits = [list(map(str, col)) for col in columns if Decimal in set(map(type, col))]
    first = [min(f) if f else -1 for f in fired]
    keys = list(zip(first, *columns, *digits, strict=True))
    distinct: dict[tuple[Any, ...], tuple[Decimal, Hit]] = {}
    for key in dict.fromkeys(keys):
        scope = dict(zip(names, key[1:], strict=False))
        band = frozenset((key[0],)) if key[0] >= 0 else frozenset()  # only its first counts
        try:
            distinct[key] = _criterion_hit(shared, c, band, scope)
        except evaluate.Undefined as e:  # named at the first record with these values
            at = keys.index(key)
            e.index = e.scope = None
            raise e.at(at, scopes[at]) from None
    return list(map(distinct.__getitem__, keys))


def _criterion_hit(shared: _Shared, c: CCriterion, fired: frozenset[int],
                   scope: expr.Scope) -> tuple[Decimal, Hit]:
    """The criterion's points and its hit: the first band that fired, or why none did."""
    group = c.group
    if not fired:
        names = tuple(sorted(group.reads))
        values = tuple(map(scope.get, names))
        key: tuple[object, ...] = (id(group), None, _exact(values))
        found = shared.entries.get(key)
        if found is None:
            why = _("no band matched") if c.banded else _("condition not met")
            found = (ZERO, Hit(group.name, "criteria", c.spec.id, c.spec.label, "",
                               _reads(names, values), ZERO, ZERO, c.spec.max, why))
            shared.entries[key] = found
        return found
    index = min(fired)  # first match wins
    rule = group.rules[index]
    names = shared.names(rule)
    values = tuple(map(scope.get, names))
    key = (id(group), index, _exact(values))
    found = shared.entries.get(key)
    if found is None:
        cap = c.spec.max
        raw, note = _amount(rule, scope)
        pts = min(max(raw, ZERO), cap)
        if pts != raw and not note:
            note = (_("capped at {max}").format(max=show.format_number(cap)) if raw > cap
                    else _("floored at 0"))
        found = (pts, Hit(rule.key, "criteria", c.spec.id, rule.label or c.spec.label,
                          rule.text, _reads(names, values), pts, raw, cap, note))
        shared.entries[key] = found
    return found


def _adjustment_hit(shared: _Shared, adj: CAdjustment, scope: expr.Scope,
                    history: tuple[RoundValue, ...]) -> Hit:
    rule = adj.group.rules[0]
    names = shared.names(rule)
    values = tuple(map(scope.get, names))
    key = (id(adj.group), _exact(values))
    found = None if history else shared.entries.get(key)
    if found is None:
        raw, note = _amount(rule, scope)
        capped = max(ZERO, raw if adj.spec.max is None else min(raw, adj.spec.max))
        section = "bonus" if adj.sign > 0 else "deductions"
        found = Hit(rule.key, section, adj.spec.id, adj.spec.label, rule.text,
                    _reads(names, values), adj.sign * capped, raw, adj.spec.max, note, history)
        if not history:
            shared.entries[key] = found
    return found


def _gate_hit(shared: _Shared, g: CGate, scope: expr.Scope) -> Hit:
    rule = g.group.rules[0]
    names = shared.names(rule)
    values = tuple(map(scope.get, names))
    key = (id(g.group), _exact(values))
    found = shared.entries.get(key)
    if found is None:
        found = Hit(rule.key, "gates", g.id, g.label, rule.text, _reads(names, values),
                    note=g.basis)
        shared.entries[key] = found
    return found


# -------------------------------------------------------------------------------- aggregates


def aggregate_members(units: _State, members: _State) -> None:
    """Each unit's aggregates of its members (values, and the ids each counted)."""
    by_unit: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(members.records):
        by_unit[r.parent].append(i)
    conds = [normal.to_cond(agg.of) if agg.of is not None and agg.spec.fn in _COUNTING
             else normal.NfTrue() for agg in units.ck.aggregates]
    held = [_held_column(agg, cond, members.scopes)
            for agg, cond in zip(units.ck.aggregates, conds, strict=True)]
    for u, scope in enumerate(units.scopes):
        idx = by_unit.get(str(scope["id"]), [])
        scopes = [members.scopes[i] for i in idx]
        for agg, cond, column in zip(units.ck.aggregates, conds, held, strict=True):
            try:
                with _about(members, agg.name, agg.spec.source):
                    value, counted = _aggregate_one(
                        agg, cond, scopes, None if column is None else [column[i] for i in idx])
            except _NoMembers:
                value, counted = _over_no_members(units.records[u], agg)
            scope[agg.name] = value
            units.aggregates[u].append(AggregateValue(agg.name, agg.spec.label, value, counted))


_COUNTING = ("count", "share", "all", "any")


class _NoMembers(Exception):
    """A share or a mean over none of a unit's members (its `where` selects no one): 0 / 0,
    which has no value. (A unit without members is refused when the batch is built; a rule
    set's worked example of a unit alone keeps a share of 0.)"""


def _over_no_members(unit: Record, agg: CAggregate) -> tuple[expr.Value, tuple[str, ...]]:
    """What a share or mean over no members is: what the aggregate declares (its
    `division_by_zero:`), else an error naming the unit, the aggregate and why."""
    declared = agg.spec.division_by_zero
    if declared == "error":
        raise InputError([Problem(str(unit.origin), _(
            "{id} ({name}): the {fn} of {of} is 0 / 0: no member has {where}; declare what it "
            "means in the aggregate, e.g. 'division_by_zero: 0' or 'division_by_zero: missing' "
            "(rule at {source})").format(id=unit.id, name=unit.name, fn=agg.spec.fn,
                                         of=agg.spec.of, where=agg.spec.where,
                                         source=agg.spec.source), agg.name)])
    return (None if declared == "missing" else declared), ()


def _held_column(agg: CAggregate, cond: normal.Cond, scopes: Sequence[expr.Scope]
                 ) -> list[bool] | None:
    """Whether a counting aggregate's condition holds for each member, decided once per
    distinct reading of the names it reads (exact digits included), on the first member with
    that reading. None (each unit's members are tested one by one, as without it) for an
    aggregate that does not count, one with a `where`, or a condition without a value for
    some member: the error is then raised, and worded, by the one-by-one path."""
    if agg.spec.fn not in _COUNTING or agg.where is not None or not scopes:
        return None
    holds = closures.compiled_cond(cond)
    columns = [closures.field_column(n, scopes) for n in sorted(normal.cond_names(cond))]
    digits = [list(map(str, c)) for c in columns if Decimal in set(map(type, c))]
    keys: list[tuple[object, ...]] = (list(zip(*columns, *digits, strict=True)) if columns
                                      else [()] * len(scopes))
    first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    try:
        built = {key: holds(scopes[first[key]]) for key in dict.fromkeys(keys)}
    except evaluate.Undefined:
        return None
    return list(map(built.__getitem__, keys))


def _aggregate_one(agg: CAggregate, cond: normal.Cond, scopes: list[dict[str, expr.Value]],
                   held: list[bool] | None = None) -> tuple[expr.Value, tuple[str, ...]]:
    """An aggregate over a unit's members; `held`: whether its condition holds for each of
    them, when known (`_held_column`)."""
    where = closures.compiled_cond(agg.where) if agg.where is not None else None
    chosen = scopes if where is None else [s for s in scopes if where(s)]
    fn = agg.spec.fn
    if fn in _COUNTING:
        if held is not None and where is None:
            yes = [s for s, h in zip(scopes, held, strict=True) if h]
        else:
            holds = closures.compiled_cond(cond)
            yes = [s for s in chosen if holds(s)]
        ids = tuple([str(s["id"]) for s in yes])
        if fn == "count":
            return Decimal(len(yes)), ids
        if fn == "share":
            if scopes and not chosen:
                raise _NoMembers
            return (Decimal(len(yes)) / Decimal(len(chosen)) if chosen else ZERO), ids
        if fn == "all":
            missing = {str(s["id"]) for s in chosen} - set(ids)
            return not missing, tuple(sorted(missing))
        return bool(yes), ids
    assert agg.of is not None
    if fn == "mean" and scopes and not chosen:
        raise _NoMembers
    value_of = closures.compiled(agg.of)
    values = [(str(s["id"]), value_of(s)) for s in chosen]
    nums = [(i, v) for i, v in values if isinstance(v, Decimal)]
    ids = tuple(i for i, _ in nums)
    if not nums:
        return (ZERO if fn == "sum" else None), ids
    numbers = [v for _, v in nums]
    if fn == "sum":
        return sum(numbers, ZERO), ids
    if fn == "min":
        return min(numbers), ids
    if fn == "max":
        return max(numbers), ids
    return sum(numbers, ZERO) / Decimal(len(numbers)), ids


# ------------------------------------------------------------------------------------ titles


def _decide_titles(st: _State, ev: Evaluator, compiled: Compiled) -> None:
    """Each title's decision for every record. A decision is a function of whether the title
    was awarded, the gates that blocked it, its prerequisites and their sentences (and, under
    a quota, the quota's decision): records are keyed by those parts, a column at a time, and
    records with the same parts share one decision, built once."""
    n = len(st.scopes)
    for t in st.ck.titles:
        speakers = [conditions.speaker(rule, st.ck, compiled, st.scopes)
                    for rule in t.group.rules]
        with _about(st, t.spec.id, t.spec.source):
            fired = ev.evaluate(t.group, st.scopes)
        n_rules = len(t.group.rules)
        blocking = [g.id for g in st.ck.gates if t.spec.id in g.blocks]
        gated = ([tuple([g for g in blocking if g in gates]) if gates else ()
                  for gates in st.gates] if blocking else [()] * n)
        candidates = [i for i in range(n) if len(fired[i]) == n_rules and not gated[i]]
        quota = apply_quota(t, candidates, st.scopes) if t.quota else {}
        awarded = {i for i in candidates if i not in quota or not quota[i].cut}
        won = [i in awarded for i in range(n)]
        for scope, yes in zip(st.scopes, won, strict=True):
            scope[t.spec.id] = yes
        parts = _prerequisites(t.group.rules, fired, st.scopes)
        said = [speak.column() for speak in speakers if speak is not None]
        keys = list(zip(won, gated, *(list(map(id, col)) for col in parts),
                        *(list(map(id, col)) for col in said), strict=True))
        prereqs: dict[tuple[object, ...], tuple[Prerequisite, ...]] = {}
        decided: dict[tuple[object, ...], TitleDecision] = {}
        for i, key in enumerate(keys):
            decision = quota.get(i)
            found = decided.get(key) if decision is None else None
            if found is None:
                own = prereqs.get(key[2:])
                if own is None:
                    own = prereqs[key[2:]] = tuple(col[i] for col in parts)
                    if said:
                        own = prereqs[key[2:]] = conditions.worded(own, speakers, i,
                                                                   st.shared.entries)
                found = TitleDecision(t.spec.id, t.spec.label, won[i], own, gated[i], decision)
                if decision is None:
                    decided[key] = found
            st.decisions[i].append(found)


def _prerequisites(rules: Sequence[Rule], fired: Sequence[frozenset[int]],
                   scopes: list[dict[str, expr.Value]]) -> list[list[Prerequisite]]:
    """For each rule, every record's prerequisite: met (one object), or why not.

    `why_not` reads a condition only through the values of its leaves' terms (whether each
    holds, and the value it shows), so the records where a rule failed are keyed by those
    values, a column at a time (exact digits included), and each key's explanation is
    computed once: `a + b >= 2` shares one entry for every record where a + b is 1.
    """
    out = []
    for k, rule in enumerate(rules):
        met = Prerequisite(rule.text, True, "")
        col = [met] * len(scopes)
        failing = [i for i, f in enumerate(fired) if k not in f]
        if failing:
            sub = [scopes[i] for i in failing]
            columns = [closures.field_column(leaf.name, sub) if isinstance(leaf, normal.NfPresent)
                       else closures.column(leaf.term, sub)
                       for leaf in normal.leaves(rule.cond)]
            digits = [list(map(str, c)) for c in columns if Decimal in set(map(type, c))]
            keys = list(zip(*columns, *digits, strict=True)) if columns else [()] * len(sub)
            why = explained(rule.cond)
            first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
            distinct = {key: Prerequisite(rule.text, False, why(sub[first[key]]))
                        for key in dict.fromkeys(keys)}  # explained on its first record
            for i, found in zip(failing, map(distinct.__getitem__, keys), strict=True):
                col[i] = found
        out.append(col)
    return out


# ----------------------------------------------------------------------------------- results


def _results(st: _State, kind: Kind, amounts: dict[str, Decimal],
             achievements: Sequence[Achievement]) -> list[RecordResult]:
    ranks: dict[int, tuple[int, int, str]] = {}
    tied: dict[int, tuple[TieBreak, ...]] = {}
    for scope_text, order in ranked_per_scope(st.ck.rank_per, st.ck.rank_by, st.scopes):
        for pos, i in enumerate(order):
            ranks[i] = (pos + 1, len(order), scope_text)
        tied.update(tie_breaks(order, st.ck.rank_by, st.scopes))
    out = []
    computed_names = tuple(n for n, _ in st.ck.computed)
    input_names = tuple(st.ck.inputs)
    shared = st.shared
    paying: dict[tuple[str, ...], tuple[Any, Any]] = {}  # the titles decide the rewards
    for i, r in enumerate(st.records):
        scope = st.scopes[i]
        rank, of, scope_text = ranks[i]
        titles = tuple(d.title for d in st.decisions[i] if d.awarded)
        split = paying.get(titles)
        if split is None:
            split = paying[titles] = rewards.split(titles, amounts, achievements)
        paid, not_paid = split
        score_value = scope["score"]
        assert isinstance(score_value, Decimal)
        out.append(RecordResult(
            kind=kind, id=r.id, name=r.name, parent=r.parent, origin=r.origin,
            inputs=_interned(shared, input_names, list(map(r.values.__getitem__, input_names))),
            computed=_interned(shared, computed_names, list(map(scope.get, computed_names))),
            points=_interned(shared, tuple(st.points[i]), list(st.points[i].values())),
            score=score_value, titles=titles, hits=tuple(st.hits[i]),
            decisions=tuple(st.decisions[i]), gates=tuple(st.gates[i]),
            rank=rank, rank_scope=scope_text, rank_of=of,
            aggregates=tuple(st.aggregates[i]), extra=tuple(r.extra.items()),
            warnings=tuple(st.warnings[i]), rating=st.ratings[i],
            rewards=paid, not_paid=not_paid,
            provisional=tuple(st.missing.get((kind, r.id), ())),
            ties=tied.get(i, ()),
        ))
    return out


def _labels(compiled: Compiled) -> dict[str, str]:
    labels: dict[str, str] = {}
    rs = compiled.ruleset
    for k in KINDS:
        kr = rs.kind(k)
        labels.update({n: s.label for n, s in kr.inputs.items()})
        labels.update({n: a.label or n for n, a in kr.aggregates.items()})
        labels.update({n: c.label or n for n, c in kr.computed.items()})
        labels.update({c.id: c.label for c in kr.criteria})
    labels.update({t.id: t.label for t in rs.titles})
    return labels
