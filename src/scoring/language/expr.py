"""The rule files' expression language: parsed with `ast`, checked against a whitelist.

Rule files are data written by many hands, so nothing here ever calls `eval`. `ast.parse` only
builds a tree; every node kind we accept is converted into our own small, typed node classes,
and anything else (attribute access outside declared namespaces, subscripts, lambdas,
comprehensions, calls outside a fixed registry) is a `RuleError` naming the file, line and rule.

Numbers are `Decimal` end to end: a boundary such as 89.9 < 90 must never depend on binary
floating point. A value may be missing (`None`): arithmetic with a missing value is missing, and
a comparison with a missing value is false whichever way it is written (`x < 5` and `x >= 5` are
both false), because conditions are first rewritten to negation normal form (`Cond`), and both
consumers (the durable_rules compiler and the plain evaluator) read only that form.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from functools import partial
from itertools import repeat
from typing import Any, Literal, TypeAlias, TypeVar

from scoring.base.errors import InputError, Problem, RuleError
from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.language import hints as _hints

Value: TypeAlias = Decimal | str | bool | None
# What a division by zero means in a rule (its `division_by_zero:` key): "error" (the default:
# the run stops naming the rule, the record and the values), "missing" (the division's value is
# missing, as an empty cell is), or a number (the division's value).
Zero: TypeAlias = Decimal | Literal["error", "missing"]
MAX_LENGTH = 2000
MAX_DEPTH = 40

# ---------------------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Type:
    """A value type: number, bool or text; text may be an enum with its allowed values."""

    kind: Literal["number", "bool", "text"]
    values: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.values is not None:
            return "one of " + ", ".join(repr(v) for v in self.values)
        return self.kind


NUMBER = Type("number")
BOOL = Type("bool")
TEXT = Type("text")


# The kinds of value, as a message names them.
KIND_NAMES = {"number": N_("number"), "bool": N_("bool"), "text": N_("text")}


def kind_name(kind: str) -> str:
    """A kind of value (`number`, `bool`, `text`) in the chosen language."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def enum(values: Sequence[str]) -> Type:
    return Type("text", tuple(values))


@dataclass(frozen=True)
class Env:
    """What an expression may name: plain names, and dotted names in declared namespaces."""

    names: Mapping[str, Type]
    namespaces: Mapping[str, Mapping[str, Type]] = field(default_factory=dict)
    constants: Mapping[str, Value] = field(default_factory=dict)

    def lookup(self, name: str) -> Type | None:
        if name in self.constants:
            return type_of_value(self.constants[name])
        if "." in name:
            space, _, attr = name.partition(".")
            return self.namespaces.get(space, {}).get(attr)
        return self.names.get(name)

    def known(self) -> list[str]:
        dotted = [f"{s}.{a}" for s, attrs in self.namespaces.items() for a in attrs]
        return [*self.names, *self.constants, *dotted]


def type_of_value(value: Value) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Decimal):
        return NUMBER
    return TEXT


# ---------------------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Lit:
    value: Value


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Unary:
    op: Literal["not", "-"]
    operand: Node


@dataclass(frozen=True)
class Bin:
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node
    zero: Zero = "error"  # for "/": what a zero divisor gives (see `Zero`)


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    values: tuple[Node, ...]


