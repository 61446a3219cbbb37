"""The rule language's history functions: their calls checked, resolved and rewritten.

Higher titles need past years (three consecutive CSTĐCS for CSTĐ cấp tỉnh, two years "xuất sắc"
with two initiatives for a Bằng khen). This module is the language's side of them, the one the
compiler uses; it reads no file and knows no store, so that the language depends on nothing that
does (the store: `scoring.history.store`; the values it gives: `scoring.history.values`).

The functions (see `expr.HISTORY_FUNCTIONS` for the syntax; Y is the year being scored):

- `consecutive_years(T)`: the number of consecutive years ending with Y in which the record held
  title T, Y included when T is decided this year (0 when it is not). T is this year's title of
  the same kind, so the rule reading it is decided after T (the compiler's title order).
- `years_with(C, last=N)`: in how many of the N years ending with Y the condition C held, C being
  read on each year's record (its inputs, computed fields, points, score and titles) and, for Y,
  on this year's record. Without `last`: every year the store knows.
- `count_initiatives(scope >= "tinh", last=N, unused_for=T)`: the initiatives and accepted
  science projects of the N years ending with Y, at the scopes selected (`scope` compared with
  ==, !=, <, <=, >, >= on co_so < tinh < toan_quoc, or `scope in (...)`; all scopes without it);
  those the initiatives list marks as used for T are left out.
- `since=T` (every function): only years after the last earlier year in which the record held T
  count, so that one chain of achievements is rewarded once.

A call stays one name in the parsed expression; the compiler rewrites it into the past part, a
number precomputed per record from the store (`past.<call>` in the record's scope), and this
year's part read from the record's own fields, e.g. `consecutive_years(CSTDCS) >= 3` becomes
`(past.consecutive_years(CSTDCS) + 1) * (1 if CSTDCS else 0) >= 3`. The engine still decides:
only numbers are precomputed, never a decision (`scoring.history.values` computes them).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, Protocol

from scoring.base.i18n import _
from scoring.base.suggest import suggest
from scoring.language import expr, normal, parse, show, typecheck

__all__ = ["INITIATIVE_INPUTS", "PAST", "SCOPES", "Query", "Resolver", "Titled", "is_call"]

# The kinds of record, as `scoring.rulesets.schema.Kind` (the language comes before rule sets).
Kind = Literal["individual", "unit"]
PAST = "past"
SCOPES = ("co_so", "tinh", "toan_quoc")
# The inputs that count a year's initiatives at each scope: initiatives and accepted science
# projects count alike (Luật TĐKT 2022 Điều 74 khoản 1 điểm d names both).
INITIATIVE_INPUTS: dict[str, tuple[str, ...]] = {
    s: (f"initiatives_{s}", f"projects_{s}") for s in SCOPES}
_ZERO = Decimal(0)


class _Title(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def of(self) -> Kind: ...


class Titled(Protocol):
    """What the resolver reads of a rule set: its titles, each for one kind of record."""

    @property
    def titles(self) -> Sequence[_Title]: ...


_MISSING = expr.Lit(None)


@dataclass(frozen=True)
class Query:
    """One history function call of a rule set, resolved for one kind of record."""

    kind: Kind
    call: str  # the call as written canonically: the name that stands for it
    fn: str
    title: str | None = None  # consecutive_years: the title of the chain
    cond: normal.Cond | None = None  # years_with: the condition read on each year
    scopes: tuple[str, ...] = ()  # count_initiatives: the scopes counted
    last: int | None = None  # the window, the year being scored included
    since: str | None = None
    unused_for: str | None = None
    expansion: expr.Node = _MISSING  # what the call becomes in this year's rules
    current: expr.Node = _MISSING  # this year's part, read on the record's own fields

    @property
    def field(self) -> str:
        """The scope field holding the past part, precomputed per record."""
        return f"{PAST}.{self.call}"


def is_call(name: str) -> bool:
    """True for a name that stands for a history function call."""
    return name.partition("(")[0] in expr.HISTORY_FUNCTIONS and name.endswith(")")


class Resolver:
    """Resolves the history calls of a rule set's expressions, one kind at a time.

    `resolve` is called by the compiler on each parsed expression: it returns the expression
    with every call rewritten (see the module docstring) and the environment extended with the
    `past.` fields; the queries met are kept, in order, for the scorer's precomputation.
    """

    def __init__(self, rs: Titled) -> None:
        self._titles: dict[str, Kind] = {t.id: t.of for t in rs.titles}
        self._queries: dict[tuple[Kind, str], Query] = {}

    def queries(self) -> tuple[Query, ...]:
        return tuple(self._queries.values())

    def resolve(self, node: expr.Node, env: expr.Env, where: expr.Where
                ) -> tuple[expr.Node, expr.Env]:
        calls = sorted(n for n in expr.names(node) if is_call(n))
        if not calls:
            return node, env
        kind: Kind = "individual" if "unit_id" in env.names else "unit"
        found = {c: self.query(c, kind, env, where) for c in calls}
        for q in found.values():
            self._queries.setdefault((kind, q.call), q)
        past = {**env.namespaces.get(PAST, {}), **{q.call: expr.NUMBER for q in found.values()}}
        return (_replace(node, {c: q.expansion for c, q in found.items()}),
                expr.Env(env.names, {**env.namespaces, PAST: past}, env.constants))

    def query(self, call: str, kind: Kind, env: expr.Env, where: expr.Where,
              live: bool = True) -> Query:
        """Check one call and resolve it; `live` when this year's record is being scored."""
        tree = ast.parse(call, mode="eval").body
        assert isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
        fn = tree.func.id
        args = [parse.parse(ast.unparse(a), where) for a in tree.args]
        kw: dict[str, str] = {k.arg or "": ast.unparse(k.value) for k in tree.keywords}
        last = _years(kw["last"], env, call, where) if "last" in kw else None
        since = self._title_arg(call, "since", kw.get("since"), kind, where)
        unused = self._title_arg(call, "unused_for", kw.get("unused_for"), kind, where)
        q = Query(kind, call, fn, last=last, since=since, unused_for=unused)
        if fn == "consecutive_years":
            return self._chain(q, args[0], env, where, live)
        if fn == "years_with":
            return self._years_with(q, args[0], env, where)
        return self._initiatives(q, args[0] if args else None, env, where)

    def _title_arg(self, call: str, key: str, value: str | None, kind: Kind,
                   where: expr.Where) -> str | None:
        if value is None:
            return None
        if self._titles.get(value) != kind:
            close = suggest(value, [t for t, k in self._titles.items()
                                                      if k == kind], count=1)
            hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
            what = value if key == "the title" else f"{key}={value}"
            message = (_("{call}: {what} is not a title of individuals{hint}")
                       if kind == "individual" else
                       _("{call}: {what} is not a title of units{hint}"))
            raise where.error(message.format(call=call, what=what, hint=hint))
        return value

    def _chain(self, q: Query, arg: expr.Node, env: expr.Env, where: expr.Where,
               live: bool) -> Query:
        title = arg.name if isinstance(arg, expr.Name) else ""
        self._title_arg(q.call, "the title", title or show.unparse(arg), q.kind, where)
        if live and title not in env.names:
            raise where.error(_("{call} counts this year's {title}, decided with the titles: "
                                "use it in a title's requires").format(call=q.call, title=title))
        # (past + 1) × (1 if T else 0) rather than a conditional at the top, so that the
        # condition reads unambiguously in a decision's detail.
        current = expr.IfExp(expr.Name(title), expr.Lit(Decimal(1)), expr.Lit(_ZERO))
        expansion = expr.Bin("*", expr.Bin("+", expr.Name(q.field), expr.Lit(Decimal(1))),
                             current)
        return replace(q, title=title, expansion=expansion, current=current)

    def _years_with(self, q: Query, cond: expr.Node, env: expr.Env,
                    where: expr.Where) -> Query:
        bad = sorted(n for n in expr.names(cond) if "." in n or is_call(n))
        if bad:
            raise where.error(_("{call}: the condition reads each year's own record, not "
                                "{name}").format(call=q.call, name=bad[0]))
        if typecheck.check(cond, env, where).kind != "bool":
            raise where.error(_("{call}: the first argument must be a condition")
                              .format(call=q.call))
        cond = expr.substitute(cond, env.constants)
        current = expr.IfExp(cond, expr.Lit(Decimal(1)), expr.Lit(_ZERO))
        return replace(q, cond=normal.to_cond(cond), current=current,
                       expansion=expr.Bin("+", expr.Name(q.field), current))

    def _initiatives(self, q: Query, arg: expr.Node | None, env: expr.Env,
                     where: expr.Where) -> Query:
        if q.kind != "individual":
            raise where.error(_("{call}: initiatives are a person's; units cannot count them")
                              .format(call=q.call))
        scopes = _scopes(arg, q.call, where)
        names = [n for s in scopes for n in INITIATIVE_INPUTS[s]
                 if env.names.get(n) == expr.NUMBER]
        current: expr.Node = expr.Lit(_ZERO)
        for n in names:
            current = expr.Name(n) if current == expr.Lit(_ZERO) else expr.Bin(
                "+", current, expr.Name(n))
        return replace(q, scopes=scopes, current=current,
                       expansion=expr.Bin("+", expr.Name(q.field), current))


