"""Read submissions from disk into `RawTable`s: a folder of CSV files, XLSX workbooks or JSON.

This is the edge where bytes become text, so it owns every reading failure: undecidable or
legacy encodings, empty files, unbalanced quotes, truncated workbooks, formulas. Each becomes an
`InputError` naming the file (and sheet, row), never a traceback. It also owns the resource
limits on what is read (`scoring.base.limits`): file size, rows, a worksheet's cells, and what a
workbook unpacks to, each checked before the work it bounds. Workbooks are untrusted zip files
of XML: their sizes are checked from the zip directory before openpyxl opens them, XML parts
that declare a DTD (the entity-expansion and external-entity vectors; spreadsheet programs never
write one) are refused, and a sheet's declared dimensions are ignored in favour of its cells, so
a stale `<dimension>` tag can neither hide rows nor make empty ones. What a path is decides how it
is read: a `.xlsx` (or `.xls`) file a workbook, a `.json` file JSON, and a folder every one of
these and every CSV file in it, in one form (see `_folder`).
Which kind of record a file holds is decided by its name (`units*.csv`, `individuals*.csv`, or
the Vietnamese `don_vi`, `ca_nhan`) or a workbook's sheet names ("Đơn vị", "Cá nhân"), because
columns alone cannot tell a unit from a person reliably.

Files read together (one workbook, one folder, or the loose CSV files of one command) may hold
a list of initiatives ("Sáng kiến" / "initiatives"): one row per initiative and author. The
list is folded into each author's initiative counts (`fold_initiatives`), so a council can keep
the list it already keeps, with its recognition decisions, instead of counting by hand.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import stat
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from scoring.base import limits as limits_
from scoring.base.errors import InputError, Problem, RuleError, input_location
from scoring.base.files import MANIFEST
from scoring.base.i18n import N_, _
from scoring.base.limits import Limits
from scoring.base.progress import Progress
from scoring.base.text import (
    HIGH_RUN,
    LegacyEncoding,
    UndecidableEncoding,
    convert_legacy,
    decode_text,
    detect_legacy_vietnamese,
    fold,
    nfc,
    repair_double_encoded,
)
from scoring.inputs.records import (
    MAX_HEADER_ROWS,
    FormatUnknown,
    Origin,
    RawTable,
    blank,
    header_map,
    match_header,
    resolve_header,
    stack_header,
)
from scoring.rulesets.ruleset import Kind, parse_yaml

__all__ = [
    "COUNT_INPUTS",
    "Initiative",
    "InputSet",
    "fold_initiatives",
    "is_initiatives",
    "kind_of",
    "parse_initiatives",
    "read_inputs",
]

MAX_META_BYTES = 65_536  # dataset.yaml states a year; anything bigger is not metadata
_KIND_WORDS: dict[str, Kind] = {
    "units": "unit", "unit": "unit", "don vi": "unit", "donvi": "unit", "tap the": "unit",
    "individuals": "individual", "individual": "individual", "ca nhan": "individual",
    "canhan": "individual", "members": "individual", "people": "individual",
}
_INITIATIVE_WORDS = ("sang kien", "sangkien", "initiatives", "initiative")
_ROUND_WORDS = ("rounds", "round", "vong cham", "vongcham", "cham diem")
# Sheets that explain rather than hold data, whatever else their name says.
_NOT_DATA = ("huong dan", "instructions", "readme", "danh muc")
META_FILE = "dataset.yaml"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and encrypted workbooks
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx

# Where the counts go: the inputs a rule set declares for initiatives recognised at each scope.
COUNT_INPUTS = {"co_so": "initiatives_co_so", "tinh": "initiatives_tinh",
                "toan_quoc": "initiatives_toan_quoc"}
# The scope's wording in council lists. Ministry level is the province's tier in the law
# (Chiến sĩ thi đua cấp bộ, ban, ngành, tỉnh), so it counts as `tinh`.
SCOPE_WORDING: dict[str, tuple[str, ...]] = {
    "co_so": ("co_so", "Cấp cơ sở", "Cơ sở", "Phạm vi cơ sở"),
    "tinh": ("tinh", "Cấp tỉnh", "Tỉnh", "Cấp bộ", "Bộ", "Cấp tỉnh, cấp bộ", "Cấp bộ, ngành",
             "Cấp bộ, ngành, tỉnh", "Cấp tỉnh/bộ", "Toàn tỉnh"),
    "toan_quoc": ("toan_quoc", "Toàn quốc", "Cấp toàn quốc", "Cấp quốc gia", "Quốc gia",
                  "Cấp nhà nước"),
}
INITIATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("person_id", "id", "Mã", "Mã cá nhân", "Mã số", "Mã CB", "Mã cán bộ",
               "Mã tác giả"),
    "scope": ("scope", "Phạm vi", "Phạm vi ảnh hưởng", "Cấp", "Cấp công nhận",
              "Phạm vi công nhận"),
    "decision": ("decision", "Số quyết định", "Số quyết định công nhận", "Quyết định công nhận",
                 "Quyết định", "Số QĐ", "Số QĐ công nhận"),
    "title": ("title", "Tên sáng kiến", "Sáng kiến", "Nội dung sáng kiến"),
    "name": ("name", "Họ và tên", "Họ tên", "Tác giả"),  # for the reader's eyes only
}
_INITIATIVE_REQUIRED = ("person", "scope", "decision")


@dataclass
class InputSet:
    """Everything read for one run: tables, the files with their SHA-256, the stated year."""

    tables: list[RawTable] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # path, sha256, bytes
    year: int | None = None
    rounds: list[RawTable] = field(default_factory=list)  # review rounds (see rounds.py)


@dataclass(frozen=True)
class Initiative:
    """One row of an initiatives list: an author, the scope of recognition and its decision."""

    person: str
    scope: str  # a key of COUNT_INPUTS
    decision: str
    title: str
    origin: Origin


@dataclass
class _Read:
    """What the files read together gave: record tables and initiative lists."""

    limits: Limits
    tables: list[RawTable] = field(default_factory=list)
    initiatives: list[tuple[str, list[Initiative]]] = field(default_factory=list)
    rounds: list[RawTable] = field(default_factory=list)


def _announces(name: str) -> str | None:
    """The word of a file or sheet name that announces what it holds, earliest first.

    Words count at word starts anywhere in the name, so "Danh sách cá nhân", "DS đơn vị" and
    "2021_units.csv" are recognised; "Sáng kiến của cá nhân" is an initiatives list. A name
    starting with "Hướng dẫn", "Danh mục" (or instructions, readme) announces nothing.
    """
    f = fold(name)
    if f.startswith(_NOT_DATA):
        return None
    found: list[tuple[int, int, str]] = []
    for word in (*_KIND_WORDS, *_INITIATIVE_WORDS, *_ROUND_WORDS):
        m = re.search(rf"(?<![a-z0-9]){re.escape(word)}", f)
        if m is not None:
            found.append((m.start(), -len(word), word))
    return min(found)[2] if found else None


def kind_of(name: str) -> Kind | None:
    """The record kind a file or sheet name announces ("Cá nhân", units.csv), or None."""
    word = _announces(name)
    return _KIND_WORDS.get(word) if word is not None else None


def is_rounds(name: str) -> bool:
    """True when a file or sheet name announces review rounds ("Vòng chấm", rounds.csv)."""
    return _announces(name) in _ROUND_WORDS


def is_initiatives(name: str) -> bool:
    """True when a file or sheet name announces an initiatives list ("Sáng kiến")."""
    return _announces(name) in _INITIATIVE_WORDS


def _read_bytes(path: Path, shown: str, limit: int) -> bytes:
    """The file's bytes, refused when over `limit`: checked before reading, and again while
    reading in case the file grows (or is not what its size says)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait for a writer forever
            raise InputError.one(shown, _("not a regular file ({kind}): give a file saved on "
                                          "disk").format(kind=_file_kind(st.st_mode)))
        size = st.st_size
        if size > limit:
            raise InputError.one(shown, _("file is {size} bytes; the limit is {limit}").format(
                size=size, limit=limit))
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError.one(shown, _("cannot read: {reason}").format(
            reason=e.strerror)) from None
    if len(data) > limit:
        raise InputError.one(shown, _("file is over {limit} bytes, the limit").format(
            limit=limit))
    return data


