"""`scoring check`: find mistakes in a rule set that loading and compiling alone cannot see.

Loading refuses malformed files and compiling refuses what cannot run (unknown names, type
mismatches, title cycles); both are reported here as errors, with every problem at once. What
remains are rules that run but cannot mean what their author wanted: bands that leave values
without points or can never be reached, points above a criterion's maximum, a table whose maxima
exceed its declared total, titles nobody can meet, inputs and parameters that no rule reads.

The value-range analysis that decides coverage, shadowing and what can never hold is in
`ranges.py`; this module holds the checks and words their findings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, Literal

from scoring.base.errors import RuleError, UsageError
from scoring.base.i18n import N_, _
from scoring.checks.ranges import (
    OTHER,
    Analysis,
    Domain,
    Piece,
    Space,
    always_holds,
    analyse,
    atom_domain,
    integral,
    interval,
    narrowed,
    never_holds,
    scope,
)
from scoring.evaluation.engine import check_constants
from scoring.language import evaluate, expr, normal, parse
from scoring.language.show import format_number, unparse
from scoring.rulesets.compile import CKind, Rule, RuleGroup, compile_ruleset
from scoring.rulesets.extends import load, rule_files
from scoring.rulesets.safeyaml import read_yaml
from scoring.rulesets.schema import KINDS, REVIEW_PARAMS, Kind, KindRules, RuleSet
from scoring.rulesets.scopes import as_tuple

Severity = Literal["error", "warning"]
SEVERITY = {"error": N_("error"), "warning": N_("warning")}  # as `check` prints them


@dataclass(frozen=True)
class Finding:
    """One problem found in a rule set: where it is, how bad, which rule, what."""

    severity: Severity
    where: str
    rule: str | None
    message: str

    def __str__(self) -> str:
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{self.where}: {_(SEVERITY[self.severity])}: {rule}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "where": self.where, "rule": self.rule,
                "message": self.message}


def lint(folder: Path | str) -> list[Finding]:
    """Every finding of the rule set in `folder`, ordered by file and line.

    Raises `UsageError` only when there is no rule set to look at (no folder, no rule files);
    a rule set that fails to load or compile gives its problems as error findings.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError.one(str(folder), _("rule set folder not found"))
    if not rule_files(folder):
        raise UsageError.one(str(folder), _("no .yaml rule files in this folder"))
    try:
        rs = load(folder)
    except RuleError as e:
        return _ordered([Finding("error", p.where or str(folder), p.rule, p.message)
                         for p in e.problems])
    try:
        compiled = compile_ruleset(rs)
    except RuleError as e:
        # What needs no compiling is still checked, so that a criterion's errors all show at
        # once rather than one layer per run.
        uncompiled = [f for kind in KINDS for f in (*_constant_points(rs, kind),
                                                    *_check_total(rs, kind))]
        return _ordered([*(Finding("error", p.where or str(folder), p.rule, p.message)
                           for p in e.problems),
                         *(replace(f, where=f.where or str(folder)) for f in uncompiled)])
    refused = check_constants(compiled.groups())  # what the engine would refuse at run time
    if refused:
        return _ordered([Finding("error", p.where or str(folder), p.rule, p.message)
                         for p in refused])
    findings: list[Finding] = []
    spaces: dict[Kind, Space] = {}
    for kind in KINDS:
        spaces[kind] = Space(compiled, kind, spaces.get("individual"))
        findings += _check_kind(compiled.kind(kind), rs.kind(kind), spaces[kind])
        findings += _check_total(rs, kind)
    findings += _check_unused(rs)
    # `check` refuses exactly what `score` refuses (the errors above); what the analyses find
    # in a rule set that runs is a warning (`--strict` makes them errors).
    return _ordered([replace(f, where=f.where or str(folder), severity="warning")
                     for f in findings])


def strict(findings: Iterable[Finding]) -> list[Finding]:
    """`--strict`: every warning becomes an error."""
    return [replace(f, severity="error") for f in findings]


