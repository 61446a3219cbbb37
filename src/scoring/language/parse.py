"""Text to expression: parsed with `ast`, checked against a whitelist.

Rule files are data written by many hands, so nothing here ever calls `eval`. `ast.parse` only
builds a tree; every node kind we accept is converted into our own small, typed node classes
(`language.expr`), and anything else (attribute access outside declared namespaces, subscripts,
lambdas, comprehensions, calls outside a fixed registry) is a `RuleError` naming the file, line
and rule. A separate module because it is the one door from untrusted text into the language.
"""

from __future__ import annotations

import ast
import math
from decimal import Decimal
from typing import Literal

from scoring.base.i18n import _
from scoring.language import hints as _hints
from scoring.language.expr import (
    FUNCTIONS,
    HISTORY_FUNCTIONS,
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
    Where,
)
from scoring.language.show import unparse

MAX_LENGTH = 2000
MAX_DEPTH = 40

_CMP: dict[type[ast.cmpop], CmpOp] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
_BIN: dict[type[ast.operator], Literal["+", "-", "*", "/"]] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
}


def _history_call(n: ast.Call, func: str, where: Where, depth: int) -> Name:
    """A history function call as the one name that stands for it (see HISTORY_FUNCTIONS)."""
    low, high, keywords = HISTORY_FUNCTIONS[func]
    if not low <= len(n.args) <= high:
        raise where.error((_("{func}() takes {count} positional argument(s), not {given}")
                           if low == high else
                           _("{func}() takes {low} or {high} positional argument(s), not "
                             "{given}")).format(func=func, count=low, low=low, high=high,
                                                given=len(n.args)))
    args = [unparse(_convert(a, where, depth)) for a in n.args]
    given: dict[str, str] = {}
    for k in n.keywords:
        if k.arg is None or k.arg not in keywords:
            raise where.error(_("{func}() has no keyword {keyword!r}; keywords: {keywords}")
                              .format(func=func, keyword=k.arg or "**",
                                      keywords=", ".join(sorted(keywords))))
        if k.arg in given:
            raise where.error(_("{func}(): {keyword}= is given twice").format(
                func=func, keyword=k.arg))
        v = k.value
        if isinstance(v, ast.Constant) and type(v.value) is int and v.value >= 1:
            given[k.arg] = str(v.value)
        elif isinstance(v, ast.Name) and v.id not in _LITERAL_NAMES:
            given[k.arg] = v.id
        else:
            raise where.error(_("{func}({keyword}=...) takes a whole number of at least 1 or a "
                                "title, not {value!r}").format(func=func, keyword=k.arg,
                                                               value=ast.unparse(v)[:40]))
    args += [f"{k}={given[k]}" for k in sorted(given)]
    return Name(f"{func}({', '.join(args)})")


_LITERAL_NAMES: dict[str, Value] = {"true": True, "false": False, "True": True, "False": False}




def parse(text: object, where: Where = Where()) -> Node:  # noqa: B008  (frozen)
    """Parse one expression (a string, or a bare number/bool from YAML) into a `Node`."""
    if isinstance(text, bool):
        return Lit(text)
    if isinstance(text, int | float | Decimal):
        return Lit(Decimal(str(text)))
    if not isinstance(text, str):
        raise where.error(_("expected an expression, found {type} {value!r}").format(
            type=type(text).__name__, value=text))
    if len(text) > MAX_LENGTH:
        raise where.error(_("expression is {length} characters long; the limit is {limit}")
                          .format(length=len(text), limit=MAX_LENGTH))
    if not text.strip():
        raise where.error(_("empty expression"))
    source = text.strip()
    _hints.refuse_other_languages(source, where)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        raise where.error(_("cannot parse expression {text!r}: {reason}").format(
            text=text, reason=e.msg)) from None
    except (RecursionError, MemoryError, ValueError):
        raise where.error(_("expression is too deeply nested (limit {limit})").format(
            limit=MAX_DEPTH)) from None
    _exact_literals(tree, source)
    return _convert(tree.body, where, 0)


def _exact_literals(tree: ast.AST, source: str) -> None:
    """Give every decimal literal its value as written: Python parses `0.1234567890123456789`
    as the nearest float, so a constant of more than 15 digits would be compared rounded."""
    for n in ast.walk(tree):  # iterative: no recursion however deep the tree
        if isinstance(n, ast.Constant) and type(n.value) is float and math.isfinite(n.value):
            written = ast.get_source_segment(source, n)
            if written is not None:
                n.value = Decimal(written)  # type: ignore[assignment]  # read by _convert