_WORKBOOKS = (".xlsx", ".xls")
_SUFFIXES = (".csv", *_WORKBOOKS, ".json")
_FORMS = {".csv": N_("CSV files"), ".xlsx": N_("workbooks"), ".xls": N_("workbooks"),
          ".json": N_("JSON files")}


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, N_("a named pipe")),
                       (stat.S_ISCHR, N_("a character device")),
                       (stat.S_ISBLK, N_("a block device")), (stat.S_ISSOCK, N_("a socket")),
                       (stat.S_ISDIR, N_("a folder"))):
        if test(mode):
            return _(name)
    return _("not a plain file")


# What reading a file holds at once: its bytes, their text (up to twice as many bytes) and the
# cells, each a Python object of about 80 bytes (measured: a CSV file of 11 MB with 2.2 million
# cells took 200 MB). Cells are counted from the separators before the text is decoded.
_MEMORY_PER_BYTE = 3
_MEMORY_PER_CELL = 80
# Cells per unpacked byte of a workbook's XML (a cell takes 30 bytes or more there).
_XML_BYTES_PER_CELL = 30


def _cells_in(data: bytes, separators: Sequence[bytes]) -> int:
    return sum(data.count(s) for s in separators)


def available_memory() -> int | None:
    """Bytes this process may still allocate: the free memory (and swap) the kernel reports,
    and what is left of the address-space limit when one is set; None where unknown."""
    import resource

    found: list[int] = []
    try:
        info = dict(line.split(":", 1) for line in
                    Path("/proc/meminfo").read_text(encoding="ascii").splitlines())
        found.append((int(info["MemAvailable"].split()[0])
                      + int(info.get("SwapFree", "0 kB").split()[0])) * 1024)
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            status = Path("/proc/self/status").read_text(encoding="ascii")
            used = int(status.split("VmSize:")[1].split()[0]) * 1024
            found.append(soft - used)
    except (OSError, KeyError, IndexError, ValueError):
        pass
    return min(found) if found else None


def _check_memory(shown: str, size: int, need: int) -> None:
    """Stop before reading a file whose rows need more memory than is free (`need` bytes),
    rather than run out midway."""
    free = available_memory()
    if free is not None and need > free:
        raise InputError.one(shown, _too_big(size, _("about {need} GB of memory, and {free} GB "
                                                     "is free").format(
            need=f"{need / 1e9:.1f}", free=f"{max(free, 0) / 1e9:.1f}")))


def _too_big(size: int, detail: str) -> str:
    return _("the file is {size} bytes; reading it needs {detail}: split it into smaller "
             "files and score them together with --stream, which reads and scores a file at a "
             "time").format(size=f"{size:,}", detail=detail)


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


def _folder(folder: Path, problems: list[Problem]) -> list[list[Path]]:
    """A folder's files in reading groups: its CSV files together (an initiatives list is
    folded into the records beside it), each workbook and JSON file on its own.

    Submissions come in one form per folder: a folder with records both in CSV files and in
    workbooks (or JSON) is refused, because the same records kept in two forms would count
    twice; round files (rounds.csv, "Vòng chấm") go with any form. An output folder (one with
    a manifest.json) is refused too: its results are not submissions.
    """
    if (folder / MANIFEST).exists():
        problems.append(Problem(str(folder), _("holds {manifest}: it is an output folder of "
                                               "`scoring score` or `scoring report`, not "
                                               "submissions; give the folder of submissions")
                                .format(manifest=MANIFEST)))
        return []
    found = sorted(x for x in folder.iterdir() if x.suffix.lower() in _SUFFIXES
                   and not x.name.startswith((".", "~$")))
    # A name that is not a regular file (a folder, a device, a dangling link) is named rather
    # than skipped: nothing given is dropped silently.
    problems.extend(Problem(str(x), _("not a regular file")) for x in found if not x.is_file())
    found = [x for x in found if x.is_file()]
    if not found:
        problems.append(Problem(str(folder), _("no submissions in this folder: expected CSV "
                                               "files, workbooks (.xlsx, .xls) or JSON files")))
        return []
    forms: dict[str, list[str]] = {form: [] for form in _FORMS.values()}
    for x in found:
        if not is_rounds(x.name):
            forms[_FORMS[x.suffix.lower()]].append(x.name)
    forms = {form: names for form, names in forms.items() if names}
    if len(forms) > 1:
        listed = _(" and in ").join(f"{_(form)} ({', '.join(names)})"
                                    for form, names in forms.items())
        problems.append(Problem(str(folder), _("holds records in {listed}: a folder is read in "
                                               "one form, so that records kept twice do not "
                                               "count twice; keep one form in the folder, or "
                                               "name the files to read (e.g. {example})").format(
                                                   listed=listed, example=folder / "*.xlsx")))
        return []
    csv_files = [x for x in found if x.suffix.lower() == ".csv"]
    others = [[x] for x in found if x.suffix.lower() != ".csv"]
    return [csv_files, *others] if csv_files else others


