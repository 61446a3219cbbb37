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

A side no record can reach with the rule set's own parameters is listed apart, as unreachable,
and not counted as missing. It is decided exactly, never guessed from examples:

- a condition (gate, criterion's or title's) that always holds, or never does, once its
  parameters are substituted and each input it compares is read within its declared `min` and
  `max` (an input that is always present: required, or with a default): `months_worked >=
  ldtt_min_months_others or …` with the parameter at 0 and `months_worked` from 0 to 12;
- a quota of a share of 1 (100%) or more of a title every candidate must hold (a prerequisite
  of the quota's title), or of the candidates themselves: its places are never fewer than its
  candidates, so nobody is cut (`cstdcs_share: 1` of LĐTT holders).

Change the parameter and the side becomes reachable, and then missing until an example sits on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from scoring.base.i18n import _
from scoring.checks.ruletest import Outcome
from scoring.evaluation.result import RecordResult
from scoring.language import expr, normal, show
from scoring.rulesets.compile import JUDGED, CKind, Compiled, CTitle, Rule
from scoring.rulesets.schema import KINDS, InputSpec
from scoring.rulesets.scopes import as_tuple


@dataclass
class Edge:
    """One edge of the rules and, per side, the examples whose records sit on it."""

    kind: str
    what: str  # "criterion task, band 2", in words
    condition: str  # the rule's text
    sides: dict[str, list[str]] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)  # side → why, with these params

    @property
    def covered(self) -> bool:
        return not self.missing()

    def missing(self) -> list[str]:
        return [side for side, names in self.sides.items()
                if not names and side not in self.unreachable]


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
            _condition_edge(kind, _("criterion {id}").format(id=c.spec.id), c.group.rules[0], out,
                            ck.inputs)
        _cap_edge(kind, c.spec.id, c.group.rules, c.spec.max, out)
    for adj in (*ck.bonus, *ck.deductions):
        rule = adj.group.rules[0]
        _condition_edge(kind, _("{section} {id}").format(
            section=_("bonus") if adj.sign > 0 else _("deduction"), id=adj.spec.id), rule, out,
            ck.inputs)
        _cap_edge(kind, adj.spec.id, adj.group.rules, adj.spec.max, out)
    for g in ck.gates:
        out[f"gate:{kind}:{g.id}"] = _decided(Edge(
            kind, _("gate {id}").format(id=g.id), g.group.rules[0].text,
            {_("fired"): [], _("not fired"): []}), g.group.rules[0], ck.inputs)
    for t in ck.titles:
        for n, rule in enumerate(t.group.rules):
            if not _constant(rule):
                out[f"prereq:{t.spec.id}:{n}"] = _decided(Edge(
                    kind, _("title {id}, prerequisite {n}").format(id=t.spec.id, n=n + 1),
                    rule.text, {_("met"): [], _("not met"): []}), rule, ck.inputs)
        if t.quota is not None:
            edge = Edge(kind, _("quota of {id}").format(id=t.spec.id), ", ".join(t.per),
                        {_("within"): [], _("cut"): []})
            why = _never_cuts(t)
            if why:
                edge.unreachable[_("cut")] = why
            out[f"quota:{t.spec.id}"] = edge


def _condition_edge(kind: str, what: str, rule: Rule, out: dict[str, Edge],
                    inputs: Mapping[str, InputSpec]) -> None:
    if not _constant(rule):
        out[f"when:{rule.key}"] = _decided(
            Edge(kind, what, rule.text, {_("met"): [], _("not met"): []}), rule, inputs)


# ------------------------------------------------------- sides the parameters make unreachable


def _decided(edge: Edge, rule: Rule, inputs: Mapping[str, InputSpec]) -> Edge:
    """Mark the second side of a condition that always holds (or the first of one that never
    does) as unreachable: the two sides are (met or fired, not met or not fired)."""
    yes, no = edge.sides
    verdict = _always(rule.cond, inputs)
    if verdict is True:
        edge.unreachable[no] = _("the condition always holds with these parameters")
    elif verdict is False:
        edge.unreachable[yes] = _("the condition never holds with these parameters")
    return edge


