"""Scoring a batch too large to hold in memory, a few units at a time, on every core.

`scoring score --stream` gives the bytes `scoring score` gives (JSON output and manifest),
with memory bounded by the size of a part rather than of the batch. Why that is exact: every
step over people in the shipped rule sets (the rating quota, the title quotas, the ranking)
counts inside one unit, and a unit reads its people only through its aggregates. So people
are scored a part at a time, each part holding whole units with every one of their members
(`scorer.score_members`), and only what units need (aggregates, rewards, counts) comes back;
units, few and small, are rated first and scored last, whole, as in the one-batch path. A
rule set with a step over people wider than a unit is refused (`members_stay_in_unit`).

The passes, each on `workers` forked processes whose results are taken in input order (so
problems, warnings and output never depend on which process finished first):
1. read: a file per job; tables of people go to a spill folder as they were read (the
   data's year must be known before any table is validated: it chooses the rules);
2. validate: a table of people per job, a slice of rows at a time; each person goes to the
   spill file of their unit's part. The parent holds the units and every person's id (for
   duplicates across tables), and checks the output can be written before any of this;
3. score: a part per job; each writes its people's rows of the JSON output, in id order, to
   its own file, with the hits and decisions they use numbered in the part (`jsonout.Rows`),
   and returns its units' aggregates, its warnings, title counts and rewards;
4. write (the parent): units scored, then the document: its head, people merged from the
   parts' files in id order (the order of the one-batch output) and numbered again as the
   one-batch writer numbers them (`jsonout.Merge`), units, the hits and decisions; staged and
   renamed atomically with the manifest, which states the output's digest as usual.
Problems are collected as in the one-batch path; those found while scoring (a judged criterion
without a value, a rating with neither points nor paper) are listed part by part, so their
order may differ from the one-batch run's when they span parts.
"""

from __future__ import annotations

