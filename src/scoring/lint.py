"""`scoring check`: find mistakes in a rule set that loading and compiling alone cannot see.

Loading refuses malformed files and compiling refuses what cannot run (unknown names, type
mismatches, title cycles); both are reported here as errors, with every problem at once. What
remains are rules that run but cannot mean what their author wanted: bands that leave values
without points or can never be reached, points above a criterion's maximum, a table whose maxima
exceed its declared total, titles nobody can meet, inputs and parameters that no rule reads.

Why the band analysis is exact: every leaf of a condition compares one *atom* (an input, or an
arithmetic term over inputs) with a constant, so the constants cut each atom's declared range into
pieces on which every leaf keeps one truth value. Evaluating the conditions on one representative
per combination of pieces therefore decides coverage and shadowing exactly, provided the atoms
are independent (no input under two atoms). When they may not be, only the conclusions that stay
sound are drawn (a band or title that can never match), never a gap. Missing values are not a
piece: bands are judged for records that give their inputs.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, Literal

from scoring import expr
from scoring.compile import RATING_POINTS, CKind, Compiled, Group, Rule, compile_ruleset
from scoring.engine import check_constants
from scoring.errors import RuleError, UsageError
from scoring.history import REVIEW_PARAMS
from scoring.i18n import N_, _
from scoring.ruleset import KINDS, Kind, KindRules, RuleSet, load, read_yaml, rule_files
from scoring.scopes import as_tuple

Severity = Literal["error", "warning"]
SEVERITY = {"error": N_("error"), "warning": N_("warning")}  # as `check` prints them
ValueKind = Literal["number", "bool", "text"]
INF = Decimal("Infinity")
MAX_CELLS = 20_000  # combinations of pieces evaluated per analysis; beyond that, no conclusion
_OTHER = "\x00other"  # a text value equal to none of the constants a rule compares with


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
    spaces: dict[Kind, _Space] = {}
    for kind in KINDS:
        spaces[kind] = _Space(compiled, kind, spaces.get("individual"))
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


# ------------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Interval:
    """A closed range of numbers; infinite ends are `Decimal('Infinity')`."""

    lo: Decimal = -INF
    hi: Decimal = INF


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else a * b  # 0 × ∞ is 0 for bounds


def _span(values: Iterable[Decimal]) -> Interval:
    vs = list(values)
    return Interval(min(vs), max(vs))


def interval(node: expr.Node, domains: Mapping[str, Domain]) -> Interval | None:
    """The range of a number expression over the names' declared ranges (None: not a number)."""
    if isinstance(node, expr.Lit):
        return Interval(node.value, node.value) if isinstance(node.value, Decimal) else None
    if isinstance(node, expr.Name):
        d = domains.get(node.name)
        return Interval(d.lo, d.hi) if d is not None and d.kind == "number" else None
    if isinstance(node, expr.Unary):
        inner = interval(node.operand, domains) if node.op == "-" else None
        return None if inner is None else Interval(-inner.hi, -inner.lo)
    if isinstance(node, expr.Bin):
        a, b = interval(node.left, domains), interval(node.right, domains)
        return None if a is None or b is None else _arith(node.op, a, b)
    if isinstance(node, expr.Call):
        args = [interval(a, domains) for a in node.args]
        if node.func == "present" or any(a is None for a in args):
            return None
        ivs = [a for a in args if a is not None]
        if node.func == "abs":
            (a,) = ivs
            low = Decimal(0) if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
            return Interval(low, max(abs(a.lo), abs(a.hi)))
        pick = min if node.func == "min" else max
        return Interval(pick(a.lo for a in ivs), pick(a.hi for a in ivs))
    if isinstance(node, expr.IfExp):
        a, b = interval(node.body, domains), interval(node.orelse, domains)
        return None if a is None or b is None else Interval(min(a.lo, b.lo), max(a.hi, b.hi))
    return None


def _arith(op: str, a: Interval, b: Interval) -> Interval:
    if op == "+":
        return Interval(a.lo + b.lo, a.hi + b.hi)
    if op == "-":
        return Interval(a.lo - b.hi, a.hi - b.lo)
    if op == "/":
        if b.lo <= 0 <= b.hi:
            return Interval()  # a divisor that may be zero: no useful bound
        b = _span((1 / b.lo, 1 / b.hi))
    return _span(_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi))


