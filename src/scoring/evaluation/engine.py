"""The durable_rules adapter: the only module that imports the engine.

How a group of rules is evaluated, and why:
- Each leaf of a condition is `term op constant`. Terms that are plain fields go to the engine
  as they are; arithmetic terms are computed beforehand in exact decimals. The engine then does
  what a rule engine is for: matching every rule's comparisons and logic against facts.
- Numbers reach the engine as integers scaled by 10**d (exact up to 2**62 in its C core, which
  we checked), where d is the most decimals of the constants a term is compared with (at least
  6), rounded down for `>=`/`<` and up for `>`/`<=`. Since every constant is then an integer,
  this keeps every comparison exact whatever the value's length: floor(x) >= c exactly when
  x >= c for an integer c. The scaling shifts the decimal exponent (no context, no rounding),
  and a value beyond ±2**62 is held at the limit, which still compares right with every
  constant (all are below it). Equality uses the exact scaled value, or the limit for a value
  with a fraction, which no constant can equal. A constant too large for its decimals
  (|c| × 10**d ≥ 2**62) is a rule error, reported by `scoring check` too (`check_constants`).
- A group's rules read a few fields, and a batch holds few distinct combinations of them, so
  each distinct combination (a *signature*) is asserted once as a fact and the fired rules are
  shared with every record that has it (docs/performance.md tells what this saves). Values are
  read a column at a time and deduplicated before they are scaled (equal decimals scale
  alike), so the per-record work is a few C-level passes; a fact is retracted once its hits
  are collected, so the engine never holds more than one. `Engine(share_signatures=False)`
  asserts one fact per record instead: the naive baseline of the benchmark.
- The engine is durable-rules 2.0.28 built from the copy in `scoring._vendor.durable` (its
  README.md says why: the release does not load on Python 3.13); an installation where it
  cannot be loaded stops every scoring command with one sentence (`EngineUnavailable`). It is
  loaded when the first `Engine` is made, not with this module: `scoring check` reads
  `check_constants` here and never runs the engine.
- Rulesets are driven directly (`durable.engine.Ruleset`), not through the engine's `Host`,
  whose background threads could run actions at any time; here every action runs synchronously
  inside `assert_fact`, so the hits are complete when it returns. The C ruleset is deleted after
  each evaluation, so no state leaks between runs.
- An `or` fires once per satisfied branch, and a fact matching no rule raises
  `MessageNotHandledException`: hits are collected as a set, and no match is simply no hit.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache, cached_property
from types import ModuleType
from typing import Any

from scoring.base.errors import Problem, RuleError, ScoringError
from scoring.base.i18n import _
from scoring.language import closures, evaluate, expr, normal, show
from scoring.rulesets.compile import RuleGroup

MIN_DECIMALS = 6
LIMIT = 2**62
_names = itertools.count()


@dataclass(frozen=True)
class Atom:
    term: expr.Node
    mode: str  # "floor", "ceil", "exact", "text", "bool", "present"


class CompiledGroup:
    """A group's durable_rules definition and the atoms its facts carry."""

    def __init__(self, group: RuleGroup) -> None:
        self.group = group
        self.atoms: dict[Atom, str] = {}
        self.definition: dict[int, Any] = {}
        # Decimals of each compared term's scale: the most of its constants, at least 6.
        self.decimals: dict[expr.Node, int] = {}
        for rule in group.rules:
            for term, const in _comparisons(rule.cond):
                places = max(0, -int(const.as_tuple().exponent))
                self.decimals[term] = max(self.decimals.get(term, MIN_DECIMALS), places)
        problems: list[Problem] = []
        for index, rule in enumerate(group.rules):
            if isinstance(rule.cond, normal.NfFalse):
                continue  # never fires: the engine is not asked
            try:
                self.definition[index] = self._cond(rule.cond, rule.source, group.name)
            except RuleError as e:
                problems.extend(e.problems)
        if problems:
            raise RuleError(problems)

    def _atom(self, term: expr.Node, mode: str) -> str:
        key = Atom(term, mode)
        if key not in self.atoms:
            self.atoms[key] = f"a{len(self.atoms)}"
        return self.atoms[key]

    def _cond(self, cond: normal.Cond, source: str, rule: str) -> dict[str, Any]:
        if isinstance(cond, normal.NfTrue):
            return {"$ex": {"rid": 1}}
        if isinstance(cond, normal.NfAnd | normal.NfOr):
            op = "$and" if isinstance(cond, normal.NfAnd) else "$or"
            return {op: [self._cond(c, source, rule) for c in cond.items
                         if not isinstance(c, normal.NfFalse)]}
        if isinstance(cond, normal.NfFalse):
            return {"$nex": {"rid": 1}}
        if isinstance(cond, normal.NfPresent):
            name = self._atom(expr.Name(cond.name), "present")
            return {"$ex" if cond.positive else "$nex": {name: 1}}
        const = cond.const
        value: int | str
        if isinstance(const, bool):
            name, value = self._atom(cond.term, "bool"), int(const)
        elif isinstance(const, str):
            name, value = self._atom(cond.term, "text"), const
        else:
            assert isinstance(const, Decimal)
            decimals = self.decimals[cond.term]
            scaled = _scaled(const, decimals)
            if abs(scaled) >= LIMIT:
                raise RuleError([Problem(source, _(
                    "constant {constant} is too large to compare with {decimals} decimals "
                    "exactly: the engine holds numbers below 2**62 once scaled by "
                    "10**{decimals}").format(constant=show.format_number(const),
                                             decimals=decimals), rule)])
            mode = {">=": "floor", "<": "floor", ">": "ceil", "<=": "ceil"}.get(cond.op, "exact")
            name, value = self._atom(cond.term, mode), int(scaled)
        ops = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
        op_name = ops[cond.op]
        return {name: value} if op_name is None else {op_name: {name: value}}

    @cached_property
    def terms(self) -> tuple[Callable[[expr.Scope], expr.Value], ...]:
        return tuple(closures.compiled(a.term) for a in self.atoms)

    @cached_property
    def converters(self) -> tuple[Callable[[expr.Value], Any], ...]:
        return tuple(_converter(a.mode, self.decimals.get(a.term, MIN_DECIMALS))
                     for a in self.atoms)

    def signature(self, scope: expr.Scope) -> tuple[Any, ...]:
        """The fact values of one record (what `_atom_value` gives for each atom)."""
        return tuple(convert(term(scope))
                     for term, convert in zip(self.terms, self.converters, strict=True))

    def raw_signatures(self, scopes: Sequence[expr.Scope]) -> tuple[list[Any], Converters]:
        """Every record's atom values before conversion, computed a column at a time, and the
        conversions still to apply (None where a column came back converted already).

        Records with equal raw values get equal fact values (equal decimals scale to the same
        integer), so a conversion runs once per distinct signature, in `fact_values`. The one
        exception, True == Decimal(1) for a numeric atom, cannot pass the type checker; a
        column holding anything but the types of its mode is converted in full, as exact.
        """
        columns: list[list[Any]] = []
        pending: list[Callable[[expr.Value], Any] | None] = []
        for atom, convert in zip(self.atoms, self.converters, strict=True):
            column: list[Any] = closures.column(atom.term, scopes)
            if atom.mode == "present":  # a continuous field, yet only two fact values
                column = [None if v is None else 1 for v in column]
                pending.append(None)
            elif set(map(type, column)) <= _RAW_SAFE[atom.mode]:
                pending.append(convert)
            else:
                column = list(map(convert, column))
                pending.append(None)
            columns.append(column)
        if not columns:
            return [()] * len(scopes), ()
        raw = columns[0] if len(columns) == 1 else list(zip(*columns, strict=True))
        return raw, tuple(pending)

    def fact_values(self, raw: Any, pending: Converters) -> tuple[Any, ...]:
        """The fact values of one distinct raw signature (see `raw_signatures`)."""
        values = (raw,) if len(pending) == 1 else raw
        return tuple(v if convert is None else convert(v)
                     for convert, v in zip(pending, values, strict=True))


