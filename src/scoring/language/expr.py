"""The rule language's data: values, types, the nodes of an expression, and what every stage reads.

Rule files are data written by many hands: an expression is parsed (`language.parse`), checked
against the names a rule may read (`language.typecheck`), rewritten to negation normal form for
conditions (`language.normal`), evaluated (`language.evaluate`, and as closures by
`language.closures`) and shown back in messages and explanations (`language.show`,
`language.why`). Each of those stages reads the definitions here and nothing else of the others'.

Numbers are `Decimal` end to end: a boundary such as 89.9 < 90 must never depend on binary
floating point. A value may be missing (`None`): arithmetic with a missing value is missing, and
a comparison with a missing value is false whichever way it is written (`x < 5` and `x >= 5` are
both false), because conditions are first rewritten to negation normal form (`Cond`), and both
consumers (the durable_rules compiler and the plain evaluator) read only that form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

from scoring.base.errors import Problem, RuleError
from scoring.base.i18n import N_, _

Value: TypeAlias = Decimal | str | bool | None
# What a division by zero means in a rule (its `division_by_zero:` key): "error" (the default:
# the run stops naming the rule, the record and the values), "missing" (the division's value is
# missing, as an empty cell is), or a number (the division's value).
Zero: TypeAlias = Decimal | Literal["error", "missing"]

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


@dataclass(frozen=True)
class Where:
    """Where an expression came from, for error messages."""

    source: str = ""
    rule: str | None = None
    zero: Zero = "error"  # the rule's `division_by_zero:`, given to every division parsed

    def error(self, message: str) -> RuleError:
        return RuleError([Problem(self.source, message, self.rule)])


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


Scope: TypeAlias = Mapping[str, Value]


def _num(v: Value) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, Decimal):
        raise TypeError(f"expected a number, got {v!r}")
    return v
