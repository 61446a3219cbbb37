"""Read submissions from disk into `RawTable`s: a folder of CSV files, XLSX workbooks or JSON.

This is the edge where bytes become text, so it owns every reading failure: undecidable or
legacy encodings, empty files, unbalanced quotes, truncated workbooks, formulas. Each becomes an
`InputError` naming the file (and sheet, row), never a traceback, and every problem of every
file is raised at once. It also owns the resource limits on what is read
(`scoring.base.limits`): file size, rows, a worksheet's cells, and what a workbook unpacks to,
each checked before the work it bounds (`sizes`). What a path is decides how it is read: a
`.csv` file as CSV (`csvfile`), a `.xlsx` (or `.xls`) file as a workbook (`workbook`), a
`.json` file as JSON (`jsonfile`), and a folder as every one of these and every CSV file in it,
in one form (`discover`). What a file gives is filed as tables by its name (`tables`, `names`),
and a list of initiatives is folded into the individuals read with it (`initiatives`).

This module holds the entry points: `read_inputs` reads every path at once; `plan_parts`,
`read_part` and `read_parts` read them a group of files at a time, for streaming.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scoring.base import limits as limits_
from scoring.base.errors import InputError, Problem
from scoring.base.i18n import _
from scoring.base.limits import Limits
from scoring.base.progress import Progress
from scoring.inputs.csvfile import _csv
from scoring.inputs.discover import META_FILE, _beside, _folder, _meta_year
from scoring.inputs.initiatives import fold_initiatives
from scoring.inputs.jsonfile import _json
from scoring.inputs.names import is_initiatives
from scoring.inputs.records import RawTable
from scoring.inputs.sizes import _MEMORY_PER_BYTE, _check_memory, _read_bytes, _too_big
from scoring.inputs.tables import _Read
from scoring.inputs.workbook import _OLE_MAGIC, _ZIP_MAGIC, _xls, _xlsx

__all__ = ["InputSet", "Part", "plan_parts", "read_inputs", "read_part", "read_parts"]


@dataclass
class InputSet:
    """Everything read for one run: tables, the files with their SHA-256, the stated year."""

    tables: list[RawTable] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # path, sha256, bytes
    year: int | None = None
    rounds: list[RawTable] = field(default_factory=list)  # review rounds (see rounds.py)


def _groups(paths: Sequence[Path], result: InputSet, problems: list[Problem], limits: Limits
            ) -> list[list[Path]]:
    """The files to read, in groups read together: a folder's CSV files, each workbook or JSON
    file, the loose CSV files named; then the round files beside named files (see `_beside`)."""
    groups: list[list[Path]] = []
    loose: list[Path] | None = None
    named: list[Path] = []
    for p in paths:
        if p.is_dir():
            groups.extend(_folder(p, problems))
            meta = p / META_FILE
            if meta.is_file():
                result.year = _meta_year(meta, problems, limits)
        elif p.is_file():
            named.append(p)
            if p.suffix.lower() == ".csv":
                if loose is None:
                    loose = []
                    groups.append(loose)
                loose.append(p)
            else:
                groups.append([p])
        else:  # a FIFO, a device or a socket is named, never reported missing
            problems.append(Problem(str(p), _("not a regular file") if p.exists()
                                    else _("no such file or folder")))
    groups.extend([f] for f in _beside(named, [f for g in groups for f in g]))
    return groups


def read_inputs(paths: list[Path], progress: Progress | None = None) -> InputSet:
    """Read every path; all problems of all files at once.

    A folder is read as its workbooks, CSV and JSON files (a `dataset.yaml` beside them may
    state the year); a `.xlsx` file as a workbook; a `.json` file as `{"units": [...],
    "individuals": [...]}`. Several workbooks (one per unit) merge into one batch; round files
    beside workbooks named one by one are read with them. `progress(stage, done, total)` is
    called after each file, for a progress bar.
    """
    result = InputSet()
    for tables, rounds in read_parts(paths, result, progress):
        result.tables.extend(tables)
        result.rounds.extend(rounds)
    return result


def read_parts(paths: list[Path], result: InputSet, progress: Progress | None = None,
               whole: bool = True) -> Iterator[tuple[list[RawTable], list[RawTable]]]:
    """`read_inputs` a part at a time: yields (record tables, round tables) per group of files
    read together, or with `whole=False` per file where that gives the same tables (a group
    with an initiatives list is still read whole: the list is folded into its tables).

    `result` receives the files read (with their SHA-256) and the stated year, but no tables.
    Every problem of every file is raised together, after the last part.
    """
    parts, problems = plan_parts(paths, result, whole)
    total = sum(len(p) for p in parts)
    done = 0
    def one_more() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress("reading", done, total)

    for files in parts:
        part = read_part(files, one_more)
        result.files.extend(part.files)
        problems.extend(part.problems)
        yield part.tables, part.rounds
    if problems:
        raise InputError(problems)


@dataclass
class Part:
    """What reading some files together gave: record tables, round tables, the files read
    (path, SHA-256, bytes) and every problem found in them."""

    tables: list[RawTable]
    rounds: list[RawTable]
    files: list[tuple[str, str, int]]
    problems: list[Problem]


def plan_parts(paths: list[Path], result: InputSet, whole: bool = True
               ) -> tuple[list[list[Path]], list[Problem]]:
    """The files of `paths` in the groups `read_parts` reads together, in reading order, and
    the problems found in the paths themselves (`result` gets the stated year). Each group
    can be read by `read_part` on its own, in any process."""
    problems: list[Problem] = []
    parts: list[list[Path]] = []
    for group in _groups(paths, result, problems, limits_.current()):
        together = whole or any(is_initiatives(f.name) for f in group)
        parts.extend([group] if together else [[f] for f in group])
    return parts, problems


def read_part(files: list[Path], after_file: Callable[[], None] | None = None) -> Part:
    """Read files that belong together (a folder's CSV files, or one file): see `read_parts`.
    `after_file` is called after each file (a progress bar)."""
    read = _Read(limits_.current())
    seen = InputSet()
    problems: list[Problem] = []
    for f in files:
        try:
            _read_file(f, read, seen)
        except InputError as e:
            problems.extend(e.problems)
        if after_file is not None:
            after_file()
    try:
        tables = _fold_group(read)
    except InputError as e:
        problems.extend(e.problems)
        tables = []
    return Part(tables, read.rounds, seen.files, problems)


def _read_file(f: Path, read: _Read, result: InputSet) -> None:
    shown = str(f)
    try:
        size = f.stat().st_size
    except OSError:
        size = 0  # _read_bytes names the problem
    _check_memory(shown, size, size * _MEMORY_PER_BYTE)  # the least it needs: before reading
    try:
        _read_data(f, shown, read, result)
    except MemoryError:
        raise InputError.one(shown, _too_big(size, _("more memory than is free"))) from None


def _read_data(f: Path, shown: str, read: _Read, result: InputSet) -> None:
    data = _read_bytes(f, shown, read.limits.file_bytes)
    result.files.append((shown, hashlib.sha256(data).hexdigest(), len(data)))
    suffix = f.suffix.lower()
    if suffix in (".csv", ".json", ".txt") and data.startswith((_OLE_MAGIC, _ZIP_MAGIC)):
        kind, real = ((_("an Excel 97-2003 workbook"), ".xls") if data.startswith(_OLE_MAGIC)
                      else (_("an Excel workbook"), ".xlsx"))
        raise InputError.one(shown, _("this is {kind}, not {form} text: rename it to {name} (or "
                                      "save it from Excel as CSV UTF-8)").format(
            kind=kind, form=suffix[1:].upper(), name=f"{f.stem}{real}"))
    if suffix == ".csv":
        _csv(data, shown, f.name, read)
    elif suffix == ".xlsx":
        _xlsx(data, shown, read)
    elif suffix == ".json":
        _json(data, shown, read)
    elif suffix == ".xls" or data.startswith(_OLE_MAGIC):
        _xls(data, shown, read)
    else:
        raise InputError.one(shown, _("unsupported file type (use .csv, .xlsx, .xls, .json)"))


def _fold_group(read: _Read) -> list[RawTable]:
    tables = read.tables
    for source, initiatives in read.initiatives:
        tables = fold_initiatives(tables, initiatives, source)
    return tables
