"""What an Excel 97-2003 (.xls) workbook says beyond its cell values: hidden rows and columns,
and which number cells are formatted as percentages.

calamine reads an .xls workbook's values, merged ranges and hidden sheets, but not these; yet a
hidden row is a record nobody saw, and 0.95 shown as 95% is 95 in a percentage column. So the
workbook's "Workbook" stream is taken out of its compound file (the OLE container) and its BIFF8
records are read for exactly this: ROW (hidden flag), COLINFO (hidden flag), FORMAT and XF (the
number formats), the number cells (NUMBER, RK, MULRK, FORMULA) with their formats, formulas, and
error cells (BOOLERR), which calamine reads as their last values. Anything
unexpected gives None: the caller then falls back to what calamine alone can tell, never to a
guess. Pure bytes in, data out; no third-party code.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

__all__ = ["SheetLayout", "xls_layout"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFA  # sector numbers from here on mark ends and free sectors
_PERCENT_BUILTIN = frozenset((9, 10))  # "0%", "0.00%"


@dataclass
class SheetLayout:
    """One sheet's hidden rows and columns, and its number cells shown as percentages
    (0-based row and column)."""

    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    error_cells: set[tuple[int, int]] = field(default_factory=set)


def xls_layout(data: bytes) -> dict[str, SheetLayout] | None:
    """Each sheet's layout by sheet name, or None when the file cannot be read this way."""
    try:
        stream = _workbook_stream(data)
        return None if stream is None else _layouts(stream)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, KeyError):
        return None


def _u16(b: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", b, at)[0])


def _u32(b: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", b, at)[0])


def _workbook_stream(data: bytes) -> bytes | None:
    """The "Workbook" (or "Book") stream of a compound file."""
    if not data.startswith(_OLE_MAGIC) or len(data) < 512:
        return None
    size = 1 << _u16(data, 0x1E)
    mini_size = 1 << _u16(data, 0x20)
    n_fat, dir_start = _u32(data, 0x2C), _u32(data, 0x30)
    mini_cutoff, minifat_start = _u32(data, 0x38), _u32(data, 0x3C)
    difat_next, n_difat = _u32(data, 0x44), _u32(data, 0x48)
    per_sector = size // 4

    def sector(i: int) -> bytes:
        at = (i + 1) * size
        if at + size > len(data):
            raise ValueError("sector beyond the end of the file")
        return data[at:at + size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    for _ in range(min(n_difat, len(data) // size)):  # a forged count or cycle ends here
        if difat_next >= _END:
            break
        more = struct.unpack_from(f"<{per_sector}I", sector(difat_next))
        difat.extend(more[:-1])
        difat_next = more[-1]
    fat: list[int] = []
    for s in difat[:n_fat]:
        if s < _END:
            fat.extend(struct.unpack_from(f"<{per_sector}I", sector(s)))

    def chain(start: int, table: list[int]) -> list[int]:
        out: list[int] = []
        while start < _END:
            if start >= len(table) or len(out) > len(table):
                raise ValueError("a broken sector chain")
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(s) for s in chain(dir_start, fat))
    entries = [directory[k:k + 128] for k in range(0, len(directory) - 127, 128)]
    if not entries:
        return None
    for e in entries:
        name = e[:max(0, min(_u16(e, 0x40), 64) - 2)].decode("utf-16-le")
        if e[0x42] != 2 or name.lower() not in ("workbook", "book"):
            continue
        start, length = _u32(e, 0x74), _u32(e, 0x78)
        if length >= mini_cutoff:
            return b"".join(sector(s) for s in chain(start, fat))[:length]
        root = entries[0]
        mini_stream = b"".join(sector(s) for s in chain(_u32(root, 0x74), fat))
        minifat: list[int] = []
        for s in chain(minifat_start, fat):
            minifat.extend(struct.unpack_from(f"<{per_sector}I", sector(s)))
        return b"".join(mini_stream[m * mini_size:(m + 1) * mini_size]
                        for m in chain(start, minifat))[:length]
    return None


def _records(stream: bytes, at: int) -> list[tuple[int, bytes]]:
    """The records of one substream (from its BOF to its EOF)."""
    out: list[tuple[int, bytes]] = []
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4:at + 4 + length]
        at += 4 + length
        out.append((kind, body))
        if kind == 0x000A:  # EOF
            break
    return out


def _text(body: bytes, at: int, chars: int) -> str:
    """An XLUnicodeString's characters: one byte each, or two when its flag says so."""
    wide = body[at] & 1
    raw = body[at + 1:at + 1 + chars * (2 if wide else 1)]
    return raw.decode("utf-16-le" if wide else "latin-1")


def _is_percent(number_format: str) -> bool:
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format)


def _layouts(stream: bytes) -> dict[str, SheetLayout]:
    formats: dict[int, str] = {}
    xf_formats: list[int] = []
    sheets: list[tuple[str, int]] = []
    for kind, body in _records(stream, 0):
        if kind == 0x041E:  # FORMAT
            formats[_u16(body, 0)] = _text(body, 4, _u16(body, 2))
        elif kind == 0x00E0:  # XF
            xf_formats.append(_u16(body, 2))
        elif kind == 0x0085:  # BOUNDSHEET
            sheets.append((_text(body, 7, body[6]), _u32(body, 0)))
    percent_xf = {k for k, f in enumerate(xf_formats)
                  if f in _PERCENT_BUILTIN or _is_percent(formats.get(f, ""))}
    out: dict[str, SheetLayout] = {}
    for name, offset in sheets:
        layout = SheetLayout()
        for kind, body in _records(stream, offset):
            if kind == 0x0208 and _u16(body, 12) & 0x20:  # ROW, hidden
                layout.hidden_rows.add(_u16(body, 0))
            elif kind == 0x007D and _u16(body, 8) & 1:  # COLINFO, hidden
                layout.hidden_columns.update(range(_u16(body, 0), min(_u16(body, 2), 255) + 1))
            elif kind in (0x0203, 0x027E, 0x0006):  # NUMBER, RK, FORMULA
                if _u16(body, 4) in percent_xf:
                    layout.percent_cells.add((_u16(body, 0), _u16(body, 2)))
                if kind == 0x0006:
                    layout.formula_cells.add((_u16(body, 0), _u16(body, 2)))
            elif kind == 0x0205 and body[7]:  # BOOLERR holding an error
                layout.error_cells.add((_u16(body, 0), _u16(body, 2)))
            elif kind == 0x00BD:  # MULRK: several RK cells in one row
                row, first = _u16(body, 0), _u16(body, 2)
                for k in range((len(body) - 6) // 6):
                    if _u16(body, 4 + 6 * k) in percent_xf:
                        layout.percent_cells.add((row, first + k))
        out[name] = layout
    return out
