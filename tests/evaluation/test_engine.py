"""durable_rules is the scoring path, and it agrees with the plain evaluator hit for hit.

The engine evaluates each group of rules once per distinct *signature* (the values its rules
read) and shares the hits; the plain evaluator evaluates every rule for every record with the
reference interpreter (`evaluate.holds`). They must give the same Result, ledger included, on
generated records (half of their numbers on the rules' own boundaries), on records built from
every boundary value, and on a continuous amount where every record is its own signature.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import gen
from scoring.evaluation.engine import Engine
from scoring.evaluation.reference import ReferenceEvaluator
from scoring.evaluation.result import Result
from scoring.evaluation.scorer import score
from scoring.inputs.records import Record
from scoring.language import closures, evaluate, expr, normal, parse, typecheck, why
from scoring.rulesets.compile import Compiled, Rule, RuleGroup
from scoring.run.app import compile_folder

RULESETS = [Path("tests/rulesets/mini"), Path("tests/rulesets/ratings"),
            *sorted(Path("rules").glob("[0-9]*"))]
NEWEST = RULESETS[-1]


def _same(a: Result, b: Result) -> None:
    assert replace(a, engine_facts=0) == replace(b, engine_facts=0)


def _hits(result: Result) -> int:
    return sum(len(r.hits) for r in result.individuals + result.units)


class _Both:
    """Evaluates every group with the engine and the plain evaluator on the same scopes,
    requires the same hits, and returns the engine's."""

    def __init__(self) -> None:
        self.engine, self.plain = Engine(), ReferenceEvaluator()
        self.facts_asserted = 0

    def evaluate(self, group: RuleGroup, scopes: Any) -> list[frozenset[int]]:
        fired = self.engine.evaluate(group, scopes)
        assert fired == self.plain.evaluate(group, scopes), group.name
        return fired


@pytest.mark.parametrize("folder", RULESETS[:-1], ids=str)
def test_engine_agrees_with_plain_evaluator(folder: Path) -> None:
    compiled = compile_folder(folder)
    people, units = gen.batch(compiled, 5_000, 200, seed=7)
    both = _Both()
    result = score(people, units, compiled, both)
    assert both.engine.facts_asserted > 0
    assert _hits(result) > 5_000


def test_newest_rules_agree_on_20k_records() -> None:
    """Hit for hit on every group, and so the same Result, ledger included."""
    compiled = compile_folder(NEWEST)
    people, units = gen.batch(compiled, 20_000, 1_000, seed=11)
    both = _Both()
    score(people, units, compiled, both)
    # Signature sharing: far fewer facts than records × groups.
    facts = both.engine.facts_asserted
    assert 0 < facts < len(people) * len(compiled.groups()) / 20


def _boundary_batch(compiled: Compiled, seed: int) -> tuple[list[Record], list[Record]]:
    """Records whose numeric inputs step through every boundary value of the rules, one
    input at a time (the others random), for both kinds."""
    rng = random.Random(seed)
    edges = gen.boundaries(compiled)
    people, units = gen.batch(compiled, 50, 20, seed=seed)
    out: dict[str, list[Record]] = {"individual": list(people), "unit": list(units)}
    for kind, base in (("individual", people), ("unit", units)):
        for name, spec in compiled.kind(kind).inputs.items():  # type: ignore[arg-type]
            if spec.type not in ("int", "number"):
                continue
            for value in sorted(edges.get(name, ())):
                if (spec.min is not None and value < spec.min) or \
                        (spec.max is not None and value > spec.max) or \
                        (spec.type == "int" and value != value.to_integral_value()):
                    continue
                r = rng.choice(base)
                out[kind].append(replace(r, id=f"{r.id}-{name}-{value}",
                                         values={**r.values, name: value}))
    return out["individual"], out["unit"]


@pytest.mark.parametrize("folder", RULESETS, ids=str)
def test_engine_agrees_on_boundary_records(folder: Path) -> None:
    compiled = compile_folder(folder)
    people, units = _boundary_batch(compiled, seed=5)
    _same(score(people, units, compiled, Engine()),
          score(people, units, compiled, ReferenceEvaluator()))


def test_one_fact_per_record_gives_the_same_result() -> None:
    compiled = compile_folder(NEWEST)
    people, units = gen.batch(compiled, 1_000, 50, seed=2)
    naive = Engine(share_signatures=False)
    shared = Engine()
    _same(score(people, units, compiled, naive), score(people, units, compiled, shared))
    assert naive.facts_asserted > 10 * shared.facts_asserted


def _group(*conditions: str) -> RuleGroup:
    env = expr.Env({"amount": expr.NUMBER, "other": expr.NUMBER})
    rules = []
    for i, text in enumerate(conditions):
        node = parse.parse(text)
        typecheck.check(node, env)
        rules.append(Rule(f"r{i}", normal.to_cond(node), text))
    return RuleGroup("continuous", tuple(rules))


