"""The durable_rules adapter: the only module that imports the engine.

How a group of rules is evaluated, and why:
- Each leaf of a condition is `term op constant`. Terms that are plain fields go to the engine
  as they are; arithmetic terms are computed beforehand in exact decimals. The engine then does
  what a rule engine is for: matching every rule's comparisons and logic against facts.
- Numbers reach the engine as integers scaled by 10**6 (exact up to 2**62 in its C core, which
  we checked), rounded down for `>=`/`<` and up for `>`/`<=`, which keeps every comparison with a
  constant of at most six decimals exact. Equality uses the exact scaled value or a half-step that
  can never equal a constant.
- A group's rules read a few fields, and a batch holds few distinct combinations of them, so
  each distinct combination (a *signature*) is asserted once as a fact and the fired rules are
  shared with every record that has it (`../shared/durable-rules.md`, "the lever").
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
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import durable_rules_engine
from durable.engine import MessageNotHandledException, Ruleset

from scoring import expr
from scoring.compile import Group
from scoring.errors import Problem, RuleError

SCALE = Decimal(10) ** 6
LIMIT = 2**62
_names = itertools.count()


@dataclass(frozen=True)
class Atom:
    term: expr.Node
    mode: str  # "floor", "ceil", "exact", "text", "bool", "present"


class CompiledGroup:
    """A group's durable_rules definition and the atoms its facts carry."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.atoms: dict[Atom, str] = {}
        self.definition: dict[int, Any] = {}
        for index, rule in enumerate(group.rules):
            if isinstance(rule.cond, expr.CFalse):
                continue  # never fires: the engine is not asked
            self.definition[index] = self._cond(rule.cond, rule.source, group.name)

    def _atom(self, term: expr.Node, mode: str) -> str:
        key = Atom(term, mode)
        if key not in self.atoms:
            self.atoms[key] = f"a{len(self.atoms)}"
        return self.atoms[key]

    def _cond(self, cond: expr.Cond, source: str, rule: str) -> dict[str, Any]:
        if isinstance(cond, expr.CTrue):
            return {"$ex": {"rid": 1}}
        if isinstance(cond, expr.CAnd | expr.COr):
            op = "$and" if isinstance(cond, expr.CAnd) else "$or"
            return {op: [self._cond(c, source, rule) for c in cond.items
                         if not isinstance(c, expr.CFalse)]}
        if isinstance(cond, expr.CFalse):
            return {"$nex": {"rid": 1}}
        if isinstance(cond, expr.CPresent):
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
            scaled = const * SCALE
            if scaled != scaled.to_integral_value() or abs(scaled) >= LIMIT:
                raise RuleError([Problem(source, f"constant {const} has more than 6 decimals or "
                                                 "is too large", rule)])
            mode = {">=": "floor", "<": "floor", ">": "ceil", "<=": "ceil"}.get(cond.op, "exact")
            name, value = self._atom(cond.term, mode), int(scaled)
        ops = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
        op_name = ops[cond.op]
        return {name: value} if op_name is None else {op_name: {name: value}}

    def signature(self, scope: expr.Scope) -> tuple[Any, ...]:
        return tuple(_atom_value(a, scope) for a in self.atoms)


def _atom_value(atom: Atom, scope: expr.Scope) -> Any:
    if atom.mode == "present":
        return 1 if expr.evaluate(atom.term, scope) is not None else None
    value = expr.evaluate(atom.term, scope)
    if value is None:
        return None
    if atom.mode == "bool":
        return int(bool(value))
    if atom.mode == "text":
        return value if isinstance(value, str) else None
    if not isinstance(value, Decimal) or isinstance(value, bool):
        return None
    scaled = value * SCALE
    if atom.mode == "floor":
        out = int(scaled.to_integral_value(ROUND_FLOOR))
    elif atom.mode == "ceil":
        out = int(scaled.to_integral_value(ROUND_CEILING))
    elif scaled == scaled.to_integral_value():
        out = int(scaled)
    else:
        return float(int(scaled.to_integral_value(ROUND_FLOOR))) + 0.5
    return max(-LIMIT, min(LIMIT, out))


class Engine:
    """Evaluates groups through durable_rules; compiled definitions are cached per group."""

    def __init__(self) -> None:
        self._compiled: dict[str, CompiledGroup] = {}
        self.facts_asserted = 0

    def compiled(self, group: Group) -> CompiledGroup:
        cg = self._compiled.get(group.name)
        if cg is None or cg.group is not group:
            cg = CompiledGroup(group)
            self._compiled[group.name] = cg
        return cg

    def evaluate(self, group: Group, scopes: Sequence[expr.Scope]) -> list[frozenset[int]]:
        """For each scope, the indices of the group's rules that fired (set semantics)."""
        cg = self.compiled(group)
        if not cg.definition:
            return [frozenset()] * len(scopes)
        signatures: dict[tuple[Any, ...], int] = {}
        per_record: list[int] = []
        for scope in scopes:
            sig = cg.signature(scope)
            per_record.append(signatures.setdefault(sig, len(signatures)))
        fired = self._run(cg, list(signatures))
        return [fired[i] for i in per_record]

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
        ruleset = Ruleset(f"scoring{next(_names)}", None, definition)
        names = list(cg.atoms.values())
        try:
            for rid, sig in enumerate(signatures):
                fact: dict[str, Any] = {"rid": rid}
                fact.update((n, v) for n, v in zip(names, sig, strict=True) if v is not None)
                self.facts_asserted += 1
                with contextlib.suppress(MessageNotHandledException):  # no rule matched
                    ruleset.do_actions(ruleset.assert_fact(fact), _raise_on_error)
        finally:
            durable_rules_engine.delete_ruleset(ruleset._handle)
        return [frozenset(h) for h in hits]


def _raise_on_error(error: Any, _state: Any) -> None:
    if error:
        raise RuntimeError(f"durable_rules action failed: {error}")