# ------------------------------------------------------------------------- domains and pieces


@dataclass(frozen=True)
class Domain:
    """What values a name can take: a number range, yes/no, or text (an enum's values)."""

    kind: ValueKind
    lo: Decimal = -INF
    hi: Decimal = INF
    integer: bool = False
    values: tuple[str, ...] | None = None
    never: bool = False  # a title that can never be met: only False


def _number_domain(lo: Decimal | None, hi: Decimal | None, integer: bool = False) -> Domain:
    return Domain("number", -INF if lo is None else lo, INF if hi is None else hi, integer)


class _Space:
    """The names one kind's rules read, each with its domain and the inputs it depends on."""

    def __init__(self, compiled: Compiled, kind: Kind, members: _Space | None) -> None:
        rs, ck = compiled.ruleset, compiled.kind(kind)
        self.domains: dict[str, Domain] = {}
        self.deps: dict[str, frozenset[str]] = {}
        identity = ("id", "name", "unit_id") if kind == "individual" else ("id", "name", "cluster")
        for n in identity:
            self.domains[n] = Domain("text")
        for n, spec in ck.inputs.items():
            if spec.type in ("int", "number"):
                self.domains[n] = _number_domain(spec.min, spec.max, spec.type == "int")
            else:
                values = tuple(spec.values or {}) if spec.type == "enum" else None
                self.domains[n] = Domain("bool" if spec.type == "bool" else "text", values=values)
        if kind == "individual":
            for n in ("id", "name", "cluster"):
                self.domains[f"unit.{n}"] = Domain("text")
            for n, spec in rs.unit.inputs.items():
                if spec.type in ("int", "number"):
                    d = _number_domain(spec.min, spec.max, spec.type == "int")
                else:
                    values = tuple(spec.values or {}) if spec.type == "enum" else None
                    d = Domain("bool" if spec.type == "bool" else "text", values=values)
                self.domains[f"unit.{n}"] = d
        if ck.ratings is not None:
            self._derive(RATING_POINTS, ck.ratings.points)
        for agg in ck.aggregates:
            self.domains[agg.name] = _aggregate_domain(agg.spec.fn, agg.of, members)
            self.deps[agg.name] = frozenset({"@members"})  # aggregates of the same people
        for n, node in ck.computed:
            self._derive(n, node)
        for c in ck.criteria:
            self.domains[c.spec.id] = Domain("number", Decimal(0), c.spec.max)
        self.domains["score"] = _score_domain(ck, self.domains)
        for t in ck.titles:
            self.domains[t.spec.id] = Domain("bool")

    def _derive(self, name: str, node: expr.Node) -> None:
        kind = _kind_of(node, self.domains)
        if kind == "number":
            iv = interval(node, self.domains) or Interval()
            self.domains[name] = Domain("number", iv.lo, iv.hi)
        elif kind is not None:
            self.domains[name] = Domain(kind)
        self.deps[name] = frozenset(d for n in expr.names(node) for d in self.depends(n))

    def depends(self, name: str) -> frozenset[str]:
        return self.deps.get(name, frozenset({name}))


def _aggregate_domain(fn: str, of: expr.Node | None, members: _Space | None) -> Domain:
    if fn in ("all", "any"):
        return Domain("bool")
    if fn == "count":
        return Domain("number", Decimal(0), INF, integer=True)
    if fn == "share":
        return Domain("number", Decimal(0), Decimal(1))
    iv = interval(of, members.domains) if of is not None and members is not None else None
    if iv is None:
        return Domain("number")
    if fn == "sum":
        return Domain("number", -INF if iv.lo < 0 else Decimal(0), INF if iv.hi > 0 else Decimal(0))
    return Domain("number", iv.lo, iv.hi)


def _score_domain(ck: CKind, domains: Mapping[str, Domain]) -> Domain:
    hi = sum((c.spec.max for c in ck.criteria), Decimal(0))
    lo = Decimal(0)
    for adj in (*ck.bonus, *ck.deductions):
        points = adj.group.rules[0].points
        iv = interval(points, domains) if points is not None else None
        most = adj.spec.max if adj.spec.max is not None else (iv.hi if iv else INF)
        if adj.sign > 0:
            hi += max(most, Decimal(0))
        else:
            lo -= max(most, Decimal(0))
    return Domain("number", lo, hi)