import hashlib
import heapq
import multiprocessing
import os
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from scoring.base.errors import InputError, OutputError, Problem, RuleError
from scoring.base.i18n import N_, _
from scoring.base.progress import Progress
from scoring.evaluation.budget import Budget, reward_budget
from scoring.evaluation.result import AggregateValue, Result
from scoring.evaluation.scorer import (
    aggregate_members,
    finish,
    ind_results,
    judged_missing,
    members_stay_in_unit,
    rate_units,
    score_members,
    unit_subset,
    with_history_fields,
)
from scoring.explanations.ledger import rewards_data
from scoring.history.load import load_history, title_kinds
from scoring.history.store import EMPTY, History
from scoring.history.values import attach_records, check_people, history_fields_for
from scoring.inputs.batch import decide_year, stated_years
from scoring.inputs.keys import (
    KeyCheck,
    Keyed,
    check_neighbours,
    check_unit_keys,
    count_spellings,
    diacritic_skeleton,
    near_id,
    person_group_fields,
    renamed,
    unify_counted,
    visible_form,
    where_used,
)
from scoring.inputs.readers import InputSet, Part, plan_parts, read_part
from scoring.inputs.records import (
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
from scoring.inputs.rounds import RoundData, parse_rounds
from scoring.language import expr
from scoring.outputs.atomic import check_targets, write_atomic_many
from scoring.outputs.jsonout import (
    Merge,
    Numbered,
    Rows,
    Shape,
    columns,
    head_pieces,
    ledger_pieces,
    merged_shape,
    row_separator,
    shape_of,
    table_end,
    table_start,
)
from scoring.outputs.manifest import (
    FROM_HERE,
    MANIFEST,
    build_manifest,
    described_manifest,
    manifest_bytes,
    paths_from,
)
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import InputSpec, Kind
from scoring.run.app import rules_for
from scoring.run.options import Options

PART_PEOPLE = 10_000  # people per part: about 150 MB while it is scored; small enough that
# the parts of a batch keep every worker busy to the end
ROWS_PER_SLICE = 20_000  # rows validated at a time
CHUNK_BYTES = 1 << 20  # bytes of the document hashed and written at a time
TEXTS_PER_DUMP = 64  # people's rows per pickle in a part's output (the merge holds one each)


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
    warnings: list[str]  # the first `shown_warnings` of them
    warnings_count: int
    parts: int


@dataclass
class _Part:
    """What scoring one part gives back to the parent: what units and the document's head
    need, and nothing per person. Per person (the JSON, the warnings) and per member (the ids
    an aggregate counted) goes to the part's files, read back as the document is written."""

    people: int = 0
    aggregates: dict[str, dict[str, expr.Value]] = field(default_factory=dict)  # unit → values
    warnings: int = 0  # the warnings themselves are in the part's file: see `_warnings`
    titles: dict[str, int] = field(default_factory=dict)
    rewards: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # unit → title → sum
    not_paid: dict[str, Decimal] = field(default_factory=dict)  # title → sum not paid
    judged: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # run-level warnings: `keys.check_neighbours`
    shape: Shape | None = None  # of its people's rows (`jsonout.shape_of`); None: no people


@dataclass
class _Work:
    """The state the part workers read (inherited on fork, never sent)."""

    compiled: Compiled
    uni: Any  # scorer._State of every unit, rated
    units_of: list[list[str]]  # part → its unit ids
    rounds: RoundData
    allow_incomplete: bool
    store: History
    year: int
    renames: dict[str, dict[str, str]]  # group field → spelling → the group's spelling
    near: set[str]  # ids warned about as near another (see `_validate`)


_WORK: _Work | None = None


def run_stream(paths: list[Path], output: Path, run_options: Options, *,
               options: dict[str, object], created: str, force: bool = False,
               seal: bool = False, workers: int = 0, part_people: int = PART_PEOPLE,
               shown_warnings: int = 50) -> Streamed:
    """Score `paths` a part at a time and write the JSON output and its manifest to `output`
    (atomically, as `scoring score -o` does). `run_options` are the run's (`rules`,
    `history`, `allow_incomplete`, `progress`; the rule engine evaluates); `options` are the
    manifest's; every warning is in the output, the first `shown_warnings` also in what is
    returned."""
    rules, history = run_options.rules, run_options.history
    allow_incomplete, progress = run_options.allow_incomplete, run_options.progress
    workers = workers or default_workers()
    check_targets([output, output.parent / MANIFEST], force)
    with tempfile.TemporaryDirectory(prefix="scoring-stream-") as tmp, _spilling(Path(tmp)):
        spill = Path(tmp)
        inputs = InputSet()
        tables, years = _read(paths, inputs, spill, workers, progress)
        year = decide_year(years, inputs.year)
        dated = options.get("decision_date")
        folder, compiled, warnings = rules_for(year, rules,
                                               dated if isinstance(dated, str) else None)
        wider = members_stay_in_unit(compiled)
        if wider:
            raise RuleError.one(str(folder), _("--stream scores a few units at a time, which "
                                               "is exact only when every step over people "
                                               "stays inside a unit, but {steps}: score "
                                               "without --stream").format(steps="; ".join(wider)))
        units, parts, found, ids, renames, near = _validate(tables, compiled, spill,
                                                            part_people, workers, progress)
        warnings.extend(found)
        rounds = parse_rounds(inputs.rounds, compiled, {"individual": ids,
                                                        "unit": {u.id for u in units}})
        del ids
        store = EMPTY if history is None else load_history(history,
                                                           title_kinds(compiled.ruleset),
                                                           compiled.ruleset.ruleset)
        scored_year = year if year is not None else compiled.ruleset.year
        from scoring.evaluation.engine import Engine

        engine = Engine()
        units_missing = judged_missing(compiled, rounds, True, units)
        check_people(store, units, scored_year)
        units = with_history_fields(
            units, history_fields_for(compiled, store, scored_year, [], units))
        uni = rate_units(units, compiled, engine, rounds, units_missing)
        work = _Work(compiled, uni, parts, rounds, allow_incomplete, store, scored_year,
                     renames, near)
        results = _score_parts(work, spill, len(tables), workers, progress)
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
        specs = compiled.kind("unit").aggregates
        for r in results:
            for uid, scope_values in r.aggregates.items():
                # Without the members' ids (they are read back from the parts' files as the
                # units are written): the scoring reads only the values.
                uni.aggregates[index[uid]] = [AggregateValue(a.name, a.spec.label,
                                                             scope_values[a.name], ())
                                              for a in specs]
                uni.scopes[index[uid]].update(scope_values)
        head = finish(compiled, engine, (), (), uni)
        head = replace(head, units=attach_records(head.units, compiled, store, scored_year))
        warnings.extend(note for r in results for note in r.notes)
        before = [*warnings, *store.warnings]
        n_warnings = len(before) + sum(r.warnings for r in results) + len(head.warnings)

        def all_warnings() -> Iterator[str]:
            yield from before
            yield from _warnings(spill, len(parts))
            yield from head.warnings
        counts = _counts(head, results)
        if history is not None:
            options = {**options, "history": {
                "folder": str(history),
                "files": [{"path": p, "sha256": h, "bytes": n} for p, h, n in store.files]}}
        manifest = build_manifest(head, str(folder), inputs.files, options, created, counts)
        people_rewards = [(unit, tuple(by_title.items())) for r in results
                          for unit, by_title in r.rewards.items()]
        not_paid = [(t, a) for r in results for t, a in r.not_paid.items()]
        budget = (reward_budget(head, people_rewards, not_paid)
                  if head.base_salary is not None else None)
        digest = hashlib.sha256()
        size = [0]

        def document() -> Iterator[bytes]:
            for piece in _chunks(_document(head, manifest, budget, all_warnings(), spill,
                                           results)):
                digest.update(piece)
                size[0] += len(piece)
                yield piece

        def described() -> Iterable[bytes]:  # staged after the document: its digest is known
            return [manifest_bytes({**described_manifest(
                manifest, [(output.name, digest.hexdigest(), size[0])], seal),
                FROM_HERE: paths_from(str(output.parent), [p for p, _, _ in inputs.files],
                                      str(folder), str(history) if history else None)})]

        write_atomic_many({output: document, output.parent / MANIFEST: described}, force)
        return Streamed(counts["individuals"], counts["units"],
                        list(islice(all_warnings(), shown_warnings)), n_warnings, len(parts))


@contextmanager
def _spilling(spill: Path) -> Iterator[None]:
    """A failure to write the parts (a full disk, most often) is the user's to fix, not a
    traceback: OutputError (exit 2), naming the folder. The output is written only at the
    end, through `write_atomic_many`, which reports its own errors the same way."""
    try:
        yield
    except OSError as e:
        raise OutputError.one(str(spill), _("cannot keep the run's parts here: {reason}; set "
                                            "TMPDIR to a folder with room for about the size "
                                            "of the output").format(reason=e.strerror or e)
                              ) from None


# ------------------------------------------------------------------------ processes

J = TypeVar("J")
R = TypeVar("R")


def _ordered_map(fn: Callable[[J], R], jobs: Sequence[J], workers: int,
                 progress: Progress | None, stage: str) -> Iterator[R]:
    """`map(fn, jobs)` on up to `workers` forked processes, results in the jobs' order (so
    the output never depends on which process finished first). `fn` reads the module's
    state set before the call, inherited on fork; with one worker or one job it runs here."""
    done = 0
    if workers <= 1 or len(jobs) <= 1:
        results: Iterable[R] = map(fn, jobs)
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(jobs)))
        results = pool.imap(fn, jobs)
    try:
        for r in results:
            done += 1
            if progress is not None:
                progress(stage, done, len(jobs))
            yield r
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


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