def _beside(named: Sequence[Path], given: Sequence[Path]) -> list[Path]:
    """Round files (rounds.csv, a "Vòng chấm" workbook) in the folders of files named one by
    one, as `nop/*.xlsx` names them, that were not given themselves: the rounds of those
    records, which a shell pattern for the workbooks leaves out."""
    seen = {x.resolve() for x in given}
    out: list[Path] = []
    for folder in dict.fromkeys(p.parent for p in named):
        for x in sorted(folder.iterdir()):
            if (x.suffix.lower() in _SUFFIXES and is_rounds(x.name) and x.is_file()
                    and not x.name.startswith((".", "~$")) and x.resolve() not in seen):
                seen.add(x.resolve())
                out.append(x)
    return out


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


def _meta_year(meta: Path, problems: list[Problem], limits: Limits) -> int | None:
    """The year a folder's dataset.yaml states, read with the rule files' safe YAML loader."""
    try:
        data = parse_yaml(_read_bytes(meta, str(meta), min(MAX_META_BYTES, limits.file_bytes)),
                          str(meta))
    except (InputError, RuleError) as e:
        problems.extend(Problem(p.where, _("cannot read dataset metadata: {reason}").format(
                            reason=p.message))
                        for p in e.problems)
        return None
    year = data.get("year") if isinstance(data, dict) else None
    if year is not None and not (isinstance(year, int) and 1990 <= year <= 2100):
        problems.append(Problem(str(meta), _("year: expected a year such as 2026, found "
                                             "{year!r}").format(year=year)))
        return None
    return year


# ------------------------------------------------------------------------------- tables


def _table(kind: Kind, shown: str, header: Sequence[Any], rows: Sequence[tuple[object, ...]],
           max_cells: int, sheet: str | None = None, first_row: int = 2) -> RawTable:
    """A record table, its header resolved as far as the identity columns tell.

    The header is padded as wide as the widest row, so that a value beyond the last header
    cell reaches validation as a column without a header (an error) instead of being ignored.
    Validation looks at every row under every column, so the rectangle is bounded by the cell
    limit: one stray value far to the right of a long table must not cost hours.
    See `records.resolve_header`; validation resolves it again with the declared inputs.
    """
    where = input_location(shown, sheet=sheet)
    if all(blank(h) for h in header):
        raise InputError.one(where, _("the sheet or file has no header row"))
    width = max((len(header), *(len(r) for r in rows)))
    if width * max(len(rows), 1) > max_cells:
        raise InputError.one(where, _("the table spans {rows} rows by {columns} columns, over "
                                      "the limit of {limit} cells: delete stray values far to "
                                      "the right or below the records").format(
            rows=len(rows), columns=width, limit=max_cells))
    head = tuple("" if blank(h) else nfc(str(h)) for h in header)
    table = RawTable(kind, shown, head + ("",) * (width - len(head)), tuple(rows), sheet,
                     first_row)
    table = resolve_header(table, {})
    if all(all(blank(v) for v in r) for r in table.rows):
        raise InputError.one(where, _("the header has no rows under it (no records)"))
    return table


def _place(name: str, shown: str, rows: list[tuple[object, ...]], read: _Read,
           sheet: str | None = None, text: str | None = None) -> bool:
    """File a sheet, CSV file or JSON list (header first) as a record table or initiatives.

    Blank rows above the header are skipped, as forms often start lower down. Returns False
    when the name announces neither kind.
    """
    skipped = 0
    while skipped < len(rows) and all(blank(v) for v in rows[skipped]):
        skipped += 1
    header, body = (rows[skipped], rows[skipped + 1:]) if skipped < len(rows) else ((), [])
    first_row = skipped + 2
    problems = [] if text is not None and not suspect_cells(text) else \
        _cell_problems(rows, skipped, shown, sheet)
    if problems:
        raise InputError(problems)
    if len(body) > read.limits.rows:
        raise InputError.one(input_location(shown, sheet=sheet),
                             _("{rows} rows; the limit is {limit}").format(
                                 rows=len(body), limit=read.limits.rows))
    kind = kind_of(name)
    if kind is not None:
        read.tables.append(_table(kind, shown, header, body, read.limits.cells, sheet,
                                  first_row))
        return True
    if is_rounds(name):
        # A round table's kind is found per row, from the record its id names.
        read.rounds.append(_table("unit", shown, header, body, read.limits.cells, sheet,
                                  first_row))
        return True
    if is_initiatives(name):
        source = input_location(shown, sheet=sheet)
        read.initiatives.append((source, parse_initiatives(header, body, shown, sheet,
                                                           first_row)))
        return True
    return False


# What Excel (and Google Sheets) shows in a cell whose formula failed; a CSV export writes it
# as text. LibreOffice writes its own codes, Err:502 and the like.
EXCEL_ERRORS = frozenset(("#N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!", "#ERROR!"))
_CALC_ERROR = re.compile(r"^Err:\d{3}$")


def suspect_cells(text: str) -> bool:
    """False when no cell of `text` (all of a table's text) can hold an Excel error text or
    double-encoded letters: a quick scan that spares looking at each cell."""
    return "#" in text or "Err:" in text or HIGH_RUN.search(text) is not None