CmpOp = Literal["==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Compare:
    op: CmpOp
    left: Node
    right: Node


@dataclass(frozen=True)
class In:
    left: Node
    items: tuple[Node, ...]
    negate: bool


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class IfExp:
    test: Node
    body: Node
    orelse: Node


Node: TypeAlias = Lit | Name | Unary | Bin | BoolOp | Compare | In | Call | IfExp

_CMP: dict[type[ast.cmpop], CmpOp] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
_BIN: dict[type[ast.operator], Literal["+", "-", "*", "/"]] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
}
# Functions a rule may call, with their arity (None: one or more).
FUNCTIONS: dict[str, int | None] = {"min": None, "max": None, "abs": 1, "present": 1}
# Written in rules and spelt out by the compiler before type checking (`scoring.rulesets.floors`).
FLOOR = "every_criterion_at_least"
FUNCTIONS[FLOOR] = None
# History functions (see `language.history`): they read past years, so they are not evaluated
# here. A call is kept as one `Name` whose text is the call written canonically (positional
# arguments, then keywords sorted: `years_with(task_rating == "xuat_sac", last=2)`), and the
# compiler resolves that name against the history store. Each entry: the fewest and most
# positional arguments, and the keywords allowed (valued by a whole number >= 1 or a name).
HISTORY_FUNCTIONS: dict[str, tuple[int, int, frozenset[str]]] = {
    "consecutive_years": (1, 1, frozenset({"since"})),
    "years_with": (1, 1, frozenset({"last", "since"})),
    "count_initiatives": (0, 1, frozenset({"last", "since", "unused_for"})),
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


@dataclass(frozen=True)
class Where:
    """Where an expression came from, for error messages."""

    source: str = ""
    rule: str | None = None
    zero: Zero = "error"  # the rule's `division_by_zero:`, given to every division parsed

    def error(self, message: str) -> RuleError:
        return RuleError([Problem(self.source, message, self.rule)])


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


# -------------------------------------------------------------------------------------- parsing


def parse(text: object, where: Where = Where()) -> Node:
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
            # Rule numbers are points, shares, months and money (see ruleset.MAX_EXPONENT); a
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


# --------------------------------------------------------------------------------- type checking


def check(node: Node, env: Env, where: Where = Where()) -> Type:
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
            raise where.error(f"{FLOOR}() is only understood in a rule set's conditions")
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


def names(node: Node) -> set[str]:
    """Every name the node reads (dotted names included as written)."""
    if isinstance(node, Name):
        return {node.name}
    return {n for child in children(node) for n in names(child)}


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Lit | Name):
        return ()
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Bin | Compare):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.values
    if isinstance(node, In):
        return (node.left, *node.items)
    if isinstance(node, Call):
        return node.args
    return (node.test, node.body, node.orelse)


def substitute(node: Node, constants: Mapping[str, Value]) -> Node:
    """Replace named constants (rule-set parameters) by literals, so they fold at compile time."""
    if isinstance(node, Name):
        return Lit(constants[node.name]) if node.name in constants else node
    if isinstance(node, Lit):
        return node
    if isinstance(node, Unary):
        return Unary(node.op, substitute(node.operand, constants))
    if isinstance(node, Bin):
        return Bin(node.op, substitute(node.left, constants), substitute(node.right, constants),
                   node.zero)
    if isinstance(node, Compare):
        return Compare(
            node.op, substitute(node.left, constants), substitute(node.right, constants)
        )
    if isinstance(node, BoolOp):
        return BoolOp(node.op, tuple(substitute(v, constants) for v in node.values))
    if isinstance(node, In):
        return In(
            substitute(node.left, constants),
            tuple(substitute(i, constants) for i in node.items),
            node.negate,
        )
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(a, constants) for a in node.args))
    return IfExp(
        substitute(node.test, constants),
        substitute(node.body, constants),
        substitute(node.orelse, constants),
    )


# ------------------------------------------------------------------------------------ unparsing


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


# ----------------------------------------------------------------------------------- evaluation

Scope: TypeAlias = Mapping[str, Value]


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


def _num(v: Value) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, Decimal):
        raise TypeError(f"expected a number, got {v!r}")
    return v


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


# ------------------------------------------------------------------------------ compiled closures
#
# The hot paths (engine atoms, points formulas, computed fields, aggregates) evaluate the same
# node for every record, so a node is compiled once into a Python closure built from its tree
# (no `eval`, no text). Each closure computes exactly what `evaluate` / `holds` compute, with the
# same decimal contexts: tests compare the two on generated records. `evaluate` and `holds` stay
# the reference, and the plain evaluator of the cross-check keeps using them.

Fn: TypeAlias = Callable[[Scope], Value]
Test: TypeAlias = Callable[[Scope], bool]
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
    if isinstance(cond, CTrue):
        return lambda scope: True
    if isinstance(cond, CFalse):
        return lambda scope: False
    if isinstance(cond, CAnd | COr):
        items = tuple(_compile_cond(c) for c in cond.items)
        absorbing = isinstance(cond, COr)
        whole = any if absorbing else all

        def either(scope: Scope) -> bool:
            try:
                return whole(t(scope) for t in items)
            except Undefined:
                return _decided(items, scope, absorbing)
        return either
    if isinstance(cond, CPresent):
        name, positive = cond.name, cond.positive
        return lambda scope: (scope.get(name) is not None) == positive
    return _compile_leaf(cond)


