"""Scale without surprises: shared ledger entries, determinism, and the benchmark itself.

Nothing here is timed (timings belong to `benchmarks/run.py`); these tests pin the properties
that make large batches cheap and keep them exact.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

import gen
from scoring.evaluation.scorer import score
from scoring.inputs.records import Record
from scoring.outputs.jsonout import render_json
from scoring.run.app import compile_folder, run

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


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """`benchmarks/run.py` as a module (its name, `run`, is taken back afterwards)."""
    monkeypatch.syspath_prepend(str(BENCH))
    import run  # benchmarks/run.py

    yield run
    sys.modules.pop("run", None)


def test_benchmark_runs_and_flags_regressions(tmp_path: Path, bench: ModuleType,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny run of `benchmarks/run.py` end to end (the streamed command included, whose
    output must be the in-memory one's bytes), then a second one against a doctored previous
    result that was 10× faster: e2e and stream are flagged."""
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
    assert row["same_bytes"] is True
    for name in ("stream", "stream1"):
        assert row[name]["seconds"] > 0 and row[name]["rss_mb"] > 0, name
        assert row[name]["json_bytes"] == row["e2e"]["json_bytes"], name
    assert row["stream1"]["workers"] == 1
    md = (out / "latest.md").read_text()
    assert "| size | units | e2e s | stream s |" in md and "| 200 | 20 |" in md
    for stage in row["stages"]["seconds"]:
        row["stages"]["seconds"][stage] /= 10
    row["e2e"]["e2e"] /= 10
    row["stream"]["seconds"] /= 10
    (out / "latest.json").write_text(json.dumps(latest))
    assert bench.main([*argv, "--stream1-cap", "0"]) == 1  # regressions found
    again = json.loads((out / "latest.json").read_text())
    assert any(f.startswith("200 e2e:") for f in again["regressions"])
    assert any(f.startswith("200 stream:") for f in again["regressions"])
    assert "stream1" not in again["rows"][0]  # over its cap
    assert (out / "previous.json").exists()


def test_benchmark_only_stream(tmp_path: Path, bench: ModuleType) -> None:
    """`--only-stream` (for sizes the in-memory path cannot hold) measures the command alone;
    the tables show a dash for everything else."""
    out = tmp_path / "results"
    argv = ["--sizes", "200", "--members", "10", "--rules", str(NEWEST), "--out", str(out),
            "--only-stream", "--stream1-cap", "0"]
    assert bench.main(argv) == 0
    row = json.loads((out / "latest.json").read_text())["rows"][0]
    assert row["stream"]["seconds"] > 0
    assert not {"e2e", "stages", "stream1", "same_bytes"} & set(row)
    assert "| 200 | 20 | — | " in (out / "latest.md").read_text()


GRANDCHILD = "import sys; x = b'x' * (40 << 20); print('ready', flush=True); sys.stdin.read()"
CHILD = ("import subprocess, sys; x = b'x' * (40 << 20); "
         f"g = subprocess.Popen([sys.executable, '-c', {GRANDCHILD!r}], text=True, "
         "stdin=subprocess.PIPE, stdout=subprocess.PIPE); g.stdout.readline(); "
         "print('ready', flush=True); sys.stdin.read(); g.stdin.close(); g.wait()")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux /proc")
def test_the_process_tree_memory_counts_descendants(bench: ModuleType) -> None:
    """The streamed command's memory is its workers' too: a child holding 40 MB whose own
    child holds 40 MB more is seen as the sum. (Each ends when its stdin closes.)"""
    with subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        # One measure on both sides: the tree's sum of proportional set sizes against the
        # child's own (a child's VmRSS counts the pages it shares with its child in full,
        # PSS counts half: comparing the two failed on a fresh machine, 91012 < 52112 + 40960).
        alone, tree = bench.pss_kb(child.pid), bench.tree_rss_kb(child.pid)
        child.stdin.close()
    assert alone >= 40 << 10 and tree >= alone + (40 << 10)
    assert bench.vm_rss_kb(child.pid) == 0  # ended


@pytest.mark.parametrize(("row", "startup", "us"), [
    ({"size": 10_000, "e2e": {"e2e": 3.0, "compile": 0.5}}, 0.1, 250.0),  # compiling apart
    ({"size": 10_000, "e2e": {"e2e": 3.0}}, 0.1, 300.0),  # a result from before `compile`
    ({"size": 10_000, "stream": {"seconds": 3.1}}, 0.1, 300.0),  # start-up apart
    ({"size": 10_000}, 0.1, None),
])
def test_time_per_person_leaves_fixed_costs_apart(bench: ModuleType, row: dict[str, object],
                                                  startup: float, us: float | None) -> None:
    assert bench._per_person_us(row, startup) == (None if us is None else pytest.approx(us))
