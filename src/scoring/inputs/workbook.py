"""Workbooks: .xlsx read with openpyxl, .xls (Excel 97-2003) with calamine and its BIFF records
(`biff`), their sheets filed as tables as the council sees them on screen.

Workbooks are untrusted zip files of XML: their sizes are checked from the zip directory before
openpyxl opens them, XML parts that declare a DTD (the entity-expansion and external-entity
vectors; spreadsheet programs never write one) are refused, and a sheet's declared dimensions
are ignored in favour of its cells, so a stale `<dimension>` tag can neither hide rows nor make
empty ones. What the cells alone do not say is read as well: a value merged down over rows
applies to each, values in hidden sheets, rows or columns are refused, as are formulas and
error cells, and a percentage reads as the sheet shows it.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import ParseError

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.limits import Limits
from scoring.inputs.names import is_initiatives, is_rounds, kind_of
from scoring.inputs.records import MAX_HEADER_ROWS, FormatUnknown, blank
from scoring.inputs.sizes import _MEMORY_PER_CELL, _XML_BYTES_PER_CELL, _check_memory
from scoring.inputs.tables import _check_legacy, _column_letter, _place, _Read

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and encrypted workbooks
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx


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
