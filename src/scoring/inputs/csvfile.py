"""CSV files: their bytes decoded to text, the delimiter Excel chose, and the rows read
strictly, so that a quote left open is an error at its row rather than a cell that swallows the
rows below it.

An undecidable or legacy (TCVN3, VNI) encoding is refused naming the file; `decode_input` does
this for every reader of hand-kept CSV files.
"""

from __future__ import annotations

import csv
import io
import re

from scoring.base.errors import InputError, input_location
from scoring.base.i18n import _
from scoring.base.text import LegacyEncoding, UndecidableEncoding, decode_text
from scoring.inputs.names import is_initiatives, is_rounds, kind_of
from scoring.inputs.records import MAX_HEADER_ROWS
from scoring.inputs.sizes import _MEMORY_PER_BYTE, _MEMORY_PER_CELL, _cells_in, _check_memory
from scoring.inputs.tables import _legacy_message, _place, _Read

__all__ = ["decode_input"]


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