def _compile_leaf(leaf: CLeaf) -> Test:
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


# ------------------------------------------------------------------------ negation normal form


@dataclass(frozen=True)
class CTrue:
    pass


@dataclass(frozen=True)
class CFalse:
    pass


@dataclass(frozen=True)
class CAnd:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class COr:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class CLeaf:
    """`term op const`: the term is a value expression, the constant a literal value."""

    term: Node
    op: CmpOp
    const: Value


@dataclass(frozen=True)
class CPresent:
    name: str
    positive: bool


Cond: TypeAlias = CTrue | CFalse | CAnd | COr | CLeaf | CPresent

_NEGATE: dict[CmpOp, CmpOp] = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_FLIP: dict[CmpOp, CmpOp] = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def to_cond(node: Node, negate: bool = False) -> Cond:
    """Rewrite a boolean expression into negation normal form with `term op const` leaves."""
    if isinstance(node, Lit):
        return CTrue() if bool(node.value) != negate else CFalse()
    if isinstance(node, Unary) and node.op == "not":
        return to_cond(node.operand, not negate)
    if isinstance(node, BoolOp):
        parts = tuple(to_cond(v, negate) for v in node.values)
        conj = (node.op == "and") != negate
        return _simplify(CAnd(parts) if conj else COr(parts))
    if isinstance(node, Compare):
        op = _NEGATE[node.op] if negate else node.op
        return _leaf(node.left, op, node.right)
    if isinstance(node, In):
        neg = node.negate != negate
        leaves = tuple(_leaf(node.left, "!=" if neg else "==", i) for i in node.items)
        return _simplify(CAnd(leaves) if neg else COr(leaves))
    if isinstance(node, Call) and node.func == "present":
        arg = node.args[0]
        assert isinstance(arg, Name)
        return CPresent(arg.name, not negate)
    if isinstance(node, IfExp):
        rewritten = BoolOp(
            "or",
            (
                BoolOp("and", (node.test, node.body)),
                BoolOp("and", (Unary("not", node.test), node.orelse)),
            ),
        )
        return to_cond(rewritten, negate)
    return CLeaf(node, "==", not negate)  # a boolean name or other boolean-valued term


def _leaf(left: Node, op: CmpOp, right: Node) -> Cond:
    if isinstance(left, Lit) and isinstance(right, Lit):
        return CTrue() if _compare(op, left.value, right.value) else CFalse()
    if isinstance(right, Lit):
        return CLeaf(left, op, right.value)
    if isinstance(left, Lit):
        return CLeaf(right, _FLIP[op], left.value)
    return CLeaf(Bin("-", left, right), op, Decimal(0))


def _simplify(c: CAnd | COr) -> Cond:
    neutral, absorbing = (CTrue, CFalse) if isinstance(c, CAnd) else (CFalse, CTrue)
    items: tuple[Cond, ...] = tuple(i for i in c.items if not isinstance(i, neutral))
    if any(isinstance(i, absorbing) for i in items):
        return absorbing()
    if len(items) == 1:
        return items[0]
    if not items:
        return neutral()
    return CAnd(items) if isinstance(c, CAnd) else COr(items)