Converters = tuple[Callable[[expr.Value], Any] | None, ...]


# Raw values whose conversion depends only on their equality class, per mode: for these, the
# conversion of a distinct raw signature stands for every record that has it.
_NONE = type(None)
_RAW_SAFE: dict[str, frozenset[type]] = {
    "floor": frozenset({Decimal, _NONE}), "ceil": frozenset({Decimal, _NONE}),
    "exact": frozenset({Decimal, _NONE}), "text": frozenset({str, _NONE}),
    "bool": frozenset({bool, _NONE}),
}


def check_constants(groups: Sequence[RuleGroup]) -> list[Problem]:
    """What compiling `groups` for the engine refuses (a constant too large for its decimals),
    so that `scoring check` reports what `scoring score` would stop on."""
    problems: list[Problem] = []
    for group in groups:
        try:
            CompiledGroup(group)
        except RuleError as e:
            problems.extend(e.problems)
    return problems


def _comparisons(cond: normal.Cond) -> list[tuple[expr.Node, Decimal]]:
    """Every (term, numeric constant) a condition compares."""
    if isinstance(cond, normal.NfAnd | normal.NfOr):
        return [c for item in cond.items for c in _comparisons(item)]
    if isinstance(cond, normal.NfLeaf) and isinstance(cond.const, Decimal):
        return [(cond.term, cond.const)]
    return []


