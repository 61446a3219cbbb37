"""Why a condition failed for a record: the failing parts, with the values they read.

Apart from `language.show` because it evaluates (`months_worked >= 10 was 9 >= 10`): it reads
the evaluator and the closures, which themselves quote expressions through `language.show`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from scoring.base.i18n import _
from scoring.language.closures import _compile, _compile_cond, _kept
from scoring.language.evaluate import Fn, Test, Undefined, evaluate, holds
from scoring.language.expr import Scope, Value
from scoring.language.normal import Cond, NfAnd, NfLeaf, NfOr, NfPresent
from scoring.language.show import _lit, _shown, render_cond, render_leaf, unparse


def _is(name: str, value: Value) -> str:
    """A field's value as a failing part reads it (`campaign is missing`)."""
    if value is None:
        return _("{name} is missing").format(name=name)
    return _("{name} is {value}").format(name=name, value=_lit(value))


def _was(condition: str, values: str) -> str:
    """A failing comparison with this record's values: `months_worked >= 10 was 9 >= 10`."""
    return _("{condition} was {values}").format(condition=condition, values=values)


def render_leaf_values(leaf: NfLeaf | NfPresent, scope: Scope) -> str:
    """`months_worked >= 10` rendered with this record's values: `9 >= 10`."""
    if isinstance(leaf, NfPresent):
        v = scope.get(leaf.name)
        return _is(leaf.name, v)
    shown = _value_or_undefined(partial(evaluate, leaf.term), scope)
    if isinstance(leaf.const, bool) and leaf.op == "==":
        return f"{unparse(leaf.term)} = {shown}"
    return f"{shown} {leaf.op} {_lit(leaf.const)}"


def explained(cond: Cond) -> Callable[[Scope], str]:
    """`why_not(cond, scope)` as a closure, built once per condition object (see `compiled`)."""
    return _kept(cond, "_why_not", _compile_why)


def _compile_why(cond: Cond) -> Callable[[Scope], str]:
    test = _compile_cond(cond)
    if isinstance(cond, NfAnd):
        parts = [(_compile_cond(c), _compile_why(c)) for c in cond.items]
        return lambda scope: "" if test(scope) else "; ".join(
            why(scope) for holds_, why in parts if _fails(holds_, scope))
    if isinstance(cond, NfOr):
        whys = [_compile_why(c) for c in cond.items]
        return lambda scope: "" if test(scope) else _("none of: {parts}").format(
            parts="; ".join(why(scope) for why in whys))
    if isinstance(cond, NfLeaf | NfPresent):
        text, values = render_leaf(cond), _compile_leaf_values(cond)
        return lambda scope: "" if test(scope) else _was(text, values(scope))
    shown = render_cond(cond)
    return lambda scope: "" if test(scope) else shown


def _compile_leaf_values(leaf: NfLeaf | NfPresent) -> Callable[[Scope], str]:
    """`render_leaf_values(leaf, scope)` as a closure."""
    if isinstance(leaf, NfPresent):
        name = leaf.name

        def present(scope: Scope) -> str:
            v = scope.get(name)
            return _is(name, v)
        return present
    term = _compile(leaf.term)
    if isinstance(leaf.const, bool) and leaf.op == "==":
        written = unparse(leaf.term)
        return lambda scope: f"{written} = {_value_or_undefined(term, scope)}"
    tail = f" {leaf.op} {_lit(leaf.const)}"
    return lambda scope: f"{_value_or_undefined(term, scope)}{tail}"


def _fails(test: Test, scope: Scope) -> bool:
    """A part of a false `and` that is false: a part without a value (a division by zero that
    another part made irrelevant) is not why the whole failed."""
    try:
        return not test(scope)
    except Undefined:
        return False


def _value_or_undefined(term: Fn, scope: Scope) -> str:
    try:
        return _shown(term(scope))
    except Undefined:
        return _("undefined (division by zero)")


def why_not(cond: Cond, scope: Scope) -> str:
    """The parts of a condition that failed for this record, with the values they read."""
    if holds(cond, scope):
        return ""
    if isinstance(cond, NfAnd):
        return "; ".join(why_not(c, scope) for c in cond.items
                         if _fails(partial(holds, c), scope))
    if isinstance(cond, NfOr):
        return _("none of: {parts}").format(
            parts="; ".join(why_not(c, scope) for c in cond.items))
    if isinstance(cond, NfLeaf | NfPresent):
        return _was(render_leaf(cond), render_leaf_values(cond, scope))
    return render_cond(cond)
