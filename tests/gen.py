"""Generate records for any rule set from its declared inputs: random and boundary values.

Boundary values come from the rules themselves: every constant a numeric input is compared
with, and its neighbours (c - 1, c - 0.1, c, c + 0.1, c + 1), clipped to the input's range.
"""

from __future__ import annotations

import random
from decimal import Decimal

from scoring.inputs.records import Origin, Record
from scoring.language import expr, normal
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import InputSpec, Kind


def boundaries(compiled: Compiled) -> dict[str, set[Decimal]]:
    out: dict[str, set[Decimal]] = {}
    for group in compiled.groups():
        for rule in group.rules:
            for leaf in normal.leaves(rule.cond):
                if isinstance(leaf, normal.NfLeaf) and isinstance(leaf.const, Decimal):
                    for name in expr.names(leaf.term):
                        for d in ("-1", "-0.1", "0", "0.1", "1"):
                            out.setdefault(name.removeprefix("unit."), set()).add(
                                leaf.const + Decimal(d))
    return out


def value(spec: InputSpec, name: str, rng: random.Random,
          edges: dict[str, set[Decimal]]) -> expr.Value:
    if spec.type == "enum":
        return rng.choice(sorted(spec.values or {}))
    if spec.type == "bool":
        return rng.random() < 0.3
    if spec.type == "text":
        return rng.choice(["a", "b", "c"])
    lo = spec.min if spec.min is not None else Decimal(0)
    hi = spec.max if spec.max is not None else lo + 20
    picks = [e for e in edges.get(name, ()) if lo <= e <= hi]
    if spec.type == "int":
        picks = [e for e in picks if e == e.to_integral_value()]
    if picks and rng.random() < 0.5:
        return rng.choice(sorted(picks))
    if spec.type == "int":
        return Decimal(rng.randint(int(lo), int(min(hi, lo + 20))))
    return (lo + (hi - lo) * Decimal(rng.randint(0, 1000)) / 1000).quantize(Decimal("0.1"))


def records(compiled: Compiled, kind: Kind, n: int, groups: list[str], rng: random.Random,
            edges: dict[str, set[Decimal]]) -> list[Record]:
    inputs = compiled.kind(kind).inputs
    prefix = "P" if kind == "individual" else "U"
    return [
        Record(kind, f"{prefix}{i:06d}", f"Người {i}" if kind == "individual" else f"Đơn vị {i}",
               groups[i % len(groups)] if kind == "individual" else rng.choice(groups),
               {name: value(spec, name, rng, edges) for name, spec in inputs.items()},
               Origin("generated", i + 2))
        for i in range(n)
    ]


def batch(compiled: Compiled, n_individuals: int, n_units: int, seed: int = 1
          ) -> tuple[list[Record], list[Record]]:
    rng = random.Random(seed)
    edges = boundaries(compiled)
    units = records(compiled, "unit", n_units, ["Khối A", "Khối B", "Khối C"], rng, edges)
    people = records(compiled, "individual", n_individuals, [u.id for u in units], rng, edges)
    return people, units