def _years(text: str, env: expr.Env, call: str, where: expr.Where) -> int:
    """`last=`: a whole number of years, written as such or as a parameter's name."""
    value = Decimal(text) if text.isdigit() else env.constants.get(text)
    if not isinstance(value, Decimal) or isinstance(value, bool) or value < 1 \
            or value != value.to_integral_value():
        raise where.error(_("{call}: last={value} must be a whole number of years (or a "
                            "parameter holding one)").format(call=call, value=text))
    return int(value)


def _scopes(arg: expr.Node | None, call: str, where: expr.Where) -> tuple[str, ...]:
    """The scopes a count_initiatives condition selects, on the scale co_so < tinh < toan_quoc."""
    if arg is None:
        return SCOPES
    if isinstance(arg, expr.In) and arg.left == expr.Name("scope"):
        values = [i.value for i in arg.items if isinstance(i, expr.Lit)]
        _check_scopes(values, call, where)
        return tuple(s for s in SCOPES if (s in values) != arg.negate)
    if isinstance(arg, expr.Compare) and arg.left == expr.Name("scope") \
            and isinstance(arg.right, expr.Lit):
        _check_scopes([arg.right.value], call, where)
        rank = SCOPES.index(str(arg.right.value))
        test = {"==": rank.__eq__, "!=": rank.__ne__, ">=": rank.__le__, ">": rank.__lt__,
                "<=": rank.__ge__, "<": rank.__gt__}[arg.op]
        return tuple(s for i, s in enumerate(SCOPES) if test(i))
    raise where.error(_("{call}: select scopes as scope >= \"tinh\", scope == \"co_so\" or "
                        "scope in (\"tinh\", \"toan_quoc\")").format(call=call))