def _compare(op: CmpOp, a: Value, b: Value) -> bool:
    if a is None or b is None:
        return False
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    x, y = _num(a), _num(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def holds(cond: Cond, scope: Scope) -> bool:
    """The plain evaluator: does the condition hold for these values?"""
    if isinstance(cond, CTrue):
        return True
    if isinstance(cond, CFalse):
        return False
    if isinstance(cond, CAnd | COr):
        absorbing = isinstance(cond, COr)
        try:
            return (any if absorbing else all)(holds(c, scope) for c in cond.items)
        except Undefined:
            return _decided([partial(holds, c) for c in cond.items], scope, absorbing)
    if isinstance(cond, CPresent):
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


def leaves(cond: Cond) -> list[CLeaf | CPresent]:
    if isinstance(cond, CAnd | COr):
        return [leaf for c in cond.items for leaf in leaves(c)]
    if isinstance(cond, CLeaf | CPresent):
        return [cond]
    return []


def cond_names(cond: Cond) -> set[str]:
    out: set[str] = set()
    for leaf in leaves(cond):
        out |= {leaf.name} if isinstance(leaf, CPresent) else names(leaf.term)
    return out


def render_cond(cond: Cond, show: Callable[[CLeaf | CPresent], str] | None = None) -> str:
    """Render a condition; `show` may decorate leaves (e.g. with the values they read)."""
    if isinstance(cond, CTrue):
        return "always"
    if isinstance(cond, CFalse):
        return "never"
    if isinstance(cond, CAnd | COr):
        sep = " and " if isinstance(cond, CAnd) else " or "
        inner = [render_cond(c, show) for c in cond.items]
        return sep.join(f"({t})" if isinstance(c, CAnd | COr) else t
                        for t, c in zip(inner, cond.items, strict=True))
    if show is not None:
        return show(cond)
    return render_leaf(cond)


def render_leaf(leaf: CLeaf | CPresent) -> str:
    if isinstance(leaf, CPresent):
        return f"{'' if leaf.positive else 'not '}present({leaf.name})"
    if leaf.const is True and leaf.op == "==":
        return unparse(leaf.term)
    if leaf.const is False and leaf.op == "==":
        return f"not {unparse(leaf.term)}"
    return f"{unparse(leaf.term)} {leaf.op} {_lit(leaf.const)}"


def render_leaf_values(leaf: CLeaf | CPresent, scope: Scope) -> str:
    """`months_worked >= 10` rendered with this record's values: `9 >= 10`."""
    if isinstance(leaf, CPresent):
        v = scope.get(leaf.name)
        return f"{leaf.name} is {'missing' if v is None else _lit(v)}"
    shown = _value_or_undefined(partial(evaluate, leaf.term), scope)
    if isinstance(leaf.const, bool) and leaf.op == "==":
        return f"{unparse(leaf.term)} = {shown}"
    return f"{shown} {leaf.op} {_lit(leaf.const)}"


def explained(cond: Cond) -> Callable[[Scope], str]:
    """`why_not(cond, scope)` as a closure, built once per condition object (see `compiled`)."""
    return _kept(cond, "_why_not", _compile_why)


def _compile_why(cond: Cond) -> Callable[[Scope], str]:
    test = _compile_cond(cond)
    if isinstance(cond, CAnd):
        parts = [(_compile_cond(c), _compile_why(c)) for c in cond.items]
        return lambda scope: "" if test(scope) else "; ".join(
            why(scope) for holds_, why in parts if _fails(holds_, scope))
    if isinstance(cond, COr):
        whys = [_compile_why(c) for c in cond.items]
        return lambda scope: "" if test(scope) else "none of: " + "; ".join(
            why(scope) for why in whys)
    if isinstance(cond, CLeaf | CPresent):
        text, values = render_leaf(cond), _compile_leaf_values(cond)
        return lambda scope: "" if test(scope) else f"{text} was {values(scope)}"
    shown = render_cond(cond)
    return lambda scope: "" if test(scope) else shown


def _compile_leaf_values(leaf: CLeaf | CPresent) -> Callable[[Scope], str]:
    """`render_leaf_values(leaf, scope)` as a closure."""
    if isinstance(leaf, CPresent):
        name = leaf.name

        def present(scope: Scope) -> str:
            v = scope.get(name)
            return f"{name} is {'missing' if v is None else _lit(v)}"
        return present
    term = _compile(leaf.term)
    if isinstance(leaf.const, bool) and leaf.op == "==":
        written = unparse(leaf.term)
        return lambda scope: f"{written} = {_value_or_undefined(term, scope)}"
    tail = f" {leaf.op} {_lit(leaf.const)}"
    return lambda scope: f"{_value_or_undefined(term, scope)}{tail}"


def _shown(value: Value) -> str:
    return "missing" if value is None else _lit(value)


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
        return "undefined (division by zero)"


def why_not(cond: Cond, scope: Scope) -> str:
    """The parts of a condition that failed for this record, with the values they read."""
    if holds(cond, scope):
        return ""
    if isinstance(cond, CAnd):
        return "; ".join(why_not(c, scope) for c in cond.items
                         if _fails(partial(holds, c), scope))
    if isinstance(cond, COr):
        return "none of: " + "; ".join(why_not(c, scope) for c in cond.items)
    if isinstance(cond, CLeaf | CPresent):
        return f"{render_leaf(cond)} was {render_leaf_values(cond, scope)}"
    return render_cond(cond)