def summary(findings: Sequence[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    counted = (_("1 error") if errors == 1 else _("{count} errors").format(count=errors),
               _("1 warning") if warnings == 1 else _("{count} warnings").format(count=warnings))
    return ", ".join(counted)


def _ordered(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple[str, int]:
        file, _, line = f.where.rpartition(":")
        return (file, int(line)) if line.isdigit() else (f.where, 0)
    return sorted(findings, key=key)


# ---------------------------------------------------------------------------- text helpers

# Whole sentences per case (a band of a criterion, a band of the ratings), so that each can be
# translated: never an English noun composed into a sentence.
_UNREACHABLE_NEVER = {
    "band": N_("band {number} (`{rule}`) is unreachable: its condition can never hold"),
    "rating band": N_("rating band {number} (`{rule}`) is unreachable: its condition can never "
                      "hold"),
}
_UNREACHABLE_EARLIER = {
    "band": N_("band {number} (`{rule}`) is unreachable: earlier bands match every value it "
               "would: {bands}"),
    "rating band": N_("rating band {number} (`{rule}`) is unreachable: earlier bands match every "
                      "value it would: {bands}"),
}
_NOT_COVERED = {
    "band": N_("no band covers {values}"),
    "rating band": N_("no rating band covers {values}"),
}
_NOT_COVERED_MORE = {
    "band": N_("no band covers {values} (and {count} more)"),
    "rating band": N_("no rating band covers {values} (and {count} more)"),
}
_HOLE = {
    "band": N_("no band covers {values}, between values that are covered"),
    "rating band": N_("no rating band covers {values}, between values that are covered"),
}
_EDGE = {
    "band": N_("no band covers {values} (no catch-all band)"),
    "rating band": N_("no rating band covers {values} (no catch-all band)"),
}
_NEVER_HOLDS = {
    "criterion": N_("the criterion's condition `{rule}` can never hold"),
    "adjustment": N_("the condition `{rule}` can never hold"),
    "gate": N_("the gate's condition `{rule}` can never hold"),
    "override": N_("the override's condition `{rule}` can never hold"),
}
_UNUSED_INPUT = {
    "individual": N_("individual input {name!r} is declared but no rule reads it"),
    "unit": N_("unit input {name!r} is declared but no rule reads it"),
}
_ABOVE_MAX = {
    "band": N_("band {number} (`{rule}`) gives {points} points, above the maximum {max}"),
    "formula": N_("the formula gives {points} points, above the maximum {max}"),
    "points": N_("the points gives {points} points, above the maximum {max}"),
}
_CAN_REACH = {
    "band": N_("band {number} (`{rule}`) `{points}` can reach {most} ({reads}), above the "
               "maximum {max}: the excess is capped"),
    "formula": N_("the formula `{points}` can reach {most} ({reads}), above the maximum {max}: "
                  "the excess is capped"),
    "points": N_("the points `{points}` can reach {most} ({reads}), above the maximum {max}: "
                 "the excess is capped"),
}
_KIND_WORDS = {"bool": N_("a yes/no value"), "text": N_("a text")}


def _num(d: Decimal) -> str:
    return format_number(d) if d.is_finite() else ("inf" if d > 0 else "-inf")


def _show_range(key: str, lo: Decimal, lo_closed: bool, hi: Decimal, hi_closed: bool) -> str:
    if lo == hi:
        return f"{key} = {_num(lo)}"
    if not lo.is_finite() and not hi.is_finite():
        return _("any {name}").format(name=key).strip()
    if not lo.is_finite():
        return f"{key} {'<=' if hi_closed else '<'} {_num(hi)}"
    if not hi.is_finite():
        return f"{key} {'>=' if lo_closed else '>'} {_num(lo)}"
    return _("{name} in {interval}").format(
        name=key, interval=f"{'[' if lo_closed else '('}{_num(lo)}, {_num(hi)}"
                           f"{']' if hi_closed else ')'}")


def _show_value(v: expr.Value) -> str:
    if v == OTHER:
        return _("any other value")
    if isinstance(v, bool):
        return "true" if v else "false"
    return f'"{v}"' if isinstance(v, str) else str(v)


def _runs(indices: set[int]) -> list[tuple[int, int]]:
    """Maximal runs [i, j] of consecutive indices (of uncovered pieces)."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _band_name(i: int, rule: Rule) -> str:
    return _("band {number} (`{rule}`)").format(number=i + 1, rule=rule.text)


# ---------------------------------------------------------------------------------- checks


def _check_kind(ck: CKind, kr: KindRules, space: Space) -> list[Finding]:
    out: list[Finding] = []
    for c in ck.criteria:
        if c.banded:
            out += _check_bands(c.group, c.spec.source, c.spec.id, space, "band")
        else:
            out += _check_condition(c.group.rules[0], c.spec.id, "criterion", space)
        for i, rule in enumerate(c.group.rules):
            what = "band" if c.banded else "formula"
            out += _check_points(rule, c.spec.max, (what, i + 1), c.spec.id, space)
    for adj in (*ck.bonus, *ck.deductions):
        rule = adj.group.rules[0]
        out += _check_condition(rule, adj.spec.id, "adjustment", space)
        if adj.spec.max is not None:
            out += _check_points(rule, adj.spec.max, ("points", 0), adj.spec.id, space)
    for g in ck.gates:
        rule = g.group.rules[0]
        out += _check_condition(rule, g.id, "gate", space)
        if always_holds(rule.cond, space):
            out.append(Finding("warning", rule.source, g.id, _(
                "the gate's condition `{rule}` always holds: it blocks {titles} for all").format(
                rule=rule.text, titles=", ".join(sorted(g.blocks)))))
    if ck.ratings is not None and kr.ratings is not None:
        out += _check_bands(ck.ratings.bands, kr.ratings.source, "ratings", space, "rating band")
        for rule in ck.ratings.overrides.rules:
            out += _check_condition(rule, rule.key.rpartition(".")[2], "override", space)
    out += _check_titles(ck, space)
    return out


def _check_condition(rule: Rule, rule_id: str, whose: str, space: Space) -> list[Finding]:
    """`whose`: criterion, adjustment, gate or override (a key of `_NEVER_HOLDS`)."""
    if never_holds(rule.cond, space):
        return [Finding("error", rule.source, rule_id,
                        _(_NEVER_HOLDS[whose]).format(rule=rule.text))]
    return []


def _check_bands(group: RuleGroup, source: str, rule_id: str, space: Space,
                 noun: str) -> list[Finding]:
    """Bands that can never be the first match, and values that no band covers."""
    rules = group.rules
    a = analyse([r.cond for r in rules], space)
    cells = a.cells() if a is not None else None
    if a is None or cells is None:
        return _shadowed_plainly(rules, rule_id, noun)
    scopes = [scope(c) for c in cells]
    try:
        holding = [[evaluate.holds(cond, s) for cond in a.conds] for s in scopes]
    except evaluate.Undefined:  # a division by zero in some cell: read the rules plainly
        return _shadowed_plainly(rules, rule_id, noun)
    first = [next((i for i, h in enumerate(row) if h), None) for row in holding]
    out: list[Finding] = []
    for i, rule in enumerate(rules):
        if i in first:
            continue
        before = sorted({f for f, row in zip(first, holding, strict=True)
                         if row[i] and f is not None})
        out.append(Finding("error", rule.source, rule_id, _unreachable(
            noun, i, rule, ", ".join(_band_name(j, rules[j]) for j in before))))
    uncovered = [c for c, f in zip(cells, first, strict=True) if f is None]
    if uncovered and a.independent:
        out += _gaps(a, uncovered, source, rule_id, noun)
    return out


def _shadowed_plainly(rules: Sequence[Rule], rule_id: str, noun: str) -> list[Finding]:
    """Without an analysis: a band after a catch-all or repeating an earlier condition."""
    out: list[Finding] = []
    for i, rule in enumerate(rules):
        earlier = next((j for j in range(i) if rules[j].cond == rule.cond
                        or isinstance(rules[j].cond, normal.NfTrue)), None)
        if earlier is not None or isinstance(rule.cond, normal.NfFalse):
            bands = "" if earlier is None else _band_name(earlier, rules[earlier])
            out.append(Finding("error", rule.source, rule_id, _unreachable(noun, i, rule, bands)))
    return out


def _unreachable(noun: str, i: int, rule: Rule, bands: str) -> str:
    """Band `i` can never be the first match: never true (`bands` empty), or shadowed by the
    earlier `bands`."""
    if not bands:
        return _(_UNREACHABLE_NEVER[noun]).format(number=i + 1, rule=rule.text)
    return _(_UNREACHABLE_EARLIER[noun]).format(number=i + 1, rule=rule.text, bands=bands)


def _gaps(a: Analysis, uncovered: list[dict[str, Piece]], source: str, rule_id: str,
          noun: str) -> list[Finding]:
    if len(a.pieces) == 1:
        (key, pieces), = a.pieces.items()
        missing = {pieces.index(c[key]) for c in uncovered}
        return _gaps_one(key, pieces, missing, source, rule_id, noun, a.domains[key].integer)
    shown = _collapse(a, uncovered)
    values = "; ".join(shown[:3])
    text = (_(_NOT_COVERED_MORE[noun]).format(values=values, count=len(shown) - 3)
            if len(shown) > 3 else _(_NOT_COVERED[noun]).format(values=values))
    return [Finding("warning", source, rule_id, text)]


def _gaps_one(key: str, pieces: list[Piece], missing: set[int], source: str, rule_id: str,
              noun: str, integer: bool) -> list[Finding]:
    if not isinstance(pieces[0].value, Decimal):
        values = [_show_value(pieces[i].value) for i in sorted(missing)]
        text = f"{key} = {values[0]}" if len(values) == 1 else _("{name} in {interval}").format(
            name=key, interval=f"({', '.join(values)})")
        return [Finding("warning", source, rule_id, _(_NOT_COVERED[noun]).format(values=text))]
    out: list[Finding] = []
    edges: list[str] = []
    for i, j in _runs(missing):
        first, last = pieces[i], pieces[j]
        show = _show_integers if integer else _show_range
        text = show(key, first.lo, first.lo_closed, last.hi, last.hi_closed)
        if i > 0 and j < len(pieces) - 1:
            out.append(Finding("error", source, rule_id, _(_HOLE[noun]).format(values=text)))
        else:
            edges.append(text)
    if edges:
        out.append(Finding("warning", source, rule_id,
                           _(_EDGE[noun]).format(values=_(" or ").join(edges))))
    return out


def _show_integers(key: str, lo: Decimal, lo_closed: bool, hi: Decimal, hi_closed: bool) -> str:
    """A range of whole numbers with closed bounds: `n = 2`, `n in [2, 5]`, `n >= 6`."""
    if lo.is_finite():
        lo = lo if lo_closed and integral(lo) else lo.to_integral_value(ROUND_FLOOR) + 1
    if hi.is_finite():
        hi = hi if hi_closed and integral(hi) else hi.to_integral_value(ROUND_CEILING) - 1
    return _show_range(key, lo, True, hi, True)


def _collapse(a: Analysis, cells: list[dict[str, Piece]]) -> list[str]:
    """Uncovered combinations, compactly: first every atom whose pieces are all uncovered (for
    the same values of the others) is left out, until nothing changes; then the values left
    of one atom are listed together, adjacent number pieces as one range."""
    index = {k: {id(p): i for i, p in enumerate(ps)} for k, ps in a.pieces.items()}
    rows: list[dict[str, tuple[int, ...]]] = [
        {k: (index[k][id(p)],) for k, p in cell.items()} for cell in cells]
    count = len(rows) + 1
    while len(rows) < count:
        count = len(rows)
        for key in a.pieces:
            rows = _merge_key(rows, key, a.pieces[key], drop_only=True)
    for key in a.pieces:
        rows = _merge_key(rows, key, a.pieces[key], drop_only=False)
    return [_(" and ").join(_show_span(k, a, v) for k, v in row.items()) or _("any values")
            for row in rows]


def _merge_key(rows: list[dict[str, tuple[int, ...]]], key: str, options: list[Piece],
               drop_only: bool) -> list[dict[str, tuple[int, ...]]]:
    groups: dict[tuple[tuple[str, tuple[int, ...]], ...], list[tuple[int, ...]]] = {}
    out = [row for row in rows if key not in row]
    for row in rows:
        if key in row:
            groups.setdefault(tuple((k, v) for k, v in row.items() if k != key), []).append(
                row[key])
    for rest, values in groups.items():
        chosen = {i for v in values for i in v}
        if len(chosen) == len(options):
            out.append(dict(rest))
        elif drop_only:
            out += [{**dict(rest), key: v} for v in values]
        elif isinstance(options[0].value, Decimal):
            out += [{**dict(rest), key: tuple(range(i, j + 1))}
                    for i, j in _runs(chosen)]
        else:
            out.append({**dict(rest), key: tuple(sorted(chosen))})
    return out


def _show_span(key: str, a: Analysis, chosen: tuple[int, ...]) -> str:
    pieces = [a.pieces[key][i] for i in chosen]
    first, last = pieces[0], pieces[-1]
    if isinstance(first.value, Decimal):
        show = _show_integers if a.domains[key].integer else _show_range
        return show(key, first.lo, first.lo_closed, last.hi, last.hi_closed)
    values = [_show_value(p.value) for p in pieces]
    if len(values) == 1:
        return f"{key} = {values[0]}"
    return _("{name} in {interval}").format(name=key, interval=f"({', '.join(values)})")


def _check_points(rule: Rule, cap: Decimal, what: tuple[str, int], rule_id: str,
                  space: Space) -> list[Finding]:
    """`what`: ("band", its number), ("formula", 0) or ("points", 0) (keys of `_ABOVE_MAX`)."""
    (whose, number), text = what, rule.text
    points = rule.points
    if points is None:
        return []
    if isinstance(points, expr.Lit) and isinstance(points.value, Decimal):
        if points.value > cap:
            return [Finding("error", rule.source, rule_id, _(_ABOVE_MAX[whose]).format(
                number=number, rule=text, points=_num(points.value), max=_num(cap)))]
        return []
    domains = narrowed(rule.cond, space)
    if any(d.kind == "number" and d.lo > d.hi for d in domains.values()):
        return []
    iv = interval(points, domains)
    if iv is not None and iv.hi.is_finite() and iv.hi > cap:
        reads = ", ".join(f"{n} {_range_text(domains[n])}" for n in sorted(expr.names(points))
                          if n in domains)
        return [Finding("warning", rule.source, rule_id, _(_CAN_REACH[whose]).format(
            number=number, rule=text, points=unparse(points), most=_num(iv.hi), reads=reads,
            max=_num(cap)))]
    return []


def _check_titles(ck: CKind, space: Space) -> list[Finding]:
    """Titles whose prerequisites can never all hold (titles come in dependency order)."""
    out: list[Finding] = []
    never: dict[str, Domain] = {}
    for t in ck.titles:
        rules = t.group.rules
        conds = [r.cond for r in rules]
        if not never_holds(normal.NfAnd(tuple(conds)) if conds else normal.NfTrue(), space, never):
            continue
        never[t.spec.id] = Domain("bool", never=True)
        reasons = [_never_text(r, _why_never(r.cond, space, never))
                   for r in rules if never_holds(r.cond, space, never)]
        text = "; ".join(reasons) if reasons else _("its prerequisites can never hold together")
        out.append(Finding("error", t.spec.source, t.spec.id,
                           _("the title can never be met: {reasons}").format(reasons=text)))
    return out


def _never_text(rule: Rule, why: str) -> str:
    if not why:
        return _("`{rule}` can never hold").format(rule=rule.text)
    return _("`{rule}` can never hold ({reasons})").format(rule=rule.text, reasons=why)


def _why_never(cond: normal.Cond, space: Space, never: Mapping[str, Domain]) -> str:
    reasons = []
    for leaf in normal.leaves(cond):
        if not isinstance(leaf, normal.NfLeaf) or not never_holds(leaf, space, never):
            continue
        name = unparse(leaf.term)
        d = atom_domain(leaf.term, {**space.domains, **never})
        if d is not None and d.never:
            reasons.append(_("title {title} can never be met").format(title=name))
        elif d is not None and d.kind == "number":
            reasons.append(_("{name} is always {range}").format(name=name, range=_range_text(d)))
    return "; ".join(reasons)


def _range_text(d: Domain) -> str:
    if d.kind != "number":
        return _(_KIND_WORDS[d.kind])
    if d.lo.is_finite() and d.hi.is_finite():
        return _("in [{lo}, {hi}]").format(lo=_num(d.lo), hi=_num(d.hi))
    if d.lo.is_finite():
        return f">= {_num(d.lo)}"
    return f"<= {_num(d.hi)}" if d.hi.is_finite() else _("any number")


def _constant_points(rs: RuleSet, kind: Kind) -> list[Finding]:
    """Points written as numbers above their maximum, read from the rule set as written: the
    part of `_check_points` that needs no compiled rule."""
    out: list[Finding] = []

    def above(points: object, cap: Decimal | None, what: tuple[str, int, str], source: str,
              rule_id: str) -> None:
        """`what`: ("band", its number, its condition), ("formula", 0, "") or ("points", 0, "")."""
        if (isinstance(points, int | Decimal) and not isinstance(points, bool)
                and cap is not None and points > cap):
            whose, number, text = what
            out.append(Finding("error", source, rule_id, _(_ABOVE_MAX[whose]).format(
                number=number, rule=text, points=_num(Decimal(points)), max=_num(cap))))

    kr = rs.kind(kind)
    for c in kr.criteria:
        for i, band in enumerate(c.bands or ()):
            when = band.when if isinstance(band.when, str) else str(band.when).lower()
            above(band.points, c.max, ("band", i + 1, when), band.source or c.source, c.id)
        above(c.points, c.max, ("formula", 0, ""), c.source, c.id)
    for adj in (*kr.bonus, *kr.deductions):
        above(adj.points, adj.max, ("points", 0, ""), adj.source, adj.id)
    return out


def _check_total(rs: RuleSet, kind: Kind) -> list[Finding]:
    kr = rs.kind(kind)
    if kr.total is None or not kr.criteria:
        return []
    maxima = sum((c.max for c in kr.criteria), Decimal(0))
    if maxima <= kr.total:
        return []
    where = _key_where(rs, (kind, "total")) or kr.criteria[0].source
    return [Finding("warning", where, kind, _(
        "the criteria's maxima add up to {sum}, above the declared total {total}").format(
        sum=_num(maxima), total=_num(kr.total)))]


# ------------------------------------------------------------------------- unused names


def _expressions(rs: RuleSet) -> Iterator[tuple[Kind, expr.Value | int]]:
    """Every expression of the rule set with the kind whose names it reads."""
    for kind in KINDS:
        kr = rs.kind(kind)
        for agg in kr.aggregates.values():
            for e in (agg.of, agg.where):
                if e is not None:
                    yield "individual", e
        for comp in kr.computed.values():
            yield kind, comp.expr
        for c in kr.criteria:
            for band in c.bands or ():
                yield kind, band.when
                yield kind, band.points
            for e in (c.points, c.when):
                if e is not None:
                    yield kind, e
        for adj in (*kr.bonus, *kr.deductions):
            yield kind, adj.when
            if adj.points is not None:  # None: judged, the points come from the rounds
                yield kind, adj.points
        for g in kr.gates:
            yield kind, g.when
        if kr.ratings is not None:
            yield kind, kr.ratings.points
            for rb in kr.ratings.bands:
                yield kind, rb.when
            for ro in kr.ratings.overrides:
                yield kind, ro.when
    for t in rs.titles:
        for req in t.requires:
            yield t.of, req


def _references(rs: RuleSet) -> Iterator[tuple[Kind, str]]:
    """Names used outside expressions: rank keys, quota scopes and shares, the rating field."""
    for kind in KINDS:
        kr = rs.kind(kind)
        yield from ((kind, c.max_param) for c in kr.criteria if c.max_param is not None)
        if kr.ranking is not None:
            yield from ((kind, n) for n in as_tuple(kr.ranking.per))
            yield from ((kind, k.lstrip("-")) for k in kr.ranking.by)
        if kr.ratings is not None:
            yield kind, kr.ratings.field
            q = kr.ratings.quota
            if q is not None:
                yield from ((kind, n) for n in (*as_tuple(q.per),
                                                *(k.lstrip("-") for k in q.rank_by)))
                if isinstance(q.share, str):
                    yield kind, q.share
                if q.share_field is not None:
                    yield "unit", q.share_field
    for t in rs.titles:
        if t.quota is not None:
            yield from ((t.of, n) for n in as_tuple(t.quota.per))
            yield from ((t.of, k.lstrip("-")) for k in t.quota.rank_by)
            if isinstance(t.quota.share, str):
                yield t.of, t.quota.share
    if rs.rewards is not None and isinstance(rs.rewards.base_salary, str):
        yield "unit", rs.rewards.base_salary
    if rs.rewards is not None and rs.rewards.decision_date in rs.params:
        yield "unit", str(rs.rewards.decision_date)


def _check_unused(rs: RuleSet) -> list[Finding]:
    read: dict[Kind, set[str]] = {k: set() for k in KINDS}
    for kind, text in _expressions(rs):
        found = expr.names(parse.parse(text))
        # a history call is one name; the parameters its keywords name are read too
        read[kind] |= found | {m for n in found if "(" in n
                               for m in re.findall(r"=([A-Za-z_]\w*)", n)}
    for kind, name in _references(rs):
        read[kind].add(name)
    read["unit"] |= {n.removeprefix("unit.") for n in read["individual"] if n.startswith("unit.")}
    out: list[Finding] = []
    for kind in KINDS:
        for name, spec in rs.kind(kind).inputs.items():
            if name not in read[kind]:
                out.append(Finding("warning", spec.source, name,
                                   _(_UNUSED_INPUT[kind]).format(name=name)))
    everything = read["individual"] | read["unit"] | set(REVIEW_PARAMS.values())
    for name, param in rs.params.items():
        if name not in everything:
            where = param.source or _key_where(rs, ("params", name)) or ""
            out.append(Finding("warning", where, name,
                               _("parameter {name!r} is never used").format(name=name)))
    return out


def _key_where(rs: RuleSet, path: tuple[str, ...]) -> str | None:
    """`file:line` of a key in the newest rule file that has it (for merged values)."""
    for folder in (rs.folder, *reversed(rs.lineage)):
        if not folder:
            continue
        for p in reversed(rule_files(Path(folder))):
            node: Any = read_yaml(p, _shown(p))
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node and hasattr(node, "where"):
                return str(node.where(path[-1]))
    return None


def _shown(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.path.normpath(p)
