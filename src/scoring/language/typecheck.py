"""Type checking an expression against what a rule may name (an `Env`).

Separate from parsing: one parsed expression is checked against different environments (the
fields of a record, a unit's namespaces, the rule set's parameters), and every mismatch is a
`RuleError` found before any record is scored.
"""

from __future__ import annotations

from scoring.base.i18n import _
from scoring.base.suggest import suggest
from scoring.language.expr import (
    BOOL,
    FLOOR,
    NUMBER,
    Bin,
    BoolOp,
    Call,
    Compare,
    Env,
    In,
    Lit,
    Name,
    Node,
    Type,
    Unary,
    Where,
    kind_name,
    type_of_value,
)
from scoring.language.show import unparse


def check(node: Node, env: Env, where: Where = Where()) -> Type:  # noqa: B008  (frozen)
    """Return the node's type, or raise a `RuleError` for unknown names and type mismatches."""
    if isinstance(node, Lit):
        if node.value is None:
            raise where.error(_("missing value"))
        return type_of_value(node.value)
    if isinstance(node, Name):
        t = env.lookup(node.name)
        if t is None:
            raise where.error(_unknown_name(node.name, env))
        return t
    if isinstance(node, Unary):
        t = check(node.operand, env, where)
        want = BOOL if node.op == "not" else NUMBER
        _expect(t, want.kind, _("{op!r} operand {expr}").format(
            op=node.op, expr=unparse(node.operand)), where)
        return want
    if isinstance(node, Bin):
        for side in (node.left, node.right):
            _expect(check(side, env, where), "number", _("operand {expr}").format(
                expr=unparse(side)), where)
        if node.op == "/" and isinstance(node.right, Lit) and node.right.value == 0:
            raise where.error(_("division by zero in {expr}").format(expr=unparse(node)))
        return NUMBER
    if isinstance(node, BoolOp):
        for v in node.values:
            _expect(check(v, env, where), "bool", _("{op!r} operand {expr}").format(
                op=node.op, expr=unparse(v)), where)
        return BOOL
    if isinstance(node, Compare):
        lt, rt = check(node.left, env, where), check(node.right, env, where)
        if lt.kind != rt.kind:
            raise where.error(_("cannot compare {left} ({left_kind}) with {right} "
                                "({right_kind})").format(
                left=unparse(node.left), left_kind=kind_name(lt.kind),
                right=unparse(node.right), right_kind=kind_name(rt.kind)))
        if lt.kind != "number" and node.op not in ("==", "!="):
            raise where.error(_("{op!r} compares numbers only, not {kind}: {expr}").format(
                op=node.op, kind=kind_name(lt.kind), expr=unparse(node)))
        _check_enum_literal(node.left, rt, node.right, where)
        _check_enum_literal(node.right, lt, node.left, where)
        return BOOL
    if isinstance(node, In):
        lt = check(node.left, env, where)
        for item in node.items:
            if not isinstance(item, Lit):
                raise where.error(_("values after 'in' must be literals, not {expr}").format(
                    expr=unparse(item)))
            it = check(item, env, where)
            if it.kind != lt.kind:
                raise where.error(_("{item} is {item_kind} but {subject} is {kind}").format(
                    item=unparse(item), item_kind=kind_name(it.kind),
                    subject=unparse(node.left), kind=kind_name(lt.kind)))
            _check_enum_literal(item, lt, node.left, where)
        return BOOL
    if isinstance(node, Call):
        if node.func == FLOOR:
            raise where.error(_("{function}() is only understood in a rule set's conditions")
                              .format(function=FLOOR))
        if node.func == "present":
            if not isinstance(node.args[0], Name):
                raise where.error(_("present() takes a field name"))
            check(node.args[0], env, where)
            return BOOL
        for a in node.args:
            _expect(check(a, env, where), "number", _("argument {expr}").format(
                expr=unparse(a)), where)
        return NUMBER
    test_t = check(node.test, env, where)
    _expect(test_t, "bool", _("condition {expr}").format(expr=unparse(node.test)), where)
    bt, ot = check(node.body, env, where), check(node.orelse, env, where)
    if bt.kind != ot.kind:
        raise where.error(_("both branches of {expr} must have the same type").format(
            expr=unparse(node)))
    return bt


def _expect(t: Type, kind: str, what: str, where: Where) -> None:
    if t.kind != kind:
        raise where.error(_("{what} is {kind}, expected {expected}").format(
            what=what, kind=kind_name(t.kind), expected=kind_name(kind)))


def _check_enum_literal(lit: Node, against: Type, subject: Node, where: Where) -> None:
    if (isinstance(lit, Lit) and isinstance(lit.value, str) and against.values is not None
            and lit.value not in against.values):
        close = suggest(lit.value, against.values)
        hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
        raise where.error(_("{value!r} is not a value of {subject}{hint}; values: {values}")
                          .format(value=lit.value, subject=unparse(subject), hint=hint,
                                  values=", ".join(against.values)))


def _unknown_name(name: str, env: Env) -> str:
    close = suggest(name, env.known(), cutoff=0.75)
    hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
    return _("unknown name {name!r}{hint}").format(name=name, hint=hint)
