"""Past years: the history store, and the rule language's functions that read it.

Higher titles need past years (three consecutive CSTĐCS for CSTĐ cấp tỉnh, two years "xuất sắc"
with two initiatives for a Bằng khen), so a council keeps its results year by year. The store is
a folder:

- `<year>.json`: the tool's own outputs (`scoring score ... --format json -o DIR/2023.json`),
  one per year. The year is the one in the file name (an output states its rule set's year,
  which is earlier when, say, 2022 is scored with rules/2021), else `ruleset.year`. Read, for
  `individuals[]` and `units[]`: `id`, `name`, `unit` (individuals) or `cluster` (units),
  `titles`, `score`, `inputs`, `computed`, `points`, `aggregates` and the final `rating`.
  A `manifest.json` beside them is skipped, and so are files other than .json, .csv, .xlsx.
- `titles.csv` (or `.xlsx`, first sheet): titles entered by hand, for the years before the tool
  or decided later by the province. Columns: `id` (Mã), `year` (Năm), `title` (Danh hiệu: an id
  such as CSTDCS or its label), `decision` (Số quyết định), and optionally `kind` (cá nhân / tập
  thể; otherwise the title's own kind), `name`, `status` (`declined` / "không công nhận" removes
  a title that a year's output proposed but the province did not grant).
- `initiatives.csv` (or `.xlsx`): initiatives recognised per year. Columns: `person_id` (Mã cá
  nhân), `year`, `scope` (Cấp cơ sở / Cấp tỉnh / Toàn quốc), `decision`, and optionally `title`
  and `used_for` (the title id the initiative was already used for, e.g. CSTDCS). When a person
  has rows for a year they replace the counts of that year's output.
- `unit_aliases.csv` (or `.xlsx`): `old_id`, `new_id`, `from_year`: a unit renamed or merged;
  records under `old_id` before `from_year` are the history of `new_id` (chains follow).

History follows stable ids: a person who moves between units keeps their id, so their chain
follows them; a unit renamed or merged follows the alias table. Where several units merged, a
year counts for the merged unit only if it counts for every one of them (a title held by all).

The functions (see `expr.HISTORY_FUNCTIONS` for the syntax; Y is the year being scored):

- `consecutive_years(T)`: the number of consecutive years ending with Y in which the record held
  title T, Y included when T is decided this year (0 when it is not). T is this year's title of
  the same kind, so the rule reading it is decided after T (the compiler's title order).
- `years_with(C, last=N)`: in how many of the N years ending with Y the condition C held, C being
  read on each year's record (its inputs, computed fields, points, score and titles) and, for Y,
  on this year's record. Without `last`: every year the store knows.
- `count_initiatives(scope >= "tinh", last=N, unused_for=T)`: the initiatives and accepted
  science projects of the N years ending with Y, at the scopes selected (`scope` compared with
  ==, !=, <, <=, >, >= on co_so < tinh < toan_quoc, or `scope in (...)`; all scopes without it);
  those the initiatives list marks as used for T are left out.
- `since=T` (every function): only years after the last earlier year in which the record held T
  count, so that one chain of achievements is rewarded once.

A call stays one name in the parsed expression; the compiler rewrites it into the past part, a
number precomputed per record from the store (`past.<call>` in the record's scope), and this
year's part read from the record's own fields, e.g. `consecutive_years(CSTDCS) >= 3` becomes
`(past.consecutive_years(CSTDCS) + 1) * (1 if CSTDCS else 0) >= 3`. The engine still decides:
only numbers are precomputed, never a decision. With no store every past part is 0. What
counted is kept per record (`RecordResult.history`): the value and the years, for `explain`.
"""

from __future__ import annotations

import ast
import csv
import difflib
import hashlib
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from xml.etree.ElementTree import ParseError

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.base.text import fold, nfc
from scoring.inputs.keys import visible_form
from scoring.inputs.readers import SCOPE_WORDING, decode_input
from scoring.inputs.records import Record, blank, match_header
from scoring.language import expr
from scoring.rulesets.ruleset import KINDS, Kind, RuleSet

if TYPE_CHECKING:  # these import the compiler, which imports this module
    from scoring.evaluation.result import HistoryValue, RecordResult, Result
    from scoring.rulesets.compile import Compiled

__all__ = [
    "EMPTY",
    "REVIEW_PARAMS",
    "History",
    "PastInitiative",
    "Query",
    "Resolver",
    "Snapshot",
    "attach",
    "check_people",
    "evaluate",
    "explain_lines",
    "is_call",
    "load_history",
    "past_fields",
    "past_of",
    "snapshot_of",
    "title_kinds",
]

PAST = "past"
# The parameters by which a rule set declares its typical examples for `scoring review`.
REVIEW_PARAMS: dict[Kind, str] = {"individual": "review_typical_individual",
                                  "unit": "review_typical_unit"}
SCOPES = ("co_so", "tinh", "toan_quoc")
# The inputs that count a year's initiatives at each scope: initiatives and accepted science
# projects count alike (Luật TĐKT 2022 Điều 74 khoản 1 điểm d names both).
INITIATIVE_INPUTS: dict[str, tuple[str, ...]] = {
    s: (f"initiatives_{s}", f"projects_{s}") for s in SCOPES}
MAX_HISTORY_BYTES = 200_000_000
_ZERO = Decimal(0)

# ---------------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Snapshot:
    """One record in one year as the store knows it: the titles it held, the values it had."""

    kind: Kind
    id: str  # the stable id (aliases followed)
    year: int
    name: str
    group: str  # an individual's unit (aliases followed), a unit's cluster
    titles: frozenset[str]
    score: Decimal | None
    values: Mapping[str, expr.Value]  # inputs, computed fields, points, aggregates, rating
    source: str
    declared_id: str = ""  # the id as that year wrote it, when a rename changed it

    def scope(self, title_ids: Iterable[str]) -> dict[str, expr.Value]:
        """The values a condition reads on this year: fields, score, titles as booleans."""
        scope: dict[str, expr.Value] = {"id": self.id, "name": self.name,
                                        "unit_id" if self.kind == "individual" else "cluster":
                                        self.group, **self.values}
        if self.score is not None:
            scope["score"] = self.score
        scope.update({t: t in self.titles for t in (*title_ids, *self.titles)})
        return scope


@dataclass(frozen=True)
class PastInitiative:
    person: str
    year: int
    scope: str  # one of SCOPES
    decision: str
    title: str
    used_for: str
    source: str


@dataclass(frozen=True)
class Alias:
    old: str
    new: str
    from_year: int
    name: str
    source: str