def test_a_continuous_amount_is_exact() -> None:
    """Every record is its own signature; boundaries at six decimals hold exactly."""
    group = _group("amount >= 89.9", "amount > 89.9", "amount == 89.9", "amount != 89.9",
                   "amount < 0.000001", "amount / 3 >= 29.966667",
                   "amount + other <= 100.5", "amount * 3 > 269.7")
    rng = random.Random(3)
    values = [Decimal("89.9"), Decimal("89.90"), Decimal("89.899999"), Decimal("89.900001"),
              Decimal("89.8999999"), Decimal("89.9000001"), Decimal("0"), Decimal("0.0000001"),
              Decimal("89.900001") * 1, None]
    values += [Decimal(rng.randint(0, 10**9)) / Decimal(10**7) for _ in range(3_000)]
    scopes: list[dict[str, expr.Value]] = [
        {"amount": v, "other": Decimal(rng.randint(0, 200)) / 10 if i > 9 else Decimal(0)}
        for i, v in enumerate(values)]
    engine = Engine()
    fired = engine.evaluate(group, scopes)
    assert fired == ReferenceEvaluator().evaluate(group, scopes)
    assert engine.facts_asserted > 2_000  # no sharing to be had: one fact per value
    assert fired[0] == fired[1] == frozenset({0, 2, 6})  # 89.9 == 89.90; 89.9 / 3 < 29.966667
    assert fired[2] == frozenset({3, 6}) and fired[3] == frozenset({0, 1, 3, 5, 6, 7})


def test_points_come_from_fired_engine_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Break the engine's actions: no rule fires, so no points can be awarded."""
    compiled = compile_folder(Path("tests/rulesets/mini"))
    people, units = gen.batch(compiled, 200, 10, seed=3)
    real = score(people, units, compiled)
    assert any(r.score > 0 for r in real.individuals)
    monkeypatch.setattr(Engine, "_run", lambda self, cg, sigs: [frozenset()] * len(sigs))
    silenced = score(people, units, compiled)
    assert all(r.score == 0 for r in silenced.individuals)
    assert all(not r.titles for r in silenced.individuals)


# ------------------------------------------------------------- the fast paths against the reference


class _Recorder:
    """An evaluator that keeps a copy of the scopes each group was evaluated on."""

    facts_asserted = 0

    def __init__(self) -> None:
        self.seen: list[tuple[RuleGroup, list[dict[str, Any]]]] = []
        self.plain = ReferenceEvaluator()

    def evaluate(self, group: RuleGroup, scopes: Any) -> list[frozenset[int]]:
        self.seen.append((group, [dict(s) for s in scopes]))
        return self.plain.evaluate(group, scopes)


def _exactly(values: list[expr.Value]) -> list[tuple[type, str]]:
    return [(type(v), str(v)) for v in values]


@pytest.mark.parametrize("folder", RULESETS, ids=str)
def test_compiled_closures_match_the_reference(folder: Path) -> None:
    """Closures, columns and explanations give exactly (type and digits) what the reference
    interpreter gives, for every rule of the rule set, on the scopes the scorer built."""
    compiled = compile_folder(folder)
    people, units = _boundary_batch(compiled, seed=9)
    recorder = _Recorder()
    score(people, units, compiled, recorder)
    assert recorder.seen
    for group, scopes in recorder.seen:
        for rule in group.rules:
            holds = closures.compiled_cond(rule.cond)
            explain = why.explained(rule.cond)
            for s in scopes:
                assert holds(s) == evaluate.holds(rule.cond, s), (rule.key, s)
                assert explain(s) == why.why_not(rule.cond, s), rule.key
            nodes = [leaf.term for leaf in normal.leaves(rule.cond)
                     if isinstance(leaf, normal.NfLeaf)]
            if rule.points is not None:
                nodes.append(rule.points)
            for node in nodes:
                reference = [evaluate.evaluate(node, s) for s in scopes]
                fn = closures.compiled(node)
                assert _exactly([fn(s) for s in scopes]) == _exactly(reference), rule.key
                assert _exactly(closures.column(node, scopes)) == _exactly(reference), rule.key


