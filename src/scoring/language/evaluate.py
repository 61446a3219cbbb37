"""Evaluating an expression or a condition for one record's values: the reference evaluator.

Exact arithmetic (`Decimal`, precision 34, overflow and division by zero trapped): a division by
zero gives what the rule declared (`division_by_zero:`) or is `Undefined`, never "missing"
silently. The compiled closures (`language.closures`) must compute exactly what this module
computes; tests compare the two on generated records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from functools import partial
from typing import TypeAlias

from scoring.base.errors import InputError, Problem
from scoring.base.i18n import _
from scoring.language.expr import (
    Bin,
    BoolOp,
    Call,
    Compare,
    IfExp,
    In,
    Lit,
    Name,
    Node,
    Scope,
    Unary,
    Value,
    _num,
    names,
)
from scoring.language.normal import Cond, NfAnd, NfFalse, NfOr, NfPresent, NfTrue, _compare, to_cond
from scoring.language.show import _shown, unparse


class Undefined(InputError):
    """An arithmetic result that has no value, met while evaluating: a division by zero the
    rule does not declare (`division_by_zero:`), or a result too large for exact decimals.

    Never turned into "missing" silently: the scorer catches it where it knows the rule and
    the record (`index` into the batch, or `scope`, the record's values) and reports all three
    (see `evaluation.scorer`); anywhere else it is still an input error with the values (exit 2).
    """

    def __init__(self, node: Bin, left: Value, right: Value, scope: Scope | None = None,
                 index: int | None = None) -> None:
        self.node, self.left, self.right = node, left, right
        self.scope, self.index = scope, index
        super().__init__([Problem("", self.describe())])

    @property
    def by_zero(self) -> bool:
        return self.node.op == "/" and isinstance(self.right, Decimal) and not self.right

    def values(self) -> str:
        """The values that made it: the names the failing operation reads, when the record is
        known, else its two operands."""
        read = sorted(names(self.node)) if self.scope is not None else []
        if read and self.scope is not None:
            return ", ".join(f"{n} = {_shown(self.scope.get(n))}" for n in read)
        return (f"{unparse(self.node.left)} = {_shown(self.left)}, "
                f"{unparse(self.node.right)} = {_shown(self.right)}")

    def describe(self) -> str:
        if self.by_zero:
            return _("division by zero in {expr} ({values}); the rule does not say what a "
                     "division by zero means there: guard it (… if divisor != 0 else …) or "
                     "declare it in the rule, e.g. 'division_by_zero: 0' or "
                     "'division_by_zero: missing'").format(expr=unparse(self.node),
                                                           values=self.values())
        return _("a result too large to compute exactly in {expr} ({values})").format(
            expr=unparse(self.node), values=self.values())

    def at(self, index: int, scope: Scope) -> Undefined:
        """This error, located at the record `index` of a batch (kept if already located)."""
        if self.index is None:
            self.index, self.scope = index, scope
            self.problems = [Problem("", self.describe())]
        return self


def _failed(node: Bin, a: Value, b: Value, scope: Scope | None) -> Value:
    """The value of `a op b` when the decimal context trapped it: a declared division by zero
    gives what the rule declared; anything else is `Undefined`."""
    if node.op == "/" and isinstance(b, Decimal) and not b and node.zero != "error":
        return None if node.zero == "missing" else node.zero
    raise Undefined(node, a, b, scope)


def evaluate(node: Node, scope: Scope) -> Value:
    """Evaluate a value expression in Python (points formulas and condition terms)."""
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Name):
        return scope.get(node.name)
    if isinstance(node, Bin):
        return _arith(node, evaluate(node.left, scope), evaluate(node.right, scope), scope)
    if isinstance(node, Unary) and node.op == "-":
        v = evaluate(node.operand, scope)
        return None if v is None else -_num(v)
    if isinstance(node, Call) and node.func != "present":
        args = [evaluate(a, scope) for a in node.args]
        if any(a is None for a in args):
            return None
        nums = [_num(a) for a in args]
        return abs(nums[0]) if node.func == "abs" else (min if node.func == "min" else max)(nums)
    if isinstance(node, IfExp) and not _is_condition(node):
        return evaluate(node.body if holds(to_cond(node.test), scope) else node.orelse, scope)
    return holds(to_cond(node), scope)


def _is_condition(node: IfExp) -> bool:
    return isinstance(node.body, BoolOp | Compare | In | Unary) and not (
        isinstance(node.body, Unary) and node.body.op == "-"
    )


def _arith(node: Bin, a: Value, b: Value, scope: Scope | None = None) -> Value:
    if a is None or b is None:
        return None
    x, y, op = _num(a), _num(b), node.op
    with localcontext() as ctx:
        ctx.prec = 34
        ctx.traps[DivisionByZero] = ctx.traps[InvalidOperation] = ctx.traps[Overflow] = True
        try:
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            return x / y
        except (DivisionByZero, InvalidOperation, Overflow):
            return _failed(node, x, y, scope)  # declared, or `Undefined`: never "missing"


# What `language.closures` compiles a node and a condition to (read here by `_decided`).
Fn: TypeAlias = Callable[[Scope], Value]
Test: TypeAlias = Callable[[Scope], bool]


def holds(cond: Cond, scope: Scope) -> bool:
    """The plain evaluator: does the condition hold for these values?"""
    if isinstance(cond, NfTrue):
        return True
    if isinstance(cond, NfFalse):
        return False
    if isinstance(cond, NfAnd | NfOr):
        absorbing = isinstance(cond, NfOr)
        try:
            return (any if absorbing else all)(holds(c, scope) for c in cond.items)
        except Undefined:
            return _decided([partial(holds, c) for c in cond.items], scope, absorbing)
    if isinstance(cond, NfPresent):
        return (scope.get(cond.name) is not None) == cond.positive
    return _compare(cond.op, evaluate(cond.term, scope), cond.const)


def _decided(items: Sequence[Test], scope: Scope, absorbing: bool) -> bool:
    """`and` (absorbing False) or `or` (absorbing True) over parts some of which are undefined
    (a division by zero): decided when another part absorbs (`planned > 0 and done / planned
    >= 0.9` is false for planned = 0, in either order), else the first `Undefined` stands."""
    pending: Undefined | None = None
    for test in items:
        try:
            if test(scope) == absorbing:
                return absorbing
        except Undefined as e:
            pending = pending or e
    if pending is not None:
        raise pending
    return not absorbing