def _cell_problems(rows: Sequence[tuple[object, ...]], header_at: int, shown: str,
                   sheet: str | None) -> list[Problem]:
    """Cells no reading can be right for, located: an Excel error text (from a CSV export, or
    typed), and double-encoded text ("Huá»³nh"), shown with its repair."""
    header = rows[header_at] if header_at < len(rows) else ()
    problems: list[Problem] = []
    garbled: list[Problem] = []
    for r, row in enumerate(rows[header_at:], start=header_at + 1):
        for c, v in enumerate(row):
            if not isinstance(v, str) or (v.isascii() and "#" not in v and "Err:" not in v):
                continue
            column = (nfc(str(header[c])) if r > header_at + 1 and c < len(header)
                      and not blank(header[c]) else _column_letter(c))
            where = input_location(shown, r, column, sheet)
            text = v.strip()
            if text.upper() in EXCEL_ERRORS or _CALC_ERROR.match(text):
                problems.append(Problem(where, _("the cell holds the Excel error {error}: "
                                                 "correct the formula it came from, or clear "
                                                 "the cell").format(error=text)))
                continue
            repaired = repair_double_encoded(v)
            if repaired is not None:
                garbled.append(Problem(where, _("double-encoded text {text!r} (UTF-8 read as "
                                                "Windows-1252 and saved again): it reads "
                                                "{repaired!r}; save the file again from the "
                                                "original as UTF-8, or retype it").format(
                                                    text=nfc(v)[:60],
                                                    repaired=nfc(repaired)[:60])))
    if len(garbled) > _GARBLED_CELLS_SHOWN:  # the whole file: said once
        first = garbled[0]
        garbled = [Problem(input_location(shown, sheet=sheet),
                           _("{count} cells hold double-encoded text, e.g. {where}: "
                             "{message}").format(count=len(garbled), where=first.where,
                                                 message=first.message))]
    return problems + garbled


_GARBLED_CELLS_SHOWN = 3


def decode_input(data: bytes, shown: str) -> str:
    """Bytes of a text file as NFC text; an undecidable or legacy encoding is an InputError
    naming the file (shared by every reader of hand-kept CSV files)."""
    try:
        text, _encoding = decode_text(data, shown)
    except UndecidableEncoding as e:
        raise InputError.one(shown, _("cannot decide the text encoding ({detail}); save it as "
                                      "UTF-8 (CSV UTF-8 in Excel)").format(
            detail=e.detail)) from None
    except LegacyEncoding as e:
        raise InputError.one(shown, _legacy_message(e.encoding, e.sample)) from None
    # DOS programs end a text file with Ctrl-Z (0x1A), which is not a row of data.
    return text.rstrip("\x1a")


def _csv(data: bytes, shown: str, name: str, read: _Read) -> None:
    if kind_of(name) is None and not is_initiatives(name) and not is_rounds(name):
        raise InputError.one(shown, _("cannot tell whether this file holds units or "
                                      "individuals: name it units*.csv or individuals*.csv (or "
                                      "sang_kien*.csv for a list of initiatives, rounds*.csv "
                                      "for review rounds)"))
    if not data.strip():
        raise InputError.one(shown, _("the file is empty"))
    _check_memory(shown, len(data), len(data) * _MEMORY_PER_BYTE
                  + _cells_in(data, (b",", b";", b"\t", b"\n")) * _MEMORY_PER_CELL)
    text, delimiter, skipped = _dialect(decode_input(data, shown))
    rows: list[tuple[object, ...]] = [()] * skipped  # the "sep=;" line keeps rows numbered
    # Strict: a quote left open, or text after a closing quote, is an error at its row rather
    # than a cell that silently swallows the rows below it.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    cells = 0
    try:
        for row in reader:
            if len(rows) > read.limits.rows + skipped + MAX_HEADER_ROWS:
                raise InputError.one(shown, _("more than {limit} rows; the limit is "
                                              "{limit}").format(limit=read.limits.rows))
            cells += len(row)
            if cells > read.limits.cells:
                raise InputError.one(shown, _("more than {limit} cells; the limit is "
                                              "{limit}").format(limit=read.limits.cells))
            rows.append(tuple(row))
    except csv.Error as e:
        message = str(e)
        if "field larger than field limit" in message:
            message = _("a cell is longer than {limit} characters").format(
                limit=csv.field_size_limit())
        raise InputError.one(input_location(shown, len(rows) + 1),
                             _("malformed CSV: {reason} (check for an unbalanced quote)").format(
                                 reason=message)) from None
    if not rows:
        raise InputError.one(shown, _("the file is empty"))
    _place(name, shown, rows, read, text=text)


_SEP_LINE = re.compile(r"^sep=(.)\r?$")
_QUOTED = re.compile(r'"[^"]*"')