@dataclass
class _ReadPart:
    part: Part  # its record tables emptied: they are in `tables`
    tables: list[tuple[_Table, dict[str, str]]]  # with the years each states


def _read(paths: list[Path], inputs: InputSet, spill: Path, workers: int,
          progress: Progress | None) -> tuple[list[_Table], dict[str, str]]:
    """Read every file (on `workers` processes); people's tables are spilled as read."""
    parts, problems = plan_parts(paths, inputs, whole=False)
    tables: list[_Table] = []
    years: dict[str, str] = {}
    jobs = [(j, files, spill) for j, files in enumerate(parts)]
    for got in _ordered_map(_read_one, jobs, workers, progress, "reading"):
        inputs.files.extend(got.part.files)
        inputs.rounds.extend(got.part.rounds)
        problems.extend(got.part.problems)
        for t, stated in got.tables:
            tables.append(t)
            for year, where in stated.items():
                years.setdefault(year, where)
    if problems:
        raise InputError(problems)
    return tables, years


def _read_one(job: tuple[int, list[Path], Path]) -> _ReadPart:
    j, files, spill = job
    part = read_part(files)
    out: list[tuple[_Table, dict[str, str]]] = []
    for k, t in enumerate(part.tables):
        stated: dict[str, str] = {}
        stated_years(t, stated)
        if t.kind == "unit":
            out.append((_Table("unit", len(t.rows), table=t), stated))
            continue
        path = spill / f"table-{j}-{k}.pickle"
        with path.open("wb") as f:
            pickle.dump(t, f, protocol=pickle.HIGHEST_PROTOCOL)
        out.append((_Table("individual", len(t.rows), path=path), stated))
    part.tables = []
    return _ReadPart(part, out)


