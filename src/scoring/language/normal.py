"""Conditions in negation normal form: the `Cond` classes and the rewriting to them.

A comparison with a missing value is false whichever way it is written (`x < 5` and `x >= 5` are
both false), because conditions are first rewritten to negation normal form with `term op const`
leaves, and every consumer (the durable_rules compiler, the plain evaluator, the closures and
the explanations) reads only that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from scoring.language.expr import (
    Bin,
    BoolOp,
    Call,
    CmpOp,
    Compare,
    IfExp,
    In,
    Lit,
    Name,
    Node,
    Unary,
    Value,
    _num,
    names,
)


@dataclass(frozen=True)
class NfTrue:
    pass


@dataclass(frozen=True)
class NfFalse:
    pass


@dataclass(frozen=True)
class NfAnd:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class NfOr:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class NfLeaf:
    """`term op const`: the term is a value expression, the constant a literal value."""

    term: Node
    op: CmpOp
    const: Value


@dataclass(frozen=True)
class NfPresent:
    name: str
    positive: bool


Cond: TypeAlias = NfTrue | NfFalse | NfAnd | NfOr | NfLeaf | NfPresent

_NEGATE: dict[CmpOp, CmpOp] = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIP: dict[CmpOp, CmpOp] = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def to_cond(node: Node, negate: bool = False) -> Cond:
    """Rewrite a boolean expression into negation normal form with `term op const` leaves."""
    if isinstance(node, Lit):
        return NfTrue() if bool(node.value) != negate else NfFalse()
    if isinstance(node, Unary) and node.op == "not":
        return to_cond(node.operand, not negate)
    if isinstance(node, BoolOp):
        parts = tuple(to_cond(v, negate) for v in node.values)
        conj = (node.op == "and") != negate
        return _simplify(NfAnd(parts) if conj else NfOr(parts))
    if isinstance(node, Compare):
        op = _NEGATE[node.op] if negate else node.op
        return _leaf(node.left, op, node.right)
    if isinstance(node, In):
        neg = node.negate != negate
        leaves = tuple(_leaf(node.left, "!=" if neg else "==", i) for i in node.items)
        return _simplify(NfAnd(leaves) if neg else NfOr(leaves))
    if isinstance(node, Call) and node.func == "present":
        arg = node.args[0]
        assert isinstance(arg, Name)
        return NfPresent(arg.name, not negate)
    if isinstance(node, IfExp):
        rewritten = BoolOp(
            "or",
            (
                BoolOp("and", (node.test, node.body)),
                BoolOp("and", (Unary("not", node.test), node.orelse)),
            ),
        )
        return to_cond(rewritten, negate)
    return NfLeaf(node, "==", not negate)  # a boolean name or other boolean-valued term


def _leaf(left: Node, op: CmpOp, right: Node) -> Cond:
    if isinstance(left, Lit) and isinstance(right, Lit):
        return NfTrue() if _compare(op, left.value, right.value) else NfFalse()
    if isinstance(right, Lit):
        return NfLeaf(left, op, right.value)
    if isinstance(left, Lit):
        return NfLeaf(right, _FLIP[op], left.value)
    return NfLeaf(Bin("-", left, right), op, Decimal(0))


def _simplify(c: NfAnd | NfOr) -> Cond:
    neutral, absorbing = (NfTrue, NfFalse) if isinstance(c, NfAnd) else (NfFalse, NfTrue)
    items: tuple[Cond, ...] = tuple(i for i in c.items if not isinstance(i, neutral))
    if any(isinstance(i, absorbing) for i in items):
        return absorbing()
    if len(items) == 1:
        return items[0]
    if not items:
        return neutral()
    return NfAnd(items) if isinstance(c, NfAnd) else NfOr(items)


def _compare(op: CmpOp, a: Value, b: Value) -> bool:
    if a is None or b is None:
        return False
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    x, y = _num(a), _num(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def leaves(cond: Cond) -> list[NfLeaf | NfPresent]:
    if isinstance(cond, NfAnd | NfOr):
        return [leaf for c in cond.items for leaf in leaves(c)]
    if isinstance(cond, NfLeaf | NfPresent):
        return [cond]
    return []


def cond_names(cond: Cond) -> set[str]:
    out: set[str] = set()
    for leaf in leaves(cond):
        out |= {leaf.name} if isinstance(leaf, NfPresent) else names(leaf.term)
    return out