def _always(cond: normal.Cond, inputs: Mapping[str, InputSpec]) -> bool | None:
    """True if the condition holds for every record, False if for none, None if it depends on
    the record. Parameters are already literals in compiled conditions; an input is bounded by
    its declared `min` and `max` when it is always present."""
    if isinstance(cond, normal.NfTrue):
        return True
    if isinstance(cond, normal.NfFalse):
        return False
    if isinstance(cond, normal.NfAnd | normal.NfOr):
        parts = [_always(c, inputs) for c in cond.items]
        absorbing = isinstance(cond, normal.NfOr)
        if absorbing in parts:
            return absorbing
        return (not absorbing) if all(p is not None for p in parts) else None
    if isinstance(cond, normal.NfPresent):
        spec = inputs.get(cond.name)
        return cond.positive if spec is not None and _present(spec) else None
    return _bounded(cond, inputs)


def _present(spec: InputSpec) -> bool:
    return spec.is_required or spec.default is not None


def _bounded(leaf: normal.NfLeaf, inputs: Mapping[str, InputSpec]) -> bool | None:
    """`input op number` decided by the input's declared range, when it decides it."""
    if not isinstance(leaf.term, expr.Name) or not isinstance(leaf.const, Decimal):
        return None
    spec = inputs.get(leaf.term.name)
    if spec is None or spec.type not in ("int", "number") or not _present(spec):
        return None
    low, high, c = spec.min, spec.max, leaf.const
    if leaf.op in (">=", ">"):
        strict = leaf.op == ">"
        if low is not None and (low > c if strict else low >= c):
            return True
        if high is not None and (high <= c if strict else high < c):
            return False
    elif leaf.op in ("<=", "<"):
        strict = leaf.op == "<"
        if high is not None and (high < c if strict else high <= c):
            return True
        if low is not None and (low >= c if strict else low > c):
            return False
    return None


def _never_cuts(t: CTitle) -> str:
    """Why a title's quota can cut nobody with these parameters ("" if it can): a share of at
    least 1 of the candidates, or of a title every candidate holds (one of its prerequisites),
    counted in the same scope, gives at least as many places as there are candidates."""
    q = t.quota
    if q is None or q.count is not None or t.share is None or t.share < 1:
        return ""
    share = show.format_number(t.share)
    if q.of == "candidates":
        return _("a share of {share} of the candidates leaves a place for each").format(
            share=share)
    required = {name for rule in t.group.rules for name in _conjunct_titles(rule.cond)}
    held = [o for o in as_tuple(q.of or ()) if o in required]
    if not held:
        return ""
    return _("a share of {share} of the holders of {title}, which every candidate must "
             "hold, leaves a place for each").format(share=share, title=held[0])


def _conjunct_titles(cond: normal.Cond) -> set[str]:
    """The names a condition requires to be true (`LDTT`, or a part of an `and`)."""
    if isinstance(cond, normal.NfAnd):
        return {n for c in cond.items for n in _conjunct_titles(c)}
    if isinstance(cond, normal.NfLeaf) and isinstance(cond.term, expr.Name) \
            and cond.op == "==" and cond.const is True:
        return {cond.term.name}
    return set()


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
    """The edges no example covers, one line each, the sides no record can reach with these
    parameters, then the count."""
    lines = []
    for e in found:
        for side, why in e.unreachable.items():
            lines.append(_("UNREACHABLE with these parameters: {kind} {what} ({condition}), "
                           "side '{side}': {why}").format(
                kind=_(e.kind), what=e.what, condition=e.condition, side=side, why=why))
    for e in found:
        if not e.covered:
            lines.append(_("NOT COVERED {kind} {what} ({condition}): no example {sides}").format(
                kind=_(e.kind), what=e.what, condition=e.condition,
                sides=_(" and no example ").join(_("on the side '{side}'").format(side=s)
                                                 for s in e.missing())))
    covered = sum(1 for e in found if e.covered)
    lines.append(_("coverage: {covered} of {total} edges have examples on every side").format(
        covered=covered, total=len(found)))
    return lines