# ------------------------------------------------------------------------------- pass 2


@dataclass
class _Checked:
    """What validating one table of people gives back: every id with its row (duplicates are
    found across tables by the parent), and the table's own problems and warnings."""

    where: tuple[str, str | None]  # file, sheet
    ids: list[tuple[str, int]] = field(default_factory=list)
    orphans: list[Problem] = field(default_factory=list)
    with_members: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Group field → spelling → (where first used, uses): see `keys.unify_counted`.
    spellings: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)


@dataclass
class _Filing:
    """The state the validating workers read (inherited on fork)."""

    inputs: Mapping[str, InputSpec]
    unit_ids: list[str]  # sorted
    part_of: dict[str, int]
    spill: Path
    group_fields: list[tuple[str, str]]  # see `keys.person_group_fields`


_FILING: _Filing | None = None


def _validate(tables: list[_Table], compiled: Compiled, spill: Path, part_people: int,
              workers: int, progress: Progress | None = None
              ) -> tuple[list[Record], list[list[str]], list[str], AbstractSet[str],
                         dict[str, dict[str, str]], set[str]]:
    """Validate every table (units first: people are filed by their unit's part; people's
    tables on `workers` processes); each person goes to the spill file of their part and
    table. Returns the units, each part's unit ids, the warnings, every person's id and the
    respellings of the fields people are grouped by (`keys.unify_counted`), and the ids
    already warned about as near another (`keys.check_ids`).
    Problems come in the order of the one-batch path (`build_batch`)."""
    global _FILING
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
    units, unit_keys = check_unit_keys(units, compiled.ruleset)
    unit_ids = sorted({u.id for u in units})
    people_rows = sum(t.rows for t in tables if t.kind == "individual")
    n_parts = max(1, min(len(unit_ids), -(-people_rows // max(1, part_people))))
    per_part = -(-len(unit_ids) // n_parts) if unit_ids else 1
    parts = [unit_ids[k:k + per_part] for k in range(0, len(unit_ids), per_part)] or [[]]
    group_fields = person_group_fields(compiled.ruleset)
    _FILING = _Filing(compiled.kind("individual").inputs, unit_ids,
                      {uid: k // per_part for k, uid in enumerate(unit_ids)}, spill,
                      group_fields)
    spellings: dict[str, dict[str, tuple[str, int]]] = {name: {} for name, _ in group_fields}
    first: dict[str, int] = {}  # person id → table index << 32 | row, where first seen
    unusual: list[str] = []  # ids that may read as another one (see `keys.visible_form`)
    near: set[str] = set()  # ids warned about as near another: not checked in their unit
    duplicates: list[tuple[str, str, int]] = []  # id, where, where first (packed)
    orphans: list[Problem] = []
    with_members: set[str] = set()
    where: dict[int, tuple[str, str | None]] = {}
    jobs = [(i, t) for i, t in enumerate(tables) if t.kind == "individual"]
    try:
        checked = _ordered_map(_check_table, jobs, workers, progress, "validating")
        for (i, _t), got in zip(jobs, checked, strict=True):
            per_table[i], warnings_of[i], where[i] = got.problems, got.warnings, got.where
            file, sheet = got.where
            for rid, row in got.ids:
                if rid in first:
                    duplicates.append((rid, str(Origin(file, row, sheet)), first[rid]))
                else:
                    first[rid] = (i << 32) | row
                    if not rid.isascii():  # only these can hide a look-alike of another id
                        unusual.append(rid)
            orphans.extend(got.orphans)
            with_members |= got.with_members
            for name, counted in got.spellings.items():
                for text, (used_at, uses) in counted.items():
                    had = spellings[name].get(text)
                    spellings[name][text] = (used_at, uses) if had is None else (had[0],
                                                                                 had[1] + uses)
    finally:
        _FILING = None
    problems = [p for ps in per_table for p in ps]
    if problems:
        raise InputError(problems)
    problems.extend(unit_keys.problems)
    people_keys = KeyCheck()
    renames = {name: unify_counted([(t, w, n) for t, (w, n) in spellings[name].items()],
                                   what, people_keys)
               for name, what in group_fields}
    problems.extend(people_keys.problems)
    for rid in unusual:
        seen = first.get(visible_form(rid))
        if seen is not None:
            file, sheet = where[first[rid] >> 32]
            first_file, first_sheet = where[seen >> 32]
            problems.append(duplicate_id(
                rid, str(Origin(file, first[rid] & 0xFFFFFFFF, sheet)),
                str(Origin(first_file, seen & 0xFFFFFFFF, first_sheet))))
    if not units:
        problems.append(Problem("", _("no unit records: give a units file or sheet")))
    if not first:
        problems.append(Problem("", _("no individual records: give an individuals file or "
                                        "sheet")))
    # The one-batch checks (`check_batch`), in its order: duplicated ids, people without a
    # unit, units without people.
    problems.extend(duplicate_ids(units))
    for rid, at, packed in duplicates:
        file, sheet = where[packed >> 32]
        problems.append(duplicate_id(rid, at, str(Origin(file, packed & 0xFFFFFFFF, sheet))))
    problems.extend(orphans)
    problems.extend(without_members(units, with_members))
    if problems:
        raise InputError(problems)

    def origin(rid: str) -> str:
        file, sheet = where[first[rid] >> 32]
        return str(Origin(file, first[rid] & 0xFFFFFFFF, sheet))

    # Ids that differ only by case, spacing or diacritics, across every table (`check_ids`);
    # the checks inside a unit are made by the parts, which hold whole units.
    folded: dict[str, str] = {}
    for rid in first:
        other = folded.setdefault(diacritic_skeleton(rid), rid)
        if other != rid:
            people_keys.warnings.append(near_id(rid, origin(rid), other, origin(other),
                                                N_("people")))
            near.add(rid)
    del folded
    warnings = [w for ws in warnings_of for w in ws] + unit_keys.warnings + people_keys.warnings
    return (units, parts, warnings, first.keys(), {n: m for n, m in renames.items() if m},
            near)


def _check_table(job: tuple[int, _Table]) -> _Checked:
    """Validate one table of people a slice at a time, filing each person to their part."""
    i, t = job
    filing = _FILING
    assert filing is not None
    table = t.load()
    got = _Checked((table.file, table.sheet))
    files: dict[int, BinaryIO] = {}
    try:
        for records in validate_parts(table, filing.inputs, got.warnings, ROWS_PER_SLICE):
            by_part: dict[int, list[Record]] = defaultdict(list)
            for r in records:
                got.ids.append((r.id, r.origin.row))
                for name, _what in filing.group_fields:
                    v = r.values.get(name)
                    if isinstance(v, str):
                        count_spellings(got.spellings.setdefault(name, {}), v,
                                        partial(where_used, r, name))
                k = filing.part_of.get(r.parent)
                if k is None:
                    got.orphans.append(unknown_unit(r, filing.unit_ids))
                    continue
                got.with_members.add(r.parent)
                by_part[k].append(r)
            for k, rs in sorted(by_part.items()):
                if k not in files:
                    files[k] = (filing.spill / f"part-{k}-{i}.in").open("wb")
                pickle.dump(rs, files[k], protocol=pickle.HIGHEST_PROTOCOL)
    except InputError as e:
        got.problems = list(e.problems)
    finally:
        for f in files.values():
            f.close()
    return got


# ------------------------------------------------------------------------------- pass 3


def _score_parts(work: _Work, spill: Path, tables: int, workers: int,
                 progress: Progress | None) -> list[_Part]:
    global _WORK
    _WORK = work
    jobs = [(k, spill, tables) for k in range(len(work.units_of))]
    try:
        return list(_ordered_map(_score_part, jobs, workers, progress, "scoring"))
    finally:
        _WORK = None


def _pickled(path: Path) -> Iterator[Any]:
    """Each object pickled one after the other into `path` (by this run, in its own folder)."""
    with path.open("rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def _records(spill: Path, k: int, tables: int) -> list[Record]:
    """Part `k`'s people, as filed by each table in turn (their input order)."""
    out: list[Record] = []
    for i in range(tables):
        path = spill / f"part-{k}-{i}.in"
        if path.exists():
            for batch in _pickled(path):
                out.extend(batch)
            path.unlink()
    return out


def _score_part(job: tuple[int, Path, int]) -> _Part:
    k, spill, tables = job
    work = _WORK
    assert work is not None
    from scoring.evaluation.engine import Engine

    compiled = work.compiled
    people = _records(spill, k, tables)
    for name, mapping in work.renames.items():
        people = renamed(people, name, mapping)
    neighbours = KeyCheck()
    check_neighbours([Keyed(r.id, r.name, r.parent, str(r.origin)) for r in people
                      if r.id not in work.near], N_("people"), N_("unit"), neighbours)
    part = _Part(people=len(people), notes=neighbours.warnings)
    try:
        missing = judged_missing(compiled, work.rounds, work.allow_incomplete, people)
    except InputError as e:
        part.judged = list(e.problems)
        return part
    try:  # a history of other people is refused, with the part's problems
        check_people(work.store, people, work.year)
    except InputError as e:
        part.judged = list(e.problems)
        return part
    people = with_history_fields(
        people, history_fields_for(compiled, work.store, work.year, people, []))
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
    part.aggregates = {u.id: {n: scope[n] for n in names}
                       for u, scope in zip(units.records, units.scopes, strict=True)}
    with (spill / f"part-{k}.agg").open("wb") as f:  # in unit id order, as the parts are
        pickle.dump([(u.id, values) for u, values in zip(units.records, units.aggregates,
                                                         strict=True)],
                    f, protocol=pickle.HIGHEST_PROTOCOL)
    results = attach_records(ind_results(ind, compiled), compiled, work.store, work.year)
    del ind
    titles: dict[str, int] = defaultdict(int)
    rewards: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    not_paid: dict[str, Decimal] = defaultdict(Decimal)
    rows = Rows(Numbered(), Numbered())
    shape = shape_of(results)
    part.shape = shape if results else None
    warnings = [(r.id, f"{r.id} ({r.name}): {w}") for r in results for w in r.warnings]
    part.warnings = len(warnings)
    with (spill / f"part-{k}.warn").open("wb") as f:
        pickle.dump(warnings, f, protocol=pickle.HIGHEST_PROTOCOL)
    del warnings
    with (spill / f"part-{k}.out").open("wb") as f:
        batch: list[tuple[str, str, list[int], list[int], str]] = []
        for r in results:
            for t in r.titles:
                titles[t] += 1
            for t, amount in r.rewards:
                rewards[r.parent][t] += amount
            for u in r.not_paid:
                not_paid[u.title] += u.amount
            batch.append((r.id, *rows.split(r, shape)))
            if len(batch) == TEXTS_PER_DUMP:
                pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(batch, f, protocol=pickle.HIGHEST_PROTOCOL)
    with (spill / f"part-{k}.ledger").open("wb") as f:  # the texts its rows' numbers name
        pickle.dump((list(rows.hits.rows), list(rows.decisions.rows)), f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    part.titles = dict(titles)
    part.rewards = {u: dict(by) for u, by in rewards.items()}
    part.not_paid = dict(not_paid)
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


def _chunks(pieces: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The pieces joined into chunks of about `size` bytes: a row is a few hundred bytes, and
    hashing and writing each on its own cost a fifth of the document pass."""
    chunk: list[bytes] = []
    held = 0
    for piece in pieces:
        chunk.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(chunk)
            chunk, held = [], 0
    if chunk:
        yield b"".join(chunk)


def _rows(path: Path, k: int) -> Iterator[tuple[str, int, str, list[int], list[int], str]]:
    for batch in _pickled(path):
        for rid, before, hits, decisions, after in batch:
            yield rid, k, before, hits, decisions, after


def _warnings(spill: Path, n_parts: int) -> Iterator[str]:
    """People's warnings in id order (the one-batch order), merged from the parts' files."""
    parts = (next(_pickled(spill / f"part-{k}.warn")) for k in range(n_parts))
    merged = heapq.merge(*parts, key=lambda w: w[0])
    return (text for _id, text in merged)


def _aggregates(spill: Path, n_parts: int) -> Iterator[tuple[str, list[AggregateValue]]]:
    """Each unit's aggregates with their members, in unit id order, from the parts' files."""
    for k in range(n_parts):
        yield from next(_pickled(spill / f"part-{k}.agg"))


def _document(head: Result, manifest: Mapping[str, object], budget: Budget | None,
              warnings: Iterable[str], spill: Path, parts: Sequence[_Part]) -> Iterator[bytes]:
    """The JSON document, piece by piece: the bytes `render_json` gives for the whole run."""
    for piece in head_pieces(head, manifest, warnings, rewards_data(head, budget)):
        yield piece.encode("utf-8")
    shape = merged_shape(p.shape for p in parts if p.shape is not None)
    hits, decisions = Numbered(), Numbered()
    merge = Merge(hits, decisions, shape)
    for k, p in enumerate(parts):
        hit_texts, decision_texts = next(_pickled(spill / f"part-{k}.ledger"))
        merge.part(hit_texts, decision_texts, p.shape or shape)
    yield table_start("individuals", columns(shape)).encode("utf-8")
    merged = heapq.merge(*(_rows(spill / f"part-{k}.out", k) for k in range(len(parts))),
                         key=itemgetter(0))
    first = True
    for _rid, k, before, row_hits, row_decisions, after in merged:
        yield (row_separator(first)
               + merge.row(k, before, row_hits, row_decisions, after)).encode("utf-8")
        first = False
    yield table_end(first).encode("utf-8")
    units = shape_of(head.units)
    rows = Rows(hits, decisions)
    yield table_start("units", columns(units)).encode("utf-8")
    first = True
    for u, (uid, aggregates) in zip(head.units, _aggregates(spill, len(parts)), strict=True):
        assert uid == u.id, (uid, u.id)
        u = replace(u, aggregates=tuple(aggregates))
        yield (row_separator(first) + rows.text(u, units)).encode("utf-8")
        first = False
    yield table_end(first).encode("utf-8")
    for piece in ledger_pieces(hits, decisions):
        yield piece.encode("utf-8")