@dataclass(frozen=True)
class History:
    """The store, read: snapshots per (kind, stable id) and year, initiatives per person and year.

    A year holds a tuple of snapshots: one, or several when units merged into one id.
    """

    records: Mapping[tuple[Kind, str], Mapping[int, tuple[Snapshot, ...]]] = field(
        default_factory=dict)
    initiatives: Mapping[tuple[str, int], tuple[PastInitiative, ...]] = field(
        default_factory=dict)
    aliases: tuple[Alias, ...] = ()
    files: tuple[tuple[str, str, int], ...] = ()  # path, sha256, bytes
    warnings: tuple[str, ...] = ()

    def years(self) -> tuple[int, ...]:
        """Every year the store holds a record or an initiative for."""
        out = {y for by_year in self.records.values() for y in by_year}
        out |= {y for _, y in self.initiatives}
        return tuple(sorted(out))

    def of(self, kind: Kind, rid: str) -> Mapping[int, tuple[Snapshot, ...]]:
        return self.records.get((kind, rid), {})

    def stable_id(self, kind: Kind, rid: str, year: int) -> str:
        """The id under which `rid`, as written in `year`, is kept (aliases followed)."""
        return _follow(rid, year, self.aliases) if kind == "unit" else rid

    def between(self, first: int, last: int) -> History:
        """The store restricted to the years first..last."""
        return replace(self, records={k: {y: s for y, s in v.items() if first <= y <= last}
                                      for k, v in self.records.items()},
                       initiatives={k: v for k, v in self.initiatives.items()
                                    if first <= k[1] <= last})


EMPTY = History()


def _follow(rid: str, year: int, aliases: Sequence[Alias]) -> str:
    """Follow renames: an id written in `year` before an alias took effect becomes the new id."""
    seen = {rid}
    changed = True
    while changed:
        changed = False
        for a in aliases:
            if a.old == rid and year < a.from_year:
                rid = a.new
                changed = rid not in seen
                seen.add(rid)
                break
    return rid


# --------------------------------------------------------------------------------- loading


@dataclass
class _Builder:
    """What the files of a store give, before it is frozen."""

    titles: Mapping[str, tuple[str, Kind]]
    ruleset: str | None = None  # the rule set the year files must have been made with
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[tuple[str, str, int]] = field(default_factory=list)
    years: dict[int, str] = field(default_factory=dict)  # year → the output that holds it
    snaps: dict[tuple[Kind, str, int], Snapshot] = field(default_factory=dict)
    initiatives: list[PastInitiative] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)


def load_history(folder: Path, titles: Mapping[str, tuple[str, Kind]],
                 ruleset: str | None = None) -> History:
    """Read a history folder; every problem of every file at once (InputError, exit 2).

    `titles` maps the rule set's title ids to (label, kind): titles typed by hand are matched
    against them (by id or label), and a misspelt one is refused with a suggestion. `ruleset`:
    the id of this run's rule set; a year file made with another is refused (a history holds
    one council's results: another's would lend its titles to whoever has the same ids).
    """
    if not folder.is_dir():
        raise InputError.one(str(folder), _("history folder not found"))
    b = _Builder(titles, ruleset)
    sheets: dict[str, list[tuple[Path, bytes]]] = {"aliases": [], "titles": [],
                                                    "initiatives": []}
    outputs: list[tuple[Path, bytes]] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")) or path.name == "manifest.json":
            continue
        suffix = path.suffix.lower()
        if suffix not in (".json", ".csv", ".xlsx", ".xls"):
            continue  # README.md and other notes
        data = _read(path, b)
        if data is None:
            continue
        if suffix == ".xls":
            b.problems.append(Problem(str(path), _("an old .xls workbook: save it as .xlsx")))
        elif suffix == ".json":
            outputs.append((path, data))
        elif (what := _sheet_kind(path.stem)) is None:
            b.problems.append(Problem(str(path), _("not a history sheet: name it titles, "
                                                   "initiatives or unit_aliases (.csv or "
                                                   ".xlsx)")))
        else:
            sheets[what].append((path, data))
    for path, data in sheets["aliases"]:
        _aliases(b, path, data)
    _check_aliases(b)
    for path, data in outputs:
        _output(b, path, data)
    for path, data in sheets["titles"]:
        _hand_titles(b, path, data)
    for path, data in sheets["initiatives"]:
        _initiatives(b, path, data)
    if b.problems:
        raise InputError(b.problems)
    return _freeze(b)


def _read(path: Path, b: _Builder) -> bytes | None:
    try:
        size = path.stat().st_size
        if size > MAX_HISTORY_BYTES:
            b.problems.append(Problem(str(path), _("file is {size} bytes; the limit is "
                                                   "{limit}").format(size=size,
                                                                     limit=MAX_HISTORY_BYTES)))
            return None
        data = path.read_bytes()
    except OSError as e:
        b.problems.append(Problem(str(path), _("cannot read: {reason}").format(
            reason=e.strerror)))
        return None
    b.files.append((str(path), hashlib.sha256(data).hexdigest(), len(data)))
    return data


_SHEET_WORDS = {
    "aliases": ("unit aliases", "unit_aliases", "aliases", "doi ten", "ma don vi cu"),
    "titles": ("titles", "danh hieu", "khen thuong"),
    "initiatives": ("initiatives", "sang kien"),
}


def _sheet_kind(stem: str) -> str | None:
    f = fold(stem)
    for what, words in _SHEET_WORDS.items():
        if any(f == fold(w) or f.startswith(fold(w) + " ") for w in words):
            return what
    return None


def _freeze(b: _Builder) -> History:
    by_record: dict[tuple[Kind, str], dict[int, list[Snapshot]]] = {}
    for snap in sorted(b.snaps.values(), key=lambda s: (s.kind, s.id, s.year, s.declared_id)):
        by_record.setdefault((snap.kind, snap.id), {}).setdefault(snap.year, []).append(snap)
    initiatives: dict[tuple[str, int], list[PastInitiative]] = {}
    for ini in b.initiatives:
        initiatives.setdefault((ini.person, ini.year), []).append(ini)
    return History(
        records={k: {y: tuple(s) for y, s in sorted(v.items())} for k, v in by_record.items()},
        initiatives={k: tuple(v) for k, v in sorted(initiatives.items())},
        aliases=tuple(b.aliases), files=tuple(b.files), warnings=tuple(b.warnings))


# ------------------------------------------------------------------------- the JSON outputs

_LISTS: dict[Kind, str] = {"individual": "individuals", "unit": "units"}
_GROUP: dict[Kind, str] = {"individual": "unit", "unit": "cluster"}