def _dialect(text: str) -> tuple[str, str, int]:
    """The text without Excel's "sep=;" line, the delimiter, and the lines skipped.

    Excel writes "," or ";" by the computer's list separator, and "Unicode text" (UTF-16) with
    tabs, so the delimiter is the one of these the header line uses most, outside quotes.
    """
    first, _, rest = text.lstrip("\ufeff").partition("\n")
    m = _SEP_LINE.match(first)
    if m:
        return rest, m.group(1), 1
    counts = {d: _QUOTED.sub("", first).count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return text, best if counts[best] else ",", 0


def _legacy_message(encoding: str, sample: str) -> str:
    return _("the text is typed in the legacy {encoding} encoding (e.g. {sample!r}); convert "
             "it to Unicode (e.g. with Unikey's converter) and save again").format(
                 encoding=encoding, sample=sample)


def _check_legacy(texts: Sequence[str], where: str) -> None:
    """Refuse TCVN3/VNI text in a workbook or JSON file, naming the encoding and a sample."""
    encoding = detect_legacy_vietnamese("\n".join(texts))
    if encoding is None:
        return
    sample = next((t for t in texts if not t.isascii() and convert_legacy(t, encoding) != t),
                  texts[0])
    raise InputError.one(where, _legacy_message(encoding, sample[:60]))


# ------------------------------------------------------------------------------- workbooks


@dataclass
class _Sheet:
    """A worksheet's cell values as read, with what must stop the run: formulas, errors."""

    title: str
    rows: list[tuple[object, ...]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Layout:
    """What a sheet's cells do not say: merged ranges and hidden rows and columns (0-based)."""

    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)


def _laid_out(sheet: _Sheet, layout: _Layout, shown: str, hidden_sheet: bool,
              cells: int) -> _Sheet:
    """The sheet as its reader sees it: a value merged down over rows applies to each row that
    holds other values (a form's unit or group merged over its people), never a blank that
    falls back to a default; merged across columns it stays in its first column, as Excel
    keeps it. A hidden sheet, row or column holding values is refused: what the council
    checked on screen must be what is scored, and a hidden row would be a record nobody saw."""
    rows = [list(r) for r in sheet.rows]
    header = _header_rows(rows)
    spanned = sum(max(0, min(r2, len(rows) - 1) - r1) for r1, _c1, r2, _c2 in layout.merged)
    if spanned > cells:  # forged: a million merges down a million rows
        sheet.problems.append(Problem(input_location(shown, sheet=sheet.title),
                                      _("merged ranges span {rows} rows; the limit is {limit} "
                                        "cells").format(rows=spanned, limit=cells)))
        return sheet
    for r1, c1, r2, _c2 in layout.merged:
        if r1 in header or r1 >= len(rows) or c1 >= len(rows[r1]) or blank(rows[r1][c1]):
            continue  # a header merged over rows is the header's business (`stack_header`)
        for r in range(r1 + 1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            if not any(not blank(v) for k, v in enumerate(row) if k != c1):
                continue  # a blank row stays blank: no record is made of a merge alone
            row.extend([None] * (c1 + 1 - len(row)))
            if blank(row[c1]):
                row[c1] = rows[r1][c1]
    sheet.rows = [tuple(r) for r in rows]
    where = input_location(shown, sheet=sheet.title)
    holds = [k for k, r in enumerate(sheet.rows) if any(not blank(v) for v in r)]
    if hidden_sheet and holds:
        sheet.problems.append(Problem(where, _("the sheet is hidden: unhide it (Format > "
                                               "Sheet > Unhide) to check what is scored, or "
                                               "delete it")))
        return sheet
    with_values = set(holds)
    rows_hidden = [r + 1 for r in sorted(layout.hidden_rows) if r in with_values]
    if rows_hidden:
        sheet.problems.append(Problem(where, _("hidden rows hold values (rows {rows}): unhide "
                                               "them to check what is scored, or delete them")
                                      .format(rows=_listed(rows_hidden))))
    columns_hidden = [_column_letter(c) for c in sorted(layout.hidden_columns)
                      if any(c < len(r) and not blank(r[c]) for k, r in enumerate(sheet.rows)
                             if k not in header)]  # a header above an empty column is no data
    if columns_hidden:
        sheet.problems.append(Problem(where, _("hidden columns hold values (columns "
                                               "{columns}): unhide them to check what is "
                                               "scored, or delete them").format(
                                                   columns=_listed(columns_hidden))))
    return sheet


def _header_rows(rows: Sequence[Sequence[object]]) -> set[int]:
    """The rows a header may span: the first non-blank rows of text alone (a data row holds a
    number somewhere), at most MAX_HEADER_ROWS of them."""
    out: set[int] = set()
    for k, row in enumerate(rows):
        cells = [v for v in row if not blank(v)]
        if not cells:
            continue
        if len(out) == MAX_HEADER_ROWS or not all(isinstance(v, str) for v in cells):
            break
        out.add(k)
    return out


def _listed(items: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in items[:10])
    return shown + (_(" and {count} more").format(count=len(items) - 10)
                    if len(items) > 10 else "")


# Parts of a sheet's XML that say what its cells do not (attributes in any order, any prefix).
_LAYOUT_TAG = re.compile(rb"<(?:\w+:)?(row|col|mergeCell)\b([^>]*)>")
_ATTRIBUTE = re.compile(rb'\b(r|min|max|hidden|ref)="([^"]*)"')
_REF = re.compile(r"^([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?$")


def _sheet_layout(zf: zipfile.ZipFile, path: str) -> _Layout:
    """Merged ranges and hidden rows and columns of one sheet, from its XML, read in chunks (a
    sheet may unpack to hundreds of megabytes; openpyxl's read-only mode does not give these)."""
    layout = _Layout()
    with zf.open(path.lstrip("/")) as f:
        tail = b""
        while chunk := f.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")
            cut = cut if cut > text.rfind(b">") else len(text)
            for m in _LAYOUT_TAG.finditer(text, 0, cut):
                _layout_tag(layout, m.group(1), dict(_ATTRIBUTE.findall(m.group(2))))
            tail = text[cut:]
    return layout


def _layout_tag(layout: _Layout, tag: bytes, attrs: dict[bytes, bytes]) -> None:
    hidden = attrs.get(b"hidden") in (b"1", b"true")
    if tag == b"row" and hidden and attrs.get(b"r", b"").isdigit():
        layout.hidden_rows.add(int(attrs[b"r"]) - 1)
    elif tag == b"col" and hidden and attrs.get(b"min", b"").isdigit():
        first, last = int(attrs[b"min"]), int(attrs.get(b"max", attrs[b"min"]))
        layout.hidden_columns.update(range(first - 1, min(last, 16_384)))
    elif tag == b"mergeCell":
        m = _REF.match(attrs.get(b"ref", b"").decode("ascii", errors="replace"))
        if m is not None and m.group(3):
            layout.merged.append((int(m.group(2)) - 1, _column_index(m.group(1)),
                                  int(m.group(4)) - 1, _column_index(m.group(3))))


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _xlsx(data: bytes, shown: str, read: _Read) -> None:
    if data.startswith(_OLE_MAGIC):  # an Excel 97-2003 workbook, or a password-protected one
        _xls(data, shown, read)
        return
    _check_zip(data, shown, read.limits)
    _workbook(_read_sheets(data, shown, read.limits), shown, read)


def _workbook(sheets: list[_Sheet], shown: str, read: _Read) -> None:
    """File a workbook's sheets (read from .xlsx or .xls) as record tables or initiatives."""
    if not sheets:
        raise InputError.one(shown, _("no sheet named for units or individuals (e.g. 'Đơn vị', "
                                      "'Cá nhân', 'units', 'individuals')"))
    problems: list[Problem] = []
    for sheet in sheets:
        problems.extend(sheet.problems)
        if all(all(blank(v) for v in r) for r in sheet.rows):
            if kind_of(sheet.title) is not None:
                problems.append(Problem(input_location(shown, sheet=sheet.title),
                                        _("the sheet is empty")))
            continue
        try:
            _check_legacy(sheet.texts, input_location(shown, sheet=sheet.title))
            _place(sheet.title, shown, sheet.rows, read, sheet.title, "\n".join(sheet.texts))
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)


# What openpyxl and zipfile raise on damaged or hand-made parts (a styles part of the wrong
# shape is a TypeError deep inside openpyxl's descriptors, a missing part a KeyError).
_BROKEN: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, EOFError, KeyError, IndexError, TypeError, AttributeError,
    OSError, ValueError, ParseError, NotImplementedError)
