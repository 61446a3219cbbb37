"""Expressions and conditions compiled to Python closures, for the hot paths.

The hot paths (engine atoms, points formulas, computed fields, aggregates) evaluate the same
node for every record, so a node is compiled once into a Python closure built from its tree
(no `eval`, no text). Each closure computes exactly what `evaluate` / `holds` compute, with the
same decimal contexts: tests compare the two on generated records. `evaluate` and `holds` stay
the reference, and the plain evaluator of the cross-check keeps using them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from itertools import repeat
from typing import Any, TypeVar

from scoring.language.evaluate import Fn, Test, Undefined, _decided, _failed, _is_condition
from scoring.language.expr import (
    Bin,
    Call,
    IfExp,
    Lit,
    Name,
    Node,
    Scope,
    Unary,
    Value,
    _num,
    names,
)
from scoring.language.normal import (
    Cond,
    NfAnd,
    NfFalse,
    NfLeaf,
    NfOr,
    NfPresent,
    NfTrue,
    _compare,
    to_cond,
)

_CLOSURE = "_closure"


K = TypeVar("K")
B = TypeVar("B")


def _kept(obj: K, key: str, build: Callable[[K], B]) -> B:
    """`build(obj)`, built once and kept on the object itself (as `functools.cached_property`
    would), so it lives exactly as long as the object; by identity, never by equality:
    Lit(Decimal("1")) == Lit(Decimal("1.0")), but the two give results with different
    exponents. The nodes are frozen dataclasses, so the value goes in `vars(obj)` directly."""
    found: B | None = vars(obj).get(key)
    if found is None:
        found = vars(obj)[key] = build(obj)
    return found


def compiled(node: Node) -> Fn:
    """`evaluate(node, scope)` as a closure over the node, built once per node object."""
    return _kept(node, _CLOSURE, _compile)


def compiled_cond(cond: Cond) -> Test:
    """`holds(cond, scope)` as a closure over the condition, built once per condition object."""
    return _kept(cond, _CLOSURE, _compile_cond)


def column(node: Node, scopes: Sequence[Scope]) -> list[Value]:
    """`[evaluate(node, s) for s in scopes]`, evaluating once per distinct input.

    A node's value is a function of the values of the names it reads, and a batch holds few
    distinct combinations of them (the engine's signature sharing, one level down), so the
    node is evaluated once per combination. Equal inputs give equal values (decimal results
    depend on the operands' values, not their exponents, up to the exponent of the result),
    except where a field holds both True and Decimal(1), which compare equal: a field holding
    both kinds, which the type checker rules out, is evaluated record by record.
    """
    if isinstance(node, Name):
        return field_column(node.name, scopes)
    if isinstance(node, Lit):
        return [node.value] * len(scopes)
    if isinstance(node, Bin):
        try:
            return _bin_column(node, column(node.left, scopes), column(node.right, scopes))
        except Undefined as e:
            raise e if e.index is None else e.at(e.index, scopes[e.index]) from None
    fn = compiled(node)
    read = sorted(names(node))
    if not read or len(scopes) < 2:
        return _each(fn, scopes)
    fields = [field_column(name, scopes) for name in read]
    if any(set(map(type, f)) >= _MIXED for f in fields):
        return _each(fn, scopes)
    keys: list[Any] = fields[0] if len(fields) == 1 else list(zip(*fields, strict=True))
    distinct: dict[Any, Value] = dict.fromkeys(keys)
    if len(distinct) * 2 > len(keys):  # mostly distinct: no sharing to gain
        return _each(fn, scopes)
    for key in distinct:
        try:
            distinct[key] = fn(dict(zip(read, (key,) if len(fields) == 1 else key,
                                        strict=True)))
        except Undefined as e:  # the first record with these values is the one named
            first = keys.index(key)
            e.index = e.scope = None
            raise e.at(first, scopes[first]) from None
    return list(map(distinct.__getitem__, keys))


def _each(fn: Fn, scopes: Sequence[Scope]) -> list[Value]:
    """`[fn(s) for s in scopes]`, an `Undefined` located at its record."""
    try:
        return [fn(s) for s in scopes]
    except Undefined as e:
        for i, s in enumerate(scopes):
            try:
                fn(s)
            except Undefined as found:
                found.index = None
                raise found.at(i, s) from None
        raise e from None


_MIXED = frozenset({bool, Decimal})
_DECIMALS = frozenset({Decimal})


def _bin_column(node: Bin, left: list[Value], right: list[Value]) -> list[Value]:
    """`_arith(node, a, b)` for each pair: at C speed when both columns are all numbers."""
    operation = _OPERATIONS[node.op]
    if set(map(type, left)) <= _DECIMALS and set(map(type, right)) <= _DECIMALS:
        try:
            return list(map(operation, left, right))  # type: ignore[arg-type]
        except (DivisionByZero, InvalidOperation, Overflow):
            pass  # a zero divisor somewhere: that record's value is decided below
    out: list[Value] = []
    for j, (a, b) in enumerate(zip(left, right, strict=True)):
        if a is None or b is None:
            out.append(None)
            continue
        try:
            out.append(operation(_num(a), _num(b)))
        except (DivisionByZero, InvalidOperation, Overflow):
            try:
                out.append(_failed(node, a, b, None))
            except Undefined as e:
                e.index = j  # the caller, which holds the scopes, adds the record's values
                raise
    return out


def field_column(name: str, scopes: Sequence[Scope]) -> list[Value]:
    """`[s.get(name) for s in scopes]`, at C speed when the scopes are dicts."""
    try:
        return list(map(dict.get, scopes, repeat(name, len(scopes))))  # type: ignore[arg-type]
    except TypeError:  # mappings that are not dicts
        return [s.get(name) for s in scopes]


def _compile(node: Node) -> Fn:
    if isinstance(node, Lit):
        value = node.value
        return lambda scope: value
    if isinstance(node, Name):
        name = node.name
        return lambda scope: scope.get(name)
    if isinstance(node, Bin):
        return _compile_bin(node)
    if isinstance(node, Unary) and node.op == "-":
        operand = _compile(node.operand)

        def neg(scope: Scope) -> Value:
            v = operand(scope)
            return None if v is None else -_num(v)
        return neg
    if isinstance(node, Call) and node.func != "present":
        return _compile_call(node)
    if isinstance(node, IfExp) and not _is_condition(node):
        test, body, orelse = (_compile_cond(to_cond(node.test)), _compile(node.body),
                              _compile(node.orelse))
        return lambda scope: body(scope) if test(scope) else orelse(scope)
    return _compile_cond(to_cond(node))


def _compile_bin(node: Bin) -> Fn:
    # A chain such as `a + b - c + d` is the left-nested tree (((a + b) - c) + d), which
    # `evaluate` computes by evaluating every operand, then folding from the left: missing as
    # soon as one side is missing, each step in `_arith`'s context (precision 34, division by
    # zero trapped). The closure does the same fold over the flattened operands.
    steps: list[tuple[Callable[[Decimal, Decimal], Decimal], Node, Bin]] = []
    first: Node = node
    while isinstance(first, Bin):
        steps.append((_OPERATIONS[first.op], first.right, first))
        first = first.left
    steps.reverse()
    operands = [first, *(right for _, right, _ in steps)]
    operations = [(op, step) for op, _, step in steps]
    if all(isinstance(o, Name) for o in operands):
        names = [o.name for o in operands]  # type: ignore[union-attr]

        def values(scope: Scope) -> list[Value]:
            return list(map(scope.get, names))
    else:
        fns = [_compile(o) for o in operands]

        def values(scope: Scope) -> list[Value]:
            return [f(scope) for f in fns]

    def arith(scope: Scope) -> Value:
        vs = values(scope)
        acc = vs[0]
        for (operation, step), b in zip(operations, vs[1:], strict=True):
            if acc is None or b is None:
                acc = None
                continue
            try:
                acc = operation(_num(acc), _num(b))
            except (DivisionByZero, InvalidOperation, Overflow):
                acc = _failed(step, acc, b, scope)  # declared, or `Undefined`
        return acc
    return arith


_ARITH_CONTEXT = Context(prec=34, traps=[DivisionByZero, InvalidOperation, Overflow])
_OPERATIONS: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": _ARITH_CONTEXT.add, "-": _ARITH_CONTEXT.subtract, "*": _ARITH_CONTEXT.multiply,
    "/": _ARITH_CONTEXT.divide,
}


def _compile_call(node: Call) -> Fn:
    args = [_compile(a) for a in node.args]
    func = node.func

    def call(scope: Scope) -> Value:
        values = [a(scope) for a in args]
        if None in values:
            return None
        nums = [_num(v) for v in values]
        return abs(nums[0]) if func == "abs" else (min if func == "min" else max)(nums)
    return call


_ORDER: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _compile_cond(cond: Cond) -> Test:
    if isinstance(cond, NfTrue):
        return lambda scope: True
    if isinstance(cond, NfFalse):
        return lambda scope: False
    if isinstance(cond, NfAnd | NfOr):
        items = tuple(_compile_cond(c) for c in cond.items)
        absorbing = isinstance(cond, NfOr)
        whole = any if absorbing else all

        def either(scope: Scope) -> bool:
            try:
                return whole(t(scope) for t in items)
            except Undefined:
                return _decided(items, scope, absorbing)
        return either
    if isinstance(cond, NfPresent):
        name, positive = cond.name, cond.positive
        return lambda scope: (scope.get(name) is not None) == positive
    return _compile_leaf(cond)


def _compile_leaf(leaf: NfLeaf) -> Test:
    term, const, op = _compile(leaf.term), leaf.const, leaf.op
    if const is None:
        return lambda scope: False
    if op == "==":
        def eq(scope: Scope) -> bool:
            v = term(scope)
            return v is not None and v == const
        return eq
    if op == "!=":
        def ne(scope: Scope) -> bool:
            v = term(scope)
            return v is not None and v != const
        return ne
    if isinstance(const, bool) or not isinstance(const, Decimal):
        return lambda scope: _compare(op, term(scope), const)  # a type error, as in `holds`
    order, bound = _ORDER[op], const

    def ordered(scope: Scope) -> bool:
        v = term(scope)
        return v is not None and order(_num(v), bound)
    return ordered
