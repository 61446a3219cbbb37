"""Scoring a batch too large to hold in memory, a few units at a time, on every core.

`scoring score --stream` gives the bytes `scoring score` gives (JSON output and manifest),
with memory bounded by the size of a part rather than of the batch. Why that is exact: every
step over people in the shipped rule sets (the rating quota, the title quotas, the ranking)
counts inside one unit, and a unit reads its people only through its aggregates. So people
are scored a part at a time, each part holding whole units with every one of their members
(`scorer.score_members`), and only what units need (aggregates, rewards, counts) comes back;
units, few and small, are rated first and scored last, whole, as in the one-batch path. A
rule set with a step over people wider than a unit is refused (`members_stay_in_unit`).

The passes, with what each holds:
1. read: one input file at a time; record tables go to a spill folder as they were read
   (the data's year must be known before any table is validated: it chooses the rules);
2. validate: tables in input order, a slice of rows at a time; each person goes to the
   spill file of their unit's part. Held: the units, and each person's id (for duplicates);
3. score: the parts, on `workers` processes (fork); each writes its people's JSON, in id
   order, to its own file and returns its units' aggregates;
4. write: units scored, then the document: its head, people merged from the parts' files in
   id order (the order of the one-batch output), units; staged and renamed atomically with
   the manifest, which states the output's digest as usual.
Problems are collected as in the one-batch path; those found while scoring are listed part by
part (so their order may differ from the one-batch run when they span parts).
"""

from __future__ import annotations

import hashlib
import heapq
import multiprocessing
import os
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from scoring import expr
from scoring.app import rules_for
from scoring.atomic import write_atomic_many
from scoring.batch import decide_year, stated_years
from scoring.budget import Budget, reward_budget
from scoring.compile import Compiled
from scoring.errors import InputError, Problem, RuleError
from scoring.history import EMPTY, History, attach_records, load_history, past_fields, title_kinds
from scoring.io.readers import InputSet, read_parts
from scoring.manifest import MANIFEST, build_manifest, described_manifest, manifest_bytes
from scoring.progress import Progress
from scoring.records import (
    Origin,
    RawTable,
    Record,
    duplicate_id,
    duplicate_ids,
    unknown_unit,
    validate,
    validate_parts,
    without_members,
)
from scoring.render.jsonout import document_head, record_text, rewards_data
from scoring.result import AggregateValue, Result
from scoring.rounds import RoundData, parse_rounds
from scoring.ruleset import Kind
from scoring.scorer import (
    aggregate_members,
    finish,
    ind_results,
    judged_missing,
    members_stay_in_unit,
    rate_units,
    score_members,
    unit_subset,
    with_past,
)

PART_PEOPLE = 20_000  # people per part: about 250 MB while it is scored
ROWS_PER_SLICE = 20_000  # rows validated at a time
TEXTS_PER_DUMP = 64  # people's JSON per pickle in a part's output (the merge holds one each)


def default_workers() -> int:
    """The processes to score with: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Streamed:
    """What a streamed run wrote, for the command's last line."""

    individuals: int
    units: int
    warnings: tuple[str, ...]
    parts: int