def _kind_of(node: expr.Node, domains: Mapping[str, Domain]) -> ValueKind | None:
    if isinstance(node, expr.Lit):
        return expr.type_of_value(node.value).kind
    if isinstance(node, expr.Name):
        d = domains.get(node.name)
        return d.kind if d is not None else None
    if isinstance(node, expr.Bin | expr.Call) and not (
            isinstance(node, expr.Call) and node.func == "present"):
        return "number"
    if isinstance(node, expr.Unary):
        return "number" if node.op == "-" else "bool"
    if isinstance(node, expr.IfExp):
        return _kind_of(node.body, domains)
    return "bool"


@dataclass(frozen=True)
class Piece:
    """A part of an atom's domain on which every leaf keeps its truth value."""

    value: expr.Value  # the representative the conditions are evaluated with
    lo: Decimal = -INF
    hi: Decimal = INF
    lo_closed: bool = False
    hi_closed: bool = False


def _integral(d: Decimal) -> bool:
    return d.is_finite() and d == d.to_integral_value()


def _open_piece(a: Decimal, b: Decimal, integer: bool) -> Piece | None:
    """The numbers strictly between a and b (either may be infinite), if there are any."""
    if integer:
        if a.is_finite():
            rep = a.to_integral_value(ROUND_FLOOR) + 1
        elif b.is_finite():
            rep = b.to_integral_value(ROUND_CEILING) - 1
        else:
            rep = Decimal(0)
        return Piece(rep, a, b) if a < rep < b else None
    if a >= b:
        return None
    if a.is_finite() and b.is_finite():
        rep = (a + b) / 2
    elif a.is_finite():
        rep = a + 1
    else:
        rep = b - 1 if b.is_finite() else Decimal(0)
    return Piece(rep, a, b)


def _number_pieces(d: Domain, cuts: Iterable[Decimal]) -> list[Piece]:
    points = sorted({c for c in (*cuts, d.lo, d.hi)
                     if c.is_finite() and d.lo <= c <= d.hi and (not d.integer or _integral(c))})
    pieces: list[Piece] = []
    prev = d.lo
    for p in points:
        between = _open_piece(prev, p, d.integer)
        if between is not None:
            pieces.append(between)
        pieces.append(Piece(p, p, p, True, True))
        prev = p
    tail = _open_piece(prev, d.hi, d.integer) if not points or points[-1] != d.hi else None
    if tail is not None:
        pieces.append(tail)
    return pieces


def _pieces(d: Domain, consts: set[expr.Value]) -> list[Piece]:
    if d.kind == "number":
        return _number_pieces(d, (c for c in consts if isinstance(c, Decimal)))
    if d.kind == "bool":
        return [Piece(False)] if d.never else [Piece(True), Piece(False)]
    if d.values is not None:
        return [Piece(v) for v in d.values]
    return [*(Piece(c) for c in sorted(str(c) for c in consts)), Piece(_OTHER)]


# --------------------------------------------------------------------------------- analysis


@dataclass
class _Analysis:
    """Conditions rewritten over atoms, each atom's pieces, and whether atoms are independent."""

    conds: list[expr.Cond]
    pieces: dict[str, list[Piece]]
    independent: bool
    domains: dict[str, Domain] = field(default_factory=dict)

    def cells(self) -> list[dict[str, Piece]] | None:
        if math.prod(len(p) for p in self.pieces.values()) > MAX_CELLS:
            return None
        keys = list(self.pieces)
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(self.pieces[k] for k in keys))]


