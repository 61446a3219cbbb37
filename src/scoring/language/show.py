"""Expressions, values and conditions written back in the rule language.

Every message and explanation quotes rules as their authors wrote them (`unparse`), numbers in
plain decimal notation (`format_number`) and conditions in their normal form (`render_cond`), so
the text lives in one place, read by the parser's messages, the type checker, the evaluator's
errors and the explanations alike.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from scoring.language.expr import Bin, BoolOp, Call, Compare, In, Lit, Name, Node, Unary, Value
from scoring.language.normal import Cond, NfAnd, NfFalse, NfLeaf, NfOr, NfPresent, NfTrue

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def unparse(node: Node) -> str:
    """Render a node back to the rule language, for messages and explanations."""
    return _unparse(node, 0)


def _lit(value: Value) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, Decimal):
        return format_number(value)
    return repr(value)


def _unparse(node: Node, outer: int) -> str:
    if isinstance(node, Lit):
        return _lit(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        p = _PREC["not"] if node.op == "not" else _PREC["neg"]
        text = ("not " if node.op == "not" else "-") + _unparse(node.operand, p)
    elif isinstance(node, Bin):
        p = _PREC[node.op]
        text = f"{_unparse(node.left, p)} {node.op} {_unparse(node.right, p + 1)}"
    elif isinstance(node, BoolOp):
        p = _PREC[node.op]
        text = f" {node.op} ".join(_unparse(v, p + 1) for v in node.values)
    elif isinstance(node, Compare):
        p = _PREC["cmp"]
        text = f"{_unparse(node.left, p + 1)} {node.op} {_unparse(node.right, p + 1)}"
    elif isinstance(node, In):
        p = _PREC["cmp"]
        items = ", ".join(_unparse(i, 0) for i in node.items)
        text = f"{_unparse(node.left, p + 1)} {'not in' if node.negate else 'in'} ({items})"
    elif isinstance(node, Call):
        return f"{node.func}({', '.join(_unparse(a, 0) for a in node.args)})"
    else:
        p = 0
        text = (
            f"{_unparse(node.body, 1)} if {_unparse(node.test, 1)} else {_unparse(node.orelse, 1)}"
        )
    return f"({text})" if p < outer else text


def format_number(value: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros: 40, 12.5, 0.15."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def render_cond(cond: Cond, show: Callable[[NfLeaf | NfPresent], str] | None = None) -> str:
    """Render a condition; `show` may decorate leaves (e.g. with the values they read)."""
    if isinstance(cond, NfTrue):
        return "always"
    if isinstance(cond, NfFalse):
        return "never"
    if isinstance(cond, NfAnd | NfOr):
        sep = " and " if isinstance(cond, NfAnd) else " or "
        inner = [render_cond(c, show) for c in cond.items]
        return sep.join(f"({t})" if isinstance(c, NfAnd | NfOr) else t
                        for t, c in zip(inner, cond.items, strict=True))
    if show is not None:
        return show(cond)
    return render_leaf(cond)


def render_leaf(leaf: NfLeaf | NfPresent) -> str:
    if isinstance(leaf, NfPresent):
        return f"{'' if leaf.positive else 'not '}present({leaf.name})"
    if leaf.const is True and leaf.op == "==":
        return unparse(leaf.term)
    if leaf.const is False and leaf.op == "==":
        return f"not {unparse(leaf.term)}"
    return f"{unparse(leaf.term)} {leaf.op} {_lit(leaf.const)}"


def _shown(value: Value) -> str:
    return "missing" if value is None else _lit(value)