@dataclass
class _Part:
    """What scoring one part gives back to the parent: everything units and the document's
    head need, and nothing per person but warnings."""

    people: int = 0
    aggregates: dict[str, tuple[list[AggregateValue], dict[str, expr.Value]]] = field(
        default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (person id, warning)
    titles: dict[str, int] = field(default_factory=dict)
    rewards: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # unit → title → sum
    judged: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Work:
    """The state the part workers read (inherited on fork, never sent)."""

    compiled: Compiled
    folder: Path
    uni: Any  # scorer._State of every unit, rated
    units_of: list[list[str]]  # part → its unit ids
    rounds: RoundData
    allow_incomplete: bool
    store: History
    year: int


_WORK: _Work | None = None


def run_stream(paths: list[Path], rules: Path | None, output: Path, options: dict[str, object],
               created: str, force: bool = False, seal: bool = False,
               allow_incomplete: bool = False, history: Path | None = None,
               workers: int = 0, progress: Progress | None = None,
               part_people: int = PART_PEOPLE) -> Streamed:
    """Score `paths` a part at a time and write the JSON output and its manifest to `output`
    (atomically, as `scoring score -o` does). `options` are the manifest's options."""
    workers = workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="scoring-stream-") as tmp:
        spill = Path(tmp)
        inputs = InputSet()
        tables, years = _read(paths, inputs, spill, progress)
        year = decide_year(years, inputs.year)
        folder, compiled, warnings = rules_for(year, rules)
        wider = members_stay_in_unit(compiled)
        if wider:
            raise RuleError.one(str(folder), "--stream scores a few units at a time, which is "
                                             "exact only when every step over people stays "
                                             f"inside a unit, but {'; '.join(wider)}: score "
                                             "without --stream")
        units, parts, found, ids = _validate(tables, compiled, spill, part_people, progress)
        warnings.extend(found)
        rounds = parse_rounds(inputs.rounds, compiled, {"individual": ids,  # type: ignore[dict-item]
                                                        "unit": {u.id for u in units}})
        del ids
        store = EMPTY if history is None else load_history(history,
                                                           title_kinds(compiled.ruleset))
        scored_year = year if year is not None else compiled.ruleset.year
        from scoring.engine import Engine

        engine = Engine()
        units_missing = judged_missing(compiled, rounds, True, units)
        units = with_past(units, past_fields(compiled, store, scored_year, [], units))
        uni = rate_units(units, compiled, engine, rounds, units_missing)
        work = _Work(compiled, folder, uni, parts, rounds, allow_incomplete, store, scored_year)
        results = _score_parts(work, spill, workers, progress)
        judged = [p for r in results for p in r.judged]
        if not allow_incomplete:
            try:
                judged_missing(compiled, rounds, False, units)
            except InputError as e:
                judged.extend(e.problems)
        if judged:
            raise InputError(judged)
        problems = [p for r in results for p in r.problems]
        if problems:
            raise InputError(problems)
        index = {u.id: i for i, u in enumerate(uni.records)}
        for r in results:
            for uid, (values, scope_values) in r.aggregates.items():
                uni.aggregates[index[uid]] = values
                uni.scopes[index[uid]].update(scope_values)
        head = finish(compiled, engine, (), (), uni)
        head = replace(head, units=attach_records(head.units, compiled, store, scored_year))
        people_warnings = heapq.merge(*(r.warnings for r in results), key=lambda w: w[0])
        warnings_all = (*warnings, *store.warnings, *(w for _, w in people_warnings),
                        *head.warnings)
        head = replace(head, warnings=warnings_all)
        counts = _counts(head, results)
        if history is not None:
            options = {**options, "history": {
                "folder": str(history),
                "files": [{"path": p, "sha256": h, "bytes": n} for p, h, n in store.files]}}
        manifest = build_manifest(head, str(folder), inputs.files, options, created, counts)
        people_rewards = [(unit, tuple(by_title.items())) for r in results
                          for unit, by_title in r.rewards.items()]
        budget = reward_budget(head, people_rewards) if head.base_salary is not None else None
        digest = hashlib.sha256()
        size = [0]

        def document() -> Iterator[bytes]:
            for piece in _document(head, manifest, budget, spill, len(parts)):
                digest.update(piece)
                size[0] += len(piece)
                yield piece

        def described() -> Iterable[bytes]:  # staged after the document: its digest is known
            return [manifest_bytes(described_manifest(
                manifest, [(output.name, digest.hexdigest(), size[0])], seal))]

        write_atomic_many({output: document, output.parent / MANIFEST: described}, force)
        return Streamed(counts["individuals"], counts["units"], warnings_all, len(parts))


# ------------------------------------------------------------------------------- pass 1


@dataclass(frozen=True)
class _Table:
    """A table read in pass 1: in memory (units, small) or spilled (people)."""

    kind: Kind
    rows: int
    table: RawTable | None = None
    path: Path | None = None

    def load(self) -> RawTable:
        if self.table is not None:
            return self.table
        assert self.path is not None
        with self.path.open("rb") as f:
            table: RawTable = pickle.load(f)
        return table


def _read(paths: list[Path], inputs: InputSet, spill: Path, progress: Progress | None
          ) -> tuple[list[_Table], dict[str, str]]:
    tables: list[_Table] = []
    years: dict[str, str] = {}
    for part, rounds in read_parts(paths, inputs, progress, whole=False):
        inputs.rounds.extend(rounds)
        for t in part:
            stated_years(t, years)
            if t.kind == "unit":
                tables.append(_Table("unit", len(t.rows), table=t))
                continue
            path = spill / f"table-{len(tables)}.pickle"
            with path.open("wb") as f:
                pickle.dump(t, f, protocol=pickle.HIGHEST_PROTOCOL)
            tables.append(_Table("individual", len(t.rows), path=path))
    return tables, years