def _scaled(value: Decimal, decimals: int) -> Decimal:
    """`value` × 10**decimals, exactly: the exponent moves, no digit is rounded (a context's
    precision would round a value of more than 28 digits)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: inputs and constants are checked to be
    return Decimal((sign, digits, exponent + decimals))


def _converter(mode: str, decimals: int = MIN_DECIMALS) -> Callable[[expr.Value], Any]:
    """A term's value → the fact's value: scaled integers for numbers (see the module doc)."""
    if mode == "present":
        return lambda value: 1 if value is not None else None
    if mode == "bool":
        return lambda value: None if value is None else int(bool(value))
    if mode == "text":
        return lambda value: value if isinstance(value, str) else None
    rounding = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING}.get(mode)

    def number(value: expr.Value) -> Any:
        if value.__class__ is not Decimal:  # missing, text or bool: no number to compare
            return None
        scaled = _scaled(value, decimals)
        if rounding is not None:
            out = int(scaled.to_integral_value(rounding))
        elif scaled == scaled.to_integral_value():
            out = int(scaled)
        else:
            return LIMIT  # a fraction: equal to no constant, all of which are integers
        return max(-LIMIT, min(LIMIT, out))
    return number


class EngineUnavailable(ScoringError):
    """The rule engine built with scoring cannot be loaded: the installation is broken."""


@dataclass(frozen=True)
class Durable:
    """The parts of durable_rules the engine drives: its C core (which deletes a ruleset), the
    Python ruleset, and the exception for a fact that matches no rule."""

    core: ModuleType
    ruleset: Any
    not_handled: type[Exception]


@cache
def durable() -> Durable:
    """durable_rules, loaded on first use; `EngineUnavailable` when the build is broken."""
    try:
        from scoring._vendor.durable import durable_rules_engine
        from scoring._vendor.durable.engine import MessageNotHandledException, Ruleset
    except ImportError as error:
        raise EngineUnavailable.one("", _(
            "the rule engine (durable_rules, compiled when scoring is installed) cannot be "
            "loaded ({reason}): reinstall scoring with pip, which needs a C "
            "compiler").format(reason=error)) from None
    return Durable(durable_rules_engine, Ruleset, MessageNotHandledException)


class Engine:
    """Evaluates groups through durable_rules; compiled definitions are cached per group.

    `share_signatures=False` asserts one fact per record (the naive use of a rule engine, kept
    for the benchmark's comparison); the hits are the same, only slower.
    """

    def __init__(self, share_signatures: bool = True) -> None:
        self._durable = durable()
        self._compiled: dict[str, CompiledGroup] = {}
        self.facts_asserted = 0
        self.share_signatures = share_signatures

    def compiled(self, group: RuleGroup) -> CompiledGroup:
        cg = self._compiled.get(group.name)
        if cg is None or cg.group is not group:
            cg = CompiledGroup(group)
            self._compiled[group.name] = cg
        return cg

    def evaluate(self, group: RuleGroup, scopes: Sequence[expr.Scope]) -> list[frozenset[int]]:
        """For each scope, the indices of the group's rules that fired (set semantics)."""
        cg = self.compiled(group)
        if not cg.definition:
            return [frozenset()] * len(scopes)
        try:
            return self._evaluate(cg, scopes)
        except evaluate.Undefined:
            return self._undefined(cg, scopes)

    def _undefined(self, cg: CompiledGroup, scopes: Sequence[expr.Scope]
                   ) -> list[frozenset[int]]:
        """Some record's condition term has no value (a division by zero): the engine takes
        the records whose every term has one, and the others are decided in Python as the
        plain evaluator decides them (a part that another part makes irrelevant, as in
        `planned > 0 and done / planned >= 0.9`, is no error); `Undefined` where it decides."""
        odd: set[int] = set()
        for i, scope in enumerate(scopes):
            try:
                cg.signature(scope)
            except evaluate.Undefined:
                odd.add(i)
        fine = [i for i in range(len(scopes)) if i not in odd]
        fired = dict(zip(fine, self._evaluate(cg, [scopes[i] for i in fine]), strict=True))
        rules = [closures.compiled_cond(rule.cond) for rule in cg.group.rules]
        for i in sorted(odd):
            try:
                fired[i] = frozenset(n for n, test in enumerate(rules) if test(scopes[i]))
            except evaluate.Undefined as e:
                e.index = None
                raise e.at(i, scopes[i]) from None
        return [fired[i] for i in range(len(scopes))]

    def _evaluate(self, cg: CompiledGroup, scopes: Sequence[expr.Scope]
                  ) -> list[frozenset[int]]:
        if not scopes:
            return []
        if not self.share_signatures:
            return self._run(cg, [cg.signature(scope) for scope in scopes])
        raw, pending = cg.raw_signatures(scopes)
        distinct = list(dict.fromkeys(raw))  # first-seen order: deterministic
        fired = self._run(cg, [cg.fact_values(sig, pending) for sig in distinct])
        return list(map(dict(zip(distinct, fired, strict=True)).__getitem__, raw))

    def _run(self, cg: CompiledGroup, signatures: list[tuple[Any, ...]]) -> list[frozenset[int]]:
        hits: list[set[int]] = [set() for _ in signatures]

        def action(index: int) -> Any:
            def run(c: Any) -> None:
                hits[c.m["rid"]].add(index)
            return run

        definition = {
            f"r{index}": {"all": [{"m": cond}], "run": action(index)}
            for index, cond in cg.definition.items()
        }
        engine = self._durable
        ruleset = engine.ruleset(f"scoring{next(_names)}", None, definition)
        names = list(cg.atoms.values())
        try:
            for rid, sig in enumerate(signatures):
                fact: dict[str, Any] = {"rid": rid}
                fact.update((n, v) for n, v in zip(names, sig, strict=True) if v is not None)
                self.facts_asserted += 1
                with contextlib.suppress(engine.not_handled):  # no rule matched
                    ruleset.do_actions(ruleset.assert_fact(fact), _raise_on_error)
                # Its hits are collected: retract it, so the session holds one fact at a time.
                # With 100,000 facts held at once the engine's fact table reported distinct
                # facts as already asserted (MessageObservedException), seen in the benchmark.
                with contextlib.suppress(engine.not_handled):
                    ruleset.retract_fact(fact)
        finally:
            engine.core.delete_ruleset(ruleset._handle)
        shared: dict[frozenset[int], frozenset[int]] = {}
        return [shared.setdefault(f, f) for f in map(frozenset, hits)]


def _raise_on_error(error: Any, _state: Any) -> None:
    if error:
        raise RuntimeError(f"durable_rules action failed: {error}")