@pytest.mark.parametrize(("text", "scope", "expected"), [
    ("a / b", {"a": Decimal(1), "b": Decimal(0)}, None),
    ("a / b + 1", {"a": Decimal(1), "b": Decimal(0)}, None),
    ("a - b - c", {"a": Decimal(10), "b": Decimal(3), "c": Decimal(2)}, Decimal(5)),
    ("a + b", {"a": Decimal("1.0"), "b": Decimal(2)}, Decimal("3.0")),
    ("a + b", {"a": None, "b": Decimal(2)}, None),
    ("a / 3", {"a": Decimal(1)}, Decimal("0." + "3" * 34)),  # precision 34, not 28
    ("-(a / 3)", {"a": Decimal(1)}, Decimal("-0." + "3" * 28)),  # negation: the thread's 28
])
def test_arithmetic_closures_keep_the_reference_context(
        text: str, scope: dict[str, expr.Value], expected: expr.Value) -> None:
    node = parse.parse(text, expr.Where(zero="missing"))  # a division by zero declared missing
    reference = evaluate.evaluate(node, scope)
    assert str(reference) == str(expected)
    assert str(closures.compiled(node)(scope)) == str(reference)
    assert _exactly(closures.column(node, [scope, scope, dict(scope)])) == _exactly([reference] * 3)


@pytest.mark.parametrize(("condition", "value", "holds"), [
    # Values longer than the context's 28 digits are scaled without rounding.
    ("amount >= 90", "89.99999999999999999999999999999999", False),
    ("amount < 90", "89.99999999999999999999999999999999", True),
    ("amount > 90", "90.00000000000000000000000000000001", True),
    ("amount <= 90", "90.00000000000000000000000000000001", False),
    # Above 2**53 / 10**6 a fraction once became a float that could equal an integer.
    ("amount == 10000000000", "10000000000.0000005", False),
    ("amount != 10000000000", "10000000000.0000005", True),
    ("amount == 999999999999.5", "999999999999.5", True),
    # Constants of more than six decimals are compared exactly, not refused.
    ("amount >= 0.1234567", "0.12345669", False),
    ("amount >= 0.1234567", "0.1234567", True),
    ("amount > 0.00000001", "0.000000011", True),
    ("amount == 0.333333333333", "0.333333333333", True),
    ("amount == 0.333333333333", "0.3333333333333", False),
])
def test_comparisons_are_exact_for_values_and_constants_of_any_length(
        condition: str, value: str, holds: bool) -> None:
    group = _group(condition)
    scopes: list[dict[str, expr.Value]] = [{"amount": Decimal(value), "other": Decimal(0)}]
    fired = Engine().evaluate(group, scopes)
    assert fired == ReferenceEvaluator().evaluate(group, scopes)
    assert fired == [frozenset({0})] if holds else [frozenset()]


def test_a_constant_too_large_for_its_decimals_is_a_rule_error() -> None:
    from scoring.base.errors import RuleError
    from scoring.evaluation.engine import check_constants

    group = _group("amount >= 0.5", "amount >= 1234567890.0000000001")
    assert [p.message for p in check_constants([group])] == [
        "constant 1234567890.0000000001 is too large to compare with 10 decimals exactly: the "
        "engine holds numbers below 2**62 once scaled by 10**10"]
    with pytest.raises(RuleError):
        Engine().evaluate(group, [{"amount": Decimal(1), "other": Decimal(0)}])


# ----------------------------------------------------------------- the vendored engine itself

ROOT = Path(__file__).resolve().parents[2]
_BLOCK_ENGINE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "scoring._vendor.durable.durable_rules_engine":
            raise ImportError("undefined symbol: PyEval_CallObject")
sys.meta_path.insert(0, Block())
from scoring.cli import main
sys.argv = ["scoring", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("args", [
    ["score", "fixtures/quang-ngai-2021"],
    ["score", "fixtures/quang-ngai-2026", "--stream", "-o", "{tmp}/out/results.json"],
    ["explain", "fixtures/quang-ngai-2021", "CN0001"],
    ["test", "rules/2021"],
], ids=" ".join)
def test_an_engine_that_cannot_load_is_one_sentence(args: list[str], tmp_path: Path) -> None:
    """A broken build (here: the extension refusing to load, as 2.0.28's did on Python 3.13)
    stops the command with exit 2 and one line, never a traceback."""
    import subprocess
    import sys

    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, "-c", _BLOCK_ENGINE, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "out").exists()  # nothing written
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("error: the rule engine"), lines
    assert "PyEval_CallObject" in lines[0] and "reinstall scoring" in lines[0]


def test_the_engine_is_the_vendored_build_and_only_the_adapter_imports_it() -> None:
    """The engine comes from scoring's own build, never from an installed durable-rules, and
    only scoring/evaluation/engine.py imports it (durable_rules stays behind one adapter)."""
    import ast

    from scoring.evaluation import engine

    assert engine.durable().core.__name__ == "scoring._vendor.durable.durable_rules_engine"
    importers = set()
    for path in sorted((ROOT / "src/scoring").rglob("*.py")):
        if "_vendor" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in {"durable", "durable_rules_engine"}
                   or n.startswith("scoring._vendor") for n in names):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"src/scoring/evaluation/engine.py"}