# ------------------------------------------------------------------------------- pass 2


def _validate(tables: list[_Table], compiled: Compiled, spill: Path, part_people: int,
              progress: Progress | None = None
              ) -> tuple[list[Record], list[list[str]], list[str], Mapping[str, int]]:
    """Validate every table (units first: people are filed by their unit's part); spill each
    person to their part's file. Returns the units, each part's unit ids, the warnings and
    every person's id. Problems come in the order of the one-batch path (`build_batch`)."""
    per_table: list[list[Problem]] = [[] for _ in tables]
    warnings_of: list[list[str]] = [[] for _ in tables]
    units: list[Record] = []
    for i, t in enumerate(tables):
        if t.kind == "unit":
            try:
                loaded = validate(t.load(), compiled.kind("unit").inputs)
            except InputError as e:
                per_table[i] = list(e.problems)
                continue
            units.extend(loaded.records)
            warnings_of[i] = loaded.warnings
    unit_ids = sorted({u.id for u in units})
    people_rows = sum(t.rows for t in tables if t.kind == "individual")
    n_parts = max(1, min(len(unit_ids), -(-people_rows // max(1, part_people))))
    per_part = -(-len(unit_ids) // n_parts) if unit_ids else 1
    parts = [unit_ids[k:k + per_part] for k in range(0, len(unit_ids), per_part)] or [[]]
    part_of = {uid: k // per_part for k, uid in enumerate(unit_ids)}
    files = [(spill / f"part-{k}.in").open("wb") for k in range(len(parts))]
    first: dict[str, int] = {}  # person id → table index << 32 | row, where first seen
    duplicates: list[tuple[Record, int]] = []
    orphans: list[Problem] = []
    with_members: set[str] = set()
    inputs = compiled.kind("individual").inputs
    done = 0
    try:
        for i, t in enumerate(tables):
            if t.kind != "individual":
                continue
            table = t.load()
            try:
                for records in validate_parts(table, inputs, warnings_of[i], ROWS_PER_SLICE):
                    by_part: dict[int, list[Record]] = defaultdict(list)
                    for r in records:
                        if r.id in first:
                            duplicates.append((r, first[r.id]))
                        else:
                            first[r.id] = (i << 32) | r.origin.row
                        k = part_of.get(r.group)
                        if k is None:
                            orphans.append(unknown_unit(r, unit_ids))
                            continue
                        with_members.add(r.group)
                        by_part[k].append(r)
                    for k, rs in sorted(by_part.items()):
                        pickle.dump(rs, files[k], protocol=pickle.HIGHEST_PROTOCOL)
                    done += len(records)
                    if progress is not None:
                        progress("validating", done, people_rows)
            except InputError as e:
                per_table[i] = list(e.problems)
            del table
    finally:
        for f in files:
            f.close()
    problems = [p for ps in per_table for p in ps]
    if problems:
        raise InputError(problems)
    if not units:
        problems.append(Problem("", "no unit records: give a units file or sheet"))
    if not first:
        problems.append(Problem("", "no individual records: give an individuals file or sheet"))
    # The one-batch checks (`check_batch`): duplicated ids, people without a unit, units
    # without people; people are checked here as they stream by, in the same order.
    problems.extend(duplicate_ids(units))
    if duplicates:
        origins = _first_origins(tables, {packed for _, packed in duplicates})
        problems.extend(duplicate_id(r, origins[packed]) for r, packed in duplicates)
    problems.extend(orphans)
    problems.extend(without_members(units, with_members))
    if problems:
        raise InputError(problems)
    warnings = [w for ws in warnings_of for w in ws]
    return units, parts, warnings, first


def _first_origins(tables: list[_Table], packed: set[int]) -> dict[int, str]:
    """Where each duplicated id was first seen, as `Origin` prints it."""
    out: dict[int, str] = {}
    for p in packed:
        t = tables[p >> 32]
        table = t.load()
        out[p] = str(Origin(table.file, p & 0xFFFFFFFF, table.sheet))
    return out


# ------------------------------------------------------------------------------- pass 3


def _score_parts(work: _Work, spill: Path, workers: int, progress: Progress | None
                 ) -> list[_Part]:
    global _WORK
    _WORK = work
    jobs = [(k, str(spill)) for k in range(len(work.units_of))]
    out: list[_Part] = []
    try:
        if workers <= 1 or len(jobs) <= 1:
            results: Iterable[_Part] = map(_score_part, jobs)
            for r in results:
                out.append(r)
                if progress is not None:
                    progress("scoring", len(out), len(jobs))
            return out
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            for r in pool.imap(_score_part, jobs):
                out.append(r)
                if progress is not None:
                    progress("scoring", len(out), len(jobs))
        return out
    finally:
        _WORK = None


def _records(path: Path) -> list[Record]:
    out: list[Record] = []
    with path.open("rb") as f:
        while True:
            try:
                out.extend(pickle.load(f))
            except EOFError:
                return out


def _score_part(job: tuple[int, str]) -> _Part:
    k, spill = job
    work = _WORK
    assert work is not None
    from scoring.engine import Engine

    compiled = work.compiled
    path = Path(spill) / f"part-{k}.in"
    people = _records(path)
    path.unlink()
    part = _Part(people=len(people))
    try:
        missing = judged_missing(compiled, work.rounds, work.allow_incomplete, people)
    except InputError as e:
        part.judged = list(e.problems)
        return part
    people = with_past(people, past_fields(compiled, work.store, work.year, people, []))
    missing.update(work.uni.missing)
    engine = Engine()
    try:
        ind = score_members(people, work.uni, compiled, engine, work.rounds, missing)
    except InputError as e:
        part.problems = list(e.problems)
        return part
    del people
    units = unit_subset(work.uni, work.units_of[k])
    aggregate_members(units, ind)
    names = [a.name for a in compiled.kind("unit").aggregates]
    for u, scope, values in zip(units.records, units.scopes, units.aggregates, strict=True):
        part.aggregates[u.id] = (values, {n: scope[n] for n in names})
    results = attach_records(ind_results(ind, compiled), compiled, work.store, work.year)
    del ind
    titles: dict[str, int] = defaultdict(int)
    rewards: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    cache: dict[int, Any] = {}
    with (Path(spill) / f"part-{k}.out").open("wb") as f:
        batch: list[tuple[str, bytes]] = []
        for r in results:
            part.warnings.extend((r.id, f"{r.id} ({r.name}): {w}") for w in r.warnings)
            for t in r.titles:
                titles[t] += 1
            for t, amount in r.rewards:
                rewards[r.group][t] += amount
            batch.append((r.id, record_text(r, 2, cache).encode("utf-8")))
            if len(batch) == TEXTS_PER_DUMP:
                pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
    part.titles = dict(titles)
    part.rewards = {u: dict(by) for u, by in rewards.items()}
    return part


# ------------------------------------------------------------------------------- pass 4


def _counts(head: Result, parts: list[_Part]) -> dict[str, int]:
    """`manifest.record_counts` of the whole run, from the units and the parts' tallies."""
    people = sum(p.people for p in parts)
    counts: dict[str, int] = {"individuals": people, "units": len(head.units)}
    for tid, _label, kind in head.titles:
        if kind == "individual":
            counts[f"title:{tid}"] = sum(p.titles.get(tid, 0) for p in parts)
        else:
            counts[f"title:{tid}"] = sum(1 for u in head.units if tid in u.titles)
    return counts


def _texts(path: Path) -> Iterator[tuple[str, bytes]]:
    with path.open("rb") as f:
        while True:
            try:
                batch = pickle.load(f)
            except EOFError:
                return
            yield from batch


def _document(head: Result, manifest: Mapping[str, object], budget: Budget | None, spill: Path,
              n_parts: int) -> Iterator[bytes]:
    """The JSON document, piece by piece: the bytes `render_json` gives for the whole run."""
    yield document_head(head, manifest, rewards_data(head, budget)).encode("utf-8")
    merged = heapq.merge(*(_texts(spill / f"part-{k}.out") for k in range(n_parts)),
                         key=lambda pair: pair[0])
    opening = b"\n    "
    for _rid, text in merged:
        yield opening + text
        opening = b",\n    "
    yield b"\n  ],\n  \"units\": ["
    cache: dict[int, Any] = {}
    opening = b"\n    "
    for u in head.units:
        yield opening + record_text(u, 2, cache).encode("utf-8")
        opening = b",\n    "
    yield b"\n  ]\n}\n" if head.units else b"]\n}\n"