def _output(b: _Builder, path: Path, data: bytes) -> None:
    shown = str(path)
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=Decimal, parse_int=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        b.problems.append(Problem(shown, _("invalid JSON: {reason}").format(reason=e)))
        return
    ruleset = doc.get("ruleset") if isinstance(doc, dict) else None
    year = ruleset.get("year") if isinstance(ruleset, dict) else None
    if not isinstance(year, Decimal) or year != year.to_integral_value():
        b.problems.append(Problem(shown, _("not an output of `scoring score --format json`: "
                                           "'ruleset.year' is missing")))
        return
    made_with = ruleset.get("id") if isinstance(ruleset, dict) else None
    if b.ruleset is not None and made_with != b.ruleset:
        made = (_("the rule set {ruleset!r}").format(ruleset=made_with) if made_with
                else _("no rule set it names"))
        b.problems.append(Problem(shown, _("made with {made}, not {ruleset!r} as this run "
                                           "('ruleset.id'): a history folder holds the results "
                                           "of one rule set (one council); remove the file, or "
                                           "keep it in another folder").format(
                                               made=made, ruleset=b.ruleset)))
        return
    # The output states its rule set's year, which is not the data's when a year is scored
    # with an earlier rule set (2022 with rules/2021): a year in the file name wins.
    named = re.search(r"(?<!\d)(199\d|20\d\d)(?!\d)", path.stem)
    y = int(named.group(1)) if named else int(year)
    if y in b.years:
        b.problems.append(Problem(shown, _("a second result for {year} (also {other}): keep "
                                           "one output per year").format(year=y,
                                                                         other=b.years[y])))
        return
    b.years[y] = shown
    for kind in KINDS:
        items = doc.get(_LISTS[kind], [])
        if not isinstance(items, list):
            b.problems.append(Problem(shown, _("'{list}' must be a list of records").format(
                list=_LISTS[kind])))
            continue
        for i, item in enumerate(items):
            snap = _snapshot(b, kind, item, y, f"{shown}, {_LISTS[kind]}[{i}]")
            if snap is None:
                continue
            key = (kind, snap.declared_id, y)
            renamed = next((a for a in b.aliases if kind == "unit" and a.old == snap.declared_id
                            and y >= a.from_year), None)
            if renamed is not None:
                b.problems.append(Problem(snap.source, _(
                    "{old!r} is {new!r} from {since} ({source}), yet it appears in {year}")
                    .format(old=renamed.old, new=renamed.new, since=renamed.from_year,
                            source=renamed.source, year=y)))
                continue
            if key in b.snaps:
                b.problems.append(Problem(snap.source, _("the id {id!r} appears twice").format(
                    id=snap.declared_id)))
                continue
            b.snaps[key] = snap


def _snapshot(b: _Builder, kind: Kind, item: object, year: int, where: str) -> Snapshot | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        b.problems.append(Problem(where, _("a record needs an 'id' (text)")))
        return None
    rid, problems = item["id"], []
    titles = item.get("titles", [])
    if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
        problems.append(_("'titles' must be a list of title ids"))
    score = item.get("score")
    if score is not None and not isinstance(score, Decimal):
        problems.append(_("'score' must be a number"))
    values: dict[str, expr.Value] = {}
    for key in ("inputs", "computed", "points"):
        part = item.get(key, {})
        if not isinstance(part, dict):
            problems.append(_("'{key}' must be an object").format(key=key))
            continue
        for name, value in part.items():
            if value is not None and not isinstance(value, Decimal | bool | str):
                problems.append(_("'{key}.{name}' must be a number, text, true/false or null")
                                .format(key=key, name=name))
            else:
                values[name] = value
    for agg in item.get("aggregates", []) if isinstance(item.get("aggregates"), list) else []:
        if isinstance(agg, dict) and isinstance(agg.get("name"), str) \
                and isinstance(agg.get("value"), Decimal | bool | str):
            values[agg["name"]] = agg["value"]
    rating = item.get("rating")
    if isinstance(rating, dict) and isinstance(rating.get("field"), str) \
            and isinstance(rating.get("final"), str):
        values[rating["field"]] = rating["final"]  # the rating that decided, not the one given
    if problems:
        b.problems.extend(Problem(f"{where} ({rid})", p) for p in problems)
        return None
    group = item.get(_GROUP[kind])
    group_id = group if isinstance(group, str) else ""
    if kind == "individual":
        group_id = _follow(group_id, year, b.aliases)
    name = item.get("name")
    return Snapshot(kind, _follow(rid, year, b.aliases) if kind == "unit" else rid, year,
                    name if isinstance(name, str) else "", group_id,
                    frozenset(titles), score, values, f"{where} ({rid})", rid)


# ------------------------------------------------------------------------------ the sheets


@dataclass(frozen=True)
class _Row:
    number: int
    cells: Mapping[str, str]  # canonical column → text ("" when blank)
    where: Mapping[str, str]  # canonical column → location for messages


def _rows(b: _Builder, path: Path, data: bytes, columns: Mapping[str, tuple[str, ...]],
          required: Sequence[str]) -> list[_Row]:
    """The rows of a CSV file or a workbook's first sheet, by canonical column name."""
    shown = str(path)
    try:
        sheet, table = _table(path, data)
    except InputError as e:
        b.problems.extend(e.problems)
        return []
    if not table:
        b.problems.append(Problem(shown, _("the file is empty")))
        return []
    known = {fold(a): name for name, aliases in columns.items() for a in (name, *aliases)}
    header = table[0]
    cols: dict[str, int] = {}
    for i, head in enumerate(header):
        name = match_header(head, known) if head else None
        if name is not None:
            cols.setdefault(name, i)
    missing = [c for c in required if c not in cols]
    if missing:
        b.problems.extend(Problem(input_location(shown, 1, sheet=sheet),
                                  _("required column {name!r} is missing (e.g. {example!r})")
                                  .format(name=c, example=columns[c][0]))
                          for c in missing)
        return []
    out = []
    for number, row in enumerate(table[1:], start=2):
        if all(not c.strip() for c in row):
            continue
        cells = {c: nfc(row[i]) if i < len(row) else "" for c, i in cols.items()}
        where = {c: input_location(shown, number, header[i], sheet) for c, i in cols.items()}
        out.append(_Row(number, cells, where))
    return out


