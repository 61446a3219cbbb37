"""Turn a resolved `RuleSet` into checked, evaluable rules: every expression parsed and typed.

Each stage of scoring may read only what exists by then, so each gets its own environment:
computed fields read inputs, the record's unit (`unit.x`) and parameters; criteria read those;
bonus and deductions also read criterion points and maxima (`task`, `task_max`); gates and titles
also read `score` and titles of their own kind. A unit's rules read its aggregates of members.
A name outside its stage's environment is a rule error with `file:line` and the rule id.

The result is a list of rule *groups* (one per criterion, adjustment, gate and title), because
the engine evaluates a group's rules together over the distinct values they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from scoring.base.errors import Problem, RuleError
from scoring.base.i18n import _
from scoring.language import expr, normal, parse, show, typecheck
from scoring.language.history import Query, Resolver
from scoring.rulesets import floors, labels, scopes, stages
from scoring.rulesets.schema import (
    KINDS,
    Adjustment,
    Aggregate,
    Criterion,
    InputSpec,
    Kind,
    Quota,
    RatingOverride,
    RatingQuota,
    Ratings,
    RuleSet,
    Title,
)

IDENTITY = {
    "individual": {"id": expr.TEXT, "name": expr.TEXT, "unit_id": expr.TEXT},
    "unit": {"id": expr.TEXT, "name": expr.TEXT, "cluster": expr.TEXT},
}


@dataclass(frozen=True)
class Rule:
    """One rule: a condition the engine evaluates, and what it gives when it fires."""

    key: str  # stable ledger id, e.g. "individual.criteria.task[0]"
    cond: normal.Cond
    text: str  # the condition as written, for explanations
    points: expr.Node | None = None
    label: str = ""
    source: str = ""


@dataclass(frozen=True)
class RuleGroup:
    """Rules evaluated together (a criterion's bands, a title's prerequisites, ...)."""

    name: str
    rules: tuple[Rule, ...]

    @cached_property
    def reads(self) -> frozenset[str]:
        return frozenset(n for r in self.rules for n in normal.cond_names(r.cond))


@dataclass(frozen=True)
class CCriterion:
    spec: Criterion
    group: RuleGroup
    banded: bool


@dataclass(frozen=True)
class CAdjustment:
    spec: Adjustment
    group: RuleGroup
    sign: int


@dataclass(frozen=True)
class CGate:
    id: str
    label: str
    blocks: frozenset[str]
    group: RuleGroup
    basis: str


@dataclass(frozen=True)
class CAggregate:
    name: str
    spec: Aggregate
    of: expr.Node | None
    where: normal.Cond | None


@dataclass(frozen=True)
class CTitle:
    spec: Title
    group: RuleGroup
    quota: Quota | None
    share: Decimal | None
    per: tuple[str, ...] = ("unit_id",)  # the quota's scope, resolved (see scoring.rulesets.scopes)


@dataclass(frozen=True)
class CRatings:
    """The ratings step: bands and overrides are rule groups; `ratings[i]` is rule i's class."""

    field: str
    points: expr.Node
    bands: RuleGroup
    band_ratings: tuple[str, ...]
    overrides: RuleGroup
    override_specs: tuple[RatingOverride, ...]
    quota: RatingQuota | None
    share: Decimal | None
    label: str
    basis: str
    per: tuple[str, ...] = ("unit_id",)  # the quota's scope, resolved
    of: tuple[str, ...] = ()  # the quota's reference classes
    late: bool = False  # decided after the criteria (reads score, criteria, computed fields)


RATING_POINTS = "rating_points"