def _convert(n: ast.AST, where: Where, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise where.error(_("expression is too deeply nested (limit {limit})").format(
            limit=MAX_DEPTH))
    d = depth + 1
    if isinstance(n, ast.Constant):
        v = n.value
        if isinstance(v, bool | str):
            return Lit(v)
        if isinstance(v, int | float | Decimal):
            if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
                raise where.error(_("numbers must be finite"))
            number = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
            # Rule numbers are points, shares, months and money (see safeyaml.MAX_EXPONENT); a
            # 1500-digit literal would overflow the decimal context wherever it is printed.
            if number and not -15 <= number.adjusted() < 15:
                raise where.error(_("the number {number}... is out of range: numbers in rule "
                                    "files lie between 10^-15 and 10^15").format(
                                        number=str(v)[:20]))
            return Lit(number)
        raise where.error(_("literal {value!r} is not allowed (numbers, text, True, False)")
                          .format(value=v))
    if isinstance(n, ast.Name):
        if n.id in _LITERAL_NAMES:
            return Lit(_LITERAL_NAMES[n.id])
        return Name(n.id)
    if isinstance(n, ast.Attribute):
        if isinstance(n.value, ast.Name) and not n.attr.startswith("_"):
            return Name(f"{n.value.id}.{n.attr}")
        raise where.error(_("attribute access is only allowed as namespace.field (e.g. "
                            "unit.x)"))
    if isinstance(n, ast.UnaryOp):
        operand = _convert(n.operand, where, d)
        if isinstance(n.op, ast.Not):
            return Unary("not", operand)
        if isinstance(n.op, ast.USub):
            if isinstance(operand, Lit) and isinstance(operand.value, Decimal):
                return Lit(-operand.value)
            return Unary("-", operand)
        if isinstance(n.op, ast.UAdd):
            return operand
        raise where.error(_("operator {operator} is not allowed").format(
            operator=type(n.op).__name__))
    if isinstance(n, ast.BinOp):
        op = _BIN.get(type(n.op))
        if op is None:
            raise where.error(_("operator {operator} is not allowed (use + - * /)").format(
                operator=type(n.op).__name__))
        return Bin(op, _convert(n.left, where, d), _convert(n.right, where, d),
                   where.zero if op == "/" else "error")
    if isinstance(n, ast.BoolOp):
        bop: Literal["and", "or"] = "and" if isinstance(n.op, ast.And) else "or"
        return BoolOp(bop, tuple(_convert(v, where, d) for v in n.values))
    if isinstance(n, ast.Compare):
        return _convert_compare(n, where, d)
    if isinstance(n, ast.Call):
        if isinstance(n.func, ast.Name) and n.func.id in HISTORY_FUNCTIONS:
            return _history_call(n, n.func.id, where, d)
        if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS:
            shown = ast.unparse(n.func)[:40]
            known = ", ".join(sorted([*FUNCTIONS, *HISTORY_FUNCTIONS]))
            raise where.error(_("call to {name!r} is not allowed; functions: {known}").format(
                name=shown, known=known))
        if n.keywords:
            raise where.error(_("{func}() takes no keyword arguments").format(func=n.func.id))
        arity = FUNCTIONS[n.func.id]
        if (arity is not None and len(n.args) != arity) or not n.args:
            raise where.error((_("{func}() takes {count} argument(s)") if arity else
                               _("{func}() takes one or more arguments")).format(
                                   func=n.func.id, count=arity))
        return Call(n.func.id, tuple(_convert(a, where, d) for a in n.args))
    if isinstance(n, ast.IfExp):
        return IfExp(
            _convert(n.test, where, d), _convert(n.body, where, d), _convert(n.orelse, where, d)
        )
    if isinstance(n, ast.Tuple | ast.List | ast.Set):
        raise where.error(_("a list of values is only allowed after 'in' or 'not in'"))
    raise where.error(_("{construct} is not allowed in an expression").format(
        construct=type(n).__name__))


def _convert_compare(n: ast.Compare, where: Where, depth: int) -> Node:
    parts: list[Node] = []
    left = _convert(n.left, where, depth)
    for op, comparator in zip(n.ops, n.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(comparator, ast.Tuple | ast.List | ast.Set):
                raise where.error(_("'in' needs a literal list of values, e.g. x in (\"a\", "
                                    "\"b\")"))
            items = tuple(_convert(e, where, depth) for e in comparator.elts)
            if not items:
                raise where.error(_("'in' needs at least one value"))
            parts.append(In(left, items, isinstance(op, ast.NotIn)))
            left = Lit(None)  # chaining after `in` makes no sense; refused below
            continue
        cmp = _CMP.get(type(op))
        if cmp is None:
            raise where.error(_("comparison {operator} is not allowed").format(
                operator=type(op).__name__))
        right = _convert(comparator, where, depth)
        if isinstance(left, Lit) and left.value is None:
            raise where.error(_("'in' cannot be chained with another comparison"))
        parts.append(Compare(cmp, left, right))
        left = right
    return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
