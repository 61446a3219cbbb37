"""Reading a history folder into the store: the year outputs and the sheets kept by hand.

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
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import ParseError

from scoring.base.document import read_results
from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.suggest import suggest
from scoring.base.text import match_key, nfc
from scoring.history.store import Alias, History, PastInitiative, Snapshot, _follow
from scoring.inputs.csvfile import decode_input
from scoring.inputs.initiatives import SCOPE_WORDING
from scoring.inputs.keys import visible_form
from scoring.inputs.records import blank, match_header
from scoring.language import expr
from scoring.rulesets.schema import KINDS, Kind, RuleSet

__all__ = ["ALIAS_COLUMNS", "INITIATIVE_COLUMNS", "MAX_HISTORY_BYTES", "TITLE_COLUMNS",
           "load_history", "title_kinds"]

MAX_HISTORY_BYTES = 200_000_000

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
    f = match_key(stem)
    for what, words in _SHEET_WORDS.items():
        if any(f == match_key(w) or f.startswith(match_key(w) + " ") for w in words):
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
    if isinstance(doc, dict):  # either format, as format 1's records (`read_results`)
        try:
            doc = read_results(doc, shown)
        except InputError as e:
            b.problems.extend(e.problems)
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
    known = {match_key(a): name for name, aliases in columns.items() for a in (name, *aliases)}
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
_KIND_WORDS: dict[str, Kind] = {match_key(w): k for k, words in _KIND_NAMES for w in words}
_DECLINED = {match_key(w) for w in ("declined", "không công nhận", "không được công nhận",
                               "không được tặng", "không duyệt", "rejected")}
_AWARDED = {match_key(w) for w in ("", "awarded", "công nhận", "được công nhận", "tặng", "đã tặng")}


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
        status = match_key(row.cells.get("status", ""))
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
    spelled = {match_key(visible_form(name)): tid for tid, (label, _) in b.titles.items()
               for name in (label, tid)}
    if match_key(visible_form(text)) in spelled:
        tid = spelled[match_key(visible_form(text))]
        return tid, b.titles[tid][1]
    close = suggest(match_key(visible_form(text)), list(spelled))
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
        kind = _KIND_WORDS.get(match_key(text))
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
    words = {match_key(w): s for s, ws in SCOPE_WORDING.items() for w in ws}
    for row in _rows(b, path, data, INITIATIVE_COLUMNS, ("person_id", "year", "scope",
                                                         "decision")):
        year = _year(b, row, "year")
        scope = words.get(match_key(row.cells["scope"]))
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


def title_kinds(rs: RuleSet) -> dict[str, tuple[str, Kind]]:
    """The rule set's titles as the loader matches them: id → (label, kind)."""
    return {t.id: (t.label, t.of) for t in rs.titles}
