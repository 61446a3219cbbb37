"""The steps of scoring in order, and messages for a name read before its step decides it.

A record is scored in steps: inputs (and for a person, the unit's inputs and rating) →
computed fields, in the order declared → criteria → bonus and deductions → score → ratings →
gates → titles; a unit first gathers its members (aggregates). Each rule reads only what an
earlier step decided. A ratings step that reads nothing decided after the inputs runs first
(a person's rules may then read the rating, and a head's the unit's); one that reads computed
fields, criterion points or the score runs after the score (`rating_is_late`), and then no
criterion, bonus, deduction or computed field may read the rating (`read_before_rating`).

A name read too early is not "unknown": `check_names` says what it is and when it is known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scoring.base.errors import Problem, RuleError
from scoring.base.i18n import N_, _
from scoring.language import expr, normal, parse
from scoring.rulesets.schema import Kind, KindRules, Ratings, RuleSet

RATING_POINTS = "rating_points"
ORDER = N_("inputs → computed fields (in the order declared) → criteria → bonus and deductions "
         "→ score → ratings read from the score → gates → titles")
# Names people write for points that are not names of the language.
POINTS_WORDS = ("points", "point", "diem", "tong_diem", "total", "total_points", "tong")


@dataclass(frozen=True)
class Later:
    """What each name of a kind is that some step decides after the inputs."""

    what: Mapping[str, str] = field(default_factory=dict)
    computed: frozenset[str] = frozenset()
    criteria: tuple[str, ...] = ()
    aggregates: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rs: RuleSet, kind: Kind) -> Later:
        kr = rs.kind(kind)
        what: dict[str, str] = {}
        for name in kr.aggregates:
            what[name] = _("an aggregate of the unit's members")
        for name in kr.computed:
            what[name] = _("a computed field")
        for c in kr.criteria:
            what[c.id] = _("a criterion's points")
        what["score"] = _("the total score")
        for t in rs.titles:
            if t.of == kind:
                what[t.id] = _("a title")
        if kind == "individual":
            unit = rs.unit
            for name in unit.aggregates:
                what[f"unit.{name}"] = _("an aggregate of the unit's members")
            for name in unit.computed:
                what[f"unit.{name}"] = _("a computed field of the unit")
            for c in unit.criteria:
                what[f"unit.{c.id}"] = _("a criterion's points of the unit")
            what["unit.score"] = _("the unit's total score")
            for t in rs.titles:
                if t.of == "unit":
                    what[f"unit.{t.id}"] = _("a title of the unit")
        return cls(what, frozenset(kr.computed), tuple(c.id for c in kr.criteria),
                   frozenset(kr.aggregates))


def check_names(node: expr.Node, env: expr.Env, later: Later, where: expr.Where) -> None:
    """A RuleError for the first name `node` reads that `env` does not know but a later step
    decides (or that is a common way of writing points); other unknown names are left to the
    type checker, which suggests a close name."""
    for name in sorted(expr.names(node)):
        if "(" in name or env.lookup(name) is not None:
            continue
        if name.startswith("unit.") and name in later.what:
            raise where.error(_(
                "{name!r} is {what}: people read only their unit's inputs and its rating "
                "(units are scored after their members)").format(name=name,
                                                                  what=later.what[name]))
        if name in later.what:
            raise where.error(_(
                "{name!r} is {what}, not yet known when this rule is read: each rule reads "
                "only what an earlier step decided ({order})").format(
                    name=name, what=later.what[name], order=_(ORDER)))
        if name.lower() in POINTS_WORDS:
            raise where.error(_points_hint(name, env, later))


def _points_hint(name: str, env: expr.Env, later: Later) -> str:
    if env.lookup(RATING_POINTS) is not None:
        return _("unknown name {name!r}: the ratings' points are 'rating_points', the total "
                 "is 'score'").format(name=name)
    ids = ", ".join(later.criteria[:3]) + ("…" if len(later.criteria) > 3 else "")
    if env.lookup("score") is not None:
        return _("unknown name {name!r}: the total is 'score'; a criterion's points are read "
                 "by its id ({ids})").format(name=name, ids=ids or "-")
    return _("unknown name {name!r}: points are known once the criteria are scored; a "
             "criterion reads inputs and computed fields").format(name=name)


def rating_is_late(spec: Ratings, later: Later) -> bool:
    """Whether the ratings read anything decided after the inputs (computed fields,
    criterion points, the score, aggregates of members, criterion floors)."""
    decided = later.computed | set(later.criteria) | later.aggregates | {"score"}
    for text in _rating_texts(spec):
        try:
            node = parse.parse(text)
        except RuleError:
            continue  # reported when the ratings are compiled
        if _calls_floor(node) or expr.names(node) & decided:
            return True
    keys = {k.lstrip("-") for k in (spec.quota.rank_by if spec.quota else ())}
    return bool(keys & decided)


def _rating_texts(spec: Ratings) -> Iterator[Any]:
    yield spec.points
    for band in spec.bands:
        yield band.when
    for o in spec.overrides:
        yield o.when


def _calls_floor(node: expr.Node) -> bool:
    if isinstance(node, expr.Call) and node.func == expr.FLOOR:
        return True
    return any(_calls_floor(c) for c in expr.children(node))


def read_before_rating(spec: Ratings, criteria: Sequence[Any], adjustments: Sequence[Any],
                       computed: Sequence[tuple[str, expr.Node]], rs: RuleSet,
                       kind: Kind) -> list[Problem]:
    """Rules that read the rating although the ratings are decided after them."""
    field_ = spec.field
    why = _("the ratings read the score, criterion points or computed fields, so they are "
            "decided after the criteria, bonus and deductions; read the rating in gates and "
            "titles, or rate from inputs only")
    out: list[Problem] = []
    for c in criteria:
        if c is not None and field_ in {n for r in c.group.rules for n in _rule_names(r)}:
            out.append(Problem(c.spec.source, _("criterion {id!r} reads {field!r}: {why}")
                               .format(id=c.spec.id, field=field_, why=why), c.spec.id))
    for a in adjustments:
        if a is not None and field_ in {n for r in a.group.rules for n in _rule_names(r)}:
            out.append(Problem(a.spec.source, _("{id!r} reads {field!r}: {why}").format(
                id=a.spec.id, field=field_, why=why), a.spec.id))
    kr = rs.kind(kind)
    for name, node in computed:
        if field_ in expr.names(node):
            out.append(Problem(kr.computed[name].source, _("computed field {id!r} reads "
                                                           "{field!r}: {why}").format(
                id=name, field=field_, why=why), name))
    if kind == "unit":
        dotted = f"unit.{field_}"
        titles = [(t.source, t.id, req) for t in rs.titles if t.of == "individual"
                  for req in t.requires]
        for source, rule, text in (*_texts(rs.individual), *titles):
            try:
                reads = expr.names(parse.parse(text))
            except RuleError:
                continue
            if dotted in reads:
                out.append(Problem(source, _(
                    "{rule!r} reads {name!r}, but the unit's ratings read its score, criterion "
                    "points or members, so they are decided after its members are scored; "
                    "rate units from their inputs only if people read the unit's rating")
                    .format(rule=rule, name=dotted), rule))
    return out


def _rule_names(rule: Any) -> set[str]:
    out = normal.cond_names(rule.cond)
    if rule.points is not None:
        out |= expr.names(rule.points)
    return out


def _texts(kr: KindRules) -> Iterator[tuple[str, str, Any]]:
    """Every expression of a kind's rules: (source, rule id, text)."""
    for name, comp in kr.computed.items():
        yield comp.source, name, comp.expr
    for c in kr.criteria:
        for band in c.bands or ():
            yield band.source, c.id, band.when
            yield band.source, c.id, band.points
        if c.points is not None:
            yield c.source, c.id, c.points
        if c.when is not None:
            yield c.source, c.id, c.when
    for a in (*kr.bonus, *kr.deductions):
        yield a.source, a.id, a.when
        if a.points is not None:
            yield a.source, a.id, a.points
    for g in kr.gates:
        yield g.source, g.id, g.when
    if kr.ratings is not None:
        for text in _rating_texts(kr.ratings):
            yield kr.ratings.source, "ratings", text
