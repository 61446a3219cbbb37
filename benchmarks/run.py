"""Benchmark of `scoring score`: end to end, each stage, and three baselines, on one set of files.

    python benchmarks/run.py [--sizes 1000,10000,100000,1000000] [--rules rules/2026]

For each size, records are generated for the rule set (`benchmarks/data.py`: one unit per
`--members` individuals) into a temporary CSV folder, and measured in child processes, one at a
time, so each reports its own peak RSS (`resource.getrusage`):

- **e2e**: what `scoring score FOLDER --format json -o FILE` does, in process: `app.run`,
  manifest, `render("json")`, atomic write.
- **stages** (same files, another child): read, validate, evaluate (ratings, criteria,
  adjustments, gates, aggregates: everything that builds the ledger; the time inside the rule
  engine is shown apart as `engine`), titles (prerequisites, quotas, ranks, results), render.
  Stages are timed by wrapping the library's functions, not by changing them.
- **plain**: the same scorer with the per-record plain evaluator (`PlainEvaluator`), and
  **naive**: durable_rules with one fact per record per group (`Engine(share_signatures=False)`);
  both timed on the rule evaluation (all groups), against ours on the same run. Capped at
  `--naive-cap` records (default 100,000): above that they take minutes.
- **floor**: a pandas/numpy vectorised score without a ledger (`benchmarks/floor.py`).

Rates are records per second, records being individuals (units come with them). Ratios are
ours ÷ baseline in records/s (above 1: ours is faster). Results go to
`benchmarks/results/latest.json` (the one before is kept as `previous.json`); every rate more
than 20% below the previous run's for the same size and stage is flagged as a regression
(stages under a quarter of a second are too noisy to compare and are left out), and the run
exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
RESULTS = ROOT / "benchmarks" / "results"
REGRESSION = 0.20
NOISE_SECONDS = 0.25  # stages shorter than this are not compared


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def timer(into: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.perf_counter() - start


def wrap(module: Any, name: str, into: dict[str, float], bucket: str) -> None:
    """Time every call of `module.name` into `into[bucket]`."""
    inner = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        with timer(into, bucket):
            return inner(*args, **kwargs)
    setattr(module, name, timed)


class TimedEvaluator:
    """An evaluator that adds the time spent in rule evaluation to `into[bucket]`."""

    def __init__(self, inner: Any, into: dict[str, float], bucket: str) -> None:
        self.inner, self.into, self.bucket = inner, into, bucket

    @property
    def facts_asserted(self) -> int:
        return int(self.inner.facts_asserted)

    @facts_asserted.setter
    def facts_asserted(self, value: int) -> None:
        self.inner.facts_asserted = value

    def evaluate(self, group: Any, scopes: Any) -> Any:
        with timer(self.into, self.bucket):
            return self.inner.evaluate(group, scopes)


# ------------------------------------------------------------------------------- children


def child_e2e(folder: Path, rules: Path) -> dict[str, Any]:
    """`scoring score FOLDER --rules RULES --format json -o OUT`, through the library path."""
    from scoring.app import run
    from scoring.atomic import write_atomic_many
    from scoring.manifest import MANIFEST, build_manifest, file_manifest, manifest_bytes
    from scoring.render import render

    out = folder.parent / f"{folder.name}-out" / "results.json"
    out.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    r = run([folder], rules)
    manifest = build_manifest(r.result, str(r.rules_folder), r.inputs.files,
                              {"format": "json"}, "2026-01-01T00:00:00Z")
    data = render("json", r.result, manifest, r.compiled)
    described = file_manifest(manifest, {out.name: data}, False)
    write_atomic_many({out: data, out.parent / MANIFEST: manifest_bytes(described)}, True)
    seconds = time.perf_counter() - start
    return {"e2e": seconds, "rss_mb": peak_rss_mb(), "json_bytes": len(data),
            "individuals": len(r.result.individuals), "units": len(r.result.units)}


def child_stages(folder: Path, rules: Path, baselines: bool, render: bool) -> dict[str, Any]:
    """Each stage alone, our evaluation against the baselines', and the floor."""
    import floor

    from scoring import app, scorer
    from scoring.engine import Engine
    from scoring.plain import PlainEvaluator
    from scoring.render.jsonout import render_json

    t: dict[str, float] = {}
    wrap(app, "read_inputs", t, "read")
    wrap(app, "build_batch", t, "validate")
    for name in ("_rate", "_score_kind", "_aggregate"):
        wrap(scorer, name, t, "evaluate")
    for name in ("_decide_titles", "_results"):
        wrap(scorer, name, t, "titles")
    app.compile_folder(rules)  # compiled once, as a long-running process would
    r = app.run([folder], rules, evaluator=TimedEvaluator(Engine(), t, "engine"))
    if render:
        with timer(t, "render"):
            render_json(r.result, {})
    out: dict[str, Any] = {"seconds": dict(t), "rss_mb": peak_rss_mb()}
    if baselines:
        batch, compiled = r.batch, r.compiled
        del r
        for name, evaluator in (("plain", PlainEvaluator()),
                                ("naive", Engine(share_signatures=False))):
            spent: dict[str, float] = {}
            scorer.score(batch.individuals, batch.units, compiled,
                         TimedEvaluator(evaluator, spent, "engine"))
            out["seconds"][name] = spent["engine"]
    start = time.perf_counter()
    compiled = app.compile_folder(rules)
    frames = floor.read(folder, compiled)
    read_done = time.perf_counter()
    result = floor.score(compiled, frames)
    out["seconds"]["floor_read"] = read_done - start
    out["seconds"]["floor"] = time.perf_counter() - read_done
    out["floor_skipped"] = [*floor.SKIPPED, *result["skipped"]]
    return out