_XML_PARTS = (".xml", ".rels", ".vml")
_ROOT_START = re.compile(r"<[A-Za-z_]")  # the root element: not "<?xml", "<!--" or "<!DOCTYPE"
_MAX_PROLOG = 1_000_000  # characters before the root element; real parts have about fifty


def _damaged(shown: str, e: Exception) -> InputError:
    return InputError([Problem(shown, _("not a readable .xlsx workbook ({reason}); it may be "
                                        "truncated or damaged: open it in Excel or LibreOffice "
                                        "and save it again").format(
                                            reason=f"{type(e).__name__}: {str(e)[:80]}"))])


def _check_zip(data: bytes, shown: str, limits: Limits) -> None:
    """Refuse a workbook by its zip directory and XML prologs, before openpyxl parses it.

    The uncompressed sizes come from the zip directory, and Python's zipfile never inflates a
    member beyond its stated size (it fails the CRC check instead), so summing them bounds what
    reading the workbook can unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            total = sum(m.file_size for m in members)
            if total > limits.unzipped_bytes:
                raise InputError.one(shown, _("the workbook unpacks to {size} bytes; the limit "
                                              "is {limit}").format(
                    size=total, limit=limits.unzipped_bytes))
            _check_memory(shown, len(data), total + total // _XML_BYTES_PER_CELL
                          * _MEMORY_PER_CELL)
            for m in members:
                if (m.file_size > limits.bomb_min_bytes
                        and m.file_size > limits.bomb_ratio * max(m.compress_size, 1)):
                    raise InputError.one(shown, _("{part} unpacks to {size} bytes from "
                                                  "{compressed}: a zip bomb, not a workbook a "
                                                  "spreadsheet program writes").format(
                        part=m.filename, size=m.file_size, compressed=m.compress_size))
            for m in members:
                if m.filename.lower().endswith(_XML_PARTS) and _declares_dtd(zf, m):
                    raise InputError.one(shown, _("{part} declares a DTD (<!DOCTYPE>), which "
                                                  "spreadsheet programs never write: the file "
                                                  "was made to attack XML readers").format(
                        part=m.filename))
    except _BROKEN as e:
        raise _damaged(shown, e) from None


def _declares_dtd(zf: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """True when an XML part has `<!DOCTYPE` before its root element (in UTF-8 or UTF-16)."""
    head = b""
    with zf.open(member) as f:
        while len(head) < _MAX_PROLOG:
            chunk = f.read(65_536)
            if not chunk:
                break
            head += chunk
            text = _xml_text(head)
            root = _ROOT_START.search(text)
            if root is not None:
                return "<!DOCTYPE" in text[: root.start()].upper()
    return "<!DOCTYPE" in _xml_text(head).upper() or len(head) >= _MAX_PROLOG


def _xml_text(head: bytes) -> str:
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"))
    return head.decode("utf-16" if utf16 else "utf-8", errors="replace")


def _read_sheets(data: bytes, shown: str, limits: Limits) -> list[_Sheet]:
    """The sheets whose names announce records or initiatives; damage is one clear error.

    A workbook is read lazily, so a truncated or corrupt one can fail while its rows are
    iterated as well as when it is opened: both are covered here, and nothing else is.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    broken: tuple[type[Exception], ...] = (*_BROKEN, InvalidFileException)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it does not need for reading values.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    return [_laid_out(_sheet(ws, shown, limits),
                                      _sheet_layout(zf, ws._worksheet_path),  # type: ignore[attr-defined]
                                      shown, ws.sheet_state != "visible", limits.cells)
                            for ws in wb.worksheets
                            if kind_of(ws.title) is not None or is_initiatives(ws.title)
                            or is_rounds(ws.title)]
            finally:
                wb.close()
    except broken as e:
        raise _damaged(shown, e) from None


def _sheet(ws: Any, shown: str, limits: Limits) -> _Sheet:
    """A worksheet's values, row by row, within the row and cell limits.

    openpyxl's read-only mode trusts the sheet's `<dimension>` tag: rows and columns beyond a
    stale one are silently cut, and a forged one makes millions of empty cells. So the
    dimensions are reset and the cells themselves decide; trailing blank cells are dropped.
    """
    from openpyxl.worksheet.formula import ArrayFormula

    sheet = _Sheet(ws.title)
    ws.reset_dimensions()
    where = input_location(shown, sheet=ws.title)
    cells_read = 0
    for r_index, cells in enumerate(ws.iter_rows(), start=1):
        if r_index > limits.rows + MAX_HEADER_ROWS + 1:
            raise InputError.one(where, _("more than {limit} rows; the limit is {limit}")
                                 .format(limit=limits.rows))
        cells_read += len(cells)
        if cells_read > limits.cells:
            raise InputError.one(where, _("more than {limit} cells (counting the empty ones "
                                          "between them); the limit is {limit}").format(
                limit=limits.cells))
        # An error cell is reported below, once: its text is not read again as a value.
        values = [None if c.data_type == "e" else _shown_value(c) for c in cells]
        while values and blank(values[-1]):
            values.pop()
        sheet.rows.append(tuple(values))
        for c_index, c in enumerate(cells):
            if c.data_type == "f" and isinstance(c.value, ArrayFormula):
                message = _("array formula {formula!r} over {cells}: formulas are not read; "
                            "copy the cells and paste them back as values").format(
                                formula=c.value.text, cells=c.value.ref)
            elif c.data_type == "f":
                message = _("formula {formula!r}: formulas are not read; copy the cells and "
                            "paste them back as values").format(formula=str(c.value)[:40])
            elif c.data_type == "e":
                message = _("the cell shows the error {error}: correct or clear it").format(
                    error=c.value)
            else:
                if isinstance(c.value, str):
                    sheet.texts.append(c.value)
                continue
            sheet.problems.append(Problem(
                input_location(shown, r_index, _column_letter(c_index), ws.title), message))
    return sheet


def _shown_value(cell: Any) -> object:
    """A cell's value as the sheet shows it where the two differ: a number formatted as a
    percentage (1.0 shown as 100%) becomes the text "100%", which a percentage column reads
    as 100 and any other column refuses."""
    v = cell.value
    if (isinstance(v, int | float) and not isinstance(v, bool)
            and "%" in _unquoted(getattr(cell, "number_format", None) or "")):
        return _as_percentage(v)
    return v


def _as_percentage(v: float) -> str:
    d = Decimal(format(v, ".15g")) * 100
    return f"{format(d.normalize(), 'f')}%"