def _analyse(conds: Sequence[expr.Cond], space: _Space,
             overrides: Mapping[str, Domain] | None = None) -> _Analysis | None:
    """Prepare conditions for evaluation over pieces; None when a leaf cannot be analysed."""
    domains = {**space.domains, **(overrides or {})}
    keys: dict[expr.Node, str] = {}
    consts: dict[str, set[expr.Value]] = {}
    atom_domains: dict[str, Domain] = {}
    for cond in conds:
        for leaf in expr.leaves(cond):
            if isinstance(leaf, expr.CPresent):
                return None
            key = leaf.term.name if isinstance(leaf.term, expr.Name) else expr.unparse(leaf.term)
            if key not in atom_domains:
                d = _atom_domain(leaf.term, domains)
                if d is None:
                    return None
                atom_domains[key] = d
            if expr.type_of_value(leaf.const).kind != atom_domains[key].kind:
                return None
            keys[leaf.term] = key
            consts.setdefault(key, set()).add(leaf.const)
    deps: dict[str, frozenset[str]] = {}
    for term, key in keys.items():
        deps[key] = frozenset(d for n in expr.names(term) for d in space.depends(n))
    seen: set[str] = set()
    independent = True
    for dep in deps.values():
        independent = independent and not (dep & seen)
        seen |= dep
    pieces = {k: _pieces(atom_domains[k], consts[k]) for k in atom_domains}
    return _Analysis([_rename(c, keys) for c in conds], pieces, independent, atom_domains)


def _atom_domain(term: expr.Node, domains: Mapping[str, Domain]) -> Domain | None:
    if isinstance(term, expr.Name):
        return domains.get(term.name)
    iv = interval(term, domains)
    return None if iv is None else Domain("number", iv.lo, iv.hi)


def _rename(cond: expr.Cond, keys: Mapping[expr.Node, str]) -> expr.Cond:
    if isinstance(cond, expr.CAnd):
        return expr.CAnd(tuple(_rename(c, keys) for c in cond.items))
    if isinstance(cond, expr.COr):
        return expr.COr(tuple(_rename(c, keys) for c in cond.items))
    if isinstance(cond, expr.CLeaf):
        return expr.CLeaf(expr.Name(keys[cond.term]), cond.op, cond.const)
    return cond


def _scope(cell: Mapping[str, Piece]) -> dict[str, expr.Value]:
    return {k: p.value for k, p in cell.items()}


def _never(cond: expr.Cond, space: _Space,
           overrides: Mapping[str, Domain] | None = None) -> bool:
    """True when the condition holds for no values at all (False when it cannot be decided)."""
    if isinstance(cond, expr.CFalse):
        return True
    a = _analyse([cond], space, overrides)
    cells = a.cells() if a is not None else None
    try:
        return a is not None and cells is not None and not any(
            expr.holds(a.conds[0], _scope(c)) for c in cells)
    except expr.Undefined:  # a division by zero in some cell: not decided here
        return False


def _always(cond: expr.Cond, space: _Space) -> bool:
    if isinstance(cond, expr.CTrue):
        return True
    a = _analyse([cond], space)
    cells = a.cells() if a is not None and a.independent else None
    try:
        return a is not None and cells is not None and all(
            expr.holds(a.conds[0], _scope(c)) for c in cells)
    except expr.Undefined:  # a division by zero in some cell: not decided here
        return False


# ---------------------------------------------------------------------------- text helpers


def _num(d: Decimal) -> str:
    return expr.format_number(d) if d.is_finite() else ("inf" if d > 0 else "-inf")


def _show_range(key: str, lo: Decimal, lo_closed: bool, hi: Decimal, hi_closed: bool) -> str:
    if lo == hi:
        return f"{key} = {_num(lo)}"
    if not lo.is_finite() and not hi.is_finite():
        return f"any {key}".strip()
    if not lo.is_finite():
        return f"{key} {'<=' if hi_closed else '<'} {_num(hi)}"
    if not hi.is_finite():
        return f"{key} {'>=' if lo_closed else '>'} {_num(lo)}"
    return f"{key} in {'[' if lo_closed else '('}{_num(lo)}, {_num(hi)}{']' if hi_closed else ')'}"


def _show_value(v: expr.Value) -> str:
    if v == _OTHER:
        return "any other value"
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
    return f"band {i + 1} (`{rule.text}`)"


# ---------------------------------------------------------------------------------- checks