def run_child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child {' '.join(args)} failed")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------- report

STAGES = ("read", "validate", "evaluate", "engine", "titles", "render")


def measure(size: int, rules: Path, members: int, naive_cap: int, e2e_cap: int,
            work: Path) -> dict[str, Any]:
    from data import write

    from scoring.app import compile_folder

    folder = work / f"n{size}"
    units = max(1, size // members)
    start = time.perf_counter()
    write(compile_folder(rules), folder, size, units)
    row: dict[str, Any] = {"size": size, "units": units, "generate_s": time.perf_counter() - start}
    baselines = size <= naive_cap
    if size <= e2e_cap:
        row["e2e"] = run_child(["--child", "e2e", str(folder), str(rules)])
    stages = run_child(["--child", "stages", str(folder), str(rules), str(int(baselines)),
                        str(int(size <= e2e_cap))])
    row.update(stages=stages, baselines=baselines)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(folder.parent / f"{folder.name}-out", ignore_errors=True)
    return row


def rates(row: dict[str, Any]) -> dict[str, float]:
    """Records (individuals) per second for each measured stage and baseline."""
    n = row["size"]
    seconds = dict(row["stages"]["seconds"])
    if "e2e" in row:
        seconds["e2e"] = row["e2e"]["e2e"]
    return {k: n / v for k, v in seconds.items() if v > 0}


def ratios(r: dict[str, float]) -> dict[str, float]:
    out = {}
    if "plain" in r:
        out["ours/plain"] = r["engine"] / r["plain"]
    if "naive" in r:
        out["ours/naive"] = r["engine"] / r["naive"]
    out["ours/floor"] = r["evaluate"] / r["floor"]
    return out


def fmt_rate(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def table(rows: list[dict[str, Any]]) -> str:
    cols = ["e2e", *STAGES, "plain", "naive", "floor"]
    head = ["size", "units", *cols, "e2e RSS MB", "stages RSS MB", "ours/plain", "ours/naive",
            "ours/floor", "µs/rec e2e"]
    lines = [head]
    for row in rows:
        r = rates(row)
        q = ratios(r)
        e2e = row.get("e2e", {})
        lines.append([
            f"{row['size']:,}", f"{row['units']:,}", *(fmt_rate(r.get(c)) for c in cols),
            f"{e2e['rss_mb']:,.0f}" if e2e else "—", f"{row['stages']['rss_mb']:,.0f}",
            *(f"{q[k]:.2f}×" if k in q else "—" for k in ("ours/plain", "ours/naive",
                                                         "ours/floor")),
            f"{1e6 / r['e2e']:.1f}" if "e2e" in r else "—",
        ])
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(str(c).rjust(w) for c, w in zip(line, widths, strict=True))
                     for line in lines)


def regressions(now: list[dict[str, Any]], before: dict[str, Any] | None) -> list[str]:
    """Every (size, stage) whose rate fell more than 20% below the previous run's."""
    if not before:
        return []
    old = {row["size"]: rates(row) for row in before.get("rows", [])}
    flagged = []
    for row in now:
        prev = old.get(row["size"])
        if prev is None:
            continue
        for stage, rate in rates(row).items():
            if row["size"] / rate < NOISE_SECONDS:
                continue  # too short to time reliably on a shared machine
            if stage in prev and rate < prev[stage] * (1 - REGRESSION):
                flagged.append(f"{row['size']:,} {stage}: {rate:,.0f}/s, was "
                               f"{prev[stage]:,.0f}/s ({rate / prev[stage] - 1:+.0%})")
    return flagged


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "cpu": cpu,
            "platform": platform.platform()}


