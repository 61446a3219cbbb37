"""The JSON output's cross-check at scale: 20,000 generated people (benchmarks/data.py, with
values on the rules' own boundaries from tests/gen.py) read back from format 2 give format 1's
data, compared a record at a time as text (same keys in the same order, same numbers). A file
of its own, so that it runs beside the other tests (`--dist loadfile`)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from functools import partial
from pathlib import Path

from scoring import read_results
from scoring.explanations.ledger import record_json, rewards_data, to_json_data
from scoring.outputs.jsonout import render_json
from scoring.run.app import compile_folder, run

MANIFEST = {"tool": "scoring", "json_format": 2, "created": None}


def test_twenty_thousand_generated_people_read_back_as_format_1(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("benchmark_data", "benchmarks/data.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rules = Path("rules/2026")
    folder = generator.write(compile_folder(rules), tmp_path / "in", 20_000, 1_000, seed=11)
    result = run([folder], rules).result
    data = read_results(render_json(result, MANIFEST))
    text = partial(json.dumps, ensure_ascii=False)
    head = {**to_json_data(replace(result, individuals=(), units=()), MANIFEST),
            "rewards": rewards_data(result)}
    for key in ("manifest", "ruleset", "rewards", "warnings"):
        assert text(data[key]) == text(head[key])
    records = (*result.individuals, *result.units)
    assert len(data["individuals"]) + len(data["units"]) == len(records) > 20_000
    for mine, r in zip((*data["individuals"], *data["units"]), records, strict=True):
        assert text(mine) == text(record_json(r))
