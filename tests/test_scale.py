"""Scale without surprises: shared ledger entries, determinism, and the benchmark itself.

Nothing here is timed (timings belong to `benchmarks/run.py`); these tests pin the properties
that make large batches cheap and keep them exact.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import gen
from scoring.app import compile_folder, run
from scoring.records import Record
from scoring.render.jsonout import render_json
from scoring.scorer import score

NEWEST = sorted(Path("rules").glob("[0-9]*"))[-1]
BENCH = Path("benchmarks")


def test_equal_readings_share_one_ledger_entry() -> None:
    """Records that read the same values hold the same Hit object (built once, held once)."""
    compiled = compile_folder(NEWEST)
    people, units = gen.batch(compiled, 2_000, 100, seed=4)
    result = score(people, units, compiled)
    hits = [h for r in result.individuals for h in r.hits]
    assert len({id(h) for h in hits}) < len(hits) / 4
    numbers = {n for n, s in compiled.kind("individual").inputs.items()
               if s.type in ("int", "number")}
    for r in result.individuals[:200]:
        given = dict(r.inputs)
        for h in r.hits:
            for name, value in h.reads:
                if name in numbers:
                    assert str(value) == str(given[name])  # the record's own value, as given


def test_a_shared_entry_keeps_each_records_own_digits() -> None:
    """12.5 and 12.50 are equal but read differently: each record's ledger shows its own."""
    compiled = compile_folder(NEWEST)
    people, units = gen.batch(compiled, 40, 4, seed=8)
    numeric = next(n for n, s in compiled.kind("individual").inputs.items()
                   if s.type == "number" and s.is_required)
    people = [replace(p, values={**p.values, numeric: Decimal("12.5") if i % 2
                                 else Decimal("12.50")}) for i, p in enumerate(people)]
    result = score(people, units, compiled)
    for r in result.individuals:
        shown = {str(v) for h in r.hits for n, v in h.reads if n == numeric}
        assert shown == {"12.5" if int(r.id[1:]) % 2 else "12.50"}, r.id


def _shuffled(records: list[Record], seed: int) -> list[Record]:
    out = list(records)
    random.Random(seed).shuffle(out)
    return out


def test_input_order_does_not_change_a_byte() -> None:
    compiled = compile_folder(NEWEST)
    people, units = gen.batch(compiled, 1_500, 75, seed=6)
    first = render_json(score(people, units, compiled), {})
    again = render_json(score(_shuffled(people, 1), _shuffled(units, 2), compiled), {})
    assert first == again


def test_the_sample_scores_the_same_twice_in_one_process() -> None:
    """Caches (compiled closures, shared entries) never leak between runs."""
    folder = Path("fixtures/quang-ngai-2026")
    a = render_json(run([folder]).result, {})
    b = render_json(run([folder]).result, {})
    assert a == b


def test_benchmark_runs_and_flags_regressions(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny run of `benchmarks/run.py` end to end, then a second one against a doctored
    previous result that was 10× faster: every stage is flagged."""
    monkeypatch.syspath_prepend(str(BENCH))
    import run as bench  # benchmarks/run.py

    monkeypatch.setattr(bench, "NOISE_SECONDS", 0.0)  # a tiny run: compare every stage

    out = tmp_path / "results"
    argv = ["--sizes", "200", "--members", "10", "--rules", str(NEWEST), "--out", str(out)]
    assert bench.main(argv) == 0
    latest = json.loads((out / "latest.json").read_text())
    row = latest["rows"][0]
    assert row["size"] == 200 and row["units"] == 20
    assert {"read", "validate", "evaluate", "engine", "titles", "render", "plain", "naive",
            "floor"} <= set(row["stages"]["seconds"])
    assert row["e2e"]["individuals"] == 200 and row["e2e"]["rss_mb"] > 0
    for stage in row["stages"]["seconds"]:
        row["stages"]["seconds"][stage] /= 10
    row["e2e"]["e2e"] /= 10
    (out / "latest.json").write_text(json.dumps(latest))
    assert bench.main(argv) == 1  # regressions found
    again = json.loads((out / "latest.json").read_text())
    assert any("e2e" in f for f in again["regressions"])
    assert (out / "previous.json").exists()
    sys.modules.pop("run", None)