def _table(path: Path, data: bytes) -> tuple[str | None, list[list[str]]]:
    shown = str(path)
    if path.suffix.lower() == ".xlsx":
        return _workbook(shown, data)
    text = decode_input(data, shown)
    text = text.lstrip("\ufeff")
    first = text.partition("\n")[0]
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    try:
        return None, [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as e:
        raise InputError.one(shown, _("malformed CSV: {reason}").format(reason=e)) from None


def _workbook(shown: str, data: bytes) -> tuple[str | None, list[list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (zipfile.BadZipFile, zlib.error, EOFError, InvalidFileException, KeyError, OSError,
              ValueError, ParseError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                ws = wb.worksheets[0]
                rows: list[list[str]] = []
                problems = []
                for r, cells in enumerate(ws.iter_rows(), start=1):
                    for c, cell in enumerate(cells):
                        if cell.data_type == "f":
                            problems.append(Problem(input_location(shown, r, str(c + 1),
                                                                   ws.title),
                                                    _("formulas are not read; paste values")))
                    rows.append([_cell(cell.value) for cell in cells])
                title = ws.title
            finally:
                wb.close()
    except broken as e:
        raise InputError.one(shown, _("not a readable .xlsx workbook ({reason})")
                              .format(reason=type(e).__name__)) from None
    if problems:
        raise InputError(problems)
    return title, rows


def _cell(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "" if blank(v) else str(v)


def _year(b: _Builder, row: _Row, column: str) -> int | None:
    text = row.cells[column]
    if text.isdigit() and 1990 <= int(text) <= 2100:
        return int(text)
    b.problems.append(Problem(row.where[column], _("expected a year such as 2021, found "
                                                   "{value!r}").format(value=text)))
    return None


ALIAS_COLUMNS: dict[str, tuple[str, ...]] = {
    "old_id": ("Mã cũ", "Mã đơn vị cũ", "old id"),
    "new_id": ("Mã mới", "Mã đơn vị mới", "new id"),
    "from_year": ("Từ năm", "Năm đổi tên", "Năm sáp nhập", "from year"),
    "name": ("Tên mới", "Tên đơn vị mới", "Tên"),
    "note": ("Ghi chú",),
}
TITLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Mã", "Mã số", "Mã cá nhân", "Mã đơn vị", "Mã tập thể"),
    "year": ("Năm", "Năm khen thưởng"),
    "title": ("Danh hiệu", "Danh hiệu thi đua", "Hình thức khen thưởng"),
    "decision": ("Số quyết định", "Quyết định", "Số QĐ"),
    "kind": ("Đối tượng", "Cá nhân/tập thể", "Loại"),
    "name": ("Họ và tên", "Họ tên", "Tên", "Tên đơn vị"),
    "status": ("Tình trạng", "Kết quả"),
}
INITIATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person_id": ("id", "Mã", "Mã cá nhân", "Mã tác giả"),
    "year": ("Năm", "Năm công nhận"),
    "scope": ("Phạm vi", "Phạm vi ảnh hưởng", "Cấp", "Cấp công nhận"),
    "decision": ("Số quyết định", "Quyết định công nhận", "Quyết định", "Số QĐ"),
    "title": ("Tên sáng kiến", "Sáng kiến"),
    "used_for": ("Đã dùng để xét", "Đã dùng cho danh hiệu", "used for"),
}
_KIND_NAMES: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    ("individual", ("individual", "cá nhân", "ca_nhan")),
    ("unit", ("unit", "tập thể", "đơn vị", "tap_the", "don_vi")))
_KIND_WORDS: dict[str, Kind] = {fold(w): k for k, words in _KIND_NAMES for w in words}
_DECLINED = {fold(w) for w in ("declined", "không công nhận", "không được công nhận",
                               "không được tặng", "không duyệt", "rejected")}
_AWARDED = {fold(w) for w in ("", "awarded", "công nhận", "được công nhận", "tặng", "đã tặng")}


def _aliases(b: _Builder, path: Path, data: bytes) -> None:
    for row in _rows(b, path, data, ALIAS_COLUMNS, ("old_id", "new_id", "from_year")):
        old, new = row.cells["old_id"], row.cells["new_id"]
        year = _year(b, row, "from_year")
        for col in ("old_id", "new_id"):
            if not row.cells[col]:
                b.problems.append(Problem(row.where[col], _("the unit id is required")))
        if old and old == new:
            b.problems.append(Problem(row.where["new_id"], _("the new id is the old id")))
        if old and new and old != new and year is not None:
            b.aliases.append(Alias(old, new, year, row.cells.get("name", ""),
                                   row.where["old_id"]))


def _check_aliases(b: _Builder) -> None:
    """An id is renamed once (a chain is A → B, then B → C), and renames never loop."""
    first: dict[str, Alias] = {}
    for a in b.aliases:
        if a.old in first:
            b.problems.append(Problem(a.source, _("{old!r} is renamed twice (also at "
                                                  "{other})").format(old=a.old,
                                                                     other=first[a.old].source)))
        first.setdefault(a.old, a)
    for a in b.aliases:
        path, rid, year = [a.old], a.old, a.from_year - 1
        while (nxt := first.get(rid)) is not None and year < nxt.from_year:
            rid = nxt.new
            if rid in path:
                b.problems.append(Problem(a.source, _("the renames form a cycle: {cycle}")
                                          .format(cycle=" → ".join([*path, rid]))))
                break
            path.append(rid)


def _hand_titles(b: _Builder, path: Path, data: bytes) -> None:
    for row in _rows(b, path, data, TITLE_COLUMNS, ("id", "year", "title", "decision")):
        year = _year(b, row, "year")
        title_kind = _title(b, row)
        kind = _kind(b, row, title_kind)
        for col in ("id", "decision"):
            if not row.cells[col]:
                b.problems.append(Problem(row.where[col], _("required") if col == "id" else
                                          _("the decision number is required: a title counts "
                                            "only once decided")))
        status = fold(row.cells.get("status", ""))
        if status not in _DECLINED | _AWARDED:
            b.problems.append(Problem(row.where["status"], _("expected awarded (công nhận) or "
                                                             "declined (không công nhận), found "
                                                             "{value!r}")
                                          .format(value=row.cells["status"])))
            continue
        if year is None or kind is None or title_kind is None or not row.cells["id"] \
                or not row.cells["decision"]:
            continue
        title = title_kind[0]
        declared = row.cells["id"]
        rid = _follow(declared, year, b.aliases) if kind == "unit" else declared
        key = (kind, declared, year)
        if key not in b.snaps:  # written under the unit's other id that year
            key = next((k for k, s in b.snaps.items()
                        if k[0] == kind and k[2] == year and s.id == rid), key)
        snap = b.snaps.get(key) or Snapshot(kind, rid, year, row.cells.get("name", ""), "",
                                            frozenset(), None, {}, row.where["id"], declared)
        titles = snap.titles - {title} if status in _DECLINED else snap.titles | {title}
        b.snaps[key] = replace(snap, titles=titles, name=snap.name or row.cells.get("name", ""))


def _title(b: _Builder, row: _Row) -> tuple[str, Kind | None] | None:
    """The title id a cell names (by id or label, ignoring case, diacritics and spacing),
    with its kind; None when refused. A spelling close to a title of the rule set is refused
    with that title as the suggestion: kept as written, no rule would ever read it, and the
    years it stands for would silently not count."""
    text = row.cells["title"]
    if text in b.titles:
        return text, b.titles[text][1]
    # By id or label, whatever the case, marks, invisible characters or look-alike letters.
    spelled = {fold(visible_form(name)): tid for tid, (label, _) in b.titles.items()
               for name in (label, tid)}
    if fold(visible_form(text)) in spelled:
        tid = spelled[fold(visible_form(text))]
        return tid, b.titles[tid][1]
    close = suggest(fold(visible_form(text)), list(spelled))
    if close or not text:
        tid = spelled[close[0]] if close else ""
        hint = (_(" (did you mean {close!r}, {label}?)").format(close=tid,
                                                                label=b.titles[tid][0])
                if close else _(" (the title is required)"))
        b.problems.append(Problem(row.where["title"], _("unknown title {value!r}{hint}: write "
                                                        "the title's id or its name as the "
                                                        "rule set gives it")
                                  .format(value=text, hint=hint)))
        return None
    b.warnings.append(_("{where}: {value!r} is not a title of the rule set; kept in the "
                        "history as written").format(where=row.where["title"], value=text))
    return text, None


def _kind(b: _Builder, row: _Row, title: tuple[str, Kind | None] | None) -> Kind | None:
    text = row.cells.get("kind", "")
    if text:
        kind = _KIND_WORDS.get(fold(text))
        if kind is None:
            b.problems.append(Problem(row.where["kind"], _("expected cá nhân (individual) or tập "
                                                           "thể (unit), found {value!r}")
                                      .format(value=text)))
        elif title is not None and title[1] not in (None, kind):
            message = (_("{title} is a title of individuals") if title[1] == "individual"
                       else _("{title} is a title of units"))
            b.problems.append(Problem(row.where["kind"], message.format(title=title[0])))
            return None
        return kind
    if title is not None and title[1] is None:
        b.problems.append(Problem(row.where["title"], _("give the 'kind' column (cá nhân or tập "
                                                        "thể) for a title outside the rule "
                                                        "set")))
        return None
    return title[1] if title is not None else None


def _initiatives(b: _Builder, path: Path, data: bytes) -> None:
    words = {fold(w): s for s, ws in SCOPE_WORDING.items() for w in ws}
    for row in _rows(b, path, data, INITIATIVE_COLUMNS, ("person_id", "year", "scope",
                                                         "decision")):
        year = _year(b, row, "year")
        scope = words.get(fold(row.cells["scope"]))
        if scope is None:
            b.problems.append(Problem(row.where["scope"], _("expected a scope of recognition: Cấp "
                                                            "cơ sở, Cấp tỉnh or Toàn quốc, "
                                                            "found {value!r}")
                                      .format(value=row.cells["scope"])))
        for col, what in (("person_id", _("the author's id is required")),
                          ("decision", _("the recognition decision number is required"))):
            if not row.cells[col]:
                b.problems.append(Problem(row.where[col], what))
        used = row.cells.get("used_for", "")
        if used and used not in b.titles:
            close = suggest(used, list(b.titles))
            hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
            b.problems.append(Problem(row.where["used_for"], _("unknown title {value!r}{hint}")
                                      .format(value=used, hint=hint)))
        if year is not None and scope is not None and row.cells["person_id"] \
                and row.cells["decision"]:
            b.initiatives.append(PastInitiative(row.cells["person_id"], year, scope,
                                                row.cells["decision"],
                                                row.cells.get("title", ""), used,
                                                row.where["person_id"]))


# ------------------------------------------------------------------------------ the queries


_MISSING = expr.Lit(None)


@dataclass(frozen=True)
class Query:
    """One history function call of a rule set, resolved for one kind of record."""

    kind: Kind
    call: str  # the call as written canonically: the name that stands for it
    fn: str
    title: str | None = None  # consecutive_years: the title of the chain
    cond: expr.Cond | None = None  # years_with: the condition read on each year
    scopes: tuple[str, ...] = ()  # count_initiatives: the scopes counted
    last: int | None = None  # the window, the year being scored included
    since: str | None = None
    unused_for: str | None = None
    expansion: expr.Node = _MISSING  # what the call becomes in this year's rules
    current: expr.Node = _MISSING  # this year's part, read on the record's own fields

    @property
    def field(self) -> str:
        """The scope field holding the past part, precomputed per record."""
        return f"{PAST}.{self.call}"


def is_call(name: str) -> bool:
    """True for a name that stands for a history function call."""
    return name.partition("(")[0] in expr.HISTORY_FUNCTIONS and name.endswith(")")


class Resolver:
    """Resolves the history calls of a rule set's expressions, one kind at a time.

    `resolve` is called by the compiler on each parsed expression: it returns the expression
    with every call rewritten (see the module docstring) and the environment extended with the
    `past.` fields; the queries met are kept, in order, for the scorer's precomputation.
    """

    def __init__(self, rs: RuleSet) -> None:
        self._titles: dict[str, Kind] = {t.id: t.of for t in rs.titles}
        self._queries: dict[tuple[Kind, str], Query] = {}

    def queries(self) -> tuple[Query, ...]:
        return tuple(self._queries.values())

    def resolve(self, node: expr.Node, env: expr.Env, where: expr.Where
                ) -> tuple[expr.Node, expr.Env]:
        calls = sorted(n for n in expr.names(node) if is_call(n))
        if not calls:
            return node, env
        kind: Kind = "individual" if "unit_id" in env.names else "unit"
        found = {c: self.query(c, kind, env, where) for c in calls}
        for q in found.values():
            self._queries.setdefault((kind, q.call), q)
        past = {**env.namespaces.get(PAST, {}), **{q.call: expr.NUMBER for q in found.values()}}
        return (_replace(node, {c: q.expansion for c, q in found.items()}),
                expr.Env(env.names, {**env.namespaces, PAST: past}, env.constants))

    def query(self, call: str, kind: Kind, env: expr.Env, where: expr.Where,
              live: bool = True) -> Query:
        """Check one call and resolve it; `live` when this year's record is being scored."""
        tree = ast.parse(call, mode="eval").body
        assert isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
        fn = tree.func.id
        args = [expr.parse(ast.unparse(a), where) for a in tree.args]
        kw: dict[str, str] = {k.arg or "": ast.unparse(k.value) for k in tree.keywords}
        last = _years(kw["last"], env, call, where) if "last" in kw else None
        since = self._title_arg(call, "since", kw.get("since"), kind, where)
        unused = self._title_arg(call, "unused_for", kw.get("unused_for"), kind, where)
        q = Query(kind, call, fn, last=last, since=since, unused_for=unused)
        if fn == "consecutive_years":
            return self._chain(q, args[0], env, where, live)
        if fn == "years_with":
            return self._years_with(q, args[0], env, where)
        return self._initiatives(q, args[0] if args else None, env, where)

    def _title_arg(self, call: str, key: str, value: str | None, kind: Kind,
                   where: expr.Where) -> str | None:
        if value is None:
            return None
        if self._titles.get(value) != kind:
            close = suggest(value, [t for t, k in self._titles.items() if k == kind])
            hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
            what = value if key == "the title" else f"{key}={value}"
            message = (_("{call}: {what} is not a title of individuals{hint}")
                       if kind == "individual" else
                       _("{call}: {what} is not a title of units{hint}"))
            raise where.error(message.format(call=call, what=what, hint=hint))
        return value

    def _chain(self, q: Query, arg: expr.Node, env: expr.Env, where: expr.Where,
               live: bool) -> Query:
        title = arg.name if isinstance(arg, expr.Name) else ""
        self._title_arg(q.call, "the title", title or expr.unparse(arg), q.kind, where)
        if live and title not in env.names:
            raise where.error(_("{call} counts this year's {title}, decided with the titles: "
                                "use it in a title's requires").format(call=q.call, title=title))
        # (past + 1) × (1 if T else 0) rather than a conditional at the top, so that the
        # condition reads unambiguously in a decision's detail.
        current = expr.IfExp(expr.Name(title), expr.Lit(Decimal(1)), expr.Lit(_ZERO))
        expansion = expr.Bin("*", expr.Bin("+", expr.Name(q.field), expr.Lit(Decimal(1))),
                             current)
        return replace(q, title=title, expansion=expansion, current=current)

    def _years_with(self, q: Query, cond: expr.Node, env: expr.Env,
                    where: expr.Where) -> Query:
        bad = sorted(n for n in expr.names(cond) if "." in n or is_call(n))
        if bad:
            raise where.error(_("{call}: the condition reads each year's own record, not "
                                "{name}").format(call=q.call, name=bad[0]))
        if expr.check(cond, env, where).kind != "bool":
            raise where.error(_("{call}: the first argument must be a condition")
                              .format(call=q.call))
        cond = expr.substitute(cond, env.constants)
        current = expr.IfExp(cond, expr.Lit(Decimal(1)), expr.Lit(_ZERO))
        return replace(q, cond=expr.to_cond(cond), current=current,
                       expansion=expr.Bin("+", expr.Name(q.field), current))

    def _initiatives(self, q: Query, arg: expr.Node | None, env: expr.Env,
                     where: expr.Where) -> Query:
        if q.kind != "individual":
            raise where.error(_("{call}: initiatives are a person's; units cannot count them")
                              .format(call=q.call))
        scopes = _scopes(arg, q.call, where)
        names = [n for s in scopes for n in INITIATIVE_INPUTS[s]
                 if env.names.get(n) == expr.NUMBER]
        current: expr.Node = expr.Lit(_ZERO)
        for n in names:
            current = expr.Name(n) if current == expr.Lit(_ZERO) else expr.Bin(
                "+", current, expr.Name(n))
        return replace(q, scopes=scopes, current=current,
                       expansion=expr.Bin("+", expr.Name(q.field), current))


def _years(text: str, env: expr.Env, call: str, where: expr.Where) -> int:
    """`last=`: a whole number of years, written as such or as a parameter's name."""
    value = Decimal(text) if text.isdigit() else env.constants.get(text)
    if not isinstance(value, Decimal) or isinstance(value, bool) or value < 1 \
            or value != value.to_integral_value():
        raise where.error(_("{call}: last={value} must be a whole number of years (or a "
                            "parameter holding one)").format(call=call, value=text))
    return int(value)


def _scopes(arg: expr.Node | None, call: str, where: expr.Where) -> tuple[str, ...]:
    """The scopes a count_initiatives condition selects, on the scale co_so < tinh < toan_quoc."""
    if arg is None:
        return SCOPES
    if isinstance(arg, expr.In) and arg.left == expr.Name("scope"):
        values = [i.value for i in arg.items if isinstance(i, expr.Lit)]
        _check_scopes(values, call, where)
        return tuple(s for s in SCOPES if (s in values) != arg.negate)
    if isinstance(arg, expr.Compare) and arg.left == expr.Name("scope") \
            and isinstance(arg.right, expr.Lit):
        _check_scopes([arg.right.value], call, where)
        rank = SCOPES.index(str(arg.right.value))
        test = {"==": rank.__eq__, "!=": rank.__ne__, ">=": rank.__le__, ">": rank.__lt__,
                "<=": rank.__ge__, "<": rank.__gt__}[arg.op]
        return tuple(s for i, s in enumerate(SCOPES) if test(i))
    raise where.error(_("{call}: select scopes as scope >= \"tinh\", scope == \"co_so\" or "
                        "scope in (\"tinh\", \"toan_quoc\")").format(call=call))


def _check_scopes(values: Sequence[expr.Value], call: str, where: expr.Where) -> None:
    for v in values:
        if v not in SCOPES:
            raise where.error(_("{call}: {value!r} is not a scope; scopes: {scopes}")
                              .format(call=call, value=v, scopes=", ".join(SCOPES)))


def _replace(node: expr.Node, names: Mapping[str, expr.Node]) -> expr.Node:
    """`node` with the names in `names` replaced by their nodes."""
    def go(n: expr.Node) -> expr.Node:
        return _replace(n, names)

    if isinstance(node, expr.Name):
        return names.get(node.name, node)
    if isinstance(node, expr.Lit):
        return node
    if isinstance(node, expr.Unary):
        return expr.Unary(node.op, go(node.operand))
    if isinstance(node, expr.Bin):
        return expr.Bin(node.op, go(node.left), go(node.right), node.zero)
    if isinstance(node, expr.Compare):
        return expr.Compare(node.op, go(node.left), go(node.right))
    if isinstance(node, expr.BoolOp):
        return expr.BoolOp(node.op, tuple(go(v) for v in node.values))
    if isinstance(node, expr.In):
        return expr.In(go(node.left), tuple(go(i) for i in node.items), node.negate)
    if isinstance(node, expr.Call):
        return expr.Call(node.func, tuple(go(a) for a in node.args))
    return expr.IfExp(go(node.test), go(node.body), go(node.orelse))


# ----------------------------------------------------------------------------- evaluating


def _held(snaps: Sequence[Snapshot], title: str) -> bool:
    return bool(snaps) and all(title in s.titles for s in snaps)


def _holds(cond: expr.Cond, snaps: Sequence[Snapshot], titles: Sequence[str],
           call: str = "") -> bool:
    return bool(snaps) and all(_holds_on(cond, s, s.scope(titles), call) for s in snaps)


def _holds_on(cond: expr.Cond, snap: Snapshot, scope: Mapping[str, expr.Value],
              call: str = "") -> bool:
    """`expr.holds` on one year's record; a division by zero the rule does not declare is an
    error naming that record and year (see `expr.Undefined`)."""
    try:
        return expr.holds(cond, scope)
    except expr.Undefined as e:
        e.index, e.scope = None, None
        raise InputError([Problem(snap.source, _("{id} ({name}) in {year}: {reason}")
                                  .format(id=snap.id, name=snap.name, year=snap.year,
                                          reason=e.at(0, scope).describe()),
                                  call or None)]) from None


def _count(snaps: Sequence[Snapshot], listed: Sequence[PastInitiative],
           q: Query) -> Decimal:
    """A year's initiatives at the query's scopes: from the list if it has the year, else from
    the year's counts."""
    if listed:
        return Decimal(sum(1 for i in listed if i.scope in q.scopes
                           and not (q.unused_for and i.used_for == q.unused_for)))
    total = _ZERO
    for s in snaps[:1]:
        for scope in q.scopes:
            for name in INITIATIVE_INPUTS[scope]:
                v = s.values.get(name)
                total += v if isinstance(v, Decimal) else _ZERO
    return total


def evaluate(q: Query, h: History, rid: str, last_year: int, since_before: int,
             titles: Sequence[str] = ()) -> tuple[Decimal, tuple[int, ...]]:
    """The query's value over the store's years up to `last_year`, and the years that counted.

    The window is the `q.last - 1` years up to `last_year` (every known year without `last`),
    and with `since=T` only the years after the last year before `since_before` holding T.
    `titles` are the kind's title ids, read as false on years that do not hold them.
    """
    by_year = h.of(q.kind, rid)
    if not by_year and not h.initiatives:
        return _ZERO, ()  # nothing is known of this record before (every run without --history)
    floor = max((y for y, s in by_year.items() if y < since_before and q.since
                 and _held(s, q.since)), default=0)
    if q.fn == "consecutive_years":
        assert q.title is not None
        chain, y = [], last_year
        while y > floor and _held(by_year.get(y, ()), q.title):
            chain.append(y)
            y -= 1
        return Decimal(len(chain)), tuple(reversed(chain))
    known = set(by_year) | {y for p, y in h.initiatives if p == rid}
    first = last_year - q.last + 2 if q.last is not None else min(known, default=last_year + 1)
    window = [y for y in range(max(first, floor + 1), last_year + 1)]
    if q.fn == "years_with":
        assert q.cond is not None
        years = [y for y in window if _holds(q.cond, by_year.get(y, ()), titles, q.call)]
        return Decimal(len(years)), tuple(years)
    counts = {y: _count(by_year.get(y, ()), h.initiatives.get((rid, y), ()), q) for y in window}
    return sum(counts.values(), _ZERO), tuple(y for y, c in counts.items() if c)


def _title_ids(compiled: Compiled, kind: Kind) -> tuple[str, ...]:
    return tuple(t.id for t in compiled.ruleset.titles if t.of == kind)


def past_fields(compiled: Compiled, h: History, year: int, individuals: Sequence[Record],
                units: Sequence[Record]) -> dict[tuple[Kind, str], dict[str, expr.Value]]:
    """Each record's `past.` fields for the scorer: the history values before `year`."""
    out: dict[tuple[Kind, str], dict[str, expr.Value]] = {}
    if not compiled.history:
        return out
    batch: tuple[tuple[Kind, Sequence[Record]], ...] = (("individual", individuals),
                                                        ("unit", units))
    for kind, records in batch:
        queries = [q for q in compiled.history if q.kind == kind]
        titles = _title_ids(compiled, kind)
        for r in records:
            rid = h.stable_id(kind, r.id, year)
            out[(kind, r.id)] = {q.field: evaluate(q, h, rid, year - 1, year, titles)[0]
                                 for q in queries}
    return out


def snapshot_of(r: RecordResult, year: int) -> Snapshot:
    """This year's record as a snapshot: what the current part of a query reads."""
    values: dict[str, expr.Value] = {**dict(r.inputs), **dict(r.computed), **dict(r.points)}
    values.update({a.name: a.value for a in r.aggregates})
    if r.rating is not None and r.rating.final is not None:
        values[r.rating.field] = r.rating.final
    return Snapshot(r.kind, r.id, year, r.name, r.group, frozenset(r.titles), r.score, values,
                    str(r.origin))


def _value(q: Query, h: History, rid: str, year: int, current: Snapshot,
           titles: Sequence[str], scope: Callable[[], dict[str, expr.Value]],
           memo: dict[tuple[object, ...], HistoryValue]) -> HistoryValue:
    """The query's value for this year's record: its past part from the store, its current
    part from `current` (`scope` gives current's scope, built once per record). The value is
    a function of those parts, so records with equal parts share one object in `memo`."""
    from scoring.evaluation.result import HistoryValue

    past, past_years = evaluate(q, h, rid, year - 1, year, titles)
    if q.fn == "consecutive_years":
        now: object = q.title in current.titles
    elif q.fn == "years_with":
        assert q.cond is not None
        now = _holds_on(q.cond, current, scope(), q.call)
    else:
        now = _count((current,), (), q)
    key = (id(q), str(past), past_years, str(now))  # digits too: 1.0 is not 1
    found = memo.get(key)
    if found is not None:
        return found
    if q.fn == "consecutive_years":
        value, years = (past + 1, (*past_years, year)) if now else (_ZERO, ())
    elif q.fn == "years_with":
        value, years = past + (1 if now else 0), (*past_years, *((year,) if now else ()))
    else:
        assert isinstance(now, Decimal)
        value, years = past + now, (*past_years, *((year,) if now else ()))
    found = memo[key] = HistoryValue(q.call, value, tuple(years), q.field, past, past_years)
    return found


def attach(result: Result, compiled: Compiled, h: History, year: int) -> Result:
    """The result with each record's history values (the call, its value, the years counted)."""
    if not compiled.history:
        return result
    return replace(result, individuals=attach_records(result.individuals, compiled, h, year),
                   units=attach_records(result.units, compiled, h, year))


def attach_records(records: Sequence[RecordResult], compiled: Compiled, h: History, year: int
                   ) -> tuple[RecordResult, ...]:
    """`attach` for some records (each record's values depend on it alone)."""
    if not compiled.history:
        return tuple(records)

    memo: dict[tuple[object, ...], HistoryValue] = {}  # the queries live as long as it

    def with_history(r: RecordResult) -> RecordResult:
        queries = [q for q in compiled.history if q.kind == r.kind]
        titles = _title_ids(compiled, r.kind)
        rid = h.stable_id(r.kind, r.id, year)
        current = snapshot_of(r, year)
        built: list[dict[str, expr.Value]] = []

        def scope() -> dict[str, expr.Value]:
            if not built:
                built.append(current.scope(titles))
            return built[0]
        return replace(r, history=tuple(_value(q, h, rid, year, current, titles, scope, memo)
                                        for q in queries))

    return tuple(map(with_history, records))


class _Person(Protocol):
    kind: Kind
    id: str
    name: str
    group: str


_SAME_NAME = 0.85  # folded names this alike, with one given name, are one person typed twice
_EXAMPLES = 3
_MOVED_AT_LEAST = 4  # people in another unit, and more than half of those shared: other people


def check_people(h: History, records: Iterable[_Person], year: int) -> list[str]:
    """Refuse (InputError, exit 2) each history file that is about other people under the
    same ids: one whose people, where they share an id with this year's, are named as someone
    else, or whose ids are another kind of record here (a person's id on a unit). History
    follows ids, so such
    a file would lend one person's titles to another; the alias file cannot excuse it. Each
    refusal counts what does not match, with examples. Names are compared ignoring case,
    diacritics and spacing. Returns the warnings: a name spelt a letter or two differently
    with the same given name (one person typed twice), named in both spellings."""
    now: dict[tuple[Kind, str], _Person] = {}
    for r in records:
        now[(r.kind, h.stable_id(r.kind, r.id, year))] = r
    other_kind: dict[tuple[Kind, str], Kind] = {
        ("unit" if k == "individual" else "individual", rid): k for k, rid in now}
    per_file: dict[str, dict[str, list[str]]] = {}
    warnings: list[str] = []
    for (kind, rid), by_year in h.records.items():
        for snaps in by_year.values():
            for snap in snaps:
                file = snap.source.split(", ")[0]
                seen = per_file.setdefault(file, {"shared": [], "names": [], "kinds": [],
                                                  "units": []})
                here = now.get((kind, rid))
                if here is None:
                    if (kind, rid) in other_kind:
                        seen["kinds"].append(
                            (_("{id} is a unit there, a person here") if kind == "unit" else
                             _("{id} is a person there, a unit here"))
                            .format(id=snap.declared_id or rid))
                    continue
                if kind == "individual":
                    seen["shared"].append(rid)
                # People keep their names; units are renamed under the same id (and the alias
                # file renames ids), so a unit's name tells nothing here.
                if kind == "individual" and snap.name and here.name \
                        and fold(snap.name) != fold(here.name):
                    pair = _("{id} {there!r} there, {here!r} here").format(
                        id=rid, there=snap.name, here=here.name)
                    if _same_person(snap.name, here.name):
                        warnings.append(_("{where}: the name differs from this year's "
                                          "({pair}); taken as the same person")
                                        .format(where=snap.source, pair=pair))
                    else:
                        seen["names"].append(pair)
                if kind == "individual" and snap.group and here.group \
                        and snap.group != here.group:
                    seen["units"].append(_("{id} in {there} there, {here} here")
                                         .format(id=rid, there=snap.group, here=here.group))
    problems = []
    for file, seen in sorted(per_file.items()):
        moved = len(seen["units"]) >= _MOVED_AT_LEAST and len(seen["units"]) * 2 > len(
            seen["shared"])  # most people in another unit: not moves, other people
        if not seen["names"] and not seen["kinds"] and not moved:
            continue
        parts = []
        if seen["names"]:
            parts.append(_("{count} of the {shared} people whose ids it shares with this "
                           "year's records are someone else there ({examples})")
                         .format(count=len(seen["names"]), shared=len(seen["shared"]),
                                 examples=_some(seen["names"])))
        if seen["kinds"]:
            parts.append(_("{count} ids are another kind of record ({examples})")
                         .format(count=len(seen["kinds"]), examples=_some(seen["kinds"])))
        if seen["units"]:
            parts.append(_("{count} of the {shared} people are in another unit ({examples})")
                         .format(count=len(seen["units"]), shared=len(seen["shared"]),
                                 examples=_some(seen["units"])))
        problems.append(Problem(file, _("about other people under the same ids: {parts}. "
                                        "History follows ids, so their titles would count for "
                                        "the wrong people (the unit alias file changes nothing "
                                        "here): remove the file from the history folder, or "
                                        "correct its ids").format(parts="; ".join(parts))))
    if problems:
        raise InputError(problems)
    return warnings


def _same_person(a: str, b: str) -> bool:
    """Two spellings of one person's name: the same given name (the last word: "An" and "Anh"
    are two people) and the rest alike, a letter or two apart ("Nguyễn Vn An")."""
    fa, fb = fold(a), fold(b)
    if fa.split()[-1:] != fb.split()[-1:]:
        return False
    return difflib.SequenceMatcher(None, fa, fb).ratio() >= _SAME_NAME


def _some(items: Sequence[str]) -> str:
    more = len(items) - _EXAMPLES
    return "; ".join(items[:_EXAMPLES]) + (_("; and {more} more").format(more=more)
                                           if more > 0 else "")


def title_kinds(rs: RuleSet) -> dict[str, tuple[str, Kind]]:
    """The rule set's titles as the loader matches them: id → (label, kind)."""
    return {t.id: (t.label, t.of) for t in rs.titles}



def past_of(result: Result) -> dict[tuple[Kind, str], dict[str, expr.Value]]:
    """The `past.` fields each record of `result` was scored with (to score its batch again,
    or to rebuild the scope its rules read)."""
    return {(r.kind, r.id): {v.field: v.past for v in r.history}
            for r in (*result.individuals, *result.units) if r.history}


def explain_lines(record: RecordResult, compiled: Compiled) -> list[str]:
    """What each history function counted for the record, in words, for `explain`:
    `consecutive_years(CSTDCS) = 3: CSTDCS in 2023, 2024, 2025 (3 consecutive)`."""
    queries = {q.field: q for q in compiled.history if q.kind == record.kind}
    return [f"{v.name} = {expr.format_number(v.value)}: {_words(queries[v.field], v)}"
            for v in record.history if v.field in queries]


# The scopes as `explain` names them: English keeps the rule language's names.
_SCOPE_WORDS = {"co_so": N_("co_so"), "tinh": N_("tinh"), "toan_quoc": N_("toan_quoc")}


def _words(q: Query, v: HistoryValue) -> str:
    def years(ys: Sequence[int]) -> str:
        return ", ".join(map(str, ys))

    n = expr.format_number(v.value)
    if q.fn == "consecutive_years":
        text = (_("{title} in {years} ({n} consecutive)").format(title=q.title,
                                                                 years=years(v.years), n=n)
                if v.value else
                _("not {title} this year").format(title=q.title)
                + (_("; before it {title} in {years}").format(title=q.title,
                                                              years=years(v.past_years))
                   if v.past_years else ""))
    elif q.fn == "years_with":
        assert q.cond is not None
        window = (_("the last {last} years").format(last=q.last) if q.last else
                  _("the years known"))
        text = _("{condition} in {years}: {n} of {window}").format(
            condition=expr.render_cond(q.cond), years=years(v.years) or _("none"), n=n,
            window=window)
    else:
        text = (_("{n} initiative(s) or science project(s) at {scopes} level")
                .format(n=n, scopes="/".join(_(_SCOPE_WORDS.get(s, s)) for s in q.scopes))
                + (_(" in {years}").format(years=years(v.years)) if v.years else "")
                + (_(" (last {last} years)").format(last=q.last) if q.last else ""))
        if q.unused_for:
            text += _(", not counting those used for {title}").format(title=q.unused_for)
    if q.since:
        text += _("; only years after the last {title}").format(title=q.since)
    return text