def _check_scopes(values: Sequence[expr.Value], call: str, where: expr.Where) -> None:
    for v in values:
        if v not in SCOPES:
            raise where.error(_("{call}: {value!r} is not a scope; scopes: {scopes}")
                              .format(call=call, value=v, scopes=", ".join(SCOPES)))


def _replace(node: expr.Node, names: Mapping[str, expr.Node]) -> expr.Node:
    """`node` with the names in `names` replaced by their nodes."""
    def go(n: expr.Node) -> expr.Node:
        return _replace(n, names)

    if isinstance(node, expr.Name):
        return names.get(node.name, node)
    if isinstance(node, expr.Lit):
        return node
    if isinstance(node, expr.Unary):
        return expr.Unary(node.op, go(node.operand))
    if isinstance(node, expr.Bin):
        return expr.Bin(node.op, go(node.left), go(node.right), node.zero)
    if isinstance(node, expr.Compare):
        return expr.Compare(node.op, go(node.left), go(node.right))
    if isinstance(node, expr.BoolOp):
        return expr.BoolOp(node.op, tuple(go(v) for v in node.values))
    if isinstance(node, expr.In):
        return expr.In(go(node.left), tuple(go(i) for i in node.items), node.negate)
    if isinstance(node, expr.Call):
        return expr.Call(node.func, tuple(go(a) for a in node.args))
    return expr.IfExp(go(node.test), go(node.body), go(node.orelse))