def _unquoted(number_format: str) -> str:
    """A number format without its quoted text and escaped characters ("%" shown literally)."""
    return re.sub(r'"[^"]*"|\\.', "", number_format)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ------------------------------------------------------------------------------- .xls


def _xls(data: bytes, shown: str, read: _Read) -> None:
    """An Excel 97-2003 workbook, read with calamine: its sheets as an .xlsx workbook's, with
    merged ranges and hidden sheets; hidden rows and columns, percentage formats, formulas and
    error cells from its BIFF records (`biff.xls_layout`), as calamine gives none of them.
    Should the records not be readable, hidden rows, formulas and errors are read as calamine
    gives them and numbers' formats are unknown (`FormatUnknown`)."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    from scoring.inputs.biff import SheetLayout, xls_layout

    if data.lstrip()[:1] == b"<":  # what web portals export as "Excel": HTML or XML text
        raise InputError.one(shown, _("a web page (HTML or XML text) under a workbook's name, "
                                      "not a workbook: open it in Excel and save it as .xlsx"))
    layouts = xls_layout(data)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in wb.sheets_metadata:
            if not (kind_of(meta.name) is not None or is_initiatives(meta.name)
                    or is_rounds(meta.name)):
                continue
            ws = wb.get_sheet_by_name(meta.name)
            where = input_location(shown, sheet=meta.name)
            if ws.height > read.limits.rows + MAX_HEADER_ROWS + 1:
                raise InputError.one(where, _("more than {limit} rows; the limit is {limit}")
                                     .format(limit=read.limits.rows))
            if ws.height * ws.width > read.limits.cells:
                raise InputError.one(where, _("more than {limit} cells (counting the empty ones "
                                              "between them); the limit is {limit}").format(
                    limit=read.limits.cells))
            sheet = _Sheet(meta.name)
            known = None if layouts is None else layouts.get(meta.name, SheetLayout())
            for r, row in enumerate(ws.to_python(skip_empty_area=False)):
                values = [_xls_value(v, r, c, known) for c, v in enumerate(row)]
                while values and blank(values[-1]):
                    values.pop()
                sheet.rows.append(tuple(values))
                sheet.texts.extend(v for v in values if isinstance(v, str) and v)
            merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in ws.merged_cell_ranges or ()]
            layout = _Layout(merged=merged)
            if known is not None:
                layout.hidden_rows, layout.hidden_columns = known.hidden_rows, known.hidden_columns
                sheet.problems.extend(_xls_cell_problems(known, shown, meta.name))
            sheets.append(_laid_out(sheet, layout, shown,
                                    meta.visible != SheetVisibleEnum.Visible, read.limits.cells))
        wb.close()
    except (InputError, MemoryError):
        raise
    except Exception as e:  # calamine's errors: damaged, encrypted, not a workbook at all
        name = type(e).__name__
        hint = (_("the workbook has a password: open it, remove the password and save again")
                if "Password" in name else _("it may be damaged: open it in Excel or "
                                             "LibreOffice and save it again"))
        raise InputError.one(shown, _("not a readable .xls workbook ({reason}); {hint}").format(
            reason=f"{name}: {str(e)[:80]}", hint=hint)) from None
    _workbook(sheets, shown, read)


def _xls_cell_problems(known: Any, shown: str, sheet: str) -> list[Problem]:
    """Formulas and error cells of an .xls sheet, refused as in an .xlsx workbook."""
    formula = _("a formula: formulas are not read; copy the cells and paste them back as "
                "values")
    found = [(r, c, formula) for r, c in known.formula_cells]
    found += [(r, c, _("the cell shows an error: correct or clear it"))
              for r, c in known.error_cells]
    return [Problem(input_location(shown, r + 1, _column_letter(c), sheet), message)
            for r, c, message in sorted(found)]


def _xls_value(v: object, row: int, column: int, known: Any) -> object:
    """A calamine value as the sheet shows it: a percentage as its text ("95%"); a number
    whose format is unknown marked so (`FormatUnknown`)."""
    if not isinstance(v, int | float) or isinstance(v, bool):
        return v
    if known is None:
        return FormatUnknown(v) if isinstance(v, float) else v
    return _as_percentage(v) if (row, column) in known.percent_cells else v


# ------------------------------------------------------------------------------- JSON


class _JsonRefused(ValueError):
    """What JSON allows but a submission must not hold (see `_json`)."""


def _refuse_constant(name: str) -> object:
    raise _JsonRefused(_("{name} is not a number a submission can hold").format(name=name))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise _JsonRefused(_("the key {key!r} appears twice in one object; the second "
                                 "would silently replace the first").format(key=key))
        doc[key] = value
    return doc


def _json(data: bytes, shown: str, read: _Read) -> None:
    """A JSON file `{"units": [...], "individuals": [...]}`: lists of flat objects.

    Python's json module accepts NaN and Infinity and lets a repeated key replace the earlier
    one; both would lose data silently here (NaN reads as a blank cell, a second "individuals"
    list replaces the first), so both are refused. Cells must be single values.
    """
    _check_memory(shown, len(data), len(data) * _MEMORY_PER_BYTE
                  + _cells_in(data, (b":",)) * _MEMORY_PER_CELL * 2)  # a dict entry per cell
    try:
        # Numbers with a fraction or an exponent are read as exact decimals, never as floats.
        doc = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant,
                         parse_float=Decimal, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise InputError.one(shown, _("invalid JSON: nested too deeply")) from None
    except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError, digit limits, _JsonRefused
        raise InputError.one(shown, _("invalid JSON: {reason}").format(
            reason=str(e)[:200])) from None
    if not isinstance(doc, dict):
        raise InputError.one(shown, _('expected {{"units": [...], "individuals": [...]}}')
                             .format())
    found = False
    for key, rows in doc.items():
        if kind_of(key) is None and not is_initiatives(key) and not is_rounds(key):
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError.one(f"{shown}, {key}", _("expected a list of objects"))
        header: list[str] = []
        problems: list[Problem] = []
        for i, r in enumerate(rows):
            header.extend(k for k in r if k not in header)
            problems.extend(Problem(input_location(f"{shown}#{key}", i + 2, k),
                                    _("expected a single value, found {kind} {value}").format(
                                        kind=type(v).__name__,
                                        value=json.dumps(v, ensure_ascii=False,
                                                         default=str)[:60]))
                            for k, v in r.items() if isinstance(v, dict | list))
        if problems:
            raise InputError(problems)
        texts = [v for r in rows for v in r.values() if isinstance(v, str)]
        _check_legacy(texts, f"{shown}#{key}")
        table = [tuple(header), *(tuple(r.get(h) for h in header) for r in rows)]
        found = _place(key, f"{shown}#{key}", table, read, text="\n".join(texts)) or found
    if not found:
        raise InputError.one(shown, _('no "units" or "individuals" list in this JSON file'))


# ------------------------------------------------------------------------------- initiatives


def _scope(value: object) -> str | None:
    f = fold(str(value))
    for scope, words in SCOPE_WORDING.items():
        if f in {fold(w) for w in words}:
            return scope
    return None


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "" if blank(v) else nfc(str(v))


def parse_initiatives(header: Sequence[Any], rows: Sequence[tuple[object, ...]], file: str,
                      sheet: str | None = None, first_row: int = 2) -> list[Initiative]:
    """Read an initiatives list: one row per initiative and author.

    Columns (Vietnamese or English): the author's id ("Mã cá nhân"), the scope of recognition
    ("Phạm vi": co_so/tinh/toan_quoc or "Cấp cơ sở", "Cấp tỉnh", "Toàn quốc"; ministry level
    counts as provincial) and the recognition decision ("Số quyết định"), all required, because
    an initiative counts only once recognised; optionally its title and the author's name. A
    header may span rows like a record sheet's. Every problem is raised at once, located by
    file, sheet and row; an empty list is no initiatives.
    """
    known = {fold(a): name for name, aliases in INITIATIVE_COLUMNS.items() for a in aliases}
    head, used = stack_header(header, rows, known)
    rows, first_row = rows[used:], first_row + used
    header_where = input_location(file, first_row - 1 if first_row > 1 else None, sheet=sheet)
    cols: dict[str, int] = {}
    for i, h in enumerate(head):
        name = match_header(h, known) if h else None
        if name is not None:
            cols.setdefault(name, i)
    problems = [Problem(header_where, _("initiatives list: required column {name!r} is "
                                        "missing (e.g. {example!r})").format(
                                            name=name, example=INITIATIVE_COLUMNS[name][2]))
                for name in _INITIATIVE_REQUIRED if name not in cols]
    if problems:
        raise InputError(problems)

    def cell(row: tuple[object, ...], name: str) -> str:
        i = cols.get(name)
        return _cell_text(row[i]) if i is not None and i < len(row) else ""

    out: list[Initiative] = []
    seen: dict[tuple[str, str, str], int] = {}
    for offset, row in enumerate(rows):
        if all(blank(v) for v in row):
            continue
        rownum = first_row + offset

        def where(name: str, rownum: int = rownum) -> str:
            return input_location(file, rownum, head[cols[name]], sheet)

        person, scope_text = cell(row, "person"), cell(row, "scope")
        decision, title = cell(row, "decision"), cell(row, "title")
        scope = _scope(scope_text)
        if not person:
            problems.append(Problem(where("person"), _("the author's id is required")))
        if scope is None:
            shown = _(" (found {value!r})").format(value=scope_text) if scope_text else ""
            problems.append(Problem(where("scope"), _("expected a scope of recognition: Cấp cơ "
                                                      "sở, Cấp tỉnh or Toàn quốc{found}").format(
                                                          found=shown)))
        if not decision:
            problems.append(Problem(where("decision"), _("the recognition decision number "
                                                         "is required: an initiative counts "
                                                         "only once recognised")))
        if not person or scope is None or not decision:
            continue
        if title:
            key = (person, fold(decision), fold(title))
            if key in seen:
                problems.append(Problem(where("title"), _("{title!r} of {person} under "
                                                          "decision {decision} is listed twice "
                                                          "(first at row {row})").format(
                    title=title, person=person, decision=decision, row=seen[key])))
                continue
            seen[key] = rownum
        out.append(Initiative(person, scope, decision, title, Origin(file, rownum, sheet)))
    if problems:
        raise InputError(problems)
    return out


def _id_column(table: RawTable) -> int | None:
    known = header_map("individual", {})
    return next((i for i, h in enumerate(table.header)
                 if h and match_header(str(h), known) == "id"), None)


def fold_initiatives(tables: Sequence[RawTable], initiatives: Sequence[Initiative],
                     source: str) -> list[RawTable]:
    """Fold an initiatives list into the individuals tables read with it, as counts per scope.

    Each individuals table gains three columns named for the inputs `initiatives_co_so`,
    `initiatives_tinh` and `initiatives_toan_quoc`, marked as derived from `source`: a person
    listed in the initiatives gets the number of their rows at each scope (0 included), others
    stay blank so their own cells or the input's default apply. Validation then uses a count
    only if the rule set declares that input (otherwise it warns), and refuses a person whose
    own count cell disagrees with the list: once listed, a person's list is complete.

    An initiative whose author is in none of the individuals tables is an error at its row.
    Other tables pass through unchanged.
    """
    counts: dict[str, Counter[str]] = {}
    for ini in initiatives:
        counts.setdefault(ini.person, Counter())[ini.scope] += 1
    people = [t for t in tables if t.kind == "individual"]
    if initiatives and not people:
        raise InputError.one(source, _("an initiatives list needs the individuals (Cá nhân) "
                                       "it refers to, in the same workbook or folder"))
    ids: set[str] = set()
    out: list[RawTable] = []
    for t in tables:
        col = _id_column(t) if t.kind == "individual" else None
        if col is None:
            out.append(t)
            continue
        width = len(t.header)
        rows = []
        for row in t.rows:
            pid = _cell_text(row[col]) if col < len(row) else ""
            ids.add(pid)
            padded = tuple(row) + (None,) * (width - len(row))
            mine = counts.get(pid)
            rows.append(padded + tuple(None if mine is None else mine[s] for s in COUNT_INPUTS))
        out.append(replace(t, header=t.header + tuple(COUNT_INPUTS.values()), rows=tuple(rows),
                           derived=t.derived + tuple((width + k, source)
                                                     for k in range(len(COUNT_INPUTS)))))
    problems = [Problem(str(ini.origin), _("no person with id {id!r} in the individuals read "
                                           "with this list").format(id=ini.person))
                for ini in initiatives if ini.person not in ids]
    if problems:
        raise InputError(problems)
    return out