@dataclass(frozen=True)
class CKind:
    """The compiled rules of one kind of record (individual or unit). The `C` prefix marks a
    compiled form of a rule-file section (`CCriterion` of a criterion, `CTitle` of a title…):
    expressions parsed and type-checked, rules grouped for the evaluator."""

    kind: Kind
    inputs: Mapping[str, InputSpec]
    computed: tuple[tuple[str, expr.Node], ...]
    aggregates: tuple[CAggregate, ...]
    criteria: tuple[CCriterion, ...]
    bonus: tuple[CAdjustment, ...]
    deductions: tuple[CAdjustment, ...]
    gates: tuple[CGate, ...]
    titles: tuple[CTitle, ...]
    rank_per: tuple[str, ...]
    rank_by: tuple[str, ...]
    ratings: CRatings | None = None


@dataclass(frozen=True)
class Compiled:
    """A rule set ready to score: the validated `RuleSet` (whose `content_hash` names the
    version every output records), its constants, each kind's compiled rules and the history
    queries the rules make. Immutable, so one compilation serves every run of the same
    version (`run.app.compile_folder` caches it by hash)."""

    ruleset: RuleSet
    constants: Mapping[str, expr.Value]
    kinds: Mapping[Kind, CKind] = field(default_factory=dict)
    history: tuple[Query, ...] = ()  # the history calls of the rules, resolved per kind

    def kind(self, kind: Kind) -> CKind:
        return self.kinds[kind]

    @property
    def hash(self) -> str:
        return self.ruleset.content_hash

    def groups(self) -> list[RuleGroup]:
        out: list[RuleGroup] = []
        for k in KINDS:
            ck = self.kinds[k]
            out += [c.group for c in ck.criteria]
            out += [a.group for a in (*ck.bonus, *ck.deductions)]
            out += [g.group for g in ck.gates] + [t.group for t in ck.titles]
            if ck.ratings is not None:
                out += [ck.ratings.bands, ck.ratings.overrides]
        return out


JUDGED = "judged."


def judged_rule(key: str, item: str, label: str, source: str) -> Rule:
    """A judged item's rule: it fires when a round gave a value, and awards that value."""
    name = JUDGED + item
    return Rule(key, normal.NfPresent(name, True), f"present({name})", expr.Name(name), label,
                source)


def input_type(spec: InputSpec) -> expr.Type:
    if spec.type == "enum":
        return expr.enum(list(spec.values or {}))
    if spec.type == "bool":
        return expr.BOOL
    if spec.type == "text":
        return expr.TEXT
    return expr.NUMBER


