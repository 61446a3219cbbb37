"""Lists of initiatives: read from a sheet or file, and folded into the individuals read with them.

Files read together (one workbook, one folder, or the loose CSV files of one command) may hold
a list of initiatives ("Sáng kiến" / "initiatives"): one row per initiative and author. The
list is folded into each author's initiative counts (`fold_initiatives`), so a council can keep
the list it already keeps, with its recognition decisions, instead of counting by hand. This is
domain logic rather than reading: the scopes of recognition and their wording, the inputs the
counts fill, and that an initiative counts only once recognised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.text import match_key, nfc
from scoring.inputs.records import (
    Origin,
    RawTable,
    blank,
    header_map,
    match_header,
    stack_header,
)

__all__ = [
    "COUNT_INPUTS",
    "INITIATIVE_COLUMNS",
    "SCOPE_WORDING",
    "Initiative",
    "fold_initiatives",
    "parse_initiatives",
]

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


@dataclass(frozen=True)
class Initiative:
    """One row of an initiatives list: an author, the scope of recognition and its decision."""

    person: str
    scope: str  # a key of COUNT_INPUTS
    decision: str
    title: str
    origin: Origin


def _scope(value: object) -> str | None:
    f = match_key(str(value))
    for scope, words in SCOPE_WORDING.items():
        if f in {match_key(w) for w in words}:
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
    known = {match_key(a): name for name, aliases in INITIATIVE_COLUMNS.items() for a in aliases}
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
            key = (person, match_key(decision), match_key(title))
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