def _check_kind(ck: CKind, kr: KindRules, space: _Space) -> list[Finding]:
    out: list[Finding] = []
    for c in ck.criteria:
        if c.banded:
            out += _check_bands(c.group, c.spec.source, c.spec.id, space, "band")
        else:
            out += _check_condition(c.group.rules[0], c.spec.id, "the criterion's", space)
        for i, rule in enumerate(c.group.rules):
            what = _band_name(i, rule) if c.banded else "the formula"
            out += _check_points(rule, c.spec.max, what, c.spec.id, space)
    for adj in (*ck.bonus, *ck.deductions):
        rule = adj.group.rules[0]
        out += _check_condition(rule, adj.spec.id, "the", space)
        if adj.spec.max is not None:
            out += _check_points(rule, adj.spec.max, "the points", adj.spec.id, space)
    for g in ck.gates:
        rule = g.group.rules[0]
        out += _check_condition(rule, g.id, "the gate's", space)
        if _always(rule.cond, space):
            out.append(Finding("warning", rule.source, g.id, f"the gate's condition `{rule.text}` "
                               f"always holds: it blocks {', '.join(sorted(g.blocks))} for all"))
    if ck.ratings is not None and kr.ratings is not None:
        out += _check_bands(ck.ratings.bands, kr.ratings.source, "ratings", space, "rating band")
        for rule in ck.ratings.overrides.rules:
            out += _check_condition(rule, rule.key.rpartition(".")[2], "the override's", space)
    out += _check_titles(ck, space)
    return out


def _check_condition(rule: Rule, rule_id: str, whose: str, space: _Space) -> list[Finding]:
    if _never(rule.cond, space):
        return [Finding("error", rule.source, rule_id,
                        f"{whose} condition `{rule.text}` can never hold")]
    return []


def _check_bands(group: Group, source: str, rule_id: str, space: _Space,
                 noun: str) -> list[Finding]:
    """Bands that can never be the first match, and values that no band covers."""
    rules = group.rules
    a = _analyse([r.cond for r in rules], space)
    cells = a.cells() if a is not None else None
    if a is None or cells is None:
        return _shadowed_plainly(rules, rule_id, noun)
    scopes = [_scope(c) for c in cells]
    try:
        holding = [[expr.holds(cond, s) for cond in a.conds] for s in scopes]
    except expr.Undefined:  # a division by zero in some cell: read the rules plainly
        return _shadowed_plainly(rules, rule_id, noun)
    first = [next((i for i, h in enumerate(row) if h), None) for row in holding]
    out: list[Finding] = []
    for i, rule in enumerate(rules):
        if i in first:
            continue
        before = sorted({f for f, row in zip(first, holding, strict=True)
                         if row[i] and f is not None})
        why = ("its condition can never hold" if not before else
               "earlier bands match every value it would: "
               + ", ".join(_band_name(j, rules[j]) for j in before))
        out.append(Finding("error", rule.source, rule_id,
                           f"{noun} {i + 1} (`{rule.text}`) is unreachable: {why}"))
    uncovered = [c for c, f in zip(cells, first, strict=True) if f is None]
    if uncovered and a.independent:
        out += _gaps(a, uncovered, source, rule_id, noun)
    return out


def _shadowed_plainly(rules: Sequence[Rule], rule_id: str, noun: str) -> list[Finding]:
    """Without an analysis: a band after a catch-all or repeating an earlier condition."""
    out: list[Finding] = []
    for i, rule in enumerate(rules):
        earlier = next((j for j in range(i) if rules[j].cond == rule.cond
                        or isinstance(rules[j].cond, expr.CTrue)), None)
        if earlier is not None or isinstance(rule.cond, expr.CFalse):
            why = ("its condition can never hold" if earlier is None else
                   f"earlier bands match every value it would: "
                   f"{_band_name(earlier, rules[earlier])}")
            out.append(Finding("error", rule.source, rule_id,
                               f"{noun} {i + 1} (`{rule.text}`) is unreachable: {why}"))
    return out


def _gaps(a: _Analysis, uncovered: list[dict[str, Piece]], source: str, rule_id: str,
          noun: str) -> list[Finding]:
    if len(a.pieces) == 1:
        (key, pieces), = a.pieces.items()
        missing = {pieces.index(c[key]) for c in uncovered}
        return _gaps_one(key, pieces, missing, source, rule_id, noun, a.domains[key].integer)
    shown = _collapse(a, uncovered)
    more = f" (and {len(shown) - 3} more)" if len(shown) > 3 else ""
    return [Finding("warning", source, rule_id,
                    f"no {noun} covers " + "; ".join(shown[:3]) + more)]


