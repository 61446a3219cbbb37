"""One kind of record is enough: a data set of units only, or of people only.

Many schemes score units only (a cluster table) or people only. A batch without people, or a
unit without members, is refused only when the unit's rules read its members (an aggregate
such as the share of LĐTT): otherwise an aggregate over nobody would decide a title silently.
A batch without units is refused only when people's rules read their unit (`unit.x`, a scope
per cluster, a unit's own share of a rating quota): otherwise people are scored with their
`unit_id` as a grouping field. The reasons name the rules that read the missing kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from scoring.base.errors import Problem
from scoring.base.i18n import _
from scoring.inputs.records import Record, duplicate_ids, unknown_unit, without_members
from scoring.language import expr, normal
from scoring.rulesets.compile import CKind, Compiled, RuleGroup


def _groups(ck: CKind) -> Iterator[tuple[str, RuleGroup]]:
    for c in ck.criteria:
        yield c.spec.id, c.group
    for a in (*ck.bonus, *ck.deductions):
        yield a.spec.id, a.group
    for g in ck.gates:
        yield g.id, g.group
    for t in ck.titles:
        yield t.spec.id, t.group
    if ck.ratings is not None:
        yield "ratings", ck.ratings.bands
        yield "ratings", ck.ratings.overrides


def _reads(ck: CKind) -> Iterator[tuple[str, set[str]]]:
    """(rule, names it reads) for every rule of a kind, points formulas and scopes included."""
    for rule_id, group in _groups(ck):
        for r in group.rules:
            names = normal.cond_names(r.cond)
            if r.points is not None:
                names |= expr.names(r.points)
            yield rule_id, names
    for name, node in ck.computed:
        yield name, expr.names(node)
    if ck.ratings is not None:
        cr = ck.ratings
        yield "ratings", expr.names(cr.points) | set(cr.per if cr.quota else ()) | (
            {f"unit.{cr.quota.share_field}"} if cr.quota and cr.quota.share_field else set())
    for t in ck.titles:
        if t.quota is not None:
            yield t.spec.id, set(t.per) | {k.lstrip("-") for k in t.quota.rank_by}
    yield "ranking", set(ck.rank_per) | {k.lstrip("-") for k in ck.rank_by}


def members_read(compiled: Compiled) -> list[str]:
    """The unit rules that read the unit's members, as `rule (aggregate, …)`."""
    ck = compiled.kind("unit")
    aggregates = {a.name for a in ck.aggregates}
    out: dict[str, set[str]] = {}
    for rule, names in _reads(ck):
        if names & aggregates:
            out.setdefault(rule, set()).update(names & aggregates)
    return [f"{rule} ({', '.join(sorted(aggs))})" for rule, aggs in out.items()]


def unit_read(compiled: Compiled) -> list[str]:
    """The people's rules that read their unit, as `rule (unit.x, …)`."""
    out: dict[str, set[str]] = {}
    for rule, names in _reads(compiled.kind("individual")):
        read = {n for n in names if n.startswith("unit.") or n == "cluster"}
        if read:
            out.setdefault(rule, set()).update(read)
    return [f"{rule} ({', '.join(sorted(names))})" for rule, names in out.items()]


def check_kinds(compiled: Compiled, individuals: Sequence[Record],
                units: Sequence[Record]) -> list[Problem]:
    """The cross-record checks of a batch, allowing a batch of one kind (see the module)."""
    problems: list[Problem] = []
    if not units and not individuals:
        return [Problem("", _("no records: give a units file or sheet, an individuals file or "
                              "sheet, or both"))]
    problems.extend([*duplicate_ids(units), *duplicate_ids(individuals)])
    if not units:
        readers = unit_read(compiled)
        if readers:
            problems.append(Problem("", _(
                "no unit records: give a units file or sheet; people's rules read their unit: "
                "{rules}").format(rules="; ".join(readers))))
            problems.extend(unknown_unit(r, []) for r in individuals)
    else:
        unit_ids = sorted({u.id for u in units})
        known = set(unit_ids)
        problems.extend(unknown_unit(r, unit_ids) for r in individuals if r.parent not in known)
    lonely = without_members(units, {r.parent for r in individuals})
    if lonely:
        readers = members_read(compiled)
        if readers:
            reason = _("; the units' rules read their members: {rules}").format(
                rules="; ".join(readers))
            if not individuals:
                problems.append(Problem("", _("no individual records: give an individuals file "
                                              "or sheet{reason}").format(reason=reason)))
            else:
                problems.extend(Problem(p.where, p.message + reason, p.rule) for p in lonely)
    return problems
