"""What a file gives, filed as tables: a sheet, a CSV file or a JSON list (its rows, header
first) becomes a record table, a round table or a list of initiatives, as its name announces.

The checks every form shares are made here: blank rows above the header, the row and cell
limits of a table, cells no reading can be right for (an Excel error's text, double-encoded
letters) and text typed in a legacy Vietnamese encoding (TCVN3, VNI).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.limits import Limits
from scoring.base.text import (
    HIGH_RUN,
    convert_legacy,
    detect_legacy_vietnamese,
    nfc,
    repair_double_encoded,
)
from scoring.inputs.initiatives import Initiative, parse_initiatives
from scoring.inputs.names import is_initiatives, is_rounds, kind_of
from scoring.inputs.records import RawTable, blank, resolve_header
from scoring.rulesets.schema import Kind

__all__ = ["EXCEL_ERRORS", "suspect_cells"]


@dataclass
class _Read:
    """What the files read together gave: record tables and initiative lists."""

    limits: Limits
    tables: list[RawTable] = field(default_factory=list)
    initiatives: list[tuple[str, list[Initiative]]] = field(default_factory=list)
    rounds: list[RawTable] = field(default_factory=list)


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


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
