"""`every_criterion_at_least(0.85)`: every criterion at least a share of its maximum.

Scoring tables rate by the total with a floor on each criterion ("xuất sắc: total ≥ 90 and
every criterion ≥ 85% of its maximum"). Written out, that is one comparison per criterion
against its maximum (`task >= 0.85 * task_max and init >= 0.85 * init_max and …`), which a
secretary can neither write nor read. The rule says `every_criterion_at_least(0.85)`, or
`every_criterion_at_least(0.80, task, discipline)` for some criteria only, and the compiler
spells it out here into those comparisons, each against its constant (`task >= 34`), before
type checking: the engine evaluates plain comparisons, and `explain` names the floor that
failed with its value (`task >= 34 was 30`). A maximum given by a parameter is its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from scoring.base.i18n import _
from scoring.language import expr, show

FLOOR = expr.FLOOR


def expand(node: expr.Node, maxima: Mapping[str, Decimal], env: expr.Env,
           where: expr.Where) -> expr.Node:
    """`node` with every floor call replaced by its comparisons (unchanged without one)."""
    if isinstance(node, expr.Call) and node.func == FLOOR:
        return _spelt_out(node, maxima, env, where)
    if isinstance(node, expr.Lit | expr.Name):
        return node
    if isinstance(node, expr.Unary):
        return expr.Unary(node.op, expand(node.operand, maxima, env, where))
    if isinstance(node, expr.Bin):
        return expr.Bin(node.op, expand(node.left, maxima, env, where),
                        expand(node.right, maxima, env, where), node.zero)
    if isinstance(node, expr.Compare):
        return expr.Compare(node.op, expand(node.left, maxima, env, where),
                            expand(node.right, maxima, env, where))
    if isinstance(node, expr.BoolOp):
        return expr.BoolOp(node.op, tuple(expand(v, maxima, env, where) for v in node.values))
    if isinstance(node, expr.In):
        return expr.In(expand(node.left, maxima, env, where), node.items, node.negate)
    if isinstance(node, expr.Call):
        return expr.Call(node.func, tuple(expand(a, maxima, env, where) for a in node.args))
    return expr.IfExp(expand(node.test, maxima, env, where), expand(node.body, maxima, env, where),
                      expand(node.orelse, maxima, env, where))


def _spelt_out(call: expr.Call, maxima: Mapping[str, Decimal], env: expr.Env,
               where: expr.Where) -> expr.Node:
    share_node, *named = call.args
    if not (isinstance(share_node, expr.Lit) and isinstance(share_node.value, Decimal)
            and not isinstance(share_node.value, bool)):
        share_node = _parameter(share_node, env)
    share = share_node.value if isinstance(share_node, expr.Lit) else None
    if not isinstance(share, Decimal) or not 0 <= share <= 1:
        raise where.error(_("{fn}() takes first the share of each maximum, a number between 0 "
                            "and 1 (85% is 0.85), then the criteria if not all, e.g. "
                            "{fn}(0.85) or {fn}(0.8, task, discipline)").format(fn=FLOOR))
    ids: list[str] = []
    for n in named:
        if not isinstance(n, expr.Name) or n.name not in maxima:
            shown = show.unparse(n)
            raise where.error(_("{fn}(): {name!r} is not a criterion of this kind (criteria: "
                                "{known})").format(fn=FLOOR, name=shown,
                                                   known=", ".join(maxima) or "none"))
        ids.append(n.name)
    chosen = ids or list(maxima)
    unseen = [c for c in chosen if env.lookup(c) is None]
    if unseen:
        raise where.error(_("{fn}() reads the criteria's points, known once the criteria are "
                            "scored: use it in ratings, bonus, deductions, gates or titles, "
                            "not in computed fields or criteria").format(fn=FLOOR))
    parts = tuple(expr.Compare(">=", expr.Name(c), expr.Lit(share * maxima[c]))
                  for c in chosen if maxima[c] > 0)
    if not parts:
        return expr.Lit(True)
    return parts[0] if len(parts) == 1 else expr.BoolOp("and", parts)


def _parameter(node: expr.Node, env: expr.Env) -> expr.Node:
    """A share given by a parameter's name, as its value."""
    if isinstance(node, expr.Name) and node.name in env.constants:
        return expr.Lit(env.constants[node.name])
    return node