class _Compiler:
    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self.problems: list[Problem] = []
        self.params: dict[str, expr.Value] = {n: p.value for n, p in rs.params.items()}
        self.constants: dict[str, expr.Value] = dict(self.params)
        self.history = Resolver(rs)
        self.floor_maxima: dict[str, Decimal] = {}  # the kind's criteria and their maxima
        self.later: stages.Later = stages.Later()  # what the kind's names are, for messages

    def kind_constants(self, kind: Kind) -> dict[str, expr.Value]:
        """Parameters and this kind's criterion maxima (`task_max`): each kind its own."""
        return {**self.params, **{f"{c.id}_max": c.max for c in self.rs.kind(kind).criteria}}

    def parse(self, text: expr.Value | int, where: expr.Where, env: expr.Env,
              want: str) -> expr.Node | None:
        try:
            node, env = self.history.resolve(self.parsed(text, where, env), env, where)
            t = typecheck.check(node, env, where)
            if t.kind != want:
                raise where.error(_("expected a {want} expression, found {found}: {expr}")
                                  .format(want=expr.kind_name(want),
                                          found=expr.kind_name(t.kind),
                                          expr=show.unparse(node)))
            return expr.substitute(node, self.constants)
        except RuleError as e:
            self.problems.extend(e.problems)
            return None

    def parsed(self, text: expr.Value | int, where: expr.Where, env: expr.Env) -> expr.Node:
        """The expression parsed, its criterion floors spelt out (`rulesets.floors`), and any
        name it reads that its step cannot see explained (`rulesets.stages`)."""
        node = floors.expand(parse.parse(text, where), self.floor_maxima, env, where)
        stages.check_names(node, env, self.later, where)
        return node

    def cond(self, text: expr.Value | int, where: expr.Where, env: expr.Env) -> normal.Cond | None:
        node = self.parse(text, where, env, "bool")
        return None if node is None else normal.to_cond(node)

    def rule(self, key: str, when: expr.Value | int, env: expr.Env, where: expr.Where,
             points: expr.Value | int | None = None, label: str = "") -> Rule | None:
        c = self.cond(when, where, env)
        p = self.parse(points, where, env, "number") if points is not None else None
        if c is None or (points is not None and p is None):
            return None
        return Rule(key, c, str(when), p, label, where.source)

    def check_ids(self, kind: Kind, names: set[str]) -> None:
        ids: dict[str, str] = {}
        kr = self.rs.kind(kind)
        for sec in (kr.criteria, kr.bonus, kr.deductions, kr.gates):
            for item in sec:
                if item.id in ids or item.id in names:
                    self.problems.append(Problem(item.source, (
                        _("id {id!r} is already used by {other}").format(
                            id=item.id, other=ids[item.id]) if item.id in ids
                        else _("id {id!r} is already used by an input").format(id=item.id)),
                        item.id))
                ids[item.id] = item.source

    def compile_kind(self, kind: Kind) -> CKind:
        kr = self.rs.kind(kind)
        self.constants = self.kind_constants(kind)
        self.floor_maxima = {c.id: c.max for c in kr.criteria}
        self.later = stages.Later.of(self.rs, kind)
        names: dict[str, expr.Type] = dict(IDENTITY[kind])
        names.update({n: input_type(s) for n, s in kr.inputs.items()})
        declared = {**kr.inputs, **kr.computed, **kr.aggregates}
        for name in sorted(set(declared) & set(self.constants)):
            self.problems.append(Problem(declared[name].source, _(
                "{name!r} is both a field and a parameter (or a criterion maximum); rename "
                "one").format(name=name), name))
        spaces: dict[str, Mapping[str, expr.Type]] = {}
        if kind == "individual":
            spaces["unit"] = {**IDENTITY["unit"], **{n: input_type(s)
                                                    for n, s in self.rs.unit.inputs.items()}}
        self.check_ids(kind, set(names))
        late = kr.ratings is not None and stages.rating_is_late(kr.ratings, self.later)
        ratings = (self.ratings(kind, kr.ratings, names, spaces)
                   if kr.ratings is not None and not late else None)
        aggregates: list[CAggregate] = []
        if kind == "unit":
            member_env = self.env("individual", final=True)
            own_maxima, own_later = self.floor_maxima, self.later
            self.floor_maxima = {c.id: c.max for c in self.rs.individual.criteria}
            self.later = stages.Later()
            for name, agg in kr.aggregates.items():
                w = expr.Where(agg.source, name, agg.division_by_zero)
                of = None
                if agg.of is not None:
                    want = "number" if agg.fn in ("sum", "min", "max", "mean") else "bool"
                    of = self.parse(agg.of, w, member_env, want)
                wh = self.cond(agg.where, w, member_env) if agg.where is not None else None
                aggregates.append(CAggregate(name, agg, of, wh))
                names[name] = expr.BOOL if agg.fn in ("all", "any") else expr.NUMBER
            self.floor_maxima, self.later = own_maxima, own_later
        computed: list[tuple[str, expr.Node]] = []
        for name, comp in kr.computed.items():
            env = expr.Env(names, spaces, self.constants)
            where = expr.Where(comp.source, name, comp.division_by_zero)
            node = self.parse_any(comp.expr, where, env)
            if node is not None:
                computed.append((name, node))
                names[name] = typecheck.check(node, env)
        base_env = expr.Env(dict(names), spaces, self.constants)
        criteria = [self.criterion(kind, c, base_env) for c in kr.criteria]
        for c in kr.criteria:
            names[c.id] = expr.NUMBER
        adj_env = expr.Env(dict(names), spaces, self.constants)
        bonus = [self.adjustment(kind, "bonus", a, adj_env, 1) for a in kr.bonus]
        deductions = [self.adjustment(kind, "deductions", a, adj_env, -1) for a in kr.deductions]
        names["score"] = expr.NUMBER
        if late and kr.ratings is not None:
            ratings = self.ratings(kind, kr.ratings, names, spaces, late=True)
            self.problems.extend(stages.read_before_rating(
                kr.ratings, criteria, bonus + deductions, computed, self.rs, kind))
        for t in self.rs.titles:
            if t.of == kind:
                names[t.id] = expr.BOOL
        final_env = expr.Env(dict(names), spaces, self.constants)
        gates = [self.gate(kind, g, final_env) for g in kr.gates]
        titles = self.titles(kind, final_env, names)
        ranking = kr.ranking
        default_per = "unit_id" if kind == "individual" else "cluster"
        rank_per = scopes.resolve(ranking.per if ranking else default_per, names, self.params,
                                  "ranking", ranking.source if ranking else "", "ranking",
                                  self.problems)
        rank_by = ranking.by if ranking else ("-score",)
        self.check_rank_keys(rank_by, names, ranking.source if ranking else "", "ranking")
        return CKind(
            kind, dict(kr.inputs), tuple(computed), tuple(aggregates),
            tuple(c for c in criteria if c is not None),
            tuple(a for a in bonus if a is not None),
            tuple(a for a in deductions if a is not None),
            tuple(g for g in gates if g is not None), tuple(titles), rank_per, rank_by, ratings,
        )

    def ratings(self, kind: Kind, spec: Ratings, names: dict[str, expr.Type],
                spaces: Mapping[str, Mapping[str, expr.Type]],
                late: bool = False) -> CRatings | None:
        field_type = names.get(spec.field)
        where = expr.Where(spec.source, "ratings", spec.division_by_zero)
        if field_type is None or field_type.values is None:
            self.problems.append(Problem(spec.source, _(
                "ratings.field {field!r} must be a declared enum input").format(
                    field=spec.field), "ratings"))
            return None
        classes = field_type.values
        env = expr.Env(dict(names), spaces, self.constants)
        points = self.parse(spec.points, where, env, "number")
        band_env = expr.Env({**names, RATING_POINTS: expr.NUMBER}, spaces, self.constants)
        rules: list[Rule | None] = []
        for i, band in enumerate(spec.bands):
            self.check_class(band.rating, classes, band.source)
            rules.append(self.rule(f"{kind}.ratings.bands[{i}]", band.when, band_env,
                                   expr.Where(band.source, "ratings", spec.division_by_zero),
                                   label=band.label))
        overrides: list[Rule | None] = []
        for o in spec.overrides:
            self.check_class(o.rating, classes, o.source)
            overrides.append(self.rule(f"{kind}.ratings.overrides.{o.id}", o.when, band_env,
                                       expr.Where(o.source, o.id, spec.division_by_zero),
                                       label=o.reason))
        share: Decimal | None = None
        rating_per: tuple[str, ...] = ()
        if spec.quota is not None:
            q = spec.quota
            for cls in (q.rating, *scopes.as_tuple(q.of), q.demote_to):
                self.check_class(cls, classes, q.source)
            rating_per = scopes.resolve(q.per, names, self.params, "ratings quota", q.source,
                                        "ratings", self.problems)
            self.check_rank_keys(q.rank_by, {**names, RATING_POINTS: expr.NUMBER}, q.source,
                                 "ratings")
            if q.share_field is not None:
                self.check_share_field(q.share_field, rating_per, q.source)
            value = self.constants.get(q.share) if isinstance(q.share, str) else q.share
            if not isinstance(value, Decimal):
                self.problems.append(Problem(q.source, _(
                    "quota share {share!r} is not a number").format(share=q.share), "ratings"))
            else:
                share = value
        if points is None or any(r is None for r in rules + overrides):
            return None
        return CRatings(
            spec.field, points, RuleGroup(f"{kind}.ratings.bands", tuple(r for r in rules if r)),
            tuple(b.rating for b in spec.bands),
            RuleGroup(f"{kind}.ratings.overrides", tuple(r for r in overrides if r)),
            spec.overrides, spec.quota, share, spec.label, spec.basis, rating_per,
            scopes.as_tuple(spec.quota.of) if spec.quota is not None else (), late,
        )

    def check_share_field(self, name: str, per: tuple[str, ...], source: str) -> None:
        spec = self.rs.unit.inputs.get(name)
        if spec is None or spec.type != "number":
            self.problems.append(Problem(source, _(
                "ratings quota share_field {name!r} must be a numeric unit input").format(
                    name=name), "ratings"))
        if "unit_id" not in per:
            self.problems.append(Problem(source, _(
                "a ratings quota with share_field counts per unit_id (each unit its own "
                "share)"), "ratings"))

    def check_class(self, value: str, classes: tuple[str, ...], source: str) -> None:
        if value not in classes:
            self.problems.append(Problem(source, _(
                "rating {value!r} is not one of {classes}").format(
                    value=value, classes=", ".join(classes)), "ratings"))

    def parse_any(self, text: expr.Value | int, where: expr.Where,
                  env: expr.Env) -> expr.Node | None:
        try:
            node, env = self.history.resolve(self.parsed(text, where, env), env, where)
            typecheck.check(node, env, where)
            return expr.substitute(node, self.constants)
        except RuleError as e:
            self.problems.extend(e.problems)
            return None

    def env(self, kind: Kind, final: bool) -> expr.Env:
        kr = self.rs.kind(kind)
        constants = self.kind_constants(kind)
        names: dict[str, expr.Type] = dict(IDENTITY[kind])
        names.update({n: input_type(s) for n, s in kr.inputs.items()})
        for name, comp in kr.computed.items():
            try:
                node = parse.parse(comp.expr)
                names[name] = typecheck.check(node, expr.Env(names, {}, constants))
            except RuleError:
                names[name] = expr.NUMBER  # reported when the individual kind is compiled
        if final:
            names.update({c.id: expr.NUMBER for c in kr.criteria})
            names["score"] = expr.NUMBER
            names.update({t.id: expr.BOOL for t in self.rs.titles if t.of == kind})
        return expr.Env(names, {}, constants)

    def criterion(self, kind: Kind, c: Criterion, env: expr.Env) -> CCriterion | None:
        rules: list[Rule | None] = []
        if c.judged is not None:
            rules.append(judged_rule(f"{kind}.criteria.{c.id}", c.id, c.label, c.source))
        elif c.bands is not None:
            for i, band in enumerate(c.bands):
                w = expr.Where(band.source, c.id, c.division_by_zero)
                rules.append(self.rule(f"{kind}.criteria.{c.id}[{i}]", band.when, env, w,
                                       band.points, band.label))
        else:
            w = expr.Where(c.source, c.id, c.division_by_zero)
            when = c.when if c.when is not None else True
            rules.append(self.rule(f"{kind}.criteria.{c.id}", when, env, w, c.points, c.label))
        if any(r is None for r in rules):
            return None
        group = RuleGroup(f"{kind}.criteria.{c.id}", tuple(r for r in rules if r is not None))
        return CCriterion(c, group, c.bands is not None)

    def adjustment(self, kind: Kind, section: str, a: Adjustment, env: expr.Env,
                   sign: int) -> CAdjustment | None:
        key = f"{kind}.{section}.{a.id}"
        if a.judged is not None:
            when = self.cond(a.when, expr.Where(a.source, a.id, a.division_by_zero), env)
            if when is None:
                return None
            base = judged_rule(key, a.id, a.label, a.source)
            cond = (normal.NfAnd((when, base.cond)) if not isinstance(when, normal.NfTrue)
                    else base.cond)
            r: Rule | None = Rule(key, cond, f"{a.when} (judged)" if a.when is not True
                                  else base.text, base.points, a.label, a.source)
        else:
            r = self.rule(key, a.when, env, expr.Where(a.source, a.id, a.division_by_zero),
                          a.points, a.label)
        return None if r is None else CAdjustment(a, RuleGroup(r.key, (r,)), sign)

    def gate(self, kind: Kind, g: object, env: expr.Env) -> CGate | None:
        from scoring.rulesets.schema import Gate

        assert isinstance(g, Gate)
        r = self.rule(f"{kind}.gates.{g.id}", g.when, env,
                      expr.Where(g.source, g.id, g.division_by_zero),
                      label=g.label)
        own = {t.id for t in self.rs.titles if t.of == kind}
        blocks = own if g.blocks == "all" else set(g.blocks)
        for b in blocks - own:
            self.problems.append(Problem(g.source, _("gate blocks unknown title {title!r}")
                                         .format(title=b), g.id))
        return None if r is None else CGate(g.id, g.label, frozenset(blocks),
                                            RuleGroup(r.key, (r,)), g.basis)

    def titles(self, kind: Kind, env: expr.Env, names: dict[str, expr.Type]) -> list[CTitle]:
        own = [t for t in self.rs.titles if t.of == kind]
        compiled: dict[str, CTitle] = {}
        deps: dict[str, set[str]] = {}
        for t in own:
            rules = []
            for i, req in enumerate(t.requires):
                r = self.rule(f"{kind}.titles.{t.id}[{i}]", req, env,
                              expr.Where(t.source, t.id, t.division_by_zero),
                              label=t.requires_labels[i] if t.requires_labels else "")
                if r is not None:
                    rules.append(r)
                    self.check_label(r, t.source, t.id, names)
            share, per = self.quota(t, names)
            deps[t.id] = {n for r in rules for n in normal.cond_names(r.cond)} & {x.id for x in own}
            if t.quota and t.quota.of and t.quota.of != "candidates":
                deps[t.id].update(scopes.as_tuple(t.quota.of))
            compiled[t.id] = CTitle(t, RuleGroup(f"{kind}.titles.{t.id}", tuple(rules)), t.quota,
                                    share, per)
        return [compiled[tid] for tid in self.order(deps, {t.id: t.source for t in own})
                if tid in compiled]

    def check_label(self, r: Rule, source: str, item: str, names: Mapping[str, object]
                    ) -> None:
        """A prerequisite's label names only placeholders it can fill (`rulesets.labels`)."""
        if r.label:
            why = labels.label_problem(r.label, r.cond, names, self.constants)
            if why is not None:
                self.problems.append(Problem(source, why, item))

    def quota(self, t: Title, names: dict[str, expr.Type]
              ) -> tuple[Decimal | None, tuple[str, ...]]:
        q = t.quota
        if q is None:
            return None, ()
        share: Decimal | None = None
        if isinstance(q.share, str):
            value = self.constants.get(q.share)
            if not isinstance(value, Decimal):
                self.problems.append(Problem(q.source, _(
                    "quota share {share!r} is not a numeric parameter").format(share=q.share),
                    t.id))
            else:
                share = value
        else:
            share = q.share
        if share is not None and not (0 <= share <= 1):
            self.problems.append(Problem(q.source, _(
                "quota share {share} is not between 0 and 1").format(share=share), t.id))
        own = {x.id for x in self.rs.titles if x.of == t.of}
        for of in (() if q.of == "candidates" else scopes.as_tuple(q.of)):
            if of not in own:
                self.problems.append(Problem(q.source, _("quota counts unknown title {title!r}")
                                             .format(title=of), t.id))
        per = scopes.resolve(q.per, names, self.params, f"title {t.id}'s quota", q.source, t.id,
                             self.problems)
        if t.of == "unit" and "unit_id" in per:
            self.problems.append(Problem(q.source, _("a unit title's quota is per cluster or "
                                                     "all"), t.id))
        self.check_rank_keys(q.rank_by, names, q.source, t.id)
        return share, per

    def check_rewards(self) -> None:
        """The rewards section: a base salary that can be read on the decision date, and
        achievement groups of known titles of one kind, each title in one group."""
        rw = self.rs.rewards
        if rw is None:
            return
        src = rw.source
        if isinstance(rw.base_salary, str) and not isinstance(self.params.get(rw.base_salary),
                                                              Decimal):
            self.problems.append(Problem(src, _(
                "rewards.base_salary {name!r} is not a numeric parameter").format(
                    name=rw.base_salary), "rewards"))
        if rw.base_salary is None and not rw.base_salaries:
            self.problems.append(Problem(src, _("rewards need a base_salary or a dated "
                                                "base_salaries table"), "rewards"))
        if rw.base_salaries:
            when = rw.decision_date_in(self.params)
            if not when:
                self.problems.append(Problem(src, _(
                    "rewards.base_salaries needs a decision_date (a date or a parameter holding "
                    "one): the base salary is the one in force on the date of the decision"),
                    "rewards"))
            else:
                self.check_decision_date(when, rw.base_salaries[0].since, src)
        kinds = {t.id: t.of for t in self.rs.titles}
        seen: dict[str, str] = {}
        for a in rw.same_achievement or ():
            for tid in a.titles:
                if tid not in kinds:
                    self.problems.append(Problem(a.source, _(
                        "same_achievement {id!r}: unknown title {title!r}").format(
                            id=a.id, title=tid), a.id))
                elif tid in seen:
                    self.problems.append(Problem(a.source, _(
                        "title {title!r} is in two same_achievement groups ({first}, "
                        "{second})").format(title=tid, first=seen[tid], second=a.id), a.id))
                seen.setdefault(tid, a.id)
            if len({kinds[t] for t in a.titles if t in kinds}) > 1:
                self.problems.append(Problem(a.source, _(
                    "same_achievement {id!r} mixes individual and unit titles").format(id=a.id),
                    a.id))

    def check_decision_date(self, when: str, first: str, src: str) -> None:
        try:
            date.fromisoformat(when)
        except ValueError:
            self.problems.append(Problem(src, _(
                "rewards.decision_date {date!r} is not a date written YYYY-MM-DD").format(
                    date=when), "rewards"))
            return
        if when < first:
            self.problems.append(Problem(src, _(
                "rewards.decision_date {date} is before the first base salary of the table "
                "({first})").format(date=when, first=first), "rewards"))

    def check_rank_keys(self, keys: tuple[str, ...], names: Mapping[str, expr.Type],
                        source: str, rule: str) -> None:
        for key in keys:
            t = names.get(key.lstrip("-"))
            if t is None:
                self.problems.append(Problem(source, _("rank key {key!r} is not a field")
                                             .format(key=key), rule))
            elif key.startswith("-") and t.kind == "text":
                self.problems.append(Problem(source, _("rank key {key!r}: text sorts "
                                                       "ascending only").format(key=key), rule))

    def order(self, deps: dict[str, set[str]], sources: dict[str, str]) -> list[str]:
        """Titles in dependency order; the declared order breaks ties. Cycles are rule errors.

        Only titles of the rule set count as dependencies: one that is not (misspelt, or
        removed by a later year) is reported where it is named, not as a cycle."""
        done: list[str] = []
        pending = list(deps)
        while pending:
            ready = [t for t in pending if deps[t] & deps.keys() <= set(done)]
            if not ready:
                cycle = ", ".join(pending)
                self.problems.append(Problem(sources[pending[0]], _(
                    "titles require each other in a cycle: {cycle}").format(cycle=cycle),
                    pending[0]))
                return done
            done.append(ready[0])
            pending.remove(ready[0])
        return done


def compile_ruleset(rs: RuleSet) -> Compiled:
    """Compile every expression of the rule set; all problems are raised together."""
    c = _Compiler(rs)
    kinds = {k: c.compile_kind(k) for k in KINDS}
    c.check_rewards()
    if c.problems:
        raise RuleError(_dedupe(c.problems))
    return Compiled(rs, c.params, kinds, c.history.queries())


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
