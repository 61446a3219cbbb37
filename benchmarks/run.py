"""Benchmark of `scoring score`: end to end, streamed, each stage, and three baselines.

    python benchmarks/run.py [--sizes 1000,10000,100000,1000000] [--rules rules/2026]
    python benchmarks/run.py --sizes 2000000 --only-stream   # too large for the in-memory path

For each size, records are generated for the rule set (`benchmarks/data.py`: one unit per
`--members` individuals) into a temporary CSV folder, and measured in child processes, one at a
time, so each reports its own peak RSS (`resource.getrusage`):

- **e2e**: what `scoring score FOLDER --rules RULES -o FILE.json` does, in process: `app.run`,
  manifest (the command's options and `SOURCE_DATE_EPOCH=0`), `render("json")`, atomic write.
  Capped at `--e2e-cap` records (default 200,000): it holds the whole result in memory.
- **stream**: the real command, `scoring score FOLDER --rules RULES -o OUT/results.json
  --stream -q`, run as a subprocess on all cores (it forks its workers), timed wall-clock from
  start to exit (so it includes the interpreter's start and imports, about a second, measured
  apart as `startup`). Its memory is the peak of the *sum* of the proportional set sizes (PSS)
  of the command and all its descendants, sampled from /proc every 50 ms (`tree_rss_kb`): a
  page a forked worker still shares with the parent counts once. Without /proc it
  falls back to `getrusage(RUSAGE_CHILDREN)`, the largest single process, and says so.
  **stream1** is the same with `--workers 1` (up to `--stream1-cap`, default 200,000), so the
  table shows what the other cores bring. Run at every size: above `--e2e-cap` it is the only
  end-to-end measurement. Where e2e ran too, both outputs must be byte-identical: the row
  records `same_bytes`, a difference is printed loudly and the run exits 1.
- **stages** (same files, another child): read, validate, evaluate (ratings, criteria,
  adjustments, gates, aggregates: everything that builds the ledger; the time inside the rule
  engine is shown apart as `engine`), titles (prerequisites, quotas, ranks, results), render.
  Stages are timed by wrapping the library's functions, not by changing them.
- **plain**: the same scorer with the per-record plain evaluator (`ReferenceEvaluator`), and
  **naive**: durable_rules with one fact per record per group (`Engine(share_signatures=False)`);
  both timed on the rule evaluation (all groups), against ours on the same run. Capped at
  `--naive-cap` records (default 100,000): above that they take minutes.
- **floor**: a pandas/numpy vectorised score without a ledger (`benchmarks/floor.py`).

Before the sizes, **start-up** is timed (best of three): the bare interpreter
(`python -c pass`), `scoring --help`, `scoring check RULES` and the 2026 sample scored end to
end (`scoring score fixtures/quang-ngai-2026 -o results.json`): what a council tuning its rules
waits for. After them, issue #20's **targets** are checked from this run's rows (100,000 end to
end within 5× the floor's read-and-score time, 2,000,000 streamed in 60 s and 2 GiB, time per
person flat within 1.1× from 10,000 up, the engine at least 3× the plain evaluator): a target
this run did not measure says "not measured", never "met". **Each figure is printed beside the
previous run's** (seconds and MB, with now ÷ previous), and both tables go to `latest.md`.
The floor's read-and-score time excludes compiling the rules (done once before it is timed).

`--only-stream` measures stream (and stream1, under its cap) alone: for 2,000,000 people the
in-memory path would need about 25 GB. Its rows show — for everything else.

Rates are records per second, records being individuals (units come with them). Ratios are
ours ÷ baseline in records/s (above 1: ours is faster); `stream/e2e` compares the two ways of
running the command, and `N cores` is stream ÷ stream1. Results go to
`benchmarks/results/latest.json` (the one before is kept as `previous.json`) and, as Markdown
tables for the README (with the machine they ran on), to `latest.md` (printed too with
`--markdown`); every rate more than 20% below the previous run's for the same size and stage
(stream included) is flagged as a regression (stages under a quarter of a second are too noisy
to compare and are left out), and the run exits 1.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
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
PROC = Path("/proc")
SAMPLE_SECONDS = 0.05  # how often the stream command's process tree is read


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


# ------------------------------------------------------------------ process tree memory


def _proc_kb(pid: int, name: str, key: str) -> int | None:
    """The value in KiB of the line `key` of /proc/PID/NAME; None when it cannot be read."""
    try:
        for line in (PROC / str(pid) / name).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def vm_rss_kb(pid: int) -> int:
    """One process's resident memory in KiB; 0 once it has ended (a zombie has no VmRSS)."""
    return _proc_kb(pid, "status", "VmRSS:") or 0


