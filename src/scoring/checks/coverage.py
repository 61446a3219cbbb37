"""`scoring test --coverage`: do the worked examples sit on both sides of every edge of the rules?

A wrong edit to a threshold (a `>` made `>=`, a cap or a band's points changed) changes an
example's outcome only if some example sits near that edge. This module lists the edges a
council member would name, and for each the two sides an example can be on:

- a band of a criterion or of a rating: chosen by some record, and passed over by some record
  that reached it (an earlier band did not match, this one did not either); the last band has
  no second side (what lies below it is a gap in the bands, which `scoring check` reports);
- a criterion's (or bonus's, deduction's) condition when it has one: met and not met;
- a cap (a criterion's or adjustment's maximum over a formula): reached (the formula gave more)
  and not reached;
- a gate: fired and not fired;
- a title prerequisite: met and not met;
- a quota (a title's, or a rating's cap): some record kept within it and some cut.

A record counts where its example states its outcome: the subject of a single example (not its
unit or colleagues, which only shape it), the records a scenario's `expect:` names. Points a
council judges (`judged:`) have no edge: the rules do not decide them. The edges and their
sides are read from the compiled rules, not from any example: an edge with no example on a side
is listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from scoring.base.i18n import _
from scoring.checks.ruletest import Outcome
from scoring.evaluation.result import RecordResult
from scoring.language import expr, normal, show
from scoring.rulesets.compile import JUDGED, CKind, Compiled, Rule
from scoring.rulesets.ruleset import KINDS
from scoring.rulesets.scopes import as_tuple


@dataclass
class Edge:
    """One edge of the rules and, per side, the examples whose records sit on it."""

    kind: str
    what: str  # "criterion task, band 2", in words
    condition: str  # the rule's text
    sides: dict[str, list[str]] = field(default_factory=dict)

    @property
    def covered(self) -> bool:
        return all(self.sides.values())

    def missing(self) -> list[str]:
        return [side for side, names in self.sides.items() if not names]


def _constant(rule: Rule) -> bool:
    """A condition that reads nothing (`true`), or only what a council judges."""
    return all(n.startswith(JUDGED) for n in normal.cond_names(rule.cond))


def _band_edges(kind: str, what: str, rules: Sequence[Rule]) -> list[Edge]:
    out = []
    for n, rule in enumerate(rules, start=1):
        last = n == len(rules)  # below the last band lies no band: `check` finds such gaps
        sides: dict[str, list[str]] = ({_("chosen"): []} if _constant(rule) or last
                                       else {_("chosen"): [], _("passed over"): []})
        out.append(Edge(kind, what.format(n=n), rule.text, sides))
    return out


def edges(compiled: Compiled) -> dict[str, Edge]:
    """Every edge of the compiled rule set, by a stable key."""
    out: dict[str, Edge] = {}
    for kind in KINDS:
        ck = compiled.kind(kind)
        _kind_edges(ck, out)
    return out


def _kind_edges(ck: CKind, out: dict[str, Edge]) -> None:
    kind = ck.kind
    cr = ck.ratings
    if cr is not None:
        for rule, edge in zip(cr.bands.rules, _band_edges(
                kind, _("rating {field}, band {{n}}").format(field=cr.field), cr.bands.rules),
                strict=True):
            out[f"band:{rule.key}"] = edge
        if cr.quota is not None:
            out[f"ratingquota:{kind}"] = Edge(
                kind, _("rating cap of {rating}").format(rating=cr.quota.rating),
                f"{cr.quota.rating} ≤ {show.format_number(cr.share or Decimal(0))} × "
                f"{', '.join(as_tuple(cr.quota.of))}",
                {_("within"): [], _("cut"): []})
    for c in ck.criteria:
        if c.banded:
            for rule, edge in zip(c.group.rules, _band_edges(
                    kind, _("criterion {id}, band {{n}}").format(id=c.spec.id), c.group.rules),
                    strict=True):
                out[f"band:{rule.key}"] = edge
        else:
            _condition_edge(kind, _("criterion {id}").format(id=c.spec.id), c.group.rules[0], out)
        _cap_edge(kind, c.spec.id, c.group.rules, c.spec.max, out)
    for adj in (*ck.bonus, *ck.deductions):
        rule = adj.group.rules[0]
        _condition_edge(kind, _("{section} {id}").format(
            section=_("bonus") if adj.sign > 0 else _("deduction"), id=adj.spec.id), rule, out)
        _cap_edge(kind, adj.spec.id, adj.group.rules, adj.spec.max, out)
    for g in ck.gates:
        out[f"gate:{kind}:{g.id}"] = Edge(kind, _("gate {id}").format(id=g.id),
                                          g.group.rules[0].text,
                                          {_("fired"): [], _("not fired"): []})
    for t in ck.titles:
        for n, rule in enumerate(t.group.rules):
            if not _constant(rule):
                out[f"prereq:{t.spec.id}:{n}"] = Edge(
                    kind, _("title {id}, prerequisite {n}").format(id=t.spec.id, n=n + 1),
                    rule.text, {_("met"): [], _("not met"): []})
        if t.quota is not None:
            out[f"quota:{t.spec.id}"] = Edge(kind, _("quota of {id}").format(id=t.spec.id),
                                             ", ".join(t.per), {_("within"): [], _("cut"): []})


def _condition_edge(kind: str, what: str, rule: Rule, out: dict[str, Edge]) -> None:
    if not _constant(rule):
        out[f"when:{rule.key}"] = Edge(kind, what, rule.text, {_("met"): [], _("not met"): []})


def _cap_edge(kind: str, item: str, rules: Iterable[Rule], cap: object,
              out: dict[str, Edge]) -> None:
    formula = [r for r in rules if r.points is not None and expr.names(r.points)
               and not any(n.startswith(JUDGED) for n in expr.names(r.points))]
    if cap is not None and formula:
        out[f"cap:{kind}:{item}"] = Edge(kind, _("cap of {id}").format(id=item),
                                         f"≤ {cap}", {_("reached"): [], _("not reached"): []})


def measure(compiled: Compiled, outcomes: Sequence[Outcome]) -> list[Edge]:
    """The edges with the examples on each side (examples that could not run count nowhere)."""
    found = edges(compiled)
    for o in outcomes:
        if o.result is None:
            continue
        for rec in (*o.result.individuals, *o.result.units):
            if rec.id not in o.checked:
                continue
            for key, side in _sides(compiled.kind(rec.kind), rec):
                edge = found.get(key)
                if edge is not None and side in edge.sides and o.name not in edge.sides[side]:
                    edge.sides[side].append(o.name)
    return list(found.values())


def _sides(ck: CKind, rec: RecordResult) -> Iterable[tuple[str, str]]:
    """(edge key, side) for each edge this record sits next to."""
    fired = {h.rule for h in rec.hits}
    cr = ck.ratings
    if cr is not None and rec.rating is not None and rec.rating.points is not None:
        chosen = rec.rating.band_rule
        keys = [r.key for r in cr.bands.rules]
        at = keys.index(chosen) if chosen in keys else len(keys)
        yield from _band_sides(keys, at)
        q = rec.rating.quota
        if q is not None:
            yield f"ratingquota:{ck.kind}", _("cut") if q.cut else _("within")
    by_item = {h.item: h for h in rec.hits if h.section in ("criteria", "bonus", "deductions")}
    for c in ck.criteria:
        keys = [r.key for r in c.group.rules]
        hit = by_item.get(c.spec.id)
        at = next((k for k, key in enumerate(keys) if key in fired), len(keys))
        if c.banded:
            yield from _band_sides(keys, at)
        else:
            yield f"when:{keys[0]}", _("met") if at == 0 else _("not met")
        if hit is not None and hit.raw is not None and hit.cap is not None and at < len(keys):
            yield f"cap:{ck.kind}:{c.spec.id}", (_("reached") if hit.raw > hit.cap
                                                 else _("not reached"))
    for adj in (*ck.bonus, *ck.deductions):
        key = adj.group.rules[0].key
        yield f"when:{key}", _("met") if key in fired else _("not met")
        hit = by_item.get(adj.spec.id)
        if hit is not None and hit.raw is not None and adj.spec.max is not None:
            yield f"cap:{ck.kind}:{adj.spec.id}", (_("reached") if hit.raw > adj.spec.max
                                                   else _("not reached"))
    for g in ck.gates:
        yield f"gate:{ck.kind}:{g.id}", _("fired") if g.id in rec.gates else _("not fired")
    for d in rec.decisions:
        for n, p in enumerate(d.prerequisites):
            yield f"prereq:{d.title}:{n}", _("met") if p.met else _("not met")
        if d.quota is not None:
            yield f"quota:{d.title}", _("cut") if d.quota.cut else _("within")


def _band_sides(keys: Sequence[str], at: int) -> Iterable[tuple[str, str]]:
    """Bands before the chosen one were passed over; the chosen one was chosen."""
    for k, key in enumerate(keys):
        if k < at:
            yield f"band:{key}", _("passed over")
        elif k == at:
            yield f"band:{key}", _("chosen")


def report(found: Sequence[Edge]) -> list[str]:
    """The edges no example covers, one line each, then the count."""
    lines = []
    for e in found:
        if not e.covered:
            lines.append(_("NOT COVERED {kind} {what} ({condition}): no example {sides}").format(
                kind=e.kind, what=e.what, condition=e.condition,
                sides=_(" and no example ").join(_("on the side '{side}'").format(side=s)
                                                 for s in e.missing())))
    covered = sum(1 for e in found if e.covered)
    lines.append(_("coverage: {covered} of {total} edges have examples on every side").format(
        covered=covered, total=len(found)))
    return lines
