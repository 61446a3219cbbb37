"""durable_rules is the scoring path, and it agrees with the plain evaluator hit for hit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import gen
from scoring.app import compile_folder
from scoring.engine import Engine
from scoring.plain import PlainEvaluator
from scoring.result import Result
from scoring.scorer import score

RULESETS = [Path("tests/rulesets/mini"), Path("tests/rulesets/ratings"),
            *sorted(Path("rules").glob("[0-9]*"))]


def _same(a: Result, b: Result) -> None:
    assert replace(a, engine_facts=0) == replace(b, engine_facts=0)


@pytest.mark.parametrize("folder", RULESETS, ids=str)
def test_engine_agrees_with_plain_evaluator(folder: Path) -> None:
    compiled = compile_folder(folder)
    people, units = gen.batch(compiled, 10_000, 400, seed=7)
    engine = Engine()
    via_engine = score(people, units, compiled, engine)
    via_plain = score(people, units, compiled, PlainEvaluator())
    _same(via_engine, via_plain)
    assert engine.facts_asserted > 0
    hits = sum(len(r.hits) for r in via_engine.individuals + via_engine.units)
    assert hits > 10_000


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