def pss_kb(pid: int) -> int:
    """One process's proportional set size in KiB: its resident pages, each page shared with
    n processes counted 1/n (smaps_rollup, Linux 4.14+; VmRSS where it cannot be read)."""
    found = _proc_kb(pid, "smaps_rollup", "Pss:")
    return vm_rss_kb(pid) if found is None else found


def tree_rss_kb(root: int) -> int:
    """Memory held by `root` and every process descending from it, in KiB (Linux /proc): the
    sum of their proportional set sizes (`pss_kb`).

    The streamed command forks its workers, so what it costs the machine is the whole tree's
    memory, not the largest process's (all `getrusage` can tell). A forked worker shares the
    parent's pages until either writes them: summing VmRSS would count those twice (at
    2,000,000 people it reported 2,074 MB), PSS counts each page once. Parents are read from
    each process's `stat`, which needs no kernel option (`task/*/children` does); a process
    that ends while being read counts 0."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in (...) may hold spaces
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        total += pss_kb(pid)
    return total


def children_max_rss_mb() -> float:
    """The fallback without /proc: the largest single finished descendant (not a sum)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale


def run_measured(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd` to its end: wall-clock seconds and the peak memory of its process tree.

    Sampling runs on a thread so the main thread waits on the process itself: the time stops
    at its exit, not at the next sample. Output goes to a file, not a pipe, so a long stream
    of warnings can never block the command."""
    peak, done = [0], threading.Event()
    sampling = PROC.is_dir()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL,
                                stderr=err)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        if sampling:
            sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        done.set()
        if sampling:
            sampler.join()
        if code != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode("utf-8", "replace"))
            raise SystemExit(f"{' '.join(cmd)} failed (exit {code})")
    if sampling:
        return {"seconds": seconds, "rss_mb": peak[0] / 1024, "rss_how": "process tree (PSS)"}
    return {"seconds": seconds, "rss_mb": children_max_rss_mb(),
            "rss_how": "largest process (getrusage RUSAGE_CHILDREN: no /proc)"}


# ------------------------------------------------------------------------------- children


def child_env() -> dict[str, str]:
    """The children's environment: a fixed manifest time, so e2e and stream outputs compare."""
    return {**os.environ, "SOURCE_DATE_EPOCH": "0"}


def scoring_command() -> list[str]:
    """The installed `scoring` script beside this interpreter: the command people run. Without
    it, the same entry point through `-c` (the package has no `__main__`)."""
    script = Path(sys.executable).with_name("scoring")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from scoring.cli import main; main()"]


def cli_options(rules: Path) -> dict[str, object]:
    """The manifest options `scoring score FOLDER --rules RULES -o FILE.json` records."""
    return {"format": "json", "rules": str(rules), "allow_incomplete": False}


def child_e2e(folder: Path, rules: Path) -> dict[str, Any]:
    """`scoring score FOLDER --rules RULES -o OUT/results.json`, through the library path, with
    the command's manifest (options, `created_now()`), so its bytes match the streamed run's."""
    from scoring.outputs.atomic import write_atomic_many
    from scoring.outputs.manifest import (
        MANIFEST,
        build_manifest,
        created_now,
        file_manifest,
        manifest_bytes,
    )
    from scoring.outputs.render import render
    from scoring.run.app import compile_folder, run

    out = folder.parent / f"{folder.name}-out" / "results.json"
    out.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    compile_folder(rules)  # what `run` does first; timed apart as a fixed cost (`_per_person_us`)
    compiled = time.perf_counter()
    r = run([folder], rules)
    manifest = build_manifest(r.result, str(r.rules_folder), r.inputs.files,
                              cli_options(rules), created_now())
    data = render("json", r.result, manifest, r.compiled)
    described = file_manifest(manifest, {out.name: data}, False)
    write_atomic_many({out: data, out.parent / MANIFEST: manifest_bytes(described)}, True)
    seconds = time.perf_counter() - start
    return {"e2e": seconds, "compile": compiled - start, "rss_mb": peak_rss_mb(),
            "json_bytes": len(data),
            "individuals": len(r.result.individuals), "units": len(r.result.units)}


def child_stages(folder: Path, rules: Path, baselines: bool, render: bool) -> dict[str, Any]:
    """Each stage alone, our evaluation against the baselines', and the floor."""
    import floor

    from scoring.evaluation import scorer
    from scoring.evaluation.engine import Engine
    from scoring.evaluation.reference import ReferenceEvaluator
    from scoring.outputs.jsonout import render_json
    from scoring.run import app

    t: dict[str, float] = {}
    wrap(app, "read_inputs", t, "read")
    wrap(app, "build_batch", t, "validate")
    for name in ("_rate", "_score_kind", "aggregate_members"):
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
        for name, evaluator in (("plain", ReferenceEvaluator()),
                                ("naive", Engine(share_signatures=False))):
            spent: dict[str, float] = {}
            scorer.score(batch.individuals, batch.units, compiled,
                         TimedEvaluator(evaluator, spent, "engine"))
            out["seconds"][name] = spent["engine"]
    compiled = app.compile_folder(rules)  # not the floor's time: the rule files, read once
    start = time.perf_counter()
    frames = floor.read(folder, compiled)
    read_done = time.perf_counter()
    result = floor.score(compiled, frames)
    out["seconds"]["floor_read"] = read_done - start
    out["seconds"]["floor"] = time.perf_counter() - read_done
    out["floor_skipped"] = [*floor.SKIPPED, *result["skipped"]]
    return out


def child_stream(folder: Path, rules: Path, out: Path, workers: int) -> dict[str, Any]:
    """The real `scoring score FOLDER --rules RULES -o OUT --stream -q [--workers N]`.

    Run from a child of its own, so the fallback without /proc (`RUSAGE_CHILDREN`) sees this
    command's processes and nothing else the benchmark ran."""
    from scoring.streaming.stream import default_workers

    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [*scoring_command(), "score", str(folder), "--rules", str(rules), "-o", str(out),
           "--stream", "-q"]
    if workers:
        cmd += ["--workers", str(workers)]
    result = run_measured(cmd)
    result.update(workers=workers or default_workers(), json_bytes=out.stat().st_size)
    return result


def run_child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          cwd=ROOT, env=child_env())
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child {' '.join(args)} failed")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------- report

STAGES = ("read", "validate", "evaluate", "engine", "titles", "render")
STREAMS = (("stream", 0), ("stream1", 1))  # (name, --workers; 0: the command's default)
RATES = ("e2e", "stream", "stream1", *STAGES, "plain", "naive", "floor")
RATIOS = ("ours/plain", "ours/naive", "ours/floor", "stream/e2e", "cores")


def same_file(a: Path, b: Path) -> bool:
    """Byte for byte, read in chunks (an output is about 10 KB per person: never held whole)."""
    return filecmp.cmp(a, b, shallow=False)


def measure(size: int, rules: Path, members: int, args: argparse.Namespace,
            work: Path) -> dict[str, Any]:
    from data import write

    from scoring.run.app import compile_folder

    folder = work / f"n{size}"
    units = max(1, size // members)
    start = time.perf_counter()
    write(compile_folder(rules), folder, size, units)
    row: dict[str, Any] = {"size": size, "units": units, "generate_s": time.perf_counter() - start}
    e2e_out = folder.parent / f"{folder.name}-out" / "results.json"
    if not args.only_stream and size <= args.stages_cap:
        baselines = size <= args.naive_cap
        if size <= args.e2e_cap:
            row["e2e"] = run_child(["--child", "e2e", str(folder), str(rules)])
        stages = run_child(["--child", "stages", str(folder), str(rules), str(int(baselines)),
                            str(int(size <= args.e2e_cap))])
        row.update(stages=stages, baselines=baselines)
    for name, workers in STREAMS:
        if workers == 1 and size > args.stream1_cap:
            continue
        out = work / f"{folder.name}-{name}" / "results.json"
        row[name] = run_child(["--child", "stream", str(folder), str(rules), str(out),
                               str(workers)])
        if "e2e" in row:
            row[name]["same_bytes"] = same_file(e2e_out, out)
            if not row[name]["same_bytes"]:
                print(f"!!! {size:,} {name}: the streamed results.json DIFFERS from the "
                      "in-memory one", file=sys.stderr, flush=True)
        shutil.rmtree(out.parent, ignore_errors=True)  # before the next: outputs are large
    if "e2e" in row:
        row["same_bytes"] = all(row[name]["same_bytes"] for name, _ in STREAMS if name in row)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(e2e_out.parent, ignore_errors=True)
    return row


def rates(row: dict[str, Any]) -> dict[str, float]:
    """Records (individuals) per second for each measured stage, stream and baseline."""
    n = row["size"]
    seconds = dict(row.get("stages", {}).get("seconds", {}))
    if "e2e" in row:
        seconds["e2e"] = row["e2e"]["e2e"]
    for name, _ in STREAMS:
        if name in row:
            seconds[name] = row[name]["seconds"]
    return {k: n / v for k, v in seconds.items() if v > 0}


def ratios(r: dict[str, float]) -> dict[str, float]:
    """Ours ÷ each baseline, stream ÷ e2e, and stream ÷ stream1 (`cores`), where both ran."""
    pairs = {"ours/plain": ("engine", "plain"), "ours/naive": ("engine", "naive"),
             "ours/floor": ("evaluate", "floor"), "stream/e2e": ("stream", "e2e"),
             "cores": ("stream", "stream1")}
    return {k: r[a] / r[b] for k, (a, b) in pairs.items() if a in r and b in r}


def values(row: dict[str, Any]) -> dict[str, float | None]:
    """Every number the tables show for one row, by column (None: not measured)."""
    r, q = rates(row), ratios(rates(row))
    e2e, stream, stages = row.get("e2e", {}), row.get("stream", {}), row.get("stages", {})
    return {"size": row["size"], "units": row["units"], "e2e s": e2e.get("e2e"),
            "stream s": stream.get("seconds"), **{k: r.get(k) for k in RATES},
            "e2e RSS MB": e2e.get("rss_mb"), "stream RSS MB": stream.get("rss_mb"),
            "stages RSS MB": stages.get("rss_mb"), **{k: q.get(k) for k in RATIOS},
            "µs/rec e2e": 1e6 / r["e2e"] if "e2e" in r else None,
            "µs/rec stream": 1e6 / r["stream"] if "stream" in r else None}


def cell(column: str, v: float | None, compact: bool = False) -> str:
    """One value as shown; `compact` (Markdown) writes rates as 12.3k / 1.25M."""
    if v is None:
        return "—"
    if column in ("size", "units"):
        return f"{v:,.0f}"
    if column in RATIOS:
        return f"{v:.2f}×"
    if column.endswith(" s"):
        return f"{v:,.2f}" if v < 10 else f"{v:,.1f}"
    if column.startswith("µs/"):
        return f"{v:,.0f}" if compact and v >= 100 else f"{v:,.1f}"
    if compact and column in RATES:
        if v >= 1e6:
            return f"{v / 1e6:.2f}M"
        if v >= 1e3:
            return f"{v / 1e3:.0f}k" if v >= 1e4 else f"{v / 1e3:.1f}k"
    return f"{v:,.0f}"


def cores_label(rows: list[dict[str, Any]]) -> str:
    """`N cores` for the stream ÷ stream1 column: the workers the streamed run used."""
    return f"{next((r['stream']['workers'] for r in rows if 'stream' in r), 1)} cores"


TEXT_COLUMNS = ("size", "units", *RATES, "e2e RSS MB", "stream RSS MB", "stages RSS MB",
                *RATIOS, "µs/rec e2e", "µs/rec stream")


def table(rows: list[dict[str, Any]]) -> str:
    head = [cores_label(rows) if c == "cores" else c for c in TEXT_COLUMNS]
    lines = [head]
    for row in rows:
        v = values(row)
        lines.append([cell(c, v[c]) for c in TEXT_COLUMNS])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True))
                     for line in lines)


def pipe_table(columns: tuple[str, ...], rows: list[dict[str, Any]], label: str) -> str:
    """A Markdown pipe table, numbers right-aligned."""
    head = [label if c == "cores" else c for c in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for row in rows:
        v = values(row)
        lines.append("| " + " | ".join(cell(c, v[c], compact=True) for c in columns) + " |")
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]], doc: dict[str, Any]) -> str:
    """The table for the README, in two parts that each fit a page: rates, then memory and
    ratios; headed by the machine, since every number depends on it."""
    m, label = doc["machine"], cores_label(rows)
    ram = f"{m['ram_gb']:.0f} GB RAM" if m.get("ram_gb") else "RAM unknown"
    startup = doc.get("startup_s")
    return "\n".join([
        f"**{m['nproc']} cores** ({m['cpu'] or 'CPU unknown'}), {ram}, Python {m['python']}; "
        f"rules `{doc['rules']}`, {doc['members']} people per unit; {doc['created'][:10]}.",
        "",
        "People scored per second (k: thousands). **e2e**: `scoring score -o results.json`, in "
        "memory; **stream**: `--stream` on all cores, **stream1**: `--workers 1` (both timed "
        "as the whole command"
        + (f", including about {startup:.1f} s of start-up" if startup else "") + "); "
        "**read** … **render**: the in-memory stages (**engine**: the rule engine's share of "
        "evaluate); **plain**, **naive**, **floor**: baselines.",
        "",
        pipe_table(("size", "units", "e2e s", "stream s", *RATES), rows, label),
        "",
        "Peak memory in MB (e2e: RSS; stream: PSS summed over its processes). Ratios in "
        "people/s: ours ÷ baseline (the rule engine for plain and naive, evaluate for the "
        "floor), stream ÷ "
        f"e2e, and {label} = stream ÷ stream1. µs per person, end to end.",
        "",
        pipe_table(("size", "e2e RSS MB", "stream RSS MB", *RATIOS, "µs/rec e2e",
                    "µs/rec stream"), rows, label),
    ]) + "\n"


# --------------------------------------------------------------------------------- targets

FLOOR_FACTOR = 5  # e2e within 5x the floor's read-and-score time (issue #20)
STREAM_TARGET = (2_000_000, 60.0, 2048.0)  # people, seconds, MiB over the process tree
FLAT = 1.1  # time per person from 10,000 up grows at most this much
ENGINE_FACTOR = 3.0  # the rule engine's share at least 3x the plain per-record evaluator


def _floor_rs(row: dict[str, Any]) -> float | None:
    s = row.get("stages", {}).get("seconds", {})
    if "floor_read" not in s or "floor" not in s:
        return None
    total: float = s["floor_read"] + s["floor"]
    return total


def _per_person_us(row: dict[str, Any], startup: float) -> float | None:
    """µs per person end to end: the in-process e2e less compiling the rules where it ran,
    else the streamed command less the start-up that `scoring --help` costs. Both are fixed
    costs, not per-person ones: at 10,000 people compiling alone was a tenth of the run, and
    the flatness asked for is that a person costs the same in a larger batch."""
    size: int = row["size"]
    if "e2e" in row:
        e2e: float = row["e2e"]["e2e"] - row["e2e"].get("compile", 0.0)
        return 1e6 * e2e / size
    if "stream" in row:
        streamed: float = row["stream"]["seconds"]
        return 1e6 * max(streamed - startup, 0.0) / size
    return None


def targets(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Issue #20's targets, each as (target, measured, verdict) from this run's rows: a target
    this run did not measure says so rather than passing."""
    rows, out = doc["rows"], []
    by_size = {r["size"]: r for r in rows}
    r100 = by_size.get(100_000)
    if r100 and "e2e" in r100 and _floor_rs(r100):
        e2e, rs = r100["e2e"]["e2e"], _floor_rs(r100)
        assert rs is not None
        out.append((f"100,000 people + 5,000 units end to end ≤ {FLOOR_FACTOR}× the floor's "
                    "read-and-score", f"{e2e:.1f} s = {e2e / rs:.1f}× the floor's {rs:.2f} s",
                    "met" if e2e <= FLOOR_FACTOR * rs else "not met"))
    else:
        out.append((f"100,000 end to end ≤ {FLOOR_FACTOR}× the floor", "not measured", "—"))
    n, limit_s, limit_mb = STREAM_TARGET
    big = by_size.get(n, {}).get("stream")
    if big:
        ok = big["seconds"] <= limit_s and big["rss_mb"] <= limit_mb
        out.append((f"{n:,} people streamed ≤ {limit_s:.0f} s and ≤ 2 GiB",
                    f"{big['seconds']:.1f} s, {big['rss_mb']:,.0f} MB",
                    "met" if ok else "not met"))
    else:
        out.append((f"{n:,} people streamed ≤ {limit_s:.0f} s and ≤ 2 GiB", "not measured",
                    "—"))
    per: dict[int, float] = {}
    for r in rows:
        us = _per_person_us(r, doc.get("startup_s") or 0.0) if r["size"] >= 10_000 else None
        if us:
            per[r["size"]] = us
    if len(per) >= 2:
        lo, hi = min(per.values()), max(per.values())
        shown = ", ".join(f"{k:,}: {v:,.0f}" for k, v in sorted(per.items()))
        out.append((f"time per person flat (≤ {FLAT}×) from 10,000 up, fixed costs apart",
                    f"{hi / lo:.2f}× (µs per person: {shown})",
                    "met" if hi / lo <= FLAT else "not met"))
    else:
        out.append((f"time per person flat (≤ {FLAT}×)", "needs two sizes ≥ 10,000", "—"))
    engine = [(r["size"], ratios(rates(r))["ours/plain"]) for r in rows
              if "ours/plain" in ratios(rates(r))]
    if engine:
        k, v = engine[-1]
        out.append((f"rule engine ≥ {ENGINE_FACTOR:.0f}× the plain evaluator", f"{v:.2f}× at {k:,}",
                    "met" if v >= ENGINE_FACTOR else "not met"))
    st = doc.get("startup") or {}
    if st:
        out.append(("start-up: the 2026 sample end to end, beside the bare interpreter",
                    f"sample {st['sample']:.2f} s, check {st['check']:.2f} s, --help "
                    f"{st['help']:.2f} s; python {st['python']:.3f} s", "reported"))
    return out


def targets_text(doc: dict[str, Any]) -> str:
    rows = targets(doc)
    width = max(len(t) for t, _, _ in rows)
    return "targets (issue #20):\n" + "\n".join(f"  {t.ljust(width)}  {v:<8}  {m}"
                                               for t, m, v in rows)


def targets_markdown(doc: dict[str, Any]) -> str:
    lines = ["Targets (issue #20), from this run:", "", "| target | measured | |",
             "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in targets(doc)]
    return "\n".join(lines) + "\n"


def _figures(doc: dict[str, Any]) -> dict[str, float]:
    """The figures compared run to run, by name: seconds and MB per size, and start-up."""
    out: dict[str, float] = {}
    for row in doc.get("rows", []):
        v = values(row)
        for column in ("e2e s", "stream s", "e2e RSS MB", "stream RSS MB"):
            if v.get(column) is not None:
                out[f"{row['size']:,} {column}"] = float(v[column])  # type: ignore[arg-type]
        for stage, seconds in row.get("stages", {}).get("seconds", {}).items():
            out[f"{row['size']:,} {stage} s"] = seconds
    for name, seconds in (doc.get("startup") or {}).items():
        out[f"start-up {name} s"] = seconds
    return out


def previous_rows(doc: dict[str, Any], before: dict[str, Any] | None
                  ) -> list[tuple[str, float, float | None]]:
    old = _figures(before) if before else {}
    return [(k, v, old.get(k)) for k, v in _figures(doc).items()]


def _ratio(now: float, was: float | None) -> str:
    return f"{now / was:.2f}×" if was else "—"


def _num(v: float | None) -> str:
    return "—" if v is None else (f"{v:,.3f}" if v < 1 else f"{v:,.2f}" if v < 100 else f"{v:,.0f}")


def previous_text(doc: dict[str, Any], before: dict[str, Any] | None) -> str:
    when = (before or {}).get("created", "none")[:10]
    rows = previous_rows(doc, before)
    width = max((len(k) for k, _, _ in rows), default=10)
    return (f"each figure beside the previous run's ({when}; now ÷ previous):\n"
            + "\n".join(f"  {k.ljust(width)}  {_num(v):>10}  {_num(w):>10}  {_ratio(v, w)}"
                        for k, v, w in rows))


def previous_markdown(doc: dict[str, Any], before: dict[str, Any] | None) -> str:
    when = (before or {}).get("created", "none")[:10]
    lines = [f"Each figure beside the previous run's ({when}); seconds and MB, lower is better:",
             "", "| figure | now | previous | now ÷ previous |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {_num(v)} | {_num(w)} | {_ratio(v, w)} |"
              for k, v, w in previous_rows(doc, before)]
    return "\n".join(lines) + "\n"


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
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024  # KiB
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "cpu": cpu,
            "ram_gb": ram_gb, "platform": platform.platform()}


def wall_seconds(cmd: list[str], repeat: int = 3) -> float:
    """The best of `repeat` wall-clock runs of a short command (the least disturbed by whatever
    else the machine does); a failing command stops the benchmark."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=child_env(), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


SAMPLE = Path("fixtures") / "quang-ngai-2026"


def startup_seconds(rules: Path) -> dict[str, float]:
    """What a council tuning its rules waits for, beside the bare interpreter's start:
    `scoring --help` (imports), `scoring check RULES`, and the 2026 sample scored end to end
    (`scoring score fixtures/quang-ngai-2026 -o results.json`, 632 people and 25 units).
    The streamed command's time includes the first; the in-process e2e's does not."""
    with tempfile.TemporaryDirectory(prefix="scoring-bench-start-") as tmp:
        out = Path(tmp) / "results.json"
        return {
            "python": wall_seconds([sys.executable, "-c", "pass"]),
            "help": wall_seconds([*scoring_command(), "--help"]),
            "check": wall_seconds([*scoring_command(), "check", str(rules)]),
            "sample": wall_seconds([*scoring_command(), "score", str(SAMPLE), "-o", str(out),
                                    "-q", "--force"]),
        }


def part_people() -> int | None:
    """People per streamed part (`streaming.stream.PART_PEOPLE`), to explain the cores
    column; None if the library no longer says."""
    import scoring.streaming.stream

    value = getattr(scoring.streaming.stream, "PART_PEOPLE", None)
    return value if isinstance(value, int) else None


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
    ap.add_argument("--stream1-cap", type=int, default=200_000,
                    help="largest size streamed with --workers 1 too")
    ap.add_argument("--stages-cap", type=int, default=1_000_000,
                    help="largest size measured in memory (stages): about 12 KB per person, so "
                         "2,000,000 would need some 25 GB; above it only --stream runs")
    ap.add_argument("--only-stream", action="store_true",
                    help="measure the streamed command only (no e2e, stages or baselines)")
    ap.add_argument("--markdown", action="store_true",
                    help="print the Markdown tables written to latest.md")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, folder, rules, *rest = args.child
        if kind == "e2e":
            result = child_e2e(Path(folder), Path(rules))
        elif kind == "stream":
            result = child_stream(Path(folder), Path(rules), Path(rest[0]), int(rest[1]))
        else:
            result = child_stages(Path(folder), Path(rules), rest[0] == "1", rest[1] == "1")
        print(json.dumps(result))
        return 0
    rules = args.rules or newest_rules()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    rows = []
    starts = startup_seconds(rules)
    startup = starts["help"]
    with tempfile.TemporaryDirectory(prefix="scoring-bench-") as tmp:
        for size in sizes:
            print(f"size {size:,}: generating and measuring...", file=sys.stderr, flush=True)
            rows.append(measure(size, rules, args.members, args, Path(tmp)))
    print(f"rules {rules}; records/s (individuals; units = individuals / {args.members}); "
          f"ratios are ours ÷ baseline in records/s (engine time for plain and naive, the "
          f"evaluate stage for the floor); stream/e2e in records/s; {cores_label(rows)} = "
          "stream ÷ stream1")
    print(table(rows))
    capped = [r["size"] for r in rows if "stages" in r and not r["baselines"]]
    if capped:
        print(f"plain and naive durable_rules not run above {args.naive_cap:,} records "
              f"(sizes {', '.join(f'{s:,}' for s in capped)}): they take minutes there")
    skipped_e2e = [r["size"] for r in rows if "e2e" not in r and not args.only_stream]
    if skipped_e2e:
        print(f"end to end not run above {args.e2e_cap:,} records: the JSON output holds the "
              "full ledger (about 10 KB per person) and is rendered in memory")
    if args.only_stream:
        print("--only-stream: e2e, stages and baselines not run")
    how = {r["stream"]["rss_how"] for r in rows if "stream" in r}
    print(f"stream timed as the whole command ({startup:.2f} s of it is start-up: "
          f"`scoring --help`); stream RSS: {', '.join(sorted(how))}"
          + (f"; stream1 not run above {args.stream1_cap:,}"
             if any(r["size"] > args.stream1_cap for r in rows) else ""))
    part = part_people()
    if part and any(r["size"] <= part for r in rows):
        print(f"stream scores parts of {part:,} people: up to that size there is one part, "
              f"so one worker, and {cores_label(rows)} is about 1× by construction")
    staged = [r for r in rows if "stages" in r]
    if staged:
        print("floor skips: " + "; ".join(staged[-1]["stages"]["floor_skipped"]))
    differ = [f"{r['size']:,} {name}" for r in rows for name, _ in STREAMS
              if r.get(name, {}).get("same_bytes") is False]
    for d in differ:
        print(f"!!! STREAMED OUTPUT DIFFERS FROM THE IN-MEMORY ONE: {d} (results.json bytes)")
    if any("same_bytes" in r for r in rows) and not differ:
        print("streamed results.json byte-identical to the in-memory one at every size "
              "where both ran")
    args.out.mkdir(parents=True, exist_ok=True)
    latest, previous = args.out / "latest.json", args.out / "previous.json"
    before = json.loads(latest.read_text()) if latest.exists() else None
    flagged = regressions(rows, before)
    for f in flagged:
        print(f"REGRESSION >20%: {f}")
    if before is not None:
        shutil.copyfile(latest, previous)
    doc = {"machine": machine(), "rules": str(rules), "members": args.members,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "startup_s": startup,
           "startup": starts,
           "stream_command": [*scoring_command(), "score", "FOLDER", "--rules", str(rules),
                              "-o", "OUT/results.json", "--stream", "-q"],
           "rows": rows, "regressions": flagged, "differ": differ}
    latest.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print()
    print(targets_text(doc))
    print()
    print(previous_text(doc, before))
    md = markdown(rows, doc) + "\n" + targets_markdown(doc) + "\n" + previous_markdown(doc, before)
    (args.out / "latest.md").write_text(md, encoding="utf-8")
    if args.markdown:
        print()
        print(md, end="")
    shown = latest.relative_to(ROOT) if latest.is_relative_to(ROOT) else latest
    print(f"wrote {shown} and latest.md")
    return 1 if flagged or differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