def _gaps_one(key: str, pieces: list[Piece], missing: set[int], source: str, rule_id: str,
              noun: str, integer: bool) -> list[Finding]:
    if not isinstance(pieces[0].value, Decimal):
        values = [_show_value(pieces[i].value) for i in sorted(missing)]
        text = f"{key} = {values[0]}" if len(values) == 1 else f"{key} in ({', '.join(values)})"
        return [Finding("warning", source, rule_id, f"no {noun} covers {text}")]
    out: list[Finding] = []
    edges: list[str] = []
    for i, j in _runs(missing):
        first, last = pieces[i], pieces[j]
        show = _show_integers if integer else _show_range
        text = show(key, first.lo, first.lo_closed, last.hi, last.hi_closed)
        if i > 0 and j < len(pieces) - 1:
            out.append(Finding("error", source, rule_id,
                               f"no {noun} covers {text}, between values that are covered"))
        else:
            edges.append(text)
    if edges:
        out.append(Finding("warning", source, rule_id,
                           f"no {noun} covers {' or '.join(edges)} (no catch-all band)"))
    return out


def _show_integers(key: str, lo: Decimal, lo_closed: bool, hi: Decimal, hi_closed: bool) -> str:
    """A range of whole numbers with closed bounds: `n = 2`, `n in [2, 5]`, `n >= 6`."""
    if lo.is_finite():
        lo = lo if lo_closed and _integral(lo) else lo.to_integral_value(ROUND_FLOOR) + 1
    if hi.is_finite():
        hi = hi if hi_closed and _integral(hi) else hi.to_integral_value(ROUND_CEILING) - 1
    return _show_range(key, lo, True, hi, True)


