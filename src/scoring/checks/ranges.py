"""The value-range analysis behind `scoring check`: which values the names a kind's rules read
can take, and whether a condition over them can ever hold, or always holds.

The checks (`rulecheck.py`) turn its answers into findings; this module only computes: number
ranges of expressions, the domain of every input, aggregate and score, the pieces each atom's
domain is cut into, and the evaluation of conditions over them.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from scoring.language import evaluate, expr, normal, show
from scoring.rulesets.compile import RATING_POINTS, CKind, Compiled
from scoring.rulesets.schema import Kind

ValueKind = Literal["number", "bool", "text"]
INF = Decimal("Infinity")
MAX_CELLS = 20_000  # combinations of pieces evaluated per analysis; beyond that, no conclusion
OTHER = "\x00other"  # a text value equal to none of the constants a rule compares with


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


class Space:
    """The names one kind's rules read, each with its domain and the inputs it depends on."""

    def __init__(self, compiled: Compiled, kind: Kind, members: Space | None) -> None:
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


def _aggregate_domain(fn: str, of: expr.Node | None, members: Space | None) -> Domain:
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


def integral(d: Decimal) -> bool:
    """True for a finite whole number."""
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
                     if c.is_finite() and d.lo <= c <= d.hi and (not d.integer or integral(c))})
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
    return [*(Piece(c) for c in sorted(str(c) for c in consts)), Piece(OTHER)]


# --------------------------------------------------------------------------------- analysis


@dataclass
class Analysis:
    """Conditions rewritten over atoms, each atom's pieces, and whether atoms are independent."""

    conds: list[normal.Cond]
    pieces: dict[str, list[Piece]]
    independent: bool
    domains: dict[str, Domain] = field(default_factory=dict)

    def cells(self) -> list[dict[str, Piece]] | None:
        """Every combination of pieces, one per atom (None: more than `MAX_CELLS`)."""
        if math.prod(len(p) for p in self.pieces.values()) > MAX_CELLS:
            return None
        keys = list(self.pieces)
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(self.pieces[k] for k in keys))]


def analyse(conds: Sequence[normal.Cond], space: Space,
            overrides: Mapping[str, Domain] | None = None) -> Analysis | None:
    """Prepare conditions for evaluation over pieces; None when a leaf cannot be analysed."""
    domains = {**space.domains, **(overrides or {})}
    keys: dict[expr.Node, str] = {}
    consts: dict[str, set[expr.Value]] = {}
    atom_domains: dict[str, Domain] = {}
    for cond in conds:
        for leaf in normal.leaves(cond):
            if isinstance(leaf, normal.NfPresent):
                return None
            key = leaf.term.name if isinstance(leaf.term, expr.Name) else show.unparse(leaf.term)
            if key not in atom_domains:
                d = atom_domain(leaf.term, domains)
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
    return Analysis([_rename(c, keys) for c in conds], pieces, independent, atom_domains)


def atom_domain(term: expr.Node, domains: Mapping[str, Domain]) -> Domain | None:
    """The domain of a name, or the number range of a term (None: unknown or not a number)."""
    if isinstance(term, expr.Name):
        return domains.get(term.name)
    iv = interval(term, domains)
    return None if iv is None else Domain("number", iv.lo, iv.hi)


def _rename(cond: normal.Cond, keys: Mapping[expr.Node, str]) -> normal.Cond:
    if isinstance(cond, normal.NfAnd):
        return normal.NfAnd(tuple(_rename(c, keys) for c in cond.items))
    if isinstance(cond, normal.NfOr):
        return normal.NfOr(tuple(_rename(c, keys) for c in cond.items))
    if isinstance(cond, normal.NfLeaf):
        return normal.NfLeaf(expr.Name(keys[cond.term]), cond.op, cond.const)
    return cond


def scope(cell: Mapping[str, Piece]) -> dict[str, expr.Value]:
    """The values a combination of pieces stands for, to evaluate conditions with."""
    return {k: p.value for k, p in cell.items()}


def never_holds(cond: normal.Cond, space: Space,
                overrides: Mapping[str, Domain] | None = None) -> bool:
    """True when the condition holds for no values at all (False when it cannot be decided)."""
    if isinstance(cond, normal.NfFalse):
        return True
    a = analyse([cond], space, overrides)
    cells = a.cells() if a is not None else None
    try:
        return a is not None and cells is not None and not any(
            evaluate.holds(a.conds[0], scope(c)) for c in cells)
    except evaluate.Undefined:  # a division by zero in some cell: not decided here
        return False


def always_holds(cond: normal.Cond, space: Space) -> bool:
    """True when the condition holds for every value (False when it cannot be decided)."""
    if isinstance(cond, normal.NfTrue):
        return True
    a = analyse([cond], space)
    cells = a.cells() if a is not None and a.independent else None
    try:
        return a is not None and cells is not None and all(
            evaluate.holds(a.conds[0], scope(c)) for c in cells)
    except evaluate.Undefined:  # a division by zero in some cell: not decided here
        return False


def narrowed(cond: normal.Cond, space: Space) -> dict[str, Domain]:
    """Domains narrowed by the `name op number` leaves that the condition requires."""
    out = dict(space.domains)
    items = cond.items if isinstance(cond, normal.NfAnd) else (cond,)
    for leaf in items:
        if not (isinstance(leaf, normal.NfLeaf) and isinstance(leaf.term, expr.Name)
                and isinstance(leaf.const, Decimal)):
            continue
        d = out.get(leaf.term.name)
        if d is None or d.kind != "number":
            continue
        lo = max(d.lo, leaf.const) if leaf.op in (">", ">=", "==") else d.lo
        hi = min(d.hi, leaf.const) if leaf.op in ("<", "<=", "==") else d.hi
        out[leaf.term.name] = replace(d, lo=lo, hi=hi)
    return out