def newest_rules() -> Path:
    return max((p for p in (ROOT / "rules").iterdir() if p.name.isdigit()),
               key=lambda p: int(p.name)).relative_to(ROOT)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--rules", type=Path, default=None)
    ap.add_argument("--members", type=int, default=20, help="individuals per unit")
    ap.add_argument("--naive-cap", type=int, default=100_000)
    ap.add_argument("--e2e-cap", type=int, default=200_000,
                    help="largest size scored end to end (the JSON output is written whole)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, folder, rules, *rest = args.child
        result = (child_e2e(Path(folder), Path(rules)) if kind == "e2e"
                  else child_stages(Path(folder), Path(rules), rest[0] == "1", rest[1] == "1"))
        print(json.dumps(result))
        return 0
    rules = args.rules or newest_rules()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scoring-bench-") as tmp:
        for size in sizes:
            print(f"size {size:,}: generating and measuring...", file=sys.stderr, flush=True)
            rows.append(measure(size, rules, args.members, args.naive_cap, args.e2e_cap,
                                Path(tmp)))
    print(f"rules {rules}; records/s (individuals; units = individuals / {args.members}); "
          f"ratios are ours ÷ baseline in records/s (engine time for plain and naive, the "
          f"evaluate stage for the floor)")
    print(table(rows))
    capped = [r["size"] for r in rows if not r["baselines"]]
    if capped:
        print(f"plain and naive durable_rules not run above {args.naive_cap:,} records "
              f"(sizes {', '.join(f'{s:,}' for s in capped)}): they take minutes there")
    skipped_e2e = [r["size"] for r in rows if "e2e" not in r]
    if skipped_e2e:
        print(f"end to end not run above {args.e2e_cap:,} records: the JSON output holds the "
              "full ledger (about 10 KB per person) and is rendered in memory")
    print("floor skips: " + "; ".join(rows[-1]["stages"]["floor_skipped"]))
    args.out.mkdir(parents=True, exist_ok=True)
    latest, previous = args.out / "latest.json", args.out / "previous.json"
    before = json.loads(latest.read_text()) if latest.exists() else None
    flagged = regressions(rows, before)
    for f in flagged:
        print(f"REGRESSION >20%: {f}")
    if before is not None:
        shutil.copyfile(latest, previous)
    doc = {"machine": machine(), "rules": str(rules), "members": args.members,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows,
           "regressions": flagged}
    latest.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {latest.relative_to(ROOT) if latest.is_relative_to(ROOT) else latest}")
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