def _collapse(a: _Analysis, cells: list[dict[str, Piece]]) -> list[str]:
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
    return [" and ".join(_show_span(k, a, v) for k, v in row.items()) or "any values"
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


def _show_span(key: str, a: _Analysis, chosen: tuple[int, ...]) -> str:
    pieces = [a.pieces[key][i] for i in chosen]
    first, last = pieces[0], pieces[-1]
    if isinstance(first.value, Decimal):
        show = _show_integers if a.domains[key].integer else _show_range
        return show(key, first.lo, first.lo_closed, last.hi, last.hi_closed)
    values = [_show_value(p.value) for p in pieces]
    return f"{key} = {values[0]}" if len(values) == 1 else f"{key} in ({', '.join(values)})"


def _narrowed(cond: expr.Cond, space: _Space) -> dict[str, Domain]:
    """Domains narrowed by the `name op number` leaves that the condition requires."""
    out = dict(space.domains)
    items = cond.items if isinstance(cond, expr.CAnd) else (cond,)
    for leaf in items:
        if not (isinstance(leaf, expr.CLeaf) and isinstance(leaf.term, expr.Name)
                and isinstance(leaf.const, Decimal)):
            continue
        d = out.get(leaf.term.name)
        if d is None or d.kind != "number":
            continue
        lo = max(d.lo, leaf.const) if leaf.op in (">", ">=", "==") else d.lo
        hi = min(d.hi, leaf.const) if leaf.op in ("<", "<=", "==") else d.hi
        out[leaf.term.name] = replace(d, lo=lo, hi=hi)
    return out


def _check_points(rule: Rule, cap: Decimal, what: str, rule_id: str,
                  space: _Space) -> list[Finding]:
    points = rule.points
    if points is None:
        return []
    if isinstance(points, expr.Lit) and isinstance(points.value, Decimal):
        if points.value > cap:
            return [Finding("error", rule.source, rule_id,
                            f"{what} gives {_num(points.value)} points, above the maximum "
                            f"{_num(cap)}")]
        return []
    domains = _narrowed(rule.cond, space)
    if any(d.kind == "number" and d.lo > d.hi for d in domains.values()):
        return []
    iv = interval(points, domains)
    if iv is not None and iv.hi.is_finite() and iv.hi > cap:
        reads = ", ".join(f"{n} {_range_text(domains[n])}" for n in sorted(expr.names(points))
                          if n in domains)
        return [Finding("warning", rule.source, rule_id,
                        f"{what} `{expr.unparse(points)}` can reach {_num(iv.hi)} ({reads}), "
                        f"above the maximum {_num(cap)}: the excess is capped")]
    return []


def _check_titles(ck: CKind, space: _Space) -> list[Finding]:
    """Titles whose prerequisites can never all hold (titles come in dependency order)."""
    out: list[Finding] = []
    never: dict[str, Domain] = {}
    for t in ck.titles:
        rules = t.group.rules
        conds = [r.cond for r in rules]
        if not _never(expr.CAnd(tuple(conds)) if conds else expr.CTrue(), space, never):
            continue
        never[t.spec.id] = Domain("bool", never=True)
        reasons = [f"`{r.text}` can never hold" + _why_never(r.cond, space, never)
                   for r in rules if _never(r.cond, space, never)]
        text = "; ".join(reasons) if reasons else "its prerequisites can never hold together"
        out.append(Finding("error", t.spec.source, t.spec.id,
                           f"the title can never be met: {text}"))
    return out


def _why_never(cond: expr.Cond, space: _Space, never: Mapping[str, Domain]) -> str:
    reasons = []
    for leaf in expr.leaves(cond):
        if not isinstance(leaf, expr.CLeaf) or not _never(leaf, space, never):
            continue
        name = expr.unparse(leaf.term)
        d = _atom_domain(leaf.term, {**space.domains, **never})
        if d is not None and d.never:
            reasons.append(f"title {name} can never be met")
        elif d is not None and d.kind == "number":
            reasons.append(f"{name} is always {_range_text(d)}")
    return f" ({'; '.join(reasons)})" if reasons else ""


def _range_text(d: Domain) -> str:
    if d.kind != "number":
        return f"a {d.kind}"
    if d.lo.is_finite() and d.hi.is_finite():
        return f"in [{_num(d.lo)}, {_num(d.hi)}]"
    if d.lo.is_finite():
        return f">= {_num(d.lo)}"
    return f"<= {_num(d.hi)}" if d.hi.is_finite() else "any number"


def _constant_points(rs: RuleSet, kind: Kind) -> list[Finding]:
    """Points written as numbers above their maximum, read from the rule set as written: the
    part of `_check_points` that needs no compiled rule."""
    out: list[Finding] = []

    def above(points: object, cap: Decimal | None, what: str, source: str, rule_id: str) -> None:
        if (isinstance(points, int | Decimal) and not isinstance(points, bool)
                and cap is not None and points > cap):
            out.append(Finding("error", source, rule_id, f"{what} gives {_num(Decimal(points))} "
                                                         f"points, above the maximum {_num(cap)}"))

    kr = rs.kind(kind)
    for c in kr.criteria:
        for i, band in enumerate(c.bands or ()):
            when = band.when if isinstance(band.when, str) else str(band.when).lower()
            above(band.points, c.max, f"band {i + 1} (`{when}`)", band.source or c.source, c.id)
        above(c.points, c.max, "the formula", c.source, c.id)
    for adj in (*kr.bonus, *kr.deductions):
        above(adj.points, adj.max, "the points", adj.source, adj.id)
    return out


def _check_total(rs: RuleSet, kind: Kind) -> list[Finding]:
    kr = rs.kind(kind)
    if kr.total is None or not kr.criteria:
        return []
    maxima = sum((c.max for c in kr.criteria), Decimal(0))
    if maxima <= kr.total:
        return []
    where = _key_where(rs, (kind, "total")) or kr.criteria[0].source
    return [Finding("warning", where, kind,
                    f"the criteria's maxima add up to {_num(maxima)}, above the declared total "
                    f"{_num(kr.total)}")]


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
        found = expr.names(expr.parse(text))
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
                                   f"{kind} input {name!r} is declared but no rule reads it"))
    everything = read["individual"] | read["unit"] | set(REVIEW_PARAMS.values())
    for name, param in rs.params.items():
        if name not in everything:
            where = param.source or _key_where(rs, ("params", name)) or ""
            out.append(Finding("warning", where, name, f"parameter {name!r} is never used"))
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
